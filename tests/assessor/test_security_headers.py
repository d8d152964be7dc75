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


HSTS = "max-age=31536000; includeSubDomains"


def test_hsts_only_with_secure_cookies(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", False)
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    for path in ("/login", "/no/such/page"):
        assert client.get(path).headers["Strict-Transport-Security"] == HSTS


def test_participant_pages_are_no_store(client, completed):
    """A participant's link page (valid or not) must not stay in a shared cache."""
    from assessor.services import invitations

    _recruiter, _engagement, people = completed
    for path in (
        "/r/" + invitations.link_token(people[0]),
        "/r/not-a-token",
        "/s/not-a-token",
        "/s/i/not-a-token",
    ):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_signed_in_pages_results_and_downloads_are_no_store(client, auth, completed):
    recruiter, engagement, people = completed
    auth.login(recruiter.email)
    base = f"/engagements/{engagement.id}"
    for path in (
        "/",
        base,
        f"{base}/candidates",
        f"{base}/candidates/{people[0].id}",
        f"{base}/candidates/{people[0].id}.json",
        f"{base}/candidates/{people[0].id}.pdf",
        f"{base}/export.csv",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_download_helper_responses_are_no_store(app):
    from assessor.web import add_security_headers, download

    with app.test_request_context("/anything.csv"):
        response = add_security_headers(download("a,b\n", "text/csv", "x.csv"))
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(app):
    """Checked on the hook itself: a static file response holds its file open."""
    from flask import Response, request

    from assessor.web import add_security_headers

    with app.test_request_context("/static/app.css"):
        assert request.endpoint == "static"
        response = add_security_headers(Response("body", mimetype="text/css"))
    assert "no-store" not in response.headers.get("Cache-Control", "")
