"""Access rules, proved by walking ``app.url_map``: a route added later is covered too.

- anonymous visitors are sent to the login page;
- a member of the engagement whose role is not allowed gets 403 (a client's viewer
  or board member on the firm's staff actions, among others);
- a user of the same firm who is a member of another engagement only (a board member
  of another client, a recruiter on another search) gets 404 on every route of this
  engagement, whatever their role;
- another firm's objects answer 404, for every route that takes an id;
- every state-changing request without a CSRF token is refused with 400;
- every HTML response carries the security headers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from assessor.extensions import db
from assessor.models import ROLES
from assessor.services import engagements, invitations, profiles, surveys

COVERAGE: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def record_coverage():
    """Write what the walk covered, for the README's security table."""
    yield
    from tests.conftest import OUTPUT_DIR

    OUTPUT_DIR.mkdir(exist_ok=True)
    (OUTPUT_DIR / "access.json").write_text(json.dumps(COVERAGE, indent=2, sort_keys=True))


#: Routes anyone may reach: the sign-in and password reset pages and the participant
#: links (signed tokens).
PUBLIC_PREFIXES = ("/login", "/forgot-password", "/reset-password/", "/static/", "/r/", "/s/")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class World:
    params: dict[str, Any]
    #: one member of the engagement per role (the admin is no member: admins see all)
    users: dict[str, Any]
    outsider: Any
    #: per role, a user of the same firm who is a member of another engagement only
    neighbours: dict[str, Any]


@pytest.fixture
def world(app: Flask, make_user, make_engagement, completed) -> World:
    recruiter, engagement, (strong, _weak) = completed
    organisation = recruiter.organisation
    users = {"recruiter": recruiter, "admin": make_user("admin", organisation=organisation)}
    for role in ROLES:
        if role not in users:
            users[role] = make_user(role, member_of=engagement)
    other = make_engagement(
        owner=make_user("recruiter", organisation=organisation), client_name="Marlow Rail"
    )
    neighbours = {role: make_user(role, member_of=other) for role in ROLES if role != "admin"}
    survey = surveys.open_round(users["consultant"], engagement, title="Round 1")
    version = profiles.current_version(engagement)
    board_member = invitations.invite(
        recruiter, engagement, "Board Member", "member@example.com", kind="board_member"
    )
    db.session.commit()
    params = {
        "engagement_id": engagement.id,
        "assignment_id": strong.id,
        "version_id": version.id,
        "survey_id": survey.id,
        "token": invitations.link_token(board_member),
        "section_key": "scope",
        "user_id": users["board"].id,
        "member_id": next(
            m.id for m, u in engagements.members(engagement) if u.id == users["viewer"].id
        ),
        "key": "cco_candidate",
        "version": 1,
    }
    outsider = make_user("admin")
    return World(params, users, outsider, neighbours)


def staff_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if not r.rule.startswith(PUBLIC_PREFIXES)]
    rules = [r for r in rules if r.endpoint not in ("auth.logout",)]
    assert len(rules) > 30  # the walk really covers the app
    return rules


def build(rule: Rule, params: dict[str, Any]) -> str:
    missing = [a for a in rule.arguments if a not in params]
    assert not missing, f"add a test value for {missing} (route {rule.rule})"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(params[name]), path)
    return path


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def allowed_roles(app: Flask, rule: Rule) -> tuple[str, ...]:
    return getattr(app.view_functions[rule.endpoint], "allowed_roles", ROLES)


def csrf(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/login").get_data(as_text=True))


def check_headers(response) -> None:
    if response.mimetype == "text/html":
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert response.headers.get("Referrer-Policy")


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    token = csrf(client)
    covered = 0
    for rule in staff_rules(app):
        path = build(rule, world.params)
        for method in methods(rule):
            data = {"csrf_token": token} if method in UNSAFE else None
            response = client.open(path, method=method, data=data)
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/login" in response.headers["Location"], (method, path)
            check_headers(response)
            covered += 1
    assert covered > 30
    COVERAGE["staff_routes"] = len(staff_rules(app))
    COVERAGE["all_routes"] = len([r for r in app.url_map.iter_rules() if r.endpoint != "static"])
    COVERAGE["anonymous_requests"] = covered


def test_wrong_role_is_403(app, client, auth, world):
    checked = 0
    for role, user in world.users.items():
        if role == "admin":
            continue
        auth.login(user.email)
        token = auth.csrf("/")
        for rule in staff_rules(app):
            if role in allowed_roles(app, rule):
                continue
            path = build(rule, world.params)
            for method in methods(rule):
                data = {"csrf_token": token} if method in UNSAFE else None
                response = client.open(path, method=method, data=data)
                assert response.status_code == 403, (role, method, path, response.status_code)
                check_headers(response)
                checked += 1
        auth.logout()
    assert checked > 20
    COVERAGE["wrong_role_requests"] = checked


def test_members_of_another_engagement_get_404_everywhere_in_this_one(app, client, auth, world):
    """Same firm, other engagement (another client's board member, a recruiter on
    another search): every route of this engagement answers 404, never 403 or 200."""
    checked = 0
    for role, user in world.neighbours.items():
        auth.login(user.email)
        token = auth.csrf("/")
        for rule in staff_rules(app):
            if "engagement_id" not in rule.arguments:
                continue
            path = build(rule, world.params)
            for method in methods(rule):
                data = {"csrf_token": token} if method in UNSAFE else None
                response = client.open(path, method=method, data=data)
                assert response.status_code == 404, (role, method, path, response.status_code)
                assert "Halden Utilities" not in response.get_data(as_text=True), (role, path)
                check_headers(response)
                checked += 1
        for listing in ("/", "/engagements", "/engagements?q=halden"):
            page = client.get(listing).get_data(as_text=True)
            assert "Halden Utilities" not in page, (role, listing)
            assert ("Marlow Rail" in page) == ("q=" not in listing), (role, listing)
        auth.logout()
    assert checked > 100
    COVERAGE["other_engagement_requests"] = checked


def test_every_engagement_route_is_guarded_by_membership(app):
    """A route of one engagement without ``role_required`` would skip the membership
    check: every such view must carry it (``allowed_roles`` is its mark)."""
    unguarded = [
        r.rule
        for r in staff_rules(app)
        if "engagement_id" in r.arguments
        and not hasattr(app.view_functions[r.endpoint], "allowed_roles")
    ]
    assert unguarded == []


def test_other_firms_objects_are_404(app, client, auth, world):
    auth.login(world.outsider.email)
    token = auth.csrf("/")
    checked = 0
    for rule in staff_rules(app):
        if not rule.arguments:
            continue
        path = build(rule, world.params)
        for method in methods(rule):
            data = {"csrf_token": token} if method in UNSAFE else None
            response = client.open(path, method=method, data=data)
            assert response.status_code == 404, (method, path, response.status_code)
            check_headers(response)
            checked += 1
    assert checked > 25
    COVERAGE["other_firm_requests"] = checked


def test_state_changes_without_csrf_token_are_400(app, client, auth, world):
    auth.login(world.users["admin"].email)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = build(rule, world.params)
        for method in methods(rule):
            if method not in UNSAFE:
                continue
            response = client.open(path, method=method, data={"action": "next"})
            assert response.status_code == 400, (method, path, response.status_code)
            assert "could not be accepted" in response.get_data(as_text=True)
            checked += 1
    assert checked > 20
    COVERAGE["csrf_requests"] = checked


def test_every_html_page_of_an_admin_carries_security_headers(app, client, auth, world):
    auth.login(world.users["admin"].email)
    for rule in staff_rules(app):
        if "GET" not in methods(rule):
            continue
        response = client.get(build(rule, world.params))
        assert response.status_code < 500, rule.rule
        check_headers(response)


def test_a_page_view_writes_nothing_but_its_audit_record(app, client, auth, world):
    """A GET only reads (on SQLite it takes no write lock); the one write it may cause
    is the audit record of a view or a download, written after the page is rendered."""
    from sqlalchemy import event

    auth.login(world.users["admin"].email)
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        words = statement.split()
        if words[0].upper() in ("INSERT", "UPDATE", "DELETE") and words[:3] != [
            "INSERT",
            "INTO",
            "audit_event",
        ]:
            writes.append(statement)

    checked = 0
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or "GET" not in methods(rule):
                continue
            writes.clear()
            response = client.get(build(rule, world.params))
            assert response.status_code < 500, rule.rule
            assert writes == [], (rule.rule, writes)
            checked += 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert checked > 30
