"""Every response carries the protective headers; cookies are locked down."""

from __future__ import annotations


def test_headers_on_html_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client, auth, make_user):
    user = make_user("recruiter")
    response = auth.login(user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_nul_characters_are_refused_with_a_reason(client, auth, make_user):
    user = make_user("recruiter")
    auth.login(user.email)
    response = auth.post("/engagements/new", {"client_name": "A\x00B", "role_title": "CCO"})
    assert response.status_code == 400
    assert "invisible control character (NUL)" in response.get_data(as_text=True)


def test_session_cookie_is_secure_when_configured(app, client, auth, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    user = make_user("recruiter")
    response = auth.login(user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
