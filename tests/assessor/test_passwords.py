"""The password policy and the password reset by an e-mailed, single-use, expiring link."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest

from assessor.database import upgrade
from assessor.demo import DEMO_PASSWORD
from assessor.extensions import db
from assessor.services.accounts import check_password_policy
from assessor.services.errors import ServiceError
from tests.conftest import PASSWORD, csrf_token_from, make_test_app

NEW_PASSWORD = "plum-lantern-orbit-canvas"
LINK_RE = re.compile(r"https?://\S+/reset-password/\S+")


# The policy.


@pytest.mark.parametrize(
    "password",
    [
        "Password123456",
        "password1234",
        "qwertyuiop12",
        "iloveyou1234",
        "123456789012",
        "aaaaaaaaaaaaaaaa",
    ],
)
def test_policy_refuses_common_and_patterned_passwords(password):
    with pytest.raises(ServiceError, match="This password is too easy to guess") as info:
        check_password_policy(password)
    assert info.value.field == "password"


@pytest.mark.parametrize("password", ["", "short", "password12", "Xk#9vQ2m!aZ"])
def test_policy_refuses_passwords_under_twelve_characters(password):
    with pytest.raises(ServiceError, match="at least 12 characters"):
        check_password_policy(password)


@pytest.mark.parametrize(
    "password",
    ["margarethewolkenstein", "margarethe@wolkenstein.example", "Margarethe Wolkenstein"],
)
def test_policy_refuses_a_password_made_of_the_users_own_name_or_address(password):
    with pytest.raises(ServiceError, match="too easy to guess"):
        check_password_policy(password, "margarethe@wolkenstein.example", "Margarethe Wolkenstein")


def test_policy_refuses_passwords_over_200_characters():
    with pytest.raises(ServiceError, match="at most 200 characters"):
        check_password_policy("plum-lantern-orbit-canvas-" * 10)


@pytest.mark.parametrize(
    "password",
    [PASSWORD, DEMO_PASSWORD, NEW_PASSWORD, "x8k2-pq7m-zz91", "plum-lantern-" * 10],
)
def test_policy_accepts_long_unguessable_passwords(password):
    check_password_policy(password)


def test_admin_form_no_longer_accepts_password12(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    for weak, message in (
        ("password12", "Use 12 to 200 characters."),
        ("Password123456", "This password is too easy to guess"),
    ):
        response = auth.post(
            "/admin/users",
            {"name": "Nina", "email": "nina@example.com", "role": "consultant", "password": weak},
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert auth.login("nina@example.com", "Password123456").status_code == 401


def test_cli_create_user_applies_the_policy(app, make_org):
    org = make_org()
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "weak@example.com",
            "--name",
            "Weak",
            "--role",
            "recruiter",
            "--org",
            org.slug,
            "--password",
            "Password123456",
        ]
    )
    assert result.exit_code == 1
    assert "This password is too easy to guess" in result.output
    assert "Traceback" not in result.output


# The reset.


def ask(client, email: str):
    """Ask as a browser does: the server sends the whole answer, then closes it
    (``buffered``), which is when the reset e-mail goes out."""
    token = csrf_token_from(client.get("/forgot-password").get_data(as_text=True))
    return client.post(
        "/forgot-password", data={"email": email, "csrf_token": token}, buffered=True
    )


def reset_path(smtp, address: str) -> str:
    messages = [m for m in smtp.messages if address in m["To"]]
    assert len(messages) == 1, [m["To"] for m in smtp.messages]
    body = messages[0].get_payload(decode=True).decode()
    match = LINK_RE.search(body)
    assert match, body
    return urlsplit(match.group(0)).path


def choose(client, path: str, password: str, confirm: str | None = None):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(
        path,
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": token,
        },
    )


def test_forgot_password_page_renders_with_csrf_field(client):
    response = client.get("/forgot-password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html and '<label for="email">E-mail</label>' in html


def test_known_and_unknown_addresses_get_the_same_answer(client, make_user, smtp):
    user = make_user("recruiter")
    known = ask(client, user.email)
    unknown = ask(client, "nobody@example.com")
    malformed = ask(client, "not an address")
    assert known.status_code == unknown.status_code == malformed.status_code == 200
    assert known.get_data() == unknown.get_data() == malformed.get_data()
    assert "If that address belongs to an account here" in known.get_data(as_text=True)
    assert [m["To"] for m in smtp.messages] == [f"{user.name} <{user.email}>"]


def test_a_disabled_user_gets_the_same_answer_and_no_mail(client, make_user, smtp):
    user = make_user("recruiter")
    user.is_enabled = False
    db.session.commit()
    response = ask(client, user.email)
    assert response.get_data() == ask(client, "nobody@example.com").get_data()
    assert smtp.messages == []


def test_an_empty_address_is_reported_next_to_the_field(client):
    token = csrf_token_from(client.get("/forgot-password").get_data(as_text=True))
    response = client.post("/forgot-password", data={"email": "", "csrf_token": token})
    assert response.status_code == 400
    assert "Enter your e-mail address." in response.get_data(as_text=True)


def test_without_mail_configured_the_answer_is_the_same_and_nothing_secret_is_logged(
    app, client, make_user, caplog, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    user = make_user("recruiter")
    with caplog.at_level(logging.DEBUG):
        known = ask(client, user.email)
    unknown = ask(client, "nobody@example.com")
    assert known.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert "reset-password/" not in caplog.text


def test_an_smtp_failure_gets_the_same_answer_and_logs_no_link(
    app, client, make_user, caplog, monkeypatch
):
    from tests.assessor.conftest import free_port

    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    user = make_user("recruiter")
    with caplog.at_level(logging.WARNING):
        known = ask(client, user.email)
    assert known.status_code == 200
    assert known.get_data() == ask(client, "nobody@example.com").get_data()
    assert f"Password reset e-mail to user {user.id} failed" in caplog.text
    assert "reset-password/" not in caplog.text


def test_the_e_mailed_link_sets_a_new_password_once(client, auth, make_user, smtp):
    user = make_user("recruiter")
    ask(client, user.email)
    message = smtp.messages[0]
    assert message["Subject"] == "Reset your CCO Assessor password"
    path = reset_path(smtp, user.email)
    page = client.get(path)
    assert page.status_code == 200
    assert "Choose a new password" in page.get_data(as_text=True)
    response = choose(client, path, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert "Your password is changed" in client.get("/login").get_data(as_text=True)
    assert auth.login(user.email, PASSWORD).status_code == 401
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302
    assert auth.logout().status_code == 302
    again = client.get(path)
    assert again.status_code == 400
    assert "already used or replaced" in again.get_data(as_text=True)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    reuse = client.post(
        path, data={"password": "another-fine-passphrase", "confirm": "x", "csrf_token": token}
    )
    assert reuse.status_code == 400
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302


def test_a_reset_ends_every_session_of_the_user(app, client, auth, make_user, smtp):
    user = make_user("recruiter")
    signed_in = app.test_client()
    from tests.conftest import Auth

    Auth(signed_in).login(user.email)
    assert signed_in.get("/").status_code == 200
    ask(client, user.email)
    assert choose(client, reset_path(smtp, user.email), NEW_PASSWORD).status_code == 302
    response = signed_in.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_weak_or_differing_password_on_the_reset_page_is_refused_and_the_link_kept(
    client, auth, make_user, smtp
):
    user = make_user("recruiter")
    ask(client, user.email)
    path = reset_path(smtp, user.email)
    weak = choose(client, path, "Password123456")
    assert weak.status_code == 400
    assert "This password is too easy to guess" in weak.get_data(as_text=True)
    differ = choose(client, path, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 400
    assert "The two new passwords differ." in differ.get_data(as_text=True)
    assert choose(client, path, NEW_PASSWORD).status_code == 302
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302


def test_an_expired_link_is_refused_with_the_reason(client, make_user, smtp, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    user = make_user("recruiter")
    ask(client, user.email)
    path = reset_path(smtp, user.email)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: int(time.time()) + 3601)
    response = client.get(path)
    assert response.status_code == 400
    assert "This reset link has expired" in response.get_data(as_text=True)


def test_a_tampered_or_foreign_link_is_refused(app, client, make_user):
    from assessor.services import invitations

    response = client.get("/reset-password/not-a-token")
    assert response.status_code == 400
    assert "This reset link is not valid" in response.get_data(as_text=True)
    # A participant link is signed with another salt: it is no reset link.
    user = make_user("recruiter")
    assert invitations.LINK_SALT != "assessor.password-reset.v1"
    from itsdangerous import URLSafeTimedSerializer

    foreign = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=invitations.LINK_SALT).dumps(
        [user.id, user.session_version, "x"]
    )
    assert client.get(f"/reset-password/{foreign}").status_code == 400


def test_signing_out_spends_older_reset_links(client, auth, make_user, smtp):
    """A link is bound to the session version: a sign-out (or any reset) spends it."""
    user = make_user("recruiter")
    ask(client, user.email)
    path = reset_path(smtp, user.email)
    auth.login(user.email)
    auth.logout()
    response = client.get(path)
    assert response.status_code == 400
    assert "already used or replaced" in response.get_data(as_text=True)


# The rate limit, on an app whose limiter is on (each backend, a database of its own).


@pytest.fixture
def limited_app(own_database, tmp_path):
    app = make_test_app(
        own_database,
        tmp_path / "instance",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        PASSWORD_RESET_RATE_LIMIT="5 per hour",
    )
    with app.app_context():
        upgrade(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_sixth_reset_request_in_an_hour_is_refused_with_a_clear_message(limited_app):
    client = limited_app.test_client()
    statuses = [ask(client, f"someone{i}@example.com").status_code for i in range(5)]
    assert statuses == [200] * 5
    response = ask(client, "someone-else@example.com")
    assert response.status_code == 429
    assert "Too many password reset requests" in response.get_data(as_text=True)
    assert client.get("/forgot-password").status_code == 200  # the page itself stays readable


def test_reset_requests_are_limited_per_address_too(limited_app):
    """Requests for one address from many networks are counted together."""
    statuses = []
    for i in range(6):
        client = limited_app.test_client()
        token = csrf_token_from(
            client.get("/forgot-password", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).get_data(
                as_text=True
            )
        )
        response = client.post(
            "/forgot-password",
            data={"email": "Target@Example.com", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )
        statuses.append(response.status_code)
    assert statuses == [200] * 5 + [429]


# The reset e-mail goes out after the answer, so its timing tells nothing.


@pytest.fixture
def wire(app, monkeypatch):
    """What happens on the wire for a POST, in order: the answer's body sent in full, the
    server closing it, and every SMTP connection (with whether a request still ran)."""
    from flask import has_request_context
    from werkzeug.wsgi import ClosingIterator

    from assessor.services import mail

    events: list = []
    inner = app.wsgi_app

    def server(environ, start_response):
        if environ["REQUEST_METHOD"] != "POST":  # the GET of the form
            return inner(environ, start_response)
        body = inner(environ, start_response)
        chunks = list(body)
        events.append("body sent")

        def close():
            events.append("closed")
            if hasattr(body, "close"):
                body.close()

        return ClosingIterator(chunks, close)

    original = mail.connect

    def connect(*args, **kwargs):
        events.append(("smtp connect", "in a request" if has_request_context() else "after it"))
        return original(*args, **kwargs)

    monkeypatch.setattr(app, "wsgi_app", server)
    monkeypatch.setattr(mail, "connect", connect)
    return events


def test_the_reset_mail_is_sent_only_after_the_answer_was_sent(client, make_user, smtp, wire):
    user = make_user("recruiter")
    response = ask(client, user.email)
    assert response.status_code == 200
    # the whole body went out before any SMTP work
    assert wire == ["body sent", "closed", ("smtp connect", "after it")]
    assert [m["To"] for m in smtp.messages] == [f"{user.name} <{user.email}>"]
    assert LINK_RE.search(smtp.messages[0].get_payload(decode=True).decode())


def test_known_and_unknown_addresses_do_the_same_work_before_answering(
    client, make_user, smtp, wire
):
    """Byte for byte the same answer (status, headers, body), and for neither any
    SMTP work while the request runs: the only difference comes after the answer."""
    user = make_user("recruiter")
    answers = {}
    for label, address in (("known", user.email), ("unknown", "nobody@example.com")):
        wire.clear()
        response = ask(client, address)
        answers[label] = (response.status, sorted(response.headers.items()), response.get_data())
        assert wire[0] == "body sent", wire  # no SMTP work while the request ran
        answers[f"{label} after"] = wire[1:]
    assert answers["known"] == answers["unknown"]
    assert answers["known after"] == ["closed", ("smtp connect", "after it")]
    assert answers["unknown after"] == ["closed"]
    assert len(smtp.messages) == 1
