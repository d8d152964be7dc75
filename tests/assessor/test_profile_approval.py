"""Issue #15: the board's approval governs the ranking (both databases).

A recruiter's archetype choice is a proposal; only the engagement's board
members approve or reject it, once each, up to the engagement's quorum; every
step is audited and, with e-mail configured, told to the others.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import numpy as np
import pytest
from sqlalchemy import func, select

from assessor.demo import _answer_pages
from assessor.demo.board import OPERATOR_ANSWERS, OPERATOR_WEIGHTS, judgement_steps
from assessor.extensions import db
from assessor.models import (
    AuditEvent,
    CandidateStanding,
    Engagement,
    ProfileDecision,
    RoleProfileVersion,
)
from assessor.services import board, board_brief, engagements, invitations, profiles, responses
from assessor.services import results as result_service
from assessor.services.errors import PermissionDeniedError, ServiceError
from questionnaires import ARCHETYPE_NAMES
from tests.assessor.conftest import free_port


# ------------------------------------------------------------------ helpers
def standings_of(engagement):
    """Every stored standing of the engagement (what the ranking pages read)."""
    db.session.expire_all()
    columns = [c for c in CandidateStanding.__table__.columns if c.name != "computed_at"]
    return db.session.execute(
        select(*columns)
        .where(CandidateStanding.engagement_id == engagement.id)
        .order_by(CandidateStanding.assignment_id)
    ).all()


def ranking_of(engagement):
    """Candidate ids from best fit down, with the version each fit was computed against."""
    rows = standings_of(engagement)
    ordered = sorted(rows, key=lambda r: -(r.fit if r.fit is not None else -1))
    return [(r.assignment_id, r.profile_version_id, r.fit) for r in ordered]


def dashboard(client, engagement):
    response = client.get(f"/engagements/{engagement.id}/candidates")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def selected_archetype(html):
    """The archetype the dashboard's select shows chosen."""
    select_html = re.search(r'<select[^>]*name="profile-archetype".*?</select>', html, re.S)
    assert select_html, "no archetype select on the dashboard"
    chosen = re.findall(r"<option([^>]*)>", select_html.group(0))
    values = [re.search(r'value="([^"]+)"', o).group(1) for o in chosen if "selected" in o]
    assert len(values) == 1, values
    return values[0]


def propose_on_dashboard(auth, engagement, archetype):
    path = f"/engagements/{engagement.id}"
    return auth.post(
        f"{path}/profile", {"profile-archetype": archetype}, form_page=f"{path}/candidates"
    )


def board_page(engagement):
    return f"/engagements/{engagement.id}/board"


def decide_on_page(auth, engagement, version, decision, note=""):
    url = f"{board_page(engagement)}/profiles/{version.id}/{decision}"
    data = {"reject-note": note} if decision == "reject" else {}
    return auth.post(url, data, form_page=board_page(engagement))


def fresh(version):
    db.session.expire_all()
    return db.session.get(RoleProfileVersion, version.id)


def events(engagement, action):
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
            )
            .order_by(AuditEvent.id)
        )
    )


def set_quorum(engagement, quorum):
    row = db.session.get(Engagement, engagement.id)
    row.approval_quorum = quorum
    db.session.commit()
    return row


@pytest.fixture
def halden(completed, make_user):
    """The completed engagement with two board members of its own and a viewer."""
    recruiter, engagement, people = completed
    first = make_user("board", member_of=engagement, name="Bea Board")
    second = make_user("board", member_of=engagement, name="Carl Board")
    viewer = make_user("viewer", member_of=engagement, name="Vera Viewer")
    return recruiter, engagement, people, first, second, viewer


# ------------------------------------------------------- the recruiter's choice
def test_a_recruiter_cannot_change_the_ranking_profile_without_approval(client, auth, halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    set_quorum(engagement, 1)
    before = standings_of(engagement)
    start = profiles.current_version(engagement)
    auth.login(recruiter.email)

    html = dashboard(client, engagement)
    in_use = ARCHETYPE_NAMES[start.data["archetype"]]
    assert f"v1 {in_use} default weights, set at creation; not approved by the board" in html, (
        "the starting profile must never read as approved"
    )
    assert selected_archetype(html) == start.data["archetype"]
    assert "Propose this profile" in html and "Use this profile" not in html

    other = next(a for a in ARCHETYPE_NAMES if a != start.data["archetype"])
    response = propose_on_dashboard(auth, engagement, other)
    assert response.status_code == 302
    assert "approves it before it ranks anyone" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)

    # Nothing moved: same stored standings, same version in use.
    assert standings_of(engagement) == before
    assert profiles.current_version(engagement).id == start.id
    proposal = board.proposal(engagement)
    assert proposal.status == "proposed" and not proposal.is_current
    assert proposal.source == f"default:{other}" and proposal.approved_by_id is None

    html = dashboard(client, engagement)
    assert selected_archetype(html) == start.data["archetype"]  # the profile in use
    assert (
        f"Proposal v{proposal.version} ({ARCHETYPE_NAMES[other]}) waits for the board: "
        "0 of 1 approvals" in html
    )
    assert f'href="{board_page(engagement)}#proposal"' in html

    # Only a board member's approval makes it rank.
    auth.logout()
    auth.login(first.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 302
    after = ranking_of(engagement)
    assert {version for _, version, _ in after} == {proposal.id}
    assert standings_of(engagement) != before
    auth.logout()
    auth.login(recruiter.email)
    html = dashboard(client, engagement)
    assert selected_archetype(html) == other
    assert f"approved by {first.name} on" in html and "waits for the board" not in html


def test_choosing_again_supersedes_and_the_profile_in_use_is_refused(client, auth, halden):
    recruiter, engagement, _people, *_ = halden
    auth.login(recruiter.email)
    in_use = profiles.current_version(engagement).data["archetype"]
    others = [a for a in ARCHETYPE_NAMES if a != in_use]
    assert propose_on_dashboard(auth, engagement, others[0]).status_code == 302
    first = board.proposal(engagement)
    assert propose_on_dashboard(auth, engagement, others[1]).status_code == 302
    assert fresh(first).status == "superseded"
    assert board.proposal(engagement).data["archetype"] == others[1]

    same = propose_on_dashboard(auth, engagement, in_use)
    assert same.status_code == 400
    assert "already in use" in same.get_data(as_text=True)
    assert board.proposal(engagement).data["archetype"] == others[1]


def test_the_board_proposal_and_an_adjusted_one_stay_proposals(halden):
    recruiter, engagement, _people, *_ = halden
    version = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.adjust(recruiter, version, {c: 100 / 6 for c in OPERATOR_WEIGHTS}, {}, "board_strategist")
    db.session.commit()
    assert fresh(version).status == "proposed" and not fresh(version).is_current


def test_a_proposal_with_decisions_no_longer_changes(client, auth, halden):
    """An approval given to some weights must not carry over to other weights."""
    recruiter, engagement, _people, first, _second, _viewer = halden
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.decide(first, proposal, "approve")
    db.session.commit()
    weights = {c: 100 / 6 for c in OPERATOR_WEIGHTS}
    with pytest.raises(ServiceError, match="already decided"):
        board.adjust(recruiter, fresh(proposal), weights, {}, "board_strategist")
    auth.login(recruiter.email)
    page = client.get(f"{board_page(engagement)}/profiles/{proposal.id}/adjust")
    assert page.status_code == 400
    assert fresh(proposal).data["archetype"] == "board_strategist"


# ----------------------------------------------------------------- who decides
@pytest.mark.parametrize("role", ["recruiter", "admin", "viewer", "consultant"])
def test_only_the_engagements_board_members_decide(client, auth, halden, make_user, role):
    recruiter, engagement, *_ = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    org = db.session.get(Engagement, engagement.id).organisation_id
    from assessor.models import Organisation

    organisation = db.session.get(Organisation, org)
    user = (
        make_user("admin", organisation=organisation)
        if role == "admin"
        else make_user(role, member_of=engagement)
    )
    auth.login(user.email)
    for decision in ("approve", "reject"):
        response = decide_on_page(auth, engagement, proposal, decision, note="No")
        assert response.status_code == 403, (role, decision)
    if role == "admin":  # the role check lets admins through; the rule does not
        assert "Only a board member of this engagement" in response.get_data(as_text=True)
    assert fresh(proposal).status == "proposed"
    assert db.session.scalar(select(func.count(ProfileDecision.id))) == 0
    with pytest.raises(PermissionDeniedError):
        board.approve(user, fresh(proposal))


def test_a_board_member_of_another_engagement_gets_404(client, auth, halden, make_user):
    recruiter, engagement, *_ = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    other = engagements.create_engagement(recruiter, "Marlow Rail", "CCO")
    db.session.commit()
    outsider = make_user("board", member_of=other)
    auth.login(outsider.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 404
    assert client.get(board_page(engagement)).status_code == 404
    with pytest.raises(PermissionDeniedError):
        board.approve(outsider, proposal)
    assert fresh(proposal).status == "proposed"


def test_a_second_decision_by_the_same_member_is_refused(client, auth, halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    auth.login(first.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 302
    for decision in ("approve", "reject"):
        again = decide_on_page(auth, engagement, proposal, decision, note="Changed my mind")
        assert again.status_code == 400
        assert "already approved" in again.get_data(as_text=True)
    rows = db.session.scalars(
        select(ProfileDecision).where(ProfileDecision.version_id == proposal.id)
    )
    assert [(r.user_id, r.decision) for r in rows] == [(first.id, "approve")]
    assert fresh(proposal).status == "proposed"


def test_a_rejection_needs_a_reason(client, auth, halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    auth.login(first.email)
    response = decide_on_page(auth, engagement, proposal, "reject", note="   ")
    assert response.status_code == 400
    assert "why you reject" in response.get_data(as_text=True)
    assert fresh(proposal).status == "proposed"
    with pytest.raises(ServiceError):
        board.reject(first, fresh(proposal), "")


# --------------------------------------------------------------- the quorum rule
@pytest.mark.parametrize(
    ("approvals", "rejections", "members", "quorum", "expected"),
    [
        (1, 0, 3, 1, "approved"),  # any one member approves
        (0, 1, 3, 1, "rejected"),  # any one member rejects: settled at once
        (1, 0, 3, 2, "pending"),
        (2, 0, 3, 2, "approved"),
        (1, 1, 3, 2, "pending"),  # the third member can still make it 2
        (0, 1, 2, 2, "rejected"),  # 2 of 2 with one rejection can never be reached
        (0, 2, 3, 2, "rejected"),
        (1, 0, 1, 2, "approved"),  # members left: the quorum shrinks with the board
        (0, 0, 0, 1, "pending"),
    ],
)
def test_quorum_outcome(approvals, rejections, members, quorum, expected):
    assert board.quorum_outcome(approvals, rejections, members, quorum) == expected


def test_any_one_member_approves_and_ranks(halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    before = standings_of(engagement)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    result = board.decide(first, proposal, "approve")
    db.session.commit()
    assert result.outcome == "approved"
    version = fresh(proposal)
    assert version.is_current and version.status == "approved"
    assert version.approved_by_id == first.id and version.approved_at is not None
    assert standings_of(engagement) != before
    assert {v for _, v, _ in ranking_of(engagement)} == {proposal.id}


def test_any_one_member_rejects_and_nothing_moves(halden):
    recruiter, engagement, _people, first, second, _viewer = halden
    before = standings_of(engagement)
    start = profiles.current_version(engagement)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    result = board.decide(first, proposal, "reject", "Too strategic for this company")
    db.session.commit()
    assert result.outcome == "rejected"
    assert fresh(proposal).status == "rejected" and not fresh(proposal).is_current
    assert profiles.current_version(engagement).id == start.id
    assert standings_of(engagement) == before
    with pytest.raises(ServiceError):  # settled: nobody decides any more
        board.approve(second, fresh(proposal))


def test_a_quorum_of_two_waits_for_the_second_approval(halden):
    recruiter, engagement, _people, first, second, _viewer = halden
    set_quorum(engagement, 2)
    before = standings_of(engagement)
    start = profiles.current_version(engagement)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    one = board.decide(first, proposal, "approve")
    db.session.commit()
    assert one.outcome == "pending" and (one.tally.approvals, one.tally.needed) == (1, 2)
    assert fresh(proposal).status == "proposed"
    assert profiles.current_version(engagement).id == start.id
    assert standings_of(engagement) == before  # ranking unchanged

    two = board.decide(second, fresh(proposal), "approve")
    db.session.commit()
    assert two.outcome == "approved"
    version = fresh(proposal)
    assert version.is_current and version.approved_by_id == second.id
    assert {v for _, v, _ in ranking_of(engagement)} == {proposal.id}


def test_two_of_two_with_a_rejection_is_rejected(halden):
    recruiter, engagement, _people, first, second, _viewer = halden
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    assert board.decide(first, proposal, "approve").outcome == "pending"
    result = board.decide(second, fresh(proposal), "reject", "We need an operator")
    db.session.commit()
    assert result.outcome == "rejected" and fresh(proposal).status == "rejected"
    assert not fresh(proposal).is_current


def test_a_removed_members_approval_stops_counting(halden, make_user):
    """Only the decisions of members still on the engagement's board count."""
    recruiter, engagement, _people, first, second, _viewer = halden
    third = make_user("board", member_of=engagement, name="Dora Board")
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.decide(first, proposal, "approve")
    db.session.commit()
    opened = db.session.get(Engagement, engagement.id)
    (membership,) = [m for m, u in engagements.members(opened) if u.id == first.id]
    engagements.remove_member(recruiter, opened, membership.id)
    db.session.commit()
    result = board.decide(second, fresh(proposal), "approve")
    db.session.commit()
    assert result.outcome == "pending"
    assert (result.tally.approvals, result.tally.needed) == (1, 2)
    assert [d.counted for d in result.tally.decisions] == [False, True]
    assert board.decide(third, fresh(proposal), "approve").outcome == "approved"


# --------------------------------------------------------------- the approval rule
def post_rule(auth, engagement, data):
    return auth.post(
        f"{board_page(engagement)}/approval-rule",
        {f"rule-{k}": v for k, v in data.items()},
        form_page=board_page(engagement),
    )


def test_staff_set_who_approves(client, auth, halden):
    recruiter, engagement, _people, first, _second, viewer = halden
    auth.login(recruiter.email)
    page = client.get(board_page(engagement)).get_data(as_text=True)
    assert "Who approves the role profile" in page and "any one board member" in page

    too_many = post_rule(auth, engagement, {"rule": "quorum", "quorum": "3"})
    assert too_many.status_code == 400
    assert "has 2 board members" in too_many.get_data(as_text=True)
    none = post_rule(auth, engagement, {"rule": "quorum", "quorum": "0"})
    assert none.status_code == 400 and "At least one board member" in none.get_data(as_text=True)
    empty = post_rule(auth, engagement, {"rule": "quorum", "quorum": ""})
    assert empty.status_code == 400
    assert "Enter how many board members" in empty.get_data(as_text=True)
    assert db.session.get(Engagement, engagement.id).approval_quorum == 1

    assert post_rule(auth, engagement, {"rule": "quorum", "quorum": "2"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Engagement, engagement.id).approval_quorum == 2
    [event] = events(engagement, "profile.approval_rule")
    assert event.detail["quorum"] == 2 and event.actor_id == recruiter.id

    board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    waiting = post_rule(auth, engagement, {"rule": "any"})
    assert waiting.status_code == 400 and "waits for the board" in waiting.get_data(as_text=True)
    assert db.session.get(Engagement, engagement.id).approval_quorum == 2

    for user in (first, viewer):
        auth.logout()
        auth.login(user.email)
        assert post_rule(auth, engagement, {"rule": "any"}).status_code == 403


# ----------------------------------------------------------------- the audit trail
def test_every_step_is_in_the_audit_trail(halden):
    recruiter, engagement, _people, first, second, _viewer = halden
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.decide(first, proposal, "approve")
    board.decide(second, fresh(proposal), "approve")
    later = board.propose_archetype(recruiter, engagement, "influence_leader")
    board.decide(first, later, "reject", "Not this kind of role")  # 2 of 2 now out of reach
    withdrawn = board.propose_archetype(recruiter, engagement, "influence_leader")
    board.withdraw(recruiter, withdrawn)
    db.session.commit()

    proposed = events(engagement, "profile.propose")
    assert [(e.detail["version"], e.detail["source"]) for e in proposed] == [
        (proposal.version, "default:board_strategist"),
        (later.version, "default:influence_leader"),
        (withdrawn.version, "default:influence_leader"),
    ]
    approvals = events(engagement, "profile.approve")
    assert [(e.actor_id, e.detail["approvals"], e.detail["quorum"]) for e in approvals] == [
        (first.id, 1, 2),
        (second.id, 2, 2),
    ]
    [adopted] = events(engagement, "profile.adopt")
    assert adopted.detail["version"] == proposal.version and adopted.actor_id == second.id
    rejected = events(engagement, "profile.reject")
    assert [(e.actor_id, e.detail["reason"]) for e in rejected] == [
        (first.id, "Not this kind of role")
    ]
    assert fresh(later).status == "rejected"
    [gone] = events(engagement, "profile.withdraw")
    assert gone.detail["version"] == withdrawn.version


# ---------------------------------------------------------------------- e-mail
def subject(message):
    """The Subject header as the reader sees it (decoded and unfolded)."""
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def recipients(inbox):
    return sorted(m["To"].split("<")[-1].rstrip(">") for m in inbox.messages)


def test_proposals_and_decisions_are_mailed_to_the_others(client, auth, halden, smtp, make_user):
    recruiter, engagement, _people, first, second, viewer = halden
    colleague = make_user("recruiter", member_of=engagement)
    set_quorum(engagement, 2)
    auth.login(recruiter.email)
    assert propose_on_dashboard(auth, engagement, "board_strategist").status_code == 302
    assert recipients(smtp) == sorted([first.email, second.email])
    proposal = board.proposal(engagement)
    body = smtp.messages[0].get_payload(decode=True).decode()
    assert f"/engagements/{engagement.id}/board" in body and "ranks no candidate" in body

    smtp.messages.clear()
    auth.logout()
    auth.login(first.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 302
    assert recipients(smtp) == sorted([recruiter.email, second.email, colleague.email])
    assert all("decided on role profile" in subject(m) for m in smtp.messages)

    smtp.messages.clear()
    auth.logout()
    auth.login(second.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 302
    assert recipients(smtp) == sorted([recruiter.email, first.email, colleague.email])
    assert all("is approved" in subject(m) for m in smtp.messages)
    assert viewer.email not in recipients(smtp)


def test_a_rejection_is_mailed_with_its_reason(client, auth, halden, smtp):
    recruiter, engagement, _people, first, second, _viewer = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    auth.login(first.email)
    response = decide_on_page(auth, engagement, proposal, "reject", note="Wrong archetype")
    assert response.status_code == 302
    assert recipients(smtp) == sorted([recruiter.email, second.email])
    assert all("was rejected" in subject(m) for m in smtp.messages)
    assert "Wrong archetype" in smtp.messages[0].get_payload(decode=True).decode()


def test_nothing_is_mailed_without_mail_configured(client, auth, halden, smtp, monkeypatch, app):
    recruiter, engagement, _people, first, _second, _viewer = halden
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    auth.login(recruiter.email)
    assert propose_on_dashboard(auth, engagement, "board_strategist").status_code == 302
    auth.logout()
    auth.login(first.email)
    assert (
        decide_on_page(auth, engagement, board.proposal(engagement), "approve").status_code == 302
    )
    assert smtp.messages == []


def test_an_smtp_failure_does_not_lose_the_decision(client, auth, halden, monkeypatch, app):
    recruiter, engagement, _people, first, _second, _viewer = halden
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    auth.login(recruiter.email)
    assert propose_on_dashboard(auth, engagement, "board_strategist").status_code == 302
    proposal = board.proposal(engagement)
    auth.logout()
    auth.login(first.email)
    assert decide_on_page(auth, engagement, proposal, "approve").status_code == 302
    version = fresh(proposal)
    assert version.is_current and version.approved_by_id == first.id


def test_a_refused_address_does_not_stop_the_others(halden, smtp, make_user, app):
    recruiter, engagement, _people, first, second, _viewer = halden
    bouncing = make_user("board", member_of=engagement, email="bounce-board@example.com")
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    with app.test_request_context():
        sent = board.notify(recruiter, proposal, "propose", "https://example.test/board")
    assert sent == 2 and bouncing.email not in recipients(smtp)
    assert recipients(smtp) == sorted([first.email, second.email])


# ------------------------------------------------------------------- the pages
def test_board_view_lists_decisions_and_offers_them_to_undecided_members(client, auth, halden):
    recruiter, engagement, _people, first, second, _viewer = halden
    set_quorum(engagement, 2)
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.decide(first, proposal, "approve")
    db.session.commit()
    approve_action = f"{board_page(engagement)}/profiles/{proposal.id}/approve"

    auth.login(second.email)
    html = client.get(board_page(engagement)).get_data(as_text=True)
    assert "waits for the board: 1 of 2 approvals" in html
    assert f"{first.name}</strong> approved on" in html and f"{second.name}: not decided" in html
    assert approve_action in html and "reject-note" in html

    auth.logout()
    auth.login(first.email)  # decided already: no buttons
    html = client.get(board_page(engagement)).get_data(as_text=True)
    assert approve_action not in html

    auth.logout()
    auth.login(recruiter.email)  # may not decide: told who may
    html = client.get(board_page(engagement)).get_data(as_text=True)
    assert approve_action not in html and "Approved or rejected by the engagement" in html


def test_history_shows_each_versions_decisions(client, auth, halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    board.decide(first, proposal, "reject", "Keep the operator")
    db.session.commit()
    auth.login(recruiter.email)
    html = client.get(f"{board_page(engagement)}/profiles").get_data(as_text=True)
    assert "Keep the operator" in html and first.name in html
    assert "not approved by the board" in html and "on creation" not in html


def test_viewers_read_but_never_act(client, auth, halden):
    recruiter, engagement, _people, _first, _second, viewer = halden
    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    auth.login(viewer.email)
    page = client.get(board_page(engagement))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "waits for the board" in html
    for action in (
        "/invite",
        "/propose",
        "/adjust",
        "/withdraw",
        "/approve",
        "/reject",
        "/approval-rule",
    ):
        assert f'{action}"' not in html, action
    assert client.get(f"{board_page(engagement)}/profiles").status_code == 200
    brief = client.get(f"{board_page(engagement)}/brief.pdf")
    assert brief.status_code == 400  # readable, but nobody has answered yet
    detail = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Open board view" in detail
    base = f"{board_page(engagement)}/profiles/{proposal.id}"
    for path in (f"{base}/approve", f"{base}/withdraw", f"{board_page(engagement)}/propose"):
        assert auth.post(path, {}, form_page=board_page(engagement)).status_code == 403, path
    assert fresh(proposal).status == "proposed"


# --------------------------------------------------------------------- role brief
def submitted_board_member(recruiter, engagement):
    """One board member who answered and compared (as the demo's members do)."""
    assignment = invitations.invite(
        recruiter, engagement, "Margaret Okafor", "m@example.com", kind=board.KIND
    )
    rng = np.random.default_rng(5)
    _answer_pages(
        assignment, responses.instrument_of(assignment), dict(OPERATOR_ANSWERS), rng, None
    )
    saved = board.save_judgements(
        assignment, judgement_steps(OPERATOR_WEIGHTS, rng, 0.1), strict=True
    )
    assert saved.ok
    assert not responses.submit(assignment)
    result_service.compute_and_store(assignment)
    db.session.commit()


def test_role_brief_describes_the_profile_in_use_and_the_waiting_proposal(halden):
    recruiter, engagement, _people, first, _second, _viewer = halden
    submitted_board_member(recruiter, engagement)
    data = board_brief.brief_data(engagement)
    assert "not approved by the board" in data.in_use_label and data.pending_label is None

    proposal = board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    data = board_brief.brief_data(engagement)
    assert "not approved by the board" in data.in_use_label
    assert f"v{proposal.version}" in data.pending_label and "0 of 1 approvals" in data.pending_label

    board.approve(first, proposal)
    db.session.commit()
    data = board_brief.brief_data(engagement)
    assert f"approved by {first.name}" in data.in_use_label and data.pending_label is None
    assert "not yet proposed" not in data.profile_label

    from assessor.reports.role_brief import build_role_brief

    assert build_role_brief(data)[:4] == b"%PDF"


# ---------------------------------------------------------------------- migration
def test_0007_stops_calling_directly_set_versions_approved(own_database):
    """Versions stored as "approved" with no approver and not the board's were never
    approved by anyone: 0007 makes them "default"; the board's approved ones stay.

    Written in SQL, as the schema stood at 0006: the models follow the newest schema."""
    from sqlalchemy import create_engine, text

    from assessor.database import upgrade

    engine = create_engine(own_database)
    now = "2026-01-01 00:00:00+00:00"
    try:
        upgrade(engine, "0006")
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO organisation (id, name, slug, created_at)"
                    " VALUES (1, 'Firm', 'firm-0007', :t)"
                ),
                {"t": now},
            )
            c.execute(
                text(
                    "INSERT INTO client (id, organisation_id, name, created_at)"
                    " VALUES (1, 1, 'Halden Utilities', :t)"
                ),
                {"t": now},
            )
            c.execute(
                text(
                    "INSERT INTO user_account (id, organisation_id, client_id, email, name,"
                    " password_hash, role, is_enabled, created_at, session_version)"
                    " VALUES (1, 1, 1, 'b@example.com', 'B', 'x', 'board', true, :t, 1)"
                ),
                {"t": now},
            )
            c.execute(
                text(
                    "INSERT INTO engagement (id, organisation_id, client_id, role_title, notes,"
                    " status, interview_weight, created_at, candidate_counts, score_counts,"
                    " approval_quorum) VALUES (1, 1, 1, 'CCO', '', 'open', 0.4, :t, '{}', '[]', 1)"
                ),
                {"t": now},
            )
            rows = [
                (1, "default:operating_executive", "approved", False, None),
                (2, "default:board_strategist", "approved", False, None),
                (3, "board", "approved", True, 1),
                (4, "board", "proposed", False, None),
            ]
            for number, source, status, current, approved_by in rows:
                c.execute(
                    text(
                        "INSERT INTO role_profile_version (engagement_id, version, data, source,"
                        " note, status, is_current, created_at, approved_by_id)"
                        " VALUES (1, :v, '{}', :s, '', :st, :cur, :t, :by)"
                    ),
                    {
                        "v": number,
                        "s": source,
                        "st": status,
                        "cur": current,
                        "t": now,
                        "by": approved_by,
                    },
                )
        upgrade(engine, "0007")
        with engine.connect() as c:
            statuses = c.execute(
                text("SELECT version, status FROM role_profile_version ORDER BY version")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in statuses] == [
        (1, "default"),
        (2, "default"),
        (3, "approved"),
        (4, "proposed"),
    ]
