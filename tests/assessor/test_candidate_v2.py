"""A v1 and a v2 candidate side by side in one engagement: each scored with the version
they took, ranked on the same fit scale, and the page, JSON and PDF say which version."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from sqlalchemy import select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.models import Result
from assessor.services import candidates, invitations, responses, results, standings

V2 = questionnaires.load("cco_candidate", 2)


def _complete(assignment, instrument, level: float, seed: int) -> None:
    answers = synthetic_answers(instrument, np.random.default_rng(seed), {"_base": level})
    responses.consent(assignment)
    for section in instrument.sections:
        values = {i.key: answers.get(i.key) for i in section.items}
        saved = responses.save_page(assignment, section, values, 40.0, strict=True)
        assert not saved.errors, saved.errors
    assert responses.submit(assignment) == []
    results.compute_and_store(assignment)


@pytest.fixture
def side_by_side(make_user, make_engagement):
    """Una is invited to version 1; then the engagement switches new invitations to
    version 2 and Tove is invited: Una keeps version 1."""
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter, client_name="Halden Utilities")
    first = invitations.invite(recruiter, engagement, "Una One", "una@example.com")
    candidates.set_assessment_version(recruiter, engagement, 2)
    second = invitations.invite(recruiter, engagement, "Tove Two", "tove@example.com")
    assert (first.instrument_version, second.instrument_version) == (1, 2)
    _complete(first, questionnaires.load("cco_candidate", 1), 0.7, seed=1)
    _complete(second, V2, 0.7, seed=2)
    db.session.commit()
    return recruiter, engagement, first, second


def test_each_is_scored_with_their_version_and_ranked_on_one_fit_scale(side_by_side):
    _recruiter, engagement, first, second = side_by_side
    v1, v2 = (
        db.session.scalar(select(Result).where(Result.assignment_id == a.id)).data
        for a in (first, second)
    )
    assert "se" not in v1["scales"]["empathy"]  # v1: scale scores and the pool's SEM
    assert set(v2["scales"]["empathy"]["sources"]) == {"blocks", "ratings", "situations"}
    assert v2["scales"]["empathy"]["se"] > 0
    assert {"overclaiming", "unlikely_virtues"} <= set(v2["quality"]["indices"])
    assert "overclaiming" not in v2["scales"]  # validity evidence is not a competency
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.score is not None and second.score is not None
    ranks = standings.ranks(engagement, [first.score, second.score])
    assert sorted(r for r in ranks if r is not None) in ([1, 2], [1, 1])


def test_the_page_json_and_pdf_say_which_version_each_took(client, auth, side_by_side):
    from pypdf import PdfReader

    recruiter, engagement, first, second = side_by_side
    auth.login(recruiter.email)
    base = f"/engagements/{engagement.id}/candidates"
    for assignment, version in ((first, 1), (second, 2)):
        page = client.get(f"{base}/{assignment.id}").get_data(as_text=True)
        assert f"Chief Customer Officer candidate assessment, version {version}" in page
        data = client.get(f"{base}/{assignment.id}.json").get_json()
        method = "agree/disagree" if version == 1 else "forced-choice blocks"
        assert f"version {version} ({method}" in data["instrument_label"]
        pdf = client.get(f"{base}/{assignment.id}.pdf")
        assert pdf.status_code == 200
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert f"version {version}" in " ".join(text.split())
    dashboard = client.get(base).get_data(as_text=True)
    assert "Una One" in dashboard and "Tove Two" in dashboard


def test_a_v2_candidates_band_comes_from_their_own_standard_error(side_by_side):
    """Version 2 measures each candidate's SE; version 1 bands use the pool's SEM."""
    from assessor.models import CandidateStanding
    from scoring.reliability import Z90

    _recruiter, _engagement, first, second = side_by_side
    v2 = db.session.scalar(select(Result).where(Result.assignment_id == second.id)).data
    own = db.session.get(CandidateStanding, second.id).scales["empathy"]
    se, pomp = v2["scales"]["empathy"]["se"], v2["scales"]["empathy"]["pomp"]
    # each end computed from the stored score and rounded once, halves up
    assert own["low"] == math.floor(max(0.0, pomp - Z90 * se) + 0.5)
    assert own["high"] == math.floor(min(100.0, pomp + Z90 * se) + 0.5)
    pool = db.session.get(CandidateStanding, first.id).scales["empathy"]
    assert pool["high"] - pool["low"] != pytest.approx(own["high"] - own["low"], abs=0.5)


def test_the_recruiter_chooses_the_version_for_new_invitations(client, auth, make_user):
    from assessor.models import AuditEvent, Engagement

    recruiter = make_user("recruiter")
    auth.login(recruiter.email)
    response = auth.post(
        "/engagements/new", {"client_name": "Halden Utilities", "role_title": "CCO"}
    )
    engagement = db.session.get(Engagement, int(response.headers["Location"].rsplit("/", 1)[1]))
    page = f"/engagements/{engagement.id}/candidates"
    html = client.get(page).get_data(as_text=True)
    assert "Assessment for new invitations" in html and "pilot" in html
    bad = auth.post(
        f"/engagements/{engagement.id}/assessment-version", {"version-version": "7"}, page
    )
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    good = auth.post(
        f"/engagements/{engagement.id}/assessment-version", {"version-version": "2"}, page
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Engagement, engagement.id).candidate_version == 2
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "engagement.assessment_version")
    ).detail == {"version": 2}
    assert 'selected value="2"' in client.get(page).get_data(as_text=True)
