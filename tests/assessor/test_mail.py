"""Invitations and reminders go out by e-mail when SMTP is configured."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Assignment
from assessor.services import invitations


def test_invitation_and_reminder_are_emailed(app, client, auth, make_user, make_engagement, smtp):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter, client_name="Halden Utilities")
    auth.login(recruiter.email)
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": "Zoë Ångström", "invite-email": "zoe@example.com"},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assignment = db.session.scalar(select(Assignment).where(Assignment.email == "zoe@example.com"))
    body = message.get_payload(decode=True).decode()
    assert "zoe@example.com" in message["To"]
    assert "Halden Utilities" in message["Subject"]
    # The link in the mail opens this candidate's assignment (tokens carry a timestamp,
    # so compare what it resolves to, not the string).
    token = re.search(r"/r/([A-Za-z0-9_.-]+)", body).group(1)
    assert invitations.resolve_token(token).id == assignment.id
    assert "Zoë Ångström" in body

    assignment.started_at = assignment.created_at
    db.session.commit()
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}"
    response = auth.post(f"{page}/link", {"action": "resend"}, form_page=page)
    assert response.status_code == 302
    assert len(smtp.messages) == 2
    assert smtp.messages[1]["Subject"].startswith("Reminder:")


def test_without_smtp_nothing_is_sent_and_the_link_is_shown(
    app, client, auth, make_user, make_engagement
):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    auth.login(recruiter.email)
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": "Ann", "invite-email": "ann@example.com"},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Copy the link" in follow


def test_board_members_get_their_own_wording(app, make_user, make_engagement, smtp):
    from flask import url_for

    from assessor.services import mail

    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter, client_name="Halden Utilities")
    member = invitations.invite(
        recruiter, engagement, "Ines Chair", "ines@example.com", kind="board_member"
    )
    with app.test_request_context():
        link = url_for("respond.welcome", token=invitations.link_token(member), _external=True)
        assert mail.send_invitation(member, engagement, link)
    body = smtp.messages[-1].get_payload(decode=True).decode()
    assert "role-scope questionnaire" in body and "half an hour" not in body
