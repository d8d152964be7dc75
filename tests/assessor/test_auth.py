"""Signing in and out, and what anonymous visitors see."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_login_page_renders_with_csrf_field(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert '<label for="email">E-mail</label>' in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_login_and_logout(client, auth, make_user):
    user = make_user("recruiter")
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert user.name in page and user.organisation.name in page
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_login_redirects_only_to_local_paths(client, auth, make_user):
    user = make_user("recruiter")
    token = auth.csrf("/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_wrong_password_says_so_without_revealing_which_part(client, auth, make_user):
    user = make_user("recruiter")
    response = auth.login(user.email, "not-the-password")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_message(auth):
    response = auth.login("nobody@example.com", "whatever-password")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_missing_field_is_reported_next_to_the_field(client, auth):
    token = auth.csrf("/login")
    response = client.post("/login", data={"email": "a@example.com", "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your password." in html
    assert 'aria-invalid="true"' in html


def test_post_without_csrf_token_is_rejected_with_reason(client):
    response = client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400
    assert "The form could not be accepted" in response.get_data(as_text=True)


def test_disabled_user_cannot_log_in(app, auth, make_user):
    from assessor.extensions import db

    user = make_user("recruiter")
    user.is_enabled = False
    db.session.commit()
    assert auth.login(user.email).status_code == 401


def test_passwords_are_stored_hashed(make_user):
    user = make_user("recruiter")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_after_logout_the_old_csrf_token_is_refused(client, auth, make_user):
    user = make_user("recruiter")
    auth.login(user.email)
    before = auth.csrf("/")
    with client.session_transaction() as session:
        secret = session["csrf_token"]
    assert auth.logout().status_code == 302
    with client.session_transaction() as session:
        assert "csrf_token" not in session and "_user_id" not in session
    client.get("/login")  # where sign-out leads: a new session secret
    with client.session_transaction() as session:
        assert session["csrf_token"] != secret
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 400
    assert "The form could not be accepted" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in again


def test_logout_still_deletes_a_remember_me_cookie(client, auth, make_user, app):
    auth.login(make_user("recruiter").email)
    client.set_cookie("remember_token", "x", domain=app.config["SERVER_NAME"])
    response = auth.logout()
    assert any(
        c.startswith("remember_token=;") and "Expires=Thu, 01 Jan 1970" in c
        for c in response.headers.getlist("Set-Cookie")
    )


def later(monkeypatch, seconds: int) -> None:
    """Move the clock that signs and checks CSRF tokens (and session cookies) on."""
    import time

    from itsdangerous.timed import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: int(time.time()) + seconds)


def test_a_csrf_token_older_than_the_time_limit_is_refused_with_the_reason(
    app, client, auth, make_user, monkeypatch
):
    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    assert limit is not None and 3600 <= limit <= 24 * 3600  # hours, not forever
    user = make_user("recruiter")
    token = auth.csrf("/login")
    later(monkeypatch, limit + 60)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form could not be accepted: The CSRF token has expired." in html
    assert "Go back, reload the page and try again." in html
    assert client.get("/").status_code == 302  # not signed in


def test_a_csrf_token_within_the_time_limit_is_accepted(app, client, auth, make_user, monkeypatch):
    user = make_user("recruiter")
    token = auth.csrf("/login")
    later(monkeypatch, app.config["WTF_CSRF_TIME_LIMIT"] - 60)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
