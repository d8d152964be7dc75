"""Invitation and reminder e-mails, sent through the standard library's SMTP client.

Nothing is sent unless ``MAIL_SERVER`` is configured; callers then show the
link for the recruiter to send themselves.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template

import questionnaires
from assessor.extensions import db
from assessor.models import (
    Assignment,
    Engagement,
    Organisation,
    Survey,
    SurveyInvitation,
    User,
)


def is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_invitation(
    assignment: Assignment, engagement: Engagement, link: str, kind: str = "invitation"
) -> bool:
    """E-mail the participant their link; False when e-mail is not configured."""
    if not is_configured() or not assignment.email:
        return False
    organisation = db.session.get(Organisation, assignment.organisation_id)
    context = {
        "assignment": assignment,
        "engagement": engagement,
        "link": link,
        "organisation": organisation,
        "kind": kind,
    }
    message = EmailMessage()
    subject = "Reminder: " if kind == "reminder" else ""
    message["Subject"] = f"{subject}{engagement.role_title} assessment for {engagement.client_name}"
    message["From"] = formataddr(
        (
            organisation.name if organisation else "CCO Assessor",
            current_app.config.get("MAIL_FROM", "no-reply@localhost"),
        )
    )
    message["To"] = formataddr((assignment.name or "", assignment.email))
    message["Message-ID"] = make_msgid(domain="cco-assessor")
    message.set_content(render_template("email/invitation.txt", **context))
    _send(message)
    return True


def send_survey_invitation(
    invitation: SurveyInvitation,
    survey: Survey,
    engagement: Engagement,
    link: str,
    connection: smtplib.SMTP | None = None,
) -> bool:
    """E-mail one person their single-use survey link; False when e-mail is not configured.

    ``connection`` (from :func:`connect`) lets a batch share one SMTP session;
    SMTP errors propagate so the caller can count them message by message.
    """
    if not is_configured() or not invitation.email:
        return False
    organisation = db.session.get(Organisation, survey.organisation_id)
    sender = organisation.name if organisation else "CCO Assessor"
    instrument = questionnaires.load(survey.instrument_key, survey.instrument_version)
    message = EmailMessage()
    message["Subject"] = (
        f"{engagement.client_name}: {survey.title} (anonymous, {instrument.minutes} minutes)"
    )
    message["From"] = formataddr(
        (sender, current_app.config.get("MAIL_FROM", "no-reply@localhost"))
    )
    message["To"] = invitation.email
    message["Message-ID"] = make_msgid(domain="cco-assessor")
    message.set_content(
        render_template(
            "email/survey_invitation.txt",
            survey=survey,
            engagement=engagement,
            organisation=organisation,
            sender=sender,
            instrument=instrument,
            link=link,
        )
    )
    if connection is None:
        _send(message)
    else:
        connection.send_message(message)
    return True


def connect() -> smtplib.SMTP:
    """An open SMTP session as configured (TLS and login done); the caller closes it."""
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25))
    timeout = float(config.get("MAIL_TIMEOUT", 10))
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    smtp = smtp_class(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send(message: EmailMessage) -> None:
    with connect() as smtp:
        smtp.send_message(message)


def send_password_reset(user: User, link: str) -> bool:
    """E-mail a staff user their single-use reset link; False when e-mail is not configured."""
    if not is_configured():
        return False
    message = EmailMessage()
    message["Subject"] = "Reset your CCO Assessor password"
    message["From"] = formataddr(
        ("CCO Assessor", current_app.config.get("MAIL_FROM", "no-reply@localhost"))
    )
    message["To"] = formataddr((user.name, user.email))
    message["Message-ID"] = make_msgid(domain="cco-assessor")
    message.set_content(render_template("email/password_reset.txt", user=user, link=link))
    _send(message)
    return True
