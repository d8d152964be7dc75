"""The role brief PDF: read back with pypdf, page 1 rendered to PNG (both databases)."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader

import questionnaires
from assessor.demo import _answer_pages, synthetic_answers
from assessor.demo.board import (
    OPERATOR_ANSWERS,
    OPERATOR_WEIGHTS,
    STRATEGIST_ANSWERS,
    STRATEGIST_WEIGHTS,
    judgement_steps,
)
from assessor.extensions import db
from assessor.services import (
    board,
    board_brief,
    invitations,
    responses,
    results,
    survey_releases,
    surveys,
)
from scoring.readiness import STRONG_SPONSORSHIP
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


# ------------------------------------------------------------ the interim-CEO rule

READINESS = questionnaires.latest("readiness")


def _readiness_answers(sponsorship: int, others: int) -> dict[str, Any]:
    """One respondent: every sponsorship item at ``sponsorship``, every other item at
    ``others`` (raw 1..5, reverse items mirrored so the score follows the number)."""
    answers: dict[str, Any] = {"level": "executive", "department": "sales", "region": "europe"}
    for item in READINESS.items:
        if item.attention is not None:
            answers[item.key] = int(item.attention)
        elif item.scale:
            value = sponsorship if item.scale == "sponsorship" else others
            answers[item.key] = 6 - value if item.reverse else value
    return answers


def _release(consultant, engagement, sponsorship: int, others: int) -> Any:
    """A readiness round of five executives, closed and released."""
    survey = surveys.open_round(consultant, engagement)
    for seed in range(5):
        assignment = surveys.start_response(survey, None)
        answers = _readiness_answers(sponsorship, others)
        _answer_pages(assignment, READINESS, answers, np.random.default_rng(seed), None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
    db.session.commit()
    closed = survey_releases.close(consultant, survey)
    assert closed.release is not None
    db.session.commit()
    return closed.release


def _candidate(recruiter, engagement, email: str, level: float) -> Any:
    """A candidate who completed the assessment at the given trait level, scored."""
    person = invitations.invite(recruiter, engagement, email.split("@")[0], email)
    instrument = responses.instrument_of(person)
    answers = synthetic_answers(instrument, np.random.default_rng(1), {"_base": level})
    _answer_pages(person, instrument, answers, np.random.default_rng(2), pages=None)
    assert not responses.submit(person)
    results.compute_and_store(person)
    db.session.commit()
    return person


def _advice(engagement) -> board_brief.InterimAdvice:
    db.session.expire_all()
    return board_brief.interim_advice(engagement, board.build_view(engagement))


@pytest.fixture
def consultant(make_user, recruiter):
    return make_user("consultant", organisation=recruiter.organisation)


def test_interim_thresholds_are_pinned():
    assert STRONG_SPONSORSHIP == 60.0
    assert board.GOOD_FIT == 65
    assert "at least 60 out of 100" in board_brief.INTERIM_RULE
    assert "good fit of 65" in board_brief.INTERIM_RULE


def test_without_a_release_the_board_must_judge(app, recruiter, engagement):
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_BOARD_TO_JUDGE and not advice.fires
    assert advice.basis == "board and candidate pool"
    assert advice.reasons == [
        "no candidate has been scored yet",
        "no readiness results have been released",
    ]
    assert "cannot say whether executive sponsorship is strong" in advice.advice
    assert "courage to carry both titles" in advice.advice
    assert "revisit once the pool is assessed" in advice.advice
    # a weak pool does not settle it either: sponsorship is still unknown
    _candidate(recruiter, engagement, "weak@example.com", 0.2)
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_BOARD_TO_JUDGE and not advice.fires
    assert "none of the 1 scored candidate(s)" in advice.reasons[0]
    assert "revisit" not in advice.advice


def test_strong_sponsorship_and_no_candidate_ready_recommends_the_ceo(
    app, recruiter, consultant, engagement
):
    # sponsorship 100, everything else 25: the old rule (index below 40) agreed by accident;
    # what counts now is that sponsorship is strong
    _release(consultant, engagement, sponsorship=5, others=2)
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_AWAIT_CANDIDATES and not advice.fires
    assert advice.basis == "readiness survey" and advice.sponsorship == pytest.approx(100)
    _candidate(recruiter, engagement, "weak@example.com", 0.2)
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_RECOMMENDED and advice.fires
    assert advice.headline == "Consider the chief executive as interim CCO"
    assert "train the most promising internal successor" in advice.advice
    assert advice.reasons == [
        "none of the 1 scored candidate(s) reaches a good fit (65) while meeting every must-have",
        "executive sponsorship 100.0 is at least 60: strong",
    ]


def test_a_ready_candidate_needs_no_interim(app, recruiter, consultant, engagement):
    _release(consultant, engagement, sponsorship=5, others=4)
    strong = _candidate(recruiter, engagement, "strong@example.com", 0.95)
    assert strong.score is not None and strong.score >= board.GOOD_FIT
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_NOT_NEEDED and not advice.fires
    assert "at least one of the 1 scored candidate(s)" in advice.reasons[0]


def test_low_sponsorship_means_securing_it_first(app, recruiter, consultant, engagement):
    # everything strong but sponsorship (25): the old rule recommended the CEO here
    _release(consultant, engagement, sponsorship=2, others=5)
    _candidate(recruiter, engagement, "weak@example.com", 0.2)
    advice = _advice(engagement)
    assert advice.status == board_brief.INTERIM_SECURE_SPONSORSHIP and not advice.fires
    assert advice.headline == "Secure executive sponsorship before appointing"
    assert "would fail" in advice.advice
    assert advice.reasons[1] == "executive sponsorship 25.0 is below 60: not strong"
    # a ready candidate does not change it: sponsorship comes first
    _candidate(recruiter, engagement, "strong@example.com", 0.95)
    assert _advice(engagement).status == board_brief.INTERIM_SECURE_SPONSORSHIP


def _pdf_text(client, engagement) -> str:
    response = client.get(f"/engagements/{engagement.id}/board/brief.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_an_old_release_renders_by_todays_rule(
    app, client, auth, recruiter, consultant, engagement
):
    """A release stored by the old code (ceo_interim True because sponsorship was low)."""
    auth.login(recruiter.email)
    _board_of_three(app, auth, engagement)
    release = _release(consultant, engagement, sponsorship=2, others=5)
    stored = dict(release.data)
    result = dict(stored["result"])
    result["ceo_interim"] = True
    result["ceo_interim_reasons"] = ["executive sponsorship 25.0 is below 40"]
    stored["result"] = result
    release.data = stored
    db.session.commit()
    db.session.expire_all()
    assert survey_releases.result_of(release).ceo_interim is False
    _candidate(recruiter, engagement, "weak@example.com", 0.2)
    flat = _pdf_text(client, engagement)
    assert "Secure executive sponsorship before appointing" in flat
    assert "Consider the chief executive as interim CCO" not in flat
    assert "at least 60 out of 100" in flat


def test_the_brief_prints_the_recommendation(app, client, auth, recruiter, consultant, engagement):
    auth.login(recruiter.email)
    _board_of_three(app, auth, engagement)
    flat = _pdf_text(client, engagement)
    assert "The board must judge the interim option" in flat
    _release(consultant, engagement, sponsorship=5, others=2)
    _candidate(recruiter, engagement, "weak@example.com", 0.2)
    flat = _pdf_text(client, engagement)
    assert "Consider the chief executive as interim CCO" in flat
    assert "executive sponsorship 100.0 is at least 60: strong" in flat
