"""Invitation and reminder e-mails, sent through the standard library's SMTP client.

Nothing is sent unless ``MAIL_SERVER`` is configured; callers then show the
link for the recruiter to send themselves.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping, Sequence
from contextlib import suppress
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

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

log = logging.getLogger(__name__)

#: What :func:`connect` reads from the configuration.
CONNECTION_SETTINGS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_TIMEOUT",
    "MAIL_USE_SSL",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
)


def is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def connection_settings() -> dict[str, Any]:
    """The SMTP settings as configured, taken while the app context is alive, for a
    message sent once the response is out (when there is no app context any more)."""
    config = current_app.config
    return {key: config[key] for key in CONNECTION_SETTINGS if key in config}


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


def send_profile_notice(recipients: Sequence[User], subject: str, body: str) -> int:
    """E-mail a role-profile event to each recipient, one message each; the number sent.

    Nothing is sent when e-mail is not configured. A notice is a courtesy: the
    decision it reports is already made, so an SMTP failure is logged and the
    rest of the recipients still get theirs, and the request never fails over it.
    """
    if not is_configured():
        return 0
    sender = formataddr(("CCO Assessor", current_app.config.get("MAIL_FROM", "no-reply@localhost")))
    sent = 0
    connection: smtplib.SMTP | None = None
    try:
        connection = connect()
        for user in recipients:
            if not user.email:
                continue
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = sender
            message["To"] = formataddr((user.name or "", user.email))
            message["Message-ID"] = make_msgid(domain="cco-assessor")
            message.set_content(body)
            try:
                connection.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                log.warning("Profile notice to user %s failed: %s", user.id, type(exc).__name__)
            else:
                sent += 1
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Profile notices stopped after %s sent: %s", sent, type(exc).__name__)
    finally:
        if connection is not None:
            with suppress(smtplib.SMTPException, OSError):
                connection.quit()
    return sent


def connect(settings: Mapping[str, Any] | None = None) -> smtplib.SMTP:
    """An open SMTP session as configured (TLS and login done); the caller closes it.

    ``settings`` (from :func:`connection_settings`) stand in for the app's config
    outside an app context.
    """
    config = current_app.config if settings is None else settings
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


def _send(message: EmailMessage, settings: Mapping[str, Any] | None = None) -> None:
    with connect(settings) as smtp:
        smtp.send_message(message)


def deliver(message: EmailMessage, settings: Mapping[str, Any]) -> None:
    """Send a message composed earlier, with no app context (after the response);
    SMTP errors propagate for the caller to log."""
    _send(message, settings)


def password_reset_message(user: User, link: str) -> EmailMessage | None:
    """A staff user's e-mail with their single-use reset link, composed in the request
    and sent by :func:`deliver` once the answer is out; None when e-mail is not configured."""
    if not is_configured():
        return None
    message = EmailMessage()
    message["Subject"] = "Reset your CCO Assessor password"
    message["From"] = formataddr(
        ("CCO Assessor", current_app.config.get("MAIL_FROM", "no-reply@localhost"))
    )
    message["To"] = formataddr((user.name, user.email))
    message["Message-ID"] = make_msgid(domain="cco-assessor")
    message.set_content(render_template("email/password_reset.txt", user=user, link=link))
    return message
