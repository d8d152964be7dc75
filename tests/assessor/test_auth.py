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


# Sessions that end on the server: a copied cookie is worth nothing afterwards.

NEW_PASSWORD = "plum-lantern-orbit-canvas"


def session_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain=app.config["SERVER_NAME"])
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, value: str):
    """A second browser presenting a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], value, domain=app.config["SERVER_NAME"])
    return other.get("/")


def assert_sent_to_sign_in(response) -> None:
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_cookie_replayed_after_logout_is_sent_to_sign_in(app, client, auth, make_user):
    user = make_user("recruiter")
    auth.login(user.email)
    copied = session_cookie(app, client)
    assert replay(app, copied).status_code == 200  # the copy works while the session lives
    assert auth.logout().status_code == 302
    assert_sent_to_sign_in(replay(app, copied))


def test_a_session_made_before_this_release_is_sent_to_sign_in(app, make_user):
    """A cookie holding the plain user id (no session version) no longer signs anyone in."""
    user = make_user("recruiter")
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert_sent_to_sign_in(other.get("/"))


def test_a_cookie_replayed_after_a_password_change_is_sent_to_sign_in(app, client, auth, make_user):
    user = make_user("recruiter")
    auth.login(user.email)
    copied = session_cookie(app, client)
    response = auth.post(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # the session that changed it goes on
    assert_sent_to_sign_in(replay(app, copied))
    assert auth.logout().status_code == 302
    assert auth.login(user.email, PASSWORD).status_code == 401
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302


def test_a_cookie_replayed_after_the_admin_disables_the_user_is_sent_to_sign_in(
    app, client, auth, make_user
):
    admin = make_user("admin")
    user = make_user("recruiter", organisation=admin.organisation)
    auth.login(user.email)
    copied = session_cookie(app, client)
    admin_client = app.test_client()
    from tests.conftest import Auth

    admin_auth = Auth(admin_client)
    admin_auth.login(admin.email)
    response = admin_auth.post(f"/admin/users/{user.id}/disable", {}, form_page="/admin/users")
    assert response.status_code == 302
    assert "is disabled and signed out everywhere" in admin_client.get("/admin/users").get_data(
        as_text=True
    )
    assert_sent_to_sign_in(client.get("/"))
    assert_sent_to_sign_in(replay(app, copied))
    assert auth.login(user.email).status_code == 401
    response = admin_auth.post(f"/admin/users/{user.id}/enable", {}, form_page="/admin/users")
    assert response.status_code == 302
    assert auth.login(user.email).status_code == 302


def test_an_admin_cannot_disable_themselves(auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    response = auth.post(f"/admin/users/{admin.id}/disable", {}, form_page="/admin/users")
    assert response.status_code == 400
    assert "You cannot disable your own account" in response.get_data(as_text=True)


# Changing one's password.


def change(auth, current: str, new: str, confirm: str | None = None):
    return auth.post(
        "/account/password",
        {
            "current_password": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_change_password_page_has_three_labelled_fields_and_csrf(client, auth, make_user):
    auth.login(make_user("recruiter").email)
    response = client.get("/account/password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    for label in ("Current password", "New password", "New password again"):
        assert f">{label}</label>" in html


def test_change_password_refuses_a_wrong_current_password(client, auth, make_user):
    user = make_user("recruiter")
    auth.login(user.email)
    response = change(auth, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert auth.login(user.email, PASSWORD).status_code == 302  # unchanged


def test_change_password_refuses_a_weak_new_password_with_the_policy_message(auth, make_user):
    auth.login(make_user("recruiter").email)
    response = change(auth, PASSWORD, "Password123456")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This password is too easy to guess" in html
    assert 'aria-invalid="true"' in html


def test_change_password_refuses_short_and_differing_new_passwords(auth, make_user):
    auth.login(make_user("recruiter").email)
    short = change(auth, PASSWORD, "short-pw")
    assert short.status_code == 400
    assert "Use 12 to 200 characters." in short.get_data(as_text=True)
    differ = change(auth, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert differ.status_code == 400
    assert "The two new passwords differ." in differ.get_data(as_text=True)
    same = change(auth, PASSWORD, PASSWORD)
    assert same.status_code == 400
    assert "different from the current one" in same.get_data(as_text=True)


def test_change_password_needs_a_signed_in_user_and_a_csrf_token(client, auth, make_user):
    assert_sent_to_sign_in(client.get("/account/password"))
    auth.login(make_user("recruiter").email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "The form could not be accepted" in response.get_data(as_text=True)


def test_login_page_links_to_the_password_reset(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in html and "Forgot your password?" in html
