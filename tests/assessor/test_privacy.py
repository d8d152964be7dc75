"""A copy of one's data on request, erasure with a tombstone, and retention purges."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Answer, Assignment, AuditEvent, Interview, PageTiming, Result, utcnow
from assessor.services import invitations


def test_personal_data_export_holds_answers_and_scores(client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    response = client.get(f"/engagements/{engagement.id}/candidates/{strong.id}/personal-data.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["participant"]["email"] == "strong@example.com"
    assert len(data["answers"]) == db.session.scalar(
        select(func.count(Answer.id)).where(Answer.assignment_id == strong.id)
    )
    assert data["scores"]["empathy"]["pomp"] is not None


def test_erasure_leaves_only_a_tombstone(app, client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    # Without the confirmation box nothing happens.
    auth.post(f"{page}/erase", {}, form_page=page)
    assert db.session.get(Assignment, strong.id).erased_at is None
    response = auth.post(f"{page}/erase", {"confirm": "yes"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    tomb = db.session.get(Assignment, strong.id)
    assert tomb.erased_at is not None and tomb.status == "erased"
    assert tomb.name is None and tomb.email is None and tomb.segment is None
    for model in (Answer, PageTiming, Result, Interview):
        assert (
            db.session.scalar(select(func.count(model.id)).where(model.assignment_id == strong.id))
            == 0
        )
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erase"))
    html = client.get(page).get_data(as_text=True)
    assert "Erased record" in html and "strong@example.com" not in html
    assert client.get(f"{page}.pdf").status_code == 404
    assert "Strong Candidate" not in client.get(
        f"/engagements/{engagement.id}/candidates"
    ).get_data(as_text=True)
    assert "Strong Candidate" not in client.get(
        f"/engagements/{engagement.id}/export.csv"
    ).get_data(as_text=True)


def test_purge_deletes_only_stale_unanswered_invitations(app, make_user, make_engagement):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    stale = invitations.invite(recruiter, engagement, "Stale", "stale@example.com")
    fresh = invitations.invite(recruiter, engagement, "Fresh", "fresh@example.com")
    started = invitations.invite(recruiter, engagement, "Started", "started@example.com")
    long_ago = utcnow() - timedelta(days=200)
    stale.expires_at = long_ago
    started.expires_at = long_ago
    db.session.add(Answer(assignment_id=started.id, section_key="s", item_key="i", value=3))
    db.session.commit()
    stale_id = stale.id
    result = app.test_cli_runner().invoke(args=["purge-invitations", "--older-than", "90"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 unanswered invitation(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Assignment, stale_id) is None
    assert db.session.get(Assignment, fresh.id) is not None
    assert db.session.get(Assignment, started.id) is not None
    bad = app.test_cli_runner().invoke(args=["purge-invitations", "--older-than", "-3"])
    assert bad.exit_code != 0 and "-3" in bad.output
