"""Approving a board profile re-ranks the candidates; the earlier ranking stays explainable."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from assessor.demo import _answer_pages, synthetic_answers
from assessor.demo.board import OPERATOR_ANSWERS, OPERATOR_WEIGHTS, judgement_steps
from assessor.extensions import db
from assessor.models import Assignment, CandidateStanding, RoleProfileVersion
from assessor.services import board, invitations, responses, results
from tests.assessor.test_board_flow import answer_as_member, invite_member, member
from tests.conftest import Auth

STRATEGIST = {
    "_base": 0.5,
    "foresight": 0.95,
    "business_acumen": 0.95,
    "pragmatism": 0.9,
    "metrics": 0.2,
    "technology": 0.2,
}
ANALYST = {
    "_base": 0.5,
    "metrics": 0.95,
    "technology": 0.95,
    "foresight": 0.2,
    "business_acumen": 0.2,
    "pragmatism": 0.2,
}


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


def completed_candidate(recruiter, engagement, name, trait, seed):
    assignment = invitations.invite(recruiter, engagement, name, f"{seed}@candidates.example")
    instrument = responses.instrument_of(assignment)
    rng = np.random.default_rng(seed)
    answers = synthetic_answers(instrument, rng, trait, noise=0.05)
    _answer_pages(assignment, instrument, answers, rng, pages=None)
    assert not responses.submit(assignment)
    results.compute_and_store(assignment)
    db.session.commit()
    return assignment


def approve_weights(auth, engagement, weights_percent):
    """Propose from the board, adjust to these weights (no minima), approve as a board user."""
    board_page = f"/engagements/{engagement.id}/board"
    assert auth.post(f"{board_page}/propose", {}, form_page=board_page).status_code == 302
    proposal = board.proposal(engagement)
    form = {f"w_{c}": str(v) for c, v in weights_percent.items()}
    form["archetype"] = (
        "board_strategist" if weights_percent["strategy_commerce"] > 30 else "operating_executive"
    )
    response = auth.post(f"{board_page}/profiles/{proposal.id}/adjust", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = auth.post(f"{board_page}/profiles/{proposal.id}/approve", {}, form_page=board_page)
    assert response.status_code == 302
    return proposal


def order(engagement):
    """The stored ranking, and the profile version every standing was computed with."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Assignment.id, RoleProfileVersion.version)
        .join(CandidateStanding, CandidateStanding.assignment_id == Assignment.id)
        .join(RoleProfileVersion, RoleProfileVersion.id == CandidateStanding.profile_version_id)
        .where(Assignment.engagement_id == engagement.id)
        .order_by(Assignment.score.desc())
    ).all()
    versions = {version for _id, version in rows}
    assert len(versions) == 1, versions
    return [assignment_id for assignment_id, _v in rows], versions.pop()


def test_approval_reranks_candidates(app, client, auth, recruiter, board_user, engagement):
    strategist = completed_candidate(recruiter, engagement, "Tomás Strategist", STRATEGIST, 1)
    analyst = completed_candidate(recruiter, engagement, "Dana Analyst", ANALYST, 2)
    auth.login(board_user.email)
    invite_member(auth, engagement, "Margaret Okafor", "m@example.com")
    answer_as_member(
        app,
        member(engagement, "m@example.com"),
        OPERATOR_ANSWERS,
        judgement_steps(OPERATOR_WEIGHTS),
    )

    _, version = order(engagement)
    assert version == 1
    recruiter_client = app.test_client()
    candidates_url = f"/engagements/{engagement.id}/candidates"
    Auth(recruiter_client).login(recruiter.email)

    approve_weights(
        auth,
        engagement,
        {
            "strategy_commerce": 60,
            "insight_technology": 5,
            "customer_focus": 10,
            "influence_collaboration": 10,
            "execution_change": 10,
            "learning_experience": 5,
        },
    )
    ranked, version = order(engagement)
    assert version == 2
    assert ranked == [strategist.id, analyst.id]
    dashboard = recruiter_client.get(candidates_url).get_data(as_text=True)
    assert "<strong>v2 " in dashboard and "approved by" in dashboard
    assert dashboard.index("Tomás Strategist") < dashboard.index("Dana Analyst")

    approve_weights(
        auth,
        engagement,
        {
            "strategy_commerce": 5,
            "insight_technology": 60,
            "customer_focus": 10,
            "influence_collaboration": 10,
            "execution_change": 10,
            "learning_experience": 5,
        },
    )
    ranked, version = order(engagement)
    assert version == 3
    assert ranked == [analyst.id, strategist.id]
    dashboard = recruiter_client.get(candidates_url).get_data(as_text=True)
    assert "<strong>v3 " in dashboard and "approved by" in dashboard
    assert dashboard.index("Dana Analyst") < dashboard.index("Tomás Strategist")

    # The history still explains the earlier ranking: v2 is kept, with its weights.
    history = client.get(f"/engagements/{engagement.id}/board/profiles").get_data(as_text=True)
    assert "v1" in history and "v2" in history and "v3" in history
    assert history.count(board_user.name) >= 2 and "60%" in history
