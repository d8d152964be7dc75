"""Culture fit: the board names the organisation's values (role scope v2), interviewers rate
candidates against them (interview kit v2), kept apart from the competency fit.

Also: the customer-type answer of role scope v2 is descriptive and moves no archetype share.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import select

import questionnaires
from assessor.demo.board import OPERATOR_ANSWERS, OPERATOR_WEIGHTS, judgement_steps
from assessor.extensions import db
from assessor.models import Interview
from assessor.services import board, candidate_view, candidates
from tests.assessor.test_board_flow import answer_as_member, invite_member, member
from tests.assessor.test_board_ranking import completed_candidate


@pytest.fixture
def recruiter(make_user):
    return make_user("recruiter")


@pytest.fixture
def engagement(make_engagement, recruiter):
    return make_engagement(owner=recruiter, client_name="Halden Utilities")


VALUES_A = {
    "value_1": "Own the outcome",
    "value_1_behaviour": "Takes a customer's problem to the end.",
    "value_2": "Straight talk",
    "value_2_behaviour": "Says what the figures show.",
}
VALUES_B = {
    "value_1": "own the  OUTCOME",  # the same value, written differently
    "value_1_behaviour": "Finishes the job.",
    "value_2": "Curiosity",
    "value_2_behaviour": "Asks customers before assuming.",
}


def _member(app, auth, engagement, name: str, email: str, answers: dict[str, Any]) -> None:
    invite_member(auth, engagement, name, email)
    answer_as_member(app, member(engagement, email), answers, judgement_steps(OPERATOR_WEIGHTS))


def _board_with_values(app, auth, engagement) -> None:
    _member(app, auth, engagement, "Ana", "ana@example.com", {**OPERATOR_ANSWERS, **VALUES_A})
    _member(app, auth, engagement, "Ben", "ben@example.com", {**OPERATOR_ANSWERS, **VALUES_B})


def _values_only(answers: dict[str, Any]) -> dict[str, Any]:
    """Demo answers without any value (the first is required, so keep only that one)."""
    out = {k: v for k, v in answers.items() if not k.startswith("value_")}
    return {**out, "value_1": "Care", "value_1_behaviour": "Listens first."}


# ------------------------------------------------------------ role scope v2


def test_latest_role_scope_is_v2_and_new_members_get_it(app, auth, recruiter, engagement):
    assert questionnaires.latest("role_scope").version == 2
    auth.login(recruiter.email)
    invite_member(auth, engagement, "Ana", "ana@example.com")
    ana = member(engagement, "ana@example.com")
    latest = questionnaires.latest("role_scope")
    assert (ana.instrument_version, ana.instrument_hash) == (2, latest.content_hash)


def test_values_are_merged_and_shown_on_the_board_view_and_brief(
    app, client, auth, recruiter, engagement
):
    auth.login(recruiter.email)
    _board_with_values(app, auth, engagement)
    values = board.board_values(engagement)
    # named by both first (merged case- and space-insensitively, first wording kept)
    assert [(v.name, v.behaviour, v.named_by) for v in values] == [
        ("Own the outcome", "Takes a customer's problem to the end.", ("Ana", "Ben")),
        ("Straight talk", "Says what the figures show.", ("Ana",)),
        ("Curiosity", "Asks customers before assuming.", ("Ben",)),
    ]
    assert board.build_view(engagement).values == values

    page = client.get(f"/engagements/{engagement.id}/board").get_data(as_text=True)
    section = page[page.index('id="values-h"') :]
    section = section[: section.index("</section>")]
    assert "Values the board named" in section
    assert "Own the outcome" in section and "(named by Ana, Ben)" in section
    assert "Says what the figures show." in section

    response = client.get(f"/engagements/{engagement.id}/board/brief.pdf")
    reader = PdfReader(io.BytesIO(response.get_data()))
    flat = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Values the board named" in flat
    assert "Own the outcome: Takes a customer's problem to the end." in flat
    assert "Curiosity: Asks customers before assuming." in flat
    assert "never enters it" in flat
    # the customer-type answer is shown as a description of the role
    assert "Customers the role looks after" in flat and "Consumers (2 of 2)" in flat


def test_a_member_invited_with_v1_keeps_v1(app, client, auth, recruiter, engagement):
    """Invited before v2 shipped: the link, the pages and the progress stay v1's."""
    auth.login(recruiter.email)
    invite_member(auth, engagement, "Old", "old@example.com")
    old = member(engagement, "old@example.com")
    v1 = questionnaires.load("role_scope", 1)
    old.instrument_version, old.instrument_hash = 1, v1.content_hash
    db.session.commit()
    answer_as_member(app, old, dict(OPERATOR_ANSWERS), judgement_steps(OPERATOR_WEIGHTS))
    view = board.build_view(engagement)
    (row,) = view.rows
    # every v1 item is shown for these answers; v2's values page is not counted
    assert row.total == len(list(v1.iter_items())) == 16
    assert view.values == []
    page = client.get(f"/engagements/{engagement.id}/board").get_data(as_text=True)
    assert "No member has named the organisation's values yet" in page
    assert client.get(f"/engagements/{engagement.id}/board/brief.pdf").status_code == 200


def test_customer_type_moves_no_archetype_share(app, auth, recruiter, engagement):
    auth.login(recruiter.email)
    b2b = {**OPERATOR_ANSWERS, **VALUES_A, "customer_types": ["b2b"]}
    b2c = {**OPERATOR_ANSWERS, **VALUES_A, "customer_types": ["b2c"]}
    internal = {**OPERATOR_ANSWERS, **VALUES_A, "customer_types": ["internal"]}
    _member(app, auth, engagement, "B2B", "b2b@example.com", b2b)
    _member(app, auth, engagement, "B2C", "b2c@example.com", b2c)
    _member(app, auth, engagement, "Int", "int@example.com", internal)
    rows = {r.assignment.name: r.scope for r in board.build_view(engagement).rows}
    shares = [rows[n]["archetype_shares"] for n in ("B2B", "B2C", "Int")]
    assert shares[0] == shares[1] == shares[2]
    # under v1 the same answers did differ: the signal the articles reject
    from scoring import score_role_scope

    v1 = questionnaires.load("role_scope", 1)
    old = score_role_scope(v1, [b2b, b2c])
    assert not np.allclose(old.members[0].archetype_shares, old.members[1].archetype_shares)
    new = score_role_scope(questionnaires.latest("role_scope"), [b2b, b2c])
    assert np.allclose(new.members[0].archetype_shares, new.members[1].archetype_shares)


# ------------------------------------------------------------ interview kit v2


def _interview_page(engagement, person) -> str:
    return f"/engagements/{engagement.id}/candidates/{person.id}/interview"


def _culture_fields(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="(culture_[0-9a-f]{12})"', html)))


def test_no_values_means_no_culture_items_and_an_explanation(
    app, client, auth, recruiter, engagement
):
    auth.login(recruiter.email)
    person = completed_candidate(recruiter, engagement, "Cara", {"_base": 0.6}, 3)
    html = client.get(_interview_page(engagement, person)).get_data(as_text=True)
    assert "Culture fit" in html
    assert _culture_fields(html) == []
    assert "the board names on the last page of the role-scope questionnaire" in html


def test_culture_ratings_are_stored_shown_and_kept_out_of_the_fit(
    app, client, auth, recruiter, engagement
):
    auth.login(recruiter.email)
    _board_with_values(app, auth, engagement)
    person = completed_candidate(recruiter, engagement, "Cara", {"_base": 0.6}, 3)
    candidates.set_interview_weight(recruiter, engagement, 50)
    db.session.commit()
    db.session.refresh(person)
    before = person.score
    assert before is not None

    page = _interview_page(engagement, person)
    html = client.get(page).get_data(as_text=True)
    kit = questionnaires.latest("interview_kit")
    assert kit.version == 2
    # one rating per value, the value's name and behaviour above it
    assert "How does the candidate&#39;s past behaviour match \u201cOwn the outcome\u201d?" in html
    assert "Takes a customer&#39;s problem to the end." in html
    assert html.count('class="culture-value"') == 3
    fields = _culture_fields(html)
    assert len(fields) == 3
    questions = candidates.culture_questions(kit, board.board_values(engagement))
    by_name = {q.value: q.field for q in questions}

    # culture ratings only: nothing in the competency fit moves
    response = auth.post(
        page,
        {
            "interviewer_name": "Ines",
            by_name["Own the outcome"]: "5",
            by_name["Straight talk"]: "2",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    db.session.expire_all()
    (first,) = db.session.scalars(select(Interview).where(Interview.assignment_id == person.id))
    assert first.ratings == {}
    assert first.instrument_version == 2
    assert first.culture == [
        {
            "value": "Own the outcome",
            "behaviour": "Takes a customer's problem to the end.",
            "rating": 5,
        },
        {"value": "Straight talk", "behaviour": "Says what the figures show.", "rating": 2},
    ]
    db.session.refresh(person)
    assert person.score == pytest.approx(before)

    # a second interviewer rates a competency and a value: only the competency blends in
    scale = candidates.competency_items(kit)[0].scale
    response = auth.post(
        page,
        {
            "interviewer_name": "Olu",
            f"q_rate_{scale}": "1",
            by_name["Own the outcome"]: "3",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    db.session.refresh(person)
    after_competency = person.score
    assert after_competency != pytest.approx(before)
    interviews = candidates.interviews_of(person)
    assert [iv.ratings for iv in interviews] == [{}, {scale: 1}]

    view = candidate_view.build(engagement, person)
    assert view.culture_fit == {
        "mean": pytest.approx(10 / 3, abs=0.01),
        "ratings": 3,
        "values": [
            {"value": "Own the outcome", "mean": 4.0, "ratings": 2},
            {"value": "Straight talk", "mean": 2.0, "ratings": 1},
        ],
    }
    # the competency row's interview mean counts competency ratings only
    row = next(r for r in view.competencies if r.key == scale)
    assert row.interview_mean == 1.0

    html = client.get(f"/engagements/{engagement.id}/candidates/{person.id}").get_data(as_text=True)
    card = html[html.index('id="culture-h"') :]
    card = card[: card.index("</section>")]
    assert "Culture fit (interview)" in card
    assert '<strong class="culture-mean">3.3</strong> of 5' in card
    assert "do not enter the competency fit" in card
    assert "1 value rated" in html and "2 values rated" in html


def test_culture_ratings_are_validated(app, auth, recruiter, engagement):
    auth.login(recruiter.email)
    _board_with_values(app, auth, engagement)
    person = completed_candidate(recruiter, engagement, "Cara", {"_base": 0.6}, 3)
    kit = questionnaires.latest("interview_kit")
    (q, *_) = candidates.culture_questions(kit, board.board_values(engagement))
    with pytest.raises(candidates.ServiceError, match="1 to 5"):
        candidates.record_interview(recruiter, person, kit, "Ines", {}, "", [(q, 6)])
    with pytest.raises(candidates.ServiceError, match="at least one"):
        candidates.record_interview(recruiter, person, kit, "Ines", {}, "", [(q, None)])
    v1 = questionnaires.load("interview_kit", 1)
    assert candidates.culture_item(v1) is None
    assert candidates.culture_questions(v1, board.board_values(engagement)) == []
    with pytest.raises(candidates.ServiceError, match="no culture-fit"):
        candidates.record_interview(recruiter, person, v1, "Ines", {}, "", [(q, 4)])


def test_kit_v1_interviews_stay_readable(app, client, auth, recruiter, engagement):
    auth.login(recruiter.email)
    person = completed_candidate(recruiter, engagement, "Cara", {"_base": 0.6}, 3)
    v1 = questionnaires.load("interview_kit", 1)
    scale = candidates.competency_items(v1)[0].scale
    candidates.record_interview(recruiter, person, v1, "Ines", {scale: 4}, "kit one")
    db.session.commit()
    (stored,) = candidates.interviews_of(person)
    assert stored.instrument_version == 1 and stored.culture is None
    view = candidate_view.build(engagement, person)
    assert view.culture_fit is None
    html = client.get(f"/engagements/{engagement.id}/candidates/{person.id}").get_data(as_text=True)
    assert "Ines — 1 competencies rated: kit one" in html
    assert "Culture fit (interview)" not in html
