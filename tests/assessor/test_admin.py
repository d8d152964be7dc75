"""Admins add users of their own firm; other roles may not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import AuditEvent, User
from assessor.services import accounts
from assessor.services.errors import ServiceError


def test_admin_adds_a_user_who_can_then_log_in(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    response = auth.post(
        "/admin/users",
        {
            "name": "Nina New",
            "email": "Nina@Example.com",
            "role": "consultant",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.email == "nina@example.com"))
    assert new is not None
    assert new.organisation_id == admin.organisation_id and new.role == "consultant"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert any(e.object_id == new.id and e.actor_id == admin.id for e in events)
    auth.logout()
    assert auth.login("nina@example.com", "a-long-enough-password").status_code == 302


def test_duplicate_email_is_a_form_error(client, auth, make_user):
    admin = make_user("admin")
    other = make_user("recruiter")
    auth.login(admin.email)
    response = auth.post(
        "/admin/users",
        {
            "name": "Dup",
            "email": other.email.upper(),
            "role": "recruiter",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 400
    assert f"A user with the e-mail {other.email} already exists." in response.get_data(
        as_text=True
    )


def test_short_password_and_missing_name_are_reported(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    response = auth.post(
        "/admin/users", {"name": "", "email": "x@example.com", "role": "board", "password": "short"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the person&#39;s name." in html
    assert "Use 12 to 200 characters." in html


def test_unknown_role_is_rejected(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    response = auth.post(
        "/admin/users",
        {"name": "R", "email": "r@example.com", "role": "overlord", "password": "long-enough-pw"},
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_users_page_lists_only_own_firm(client, auth, make_user):
    admin = make_user("admin")
    outsider = make_user("recruiter")
    auth.login(admin.email)
    html = client.get("/admin/users").get_data(as_text=True)
    assert admin.email in html
    assert outsider.email not in html


def test_non_admin_gets_403(client, auth, make_user):
    recruiter = make_user("recruiter")
    auth.login(recruiter.email)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_audit_log_shows_who_did_what(client, auth, make_user, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    client.get(f"/engagements/{engagement.id}/candidates/{strong.id}")
    client.get(f"/engagements/{engagement.id}/candidates/{strong.id}.pdf")
    client.get(f"/engagements/{engagement.id}/export.csv")
    auth.logout()
    admin = make_user("admin", organisation=recruiter.organisation)
    auth.login(admin.email)
    html = client.get("/admin/audit").get_data(as_text=True)
    for sentence in (
        f"{recruiter.name} viewed the profile of {strong.name}",
        f"{recruiter.name} downloaded the PDF profile of {strong.name}",
        f"{recruiter.name} downloaded the candidate list of",
        f"{recruiter.name} invited {strong.name} to the assessment",
    ):
        assert sentence in html
    for action in ("candidate.view", "export.pdf", "export.csv", "invitation.create"):
        assert action not in html


#: Every character that ends a line for ``str.splitlines``; each could start a mail header.
HEADER_BREAKERS = ["\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize(
    "name",
    [
        "Mallory\r\nBcc: x@evil.example",
        *(f"Mallory{ch}Bcc: x@evil.example" for ch in HEADER_BREAKERS),
    ],
)
def test_a_line_break_in_a_users_name_is_refused_at_input(client, auth, make_user, name):
    """The name goes into the To header of the password reset e-mail."""
    admin = make_user("admin")
    auth.login(admin.email)
    response = auth.post(
        "/admin/users",
        {
            "name": name,
            "email": "mallory@example.com",
            "role": "consultant",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 400
    assert "Enter the name on one line (no line breaks)." in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "mallory@example.com")) is None


def test_the_service_refuses_line_breaks_in_user_and_firm_names(app, make_org):
    """Whoever calls it (the CLI, a later page), the rule holds in the service."""
    organisation = make_org()
    for ch in HEADER_BREAKERS:
        with pytest.raises(ServiceError, match="on one line") as refused:
            accounts.create_user(
                organisation, "lf@example.com", f"Eve{ch}Doe", "consultant", "a-long-enough-pw"
            )
        assert refused.value.field == "name"
        with pytest.raises(ServiceError, match="on one line"):
            accounts.create_organisation(f"Evil{ch}Firm")
    # breaks at either end are trimmed like spaces: the name kept is on one line
    user = accounts.create_user(
        organisation, "lf@example.com", "Eve Doe\r\n", "consultant", "a-long-enough-pw"
    )
    assert user.name == "Eve Doe"
