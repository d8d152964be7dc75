"""Pipeline moves, interviews and their blend, and access rules of the recruiter pages."""

from __future__ import annotations

import math

from sqlalchemy import select

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, CandidateStanding, Interview, Result
from assessor.services import invitations


def test_shortlist_reject_hire_with_audit_trail(client, auth, completed):
    recruiter, engagement, (strong, weak) = completed
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    for action, status in (("shortlist", "shortlisted"), ("hire", "hired")):
        response = auth.post(f"{page}/move", {"action": action}, form_page=f"{page}/interview")
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Assignment, strong.id).status == status
    weak_page = f"/engagements/{engagement.id}/candidates/{weak.id}"
    auth.post(f"{weak_page}/move", {"action": "reject"}, form_page=f"{weak_page}/interview")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("candidate.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.detail["after"], e.actor_id) for e in events] == [
        ("candidate.shortlist", "shortlisted", recruiter.id),
        ("candidate.hire", "hired", recruiter.id),
        ("candidate.reject", "rejected", recruiter.id),
    ]
    listing = client.get(f"/engagements/{engagement.id}/candidates?status=hired")
    assert ">Strong Candidate</a>" in listing.get_data(as_text=True)
    assert ">Weak Candidate</a>" not in listing.get_data(as_text=True)


def test_unknown_move_is_a_clear_400(client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    response = auth.post(f"{page}/move", {"action": "promote"}, form_page=f"{page}/interview")
    assert response.status_code == 400
    assert "Unknown action" in response.get_data(as_text=True)


def test_interviews_are_blended_with_the_recruiters_weight(app, client, auth, completed):
    recruiter, engagement, (_strong, weak) = completed
    auth.login(recruiter.email)
    kit = questionnaires.latest("interview_kit")
    ratings = [i for i in kit.items if i.type == "rating"]
    page = f"/engagements/{engagement.id}/candidates/{weak.id}/interview"
    for interviewer, value in (("Ines Board", 5), ("Paul Chair", 4)):
        data = {"interviewer_name": interviewer, "notes": "Convincing examples."}
        data.update({f"q_{item.key}": str(value) for item in ratings})
        response = auth.post(page, data)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert len(db.session.scalars(select(Interview)).all()) == 2
    db.session.expire_all()
    standing = db.session.get(CandidateStanding, weak.id)
    test_only = standing.fit
    # every competency the kit rates blends 4.5 (87.5 on 0-100) in at 40%; the others keep
    # the assessment; rounded once, halves up
    from assessor.services import profiles, standings
    from scoring.fit import compute_fit
    from scoring.profiles import SCALE_CLUSTER

    stored = db.session.scalar(select(Result.data).where(Result.assignment_id == weak.id))
    scales = [s.key for s in standings.candidate_instrument().scales]
    rated = {item.scale for item in ratings}
    fit = compute_fit(
        [[stored["scales"][s]["pomp"] for s in scales]],
        scales,
        profiles.current_profile(engagement)[1],
        scale_clusters=SCALE_CLUSTER,
        interview=[[4.5 if s in rated else float("nan") for s in scales]],
        interview_weight=0.4,
    )
    assert standing.score_source == "blended"
    assert db.session.get(Assignment, weak.id).score == math.floor(fit.score[0] + 0.5)
    assert standing.interview == 88  # 87.5, rounded once, halves up
    # Weight 0 means test only.
    response = auth.post(
        f"/engagements/{engagement.id}/interview-weight",
        {"weight-interview_weight": "0"},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, weak.id).score == test_only


def test_interview_needs_a_name_and_a_rating(client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{strong.id}/interview"
    response = auth.post(page, {"interviewer_name": "Ines", "notes": ""})
    assert response.status_code == 400
    assert "Rate at least one competency." in response.get_data(as_text=True)
    response = auth.post(page, {"interviewer_name": "", "notes": ""})
    assert "Enter the interviewer&#39;s name." in response.get_data(as_text=True)


def test_other_firms_candidate_is_404_and_board_role_is_403(client, auth, make_user, completed):
    _recruiter, engagement, (strong, _weak) = completed
    outsider = make_user("recruiter")
    auth.login(outsider.email)
    for path in (
        f"/engagements/{engagement.id}/candidates",
        f"/engagements/{engagement.id}/candidates/{strong.id}",
        f"/engagements/{engagement.id}/candidates/{strong.id}.json",
        f"/engagements/{engagement.id}/export.csv",
    ):
        assert client.get(path).status_code == 404, path
    auth.logout()
    board = make_user("board", member_of=engagement)
    auth.login(board.email)
    assert client.get(f"/engagements/{engagement.id}/candidates").status_code == 403


def test_csv_export_neutralises_formulas(client, auth, make_user, make_engagement):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    invitations.invite(recruiter, engagement, '=HYPERLINK("x")', "evil@example.com")
    db.session.commit()
    auth.login(recruiter.email)
    body = client.get(f"/engagements/{engagement.id}/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_compare_needs_two_to_four(client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    response = client.get(f"/engagements/{engagement.id}/compare?ids={strong.id}")
    assert response.status_code == 302
    response = client.get(f"/engagements/{engagement.id}/compare?ids=x")
    assert response.status_code == 400


def test_compare_two_candidates_side_by_side(client, auth, completed):
    recruiter, engagement, (strong, weak) = completed
    auth.login(recruiter.email)
    response = client.get(f"/engagements/{engagement.id}/compare?ids={strong.id}&ids={weak.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Strong Candidate" in html and "Weak Candidate" in html
    assert html.count("<svg") == 1 and "Spread (max − min)" in html
    assert 'class="best"' in html


def test_extend_and_revoke_a_link(app, client, auth, make_user, make_engagement):
    from datetime import timedelta

    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    assignment = invitations.invite(recruiter, engagement, "Ann", "ann@example.com")
    db.session.commit()
    before = assignment.expires_at
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}"
    response = auth.post(f"{page}/link", {"action": "extend", "days": "10"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).expires_at - before == timedelta(days=10)
    response = auth.post(f"{page}/link", {"action": "extend", "days": "500"}, form_page=page)
    assert "Extend by 1 to 90 days." in client.get(page).get_data(as_text=True)
    link = "/r/" + invitations.link_token(db.session.get(Assignment, assignment.id))
    auth.post(f"{page}/link", {"action": "revoke"}, form_page=page)
    assert app.test_client().get(link).status_code == 410


def test_compare_draws_a_missing_score_as_missing_not_as_zero(client, auth, completed):
    """A scale without enough answers has no score: the radar leaves its marker out
    instead of drawing a 0 the candidate never scored."""
    from sqlalchemy.orm.attributes import flag_modified

    from assessor.models import CandidateStanding

    recruiter, engagement, (strong, weak) = completed
    standing = db.session.get(CandidateStanding, weak.id)
    standing.scales["curiosity"]["pomp"] = None  # as an insufficient scale is stored
    flag_modified(standing, "scales")
    db.session.commit()
    auth.login(recruiter.email)
    html = client.get(
        f"/engagements/{engagement.id}/compare?ids={strong.id}&ids={weak.id}"
    ).get_data(as_text=True)
    markers = html.count("<circle")
    assert markers == 15 + 14, markers  # one marker per score shown, none for the missing one
