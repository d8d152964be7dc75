"""The board's role scope end to end through the test client (both databases)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.demo.board import (
    OPERATOR_ANSWERS,
    OPERATOR_WEIGHTS,
    STRATEGIST_ANSWERS,
    STRATEGIST_WEIGHTS,
    judgement_steps,
)
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, PairwiseJudgement, Result, RoleProfileVersion
from assessor.services import board, engagements, invitations, profiles
from tests.assessor.participants import answer_all, submit
from tests.conftest import csrf_token_from

#: A set of comparisons that contradict each other (CR far above 0.10).
INCONSISTENT = {
    **judgement_steps(OPERATOR_WEIGHTS),
    board.pair_field("customer_focus", "insight_technology"): "-9",
    board.pair_field("insight_technology", "execution_change"): "-7",
    board.pair_field("customer_focus", "execution_change"): "9",
}


def link_of(assignment: Assignment) -> str:
    return "/r/" + invitations.link_token(assignment)


def invite_member(auth: Any, engagement: Any, name: str, email: str) -> Any:
    return auth.post(
        f"/engagements/{engagement.id}/board/invite",
        {"invite-name": name, "invite-email": email},
        form_page=f"/engagements/{engagement.id}/board",
    )


def post_priorities(client: Any, link: str, steps: dict[str, str], action: str = "next") -> Any:
    page = client.get(f"{link}/priorities")
    assert page.status_code in (200, 400), page.get_data(as_text=True)[:500]
    data = {
        **steps,
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "action": action,
        "page_started": f"{time.time() - 90:.3f}",
    }
    return client.post(f"{link}/priorities", data=data)


def answer_as_member(
    app: Any, assignment: Assignment, answers: dict[str, Any], steps: dict[str, str]
) -> Any:
    """Questionnaire pages, then the comparisons, then submit: what a member does."""
    instrument = questionnaires.latest("role_scope")
    client = app.test_client()
    link = link_of(assignment)
    answer_all(client, link, instrument, answers)
    assert client.get(f"{link}/resume").headers["Location"].endswith("/priorities")
    response = post_priorities(client, link, steps, action="continue")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("/review")
    done = submit(client, link)
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    return client


def member(engagement: Any, email: str) -> Assignment:
    return db.session.scalar(
        select(Assignment).where(
            Assignment.engagement_id == engagement.id, Assignment.email == email
        )
    )


@pytest.fixture
def recruiter(make_user):
    return make_user("recruiter")


@pytest.fixture
def engagement(make_engagement, recruiter):
    return make_engagement(owner=recruiter, client_name="Halden Utilities")


@pytest.fixture
def board_user(make_user, engagement):
    """A board member of the engagement: the people who approve its role profile."""
    return make_user("board", member_of=engagement)


def test_board_decides_scope_and_approves_the_profile(
    app, client, auth, recruiter, board_user, engagement
):
    auth.login(recruiter.email)
    members = [
        (
            "Margaret Okafor",
            "margaret@example.com",
            OPERATOR_ANSWERS,
            judgement_steps(OPERATOR_WEIGHTS),
        ),
        (
            "Henrik Dahl",
            "henrik@example.com",
            {**OPERATOR_ANSWERS, "board_need": "insight"},
            judgement_steps(OPERATOR_WEIGHTS, np.random.default_rng(3), 0.2),
        ),
        (
            "Sofia Almeida",
            "sofia@example.com",
            STRATEGIST_ANSWERS,
            judgement_steps(STRATEGIST_WEIGHTS),
        ),
    ]
    for name, email, _, _ in members:
        response = invite_member(auth, engagement, name, email)
        assert response.status_code == 302
    page = client.get(f"/engagements/{engagement.id}/board").get_data(as_text=True)
    assert page.count("invited") >= 3 and "0 of 15" in page
    assert member(engagement, "sofia@example.com").instrument_key == "role_scope"

    # The first member answers, is told one comparison needs another look, revises.
    first = member(engagement, "margaret@example.com")
    person = app.test_client()
    link = link_of(first)
    answer_all(person, link, questionnaires.latest("role_scope"), OPERATOR_ANSWERS)
    checked = post_priorities(person, link, INCONSISTENT)
    assert checked.status_code == 302 and "checked=1" in checked.headers["Location"]
    html = person.get(checked.headers["Location"]).get_data(as_text=True)
    assert "Consistency ratio" in html and "Worth another look" in html
    assert "Your other answers suggest" in html
    analysed = board.consistency_of(board.judgements_of(first))
    assert analysed is not None and analysed.cr > 0.10
    # Submitting is refused while a comparison is missing, then fine once complete.
    revised = post_priorities(person, link, members[0][3])
    assert revised.status_code == 302 and revised.headers["Location"].endswith("/review")
    review = person.get(f"{link}/review").get_data(as_text=True)
    assert "Priorities (pairwise comparisons)" in review and "consistency ratio 0.0" in review
    assert submit(person, link).headers["Location"].endswith("/done")

    for _name, email, answers, steps in members[1:]:
        answer_as_member(app, member(engagement, email), answers, steps)

    db.session.expire_all()
    stored = db.session.scalar(select(Result).where(Result.assignment_id == first.id))
    assert stored.data["role_scope"]["recommended"] == "operating_executive"
    assert stored.data["ahp"]["cr"] < 0.10 and len(stored.data["judgements"]) == 15
    assert (
        db.session.scalar(
            select(PairwiseJudgement.value).where(
                PairwiseJudgement.assignment_id == first.id,
                PairwiseJudgement.left_key == "customer_focus",
                PairwiseJudgement.right_key == "insight_technology",
            )
        )
        == 1.0
    )

    page = client.get(f"/engagements/{engagement.id}/board")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name, *_ in members:
        assert name in html
    assert "Operating executive" in html and "Board (group)" in html
    assert "Agreement on the kind of role" in html and "Where members disagree most" in html
    assert "Which one thing does the board most need from this role?" in html
    assert "<svg" in html and "Role brief (PDF)" in html

    # Propose (recruiter), adjust (recruiter), approve (board user).
    response = auth.post(
        f"/engagements/{engagement.id}/board/propose",
        {},
        form_page=f"/engagements/{engagement.id}/board",
    )
    assert response.status_code == 302
    proposal = board.proposal(engagement)
    assert proposal.status == "proposed" and not proposal.is_current and proposal.source == "board"
    assert proposal.version == 2 and proposal.data["archetype"] == "operating_executive"
    assert profiles.current_version(engagement).version == 1

    adjust_url = f"/engagements/{engagement.id}/board/profiles/{proposal.id}/adjust"
    form = {f"w_{c}": "10" for c in OPERATOR_WEIGHTS} | {"archetype": "operating_executive"}
    bad = auth.post(adjust_url, form)
    assert bad.status_code == 400 and "add up to 60%" in bad.get_data(as_text=True)
    form.update({"w_insight_technology": "35", "w_customer_focus": "25", "min_metrics": "60"})
    form["note"] = "Data first"
    good = auth.post(adjust_url, form)
    assert good.status_code == 302, good.get_data(as_text=True)[:3000]
    db.session.expire_all()
    proposal = db.session.get(RoleProfileVersion, proposal.id)
    assert proposal.data["weights"]["insight_technology"] == pytest.approx(0.35)
    assert proposal.data["minima"] == {"metrics": 60.0}

    approve_url = f"/engagements/{engagement.id}/board/profiles/{proposal.id}/approve"
    denied = auth.post(approve_url, {}, form_page=f"/engagements/{engagement.id}/board")
    assert denied.status_code == 403
    auth.logout()
    auth.login(board_user.email)
    approved = auth.post(approve_url, {}, form_page=f"/engagements/{engagement.id}/board")
    assert approved.status_code == 302
    db.session.expire_all()
    current = profiles.current_version(engagement)
    assert current.id == proposal.id and current.status == "approved"
    assert current.approved_by_id == board_user.id and current.approved_at is not None
    history = client.get(f"/engagements/{engagement.id}/board/profiles").get_data(as_text=True)
    assert "v2" in history and "v1" in history and board_user.name in history
    assert "in use" in history and "Data first" in history
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"profile.propose", "profile.adjust", "profile.approve", "profile.adopt"} <= actions
    # An approved version is frozen.
    again = auth.post(adjust_url, form, form_page=f"/engagements/{engagement.id}/board")
    assert again.status_code == 400


def test_submit_needs_every_comparison(app, auth, recruiter, engagement):
    auth.login(recruiter.email)
    invite_member(auth, engagement, "Ann Board", "ann@example.com")
    assignment = member(engagement, "ann@example.com")
    person = app.test_client()
    link = link_of(assignment)
    answers = synthetic_answers(questionnaires.latest("role_scope"), np.random.default_rng(5))
    answer_all(person, link, questionnaires.latest("role_scope"), answers)
    # The review page sends a member who has not compared yet to the priorities.
    assert person.get(f"{link}/review").headers["Location"].endswith("/priorities")
    half = dict(list(judgement_steps(OPERATOR_WEIGHTS).items())[:7])
    saved = post_priorities(person, link, half, action="save")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/saved")
    response = submit(person, link)
    assert response.status_code == 400
    assert "Compare every pair" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).submitted_at is None
    strict = post_priorities(person, link, {}, action="next")
    assert strict.status_code == 400
    assert strict.get_data(as_text=True).count('<p class="field-error"') == 8


def test_bad_judgement_values_are_rejected_clearly(app, auth, recruiter, engagement):
    auth.login(recruiter.email)
    invite_member(auth, engagement, "Ann Board", "ann@example.com")
    assignment = member(engagement, "ann@example.com")
    person = app.test_client()
    link = link_of(assignment)
    answer_all(person, link, questionnaires.latest("role_scope"), {}, stop_after=0)
    steps = judgement_steps(OPERATOR_WEIGHTS)
    steps[board.pair_field("customer_focus", "insight_technology")] = "12"
    steps[board.pair_field("customer_focus", "strategy_commerce")] = "abc"
    steps[board.pair_field("customer_focus", "execution_change")] = "0.5"
    response = post_priorities(person, link, steps)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a point from 9 (left much more important)" in html
    assert "Choose one of the points between the two names." in html
    db.session.expire_all()
    assert len(board.judgements_of(assignment)) == 12  # the valid ones are kept
    # Not a board member's link: the page does not exist.
    candidate = invitations.invite(recruiter, engagement, "Cand", "cand@example.com")
    db.session.commit()
    assert person.get(f"{link_of(candidate)}/priorities").status_code == 404


def test_roles_tenancy_and_csrf(app, client, auth, make_user, recruiter, engagement):
    consultant = make_user("consultant", member_of=engagement)  # a member, not of the board
    auth.login(consultant.email)
    assert client.get(f"/engagements/{engagement.id}/board").status_code == 403
    auth.logout()

    outsider = make_user("board")
    auth.login(outsider.email)
    assert client.get(f"/engagements/{engagement.id}/board").status_code == 404
    assert client.get(f"/engagements/{engagement.id}/board/profiles").status_code == 404
    assert client.get(f"/engagements/{engagement.id}/board/brief.pdf").status_code == 404
    version = profiles.current_version(engagement)
    response = auth.post(
        f"/engagements/{engagement.id}/board/profiles/{version.id}/approve", {}, form_page="/"
    )
    assert response.status_code == 404
    auth.logout()

    auth.login(recruiter.email)
    no_csrf = client.post(
        f"/engagements/{engagement.id}/board/invite",
        data={"invite-name": "X", "invite-email": "x@example.com"},
    )
    assert no_csrf.status_code == 400
    assert not db.session.scalar(select(Assignment).where(Assignment.email == "x@example.com"))
    # A version of another engagement is not found through this one.
    other = profiles.current_version(engagements.create_engagement(recruiter, "Other Co", "CCO"))
    db.session.commit()
    adjust = client.get(f"/engagements/{engagement.id}/board/profiles/{other.id}/adjust")
    assert adjust.status_code == 404
    # Nothing to propose before a member has submitted.
    response = auth.post(
        f"/engagements/{engagement.id}/board/propose",
        {},
        form_page=f"/engagements/{engagement.id}/board",
    )
    assert response.status_code == 400
    assert "at least one completed member" in response.get_data(as_text=True)
    assert client.get(f"/engagements/{engagement.id}/board/brief.pdf").status_code == 400


def test_engagement_page_links_to_the_board(client, auth, recruiter, engagement):
    auth.login(recruiter.email)
    html = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert f"/engagements/{engagement.id}/board" in html and "Board: role scope" in html


def test_two_tabs_saving_the_same_comparisons_keep_one_row_each(app, make_user, make_engagement):
    from sqlalchemy import func, select

    from assessor.extensions import db
    from assessor.models import PairwiseJudgement
    from assessor.services import board as board_service
    from assessor.services import invitations

    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    member = invitations.invite(
        recruiter, engagement, "Tab Member", "tabs@example.com", kind="board_member"
    )
    db.session.commit()
    first = {board_service.pair_field(a, b): "3" for a, b in board_service.PAIRS}
    second = {board_service.pair_field(a, b): "-5" for a, b in board_service.PAIRS}
    board_service.save_judgements(member, first, strict=True)
    board_service.save_judgements(member, second, strict=True)
    db.session.commit()
    rows = db.session.scalars(
        select(PairwiseJudgement).where(PairwiseJudgement.assignment_id == member.id)
    ).all()
    assert len(rows) == len(board_service.PAIRS)
    assert {r.value for r in rows} == {board_service.value_of(-5)}
    assert db.session.scalar(select(func.count(PairwiseJudgement.id))) == len(rows)
