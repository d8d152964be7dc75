"""The role brief PDF: read back with pypdf, page 1 rendered to PNG (both databases)."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from pypdf import PdfReader

from assessor.demo.board import (
    OPERATOR_ANSWERS,
    OPERATOR_WEIGHTS,
    STRATEGIST_ANSWERS,
    STRATEGIST_WEIGHTS,
    judgement_steps,
)
from assessor.extensions import db
from assessor.services import board_brief, invitations
from tests.assessor.test_board_flow import answer_as_member, invite_member, member
from tests.conftest import unavailable


@pytest.fixture
def recruiter(make_user):
    return make_user("recruiter")


@pytest.fixture
def engagement(make_engagement, recruiter):
    return make_engagement(owner=recruiter, client_name="Halden Utilities")


def _board_of_three(app, auth, engagement):
    members = [
        ("Margaret Okafor", "m@example.com", OPERATOR_ANSWERS, OPERATOR_WEIGHTS),
        (
            "Henrik Dahl",
            "h@example.com",
            {**OPERATOR_ANSWERS, "board_need": "insight"},
            OPERATOR_WEIGHTS,
        ),
        ("Sofia Almeida", "s@example.com", STRATEGIST_ANSWERS, STRATEGIST_WEIGHTS),
    ]
    rng = np.random.default_rng(11)
    for name, email, answers, weights in members:
        invite_member(auth, engagement, name, email)
        answer_as_member(
            app, member(engagement, email), answers, judgement_steps(weights, rng, 0.15)
        )
    invite_member(auth, engagement, "Late Member", "late@example.com")


def test_role_brief_pdf(app, client, auth, recruiter, engagement, output_dir):
    auth.login(recruiter.email)
    _board_of_three(app, auth, engagement)
    response = client.get(f"/engagements/{engagement.id}/board/brief.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.get_data()
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Operating executive" in flat
    assert "3 answered of 4 invited" in flat
    assert "Priorities" in flat and "Insight and technology" in flat
    assert "Draft job specification" in flat and "Key competencies, in priority order" in flat
    assert "Contact centres, inbound and outbound" in flat  # the remit from the answers
    assert "Budget, seat and reporting line" in flat
    assert "Where the board agreed, and where it did not" in flat
    assert "The interim option" in flat
    assert "Sofia Almeida" in flat
    assert reader.metadata.title == "Role brief — Halden Utilities"

    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is missing; install Debian's poppler-utils")
    path = output_dir / "role-brief.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "2",
            str(path),
            str(output_dir / "role-brief"),
        ],
        check=True,
    )
    assert (output_dir / "role-brief-1.png").stat().st_size > 5000


def test_interim_rule_fires_when_the_board_is_split_or_the_pool_weak(
    app, auth, recruiter, engagement
):
    from assessor.services import board

    auth.login(recruiter.email)
    # Two members who want opposite roles: low agreement.
    invite_member(auth, engagement, "A", "a@example.com")
    invite_member(auth, engagement, "B", "b@example.com")
    answer_as_member(
        app,
        member(engagement, "a@example.com"),
        OPERATOR_ANSWERS,
        judgement_steps(OPERATOR_WEIGHTS),
    )
    influence = {
        **STRATEGIST_ANSWERS,
        "budget": "none",
        "board_seat": "senior_management",
        "reporting_line": "other_executive",
        "restructure": "advise",
        "board_need": "alignment",
        "functions": ["none_directly"],
        "coordination": "many",
        "customer_types": ["internal"],
        "international": "global",
        "trigger": "fragmentation",
        "time_to_value": "m12",
        "measures_maturity": "fragmented",
    }
    answer_as_member(
        app, member(engagement, "b@example.com"), influence, judgement_steps(STRATEGIST_WEIGHTS)
    )
    view = board.build_view(engagement)
    assert view.low_agreement
    advice = board_brief.interim_advice(engagement, view)
    assert advice.fires and "agreement" in advice.reasons[0]
    assert advice.basis == "board and candidate pool"
    # No candidates scored yet: the pool cannot be called weak.
    assert len(advice.reasons) == 1
    # A weak candidate: now the pool rule fires too.
    from assessor.demo import _answer_pages, synthetic_answers
    from assessor.services import responses, results

    weak = invitations.invite(recruiter, engagement, "Weak Candidate", "weak@example.com")
    instrument = responses.instrument_of(weak)
    answers = synthetic_answers(instrument, np.random.default_rng(1), {"_base": 0.2})
    _answer_pages(weak, instrument, answers, np.random.default_rng(2), pages=None)
    assert not responses.submit(weak)
    results.compute_and_store(weak)
    db.session.commit()
    advice = board_brief.interim_advice(engagement, board.build_view(engagement))
    assert len(advice.reasons) == 2 and "good fit" in advice.reasons[1]
