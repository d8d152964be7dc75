"""Resource limits: huge forms are refused before parsing, huge ids are 404, names stay
on one line, participants' tokens stay out of the development server's log."""

from __future__ import annotations

import logging

import pytest
from werkzeug.formparser import FormDataParser

from assessor.cli import RedactTokens, install_token_redaction


@pytest.fixture
def parse_calls(monkeypatch):
    """Counts how often Werkzeug's form parser runs: the work a refused body must not cause."""
    calls = []
    original = FormDataParser.parse

    def counting(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FormDataParser, "parse", counting)
    return calls


def _post_urlencoded(client, path, body: bytes):
    return client.post(
        path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def test_300000_fields_are_refused_before_parsing(client, parse_calls):
    body = b"&".join(b"f%d=1" % i for i in range(300_000))
    response = _post_urlencoded(client, "/login", body)
    assert response.status_code == 413
    assert "more than this site accepts" in response.get_data(as_text=True)
    assert parse_calls == []


def test_300000_short_fields_under_the_byte_limit_are_refused_by_count(client, parse_calls):
    """Just under 500 KB but 255,000 fields: the separator count refuses it."""
    body = b"a&" * 255_000
    assert len(body) < 500 * 1024
    response = _post_urlencoded(client, "/login", body)
    assert response.status_code == 413
    assert "more than 1000 fields" in response.get_data(as_text=True)
    assert parse_calls == []


def test_5_mb_urlencoded_body_is_refused_unread(client, parse_calls, monkeypatch):
    from werkzeug.wrappers import Request

    reads = []
    original = Request.get_data

    def counting(self, *args, **kwargs):
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Request, "get_data", counting)
    body = b"notes=" + b"x" * (5 * 1000 * 1000)
    response = _post_urlencoded(client, "/login", body)
    assert response.status_code == 413
    assert "bytes of form data (the limit is 512000)" in response.get_data(as_text=True)
    assert parse_calls == [] and reads == []


def test_multipart_with_too_many_parts_is_refused_with_a_reason(client):
    fields = {f"f{i}": "1" for i in range(1_500)}
    response = client.post("/login", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "more than 1000 fields" in response.get_data(as_text=True)


def test_an_ordinary_form_still_works(client, auth, make_user):
    user = make_user("recruiter")
    response = auth.login(user.email)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/engagements/99999999999999999999",
        "/engagements/2147483648",
        "/engagements/9223372036854775808/candidates",
        "/engagements/1/candidates/99999999999999999999",
    ],
)
def test_huge_ids_answer_404(client, auth, make_user, path):
    """Beyond the INTEGER range: a 404 on both databases, never an out-of-range 500."""
    auth.login(make_user("admin").email)
    response = client.get(path)
    assert response.status_code == 404


def test_largest_database_id_is_still_a_route(client, auth, make_user):
    auth.login(make_user("admin").email)
    assert client.get("/engagements/2147483647").status_code == 404  # looked up, not found


@pytest.mark.parametrize("name", ["Maria\r\nBcc: all@example.com", "Maria\nLindqvist", "M\r"])
def test_line_breaks_in_a_candidates_name_are_refused(
    client, auth, make_user, make_engagement, name
):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    auth.login(recruiter.email)
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": name, "invite-email": "maria@example.com"},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    assert response.status_code == 400
    assert "Enter the name on one line (no line breaks)." in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["Bruno\r\nBcc: all@example.com", "Bruno\u2028Board"])
def test_line_breaks_in_a_board_members_name_are_refused(
    client, auth, make_user, make_engagement, name
):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    auth.login(recruiter.email)
    response = auth.post(
        f"/engagements/{engagement.id}/board/invite",
        {"invite-name": name, "invite-email": "bruno@example.com"},
        form_page=f"/engagements/{engagement.id}/board",
    )
    assert response.status_code == 400
    assert "Enter the name on one line (no line breaks)." in response.get_data(as_text=True)


def _werkzeug_record(request_line: str) -> logging.LogRecord:
    return logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s %s',
        ("127.0.0.1", request_line, "200", "-"),
        None,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /r/abc.DEF-123_x HTTP/1.1", "GET /r/[redacted] HTTP/1.1"),
        ("POST /r/abc.DEF/section-2 HTTP/1.1", "POST /r/[redacted]/section-2 HTTP/1.1"),
        ("GET /s/Zm9v.YmFy HTTP/1.1", "GET /s/[redacted] HTTP/1.1"),
        ("GET /s/i/Zm9v.YmFy?x=1 HTTP/1.1", "GET /s/i/[redacted]?x=1 HTTP/1.1"),
        ("GET /engagements/3 HTTP/1.1", "GET /engagements/3 HTTP/1.1"),
    ],
)
def test_log_filter_redacts_participant_tokens(line, expected):
    record = _werkzeug_record(line)
    assert RedactTokens().filter(record)
    assert record.getMessage() == f'127.0.0.1 - - "{expected}" 200 -'


def test_token_redaction_is_installed_once_on_the_werkzeug_logger():
    logger = logging.getLogger("werkzeug")
    try:
        first = install_token_redaction()
        assert install_token_redaction() is first
        assert sum(isinstance(f, RedactTokens) for f in logger.filters) == 1
    finally:
        for existing in list(logger.filters):
            if isinstance(existing, RedactTokens):
                logger.removeFilter(existing)


@pytest.fixture
def statements(app):
    """The SQL statements run from here on: a refused id must cause none."""
    from sqlalchemy import event

    from assessor.extensions import db

    executed: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        executed.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield executed
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "object_id",
    [2**31, 2**31 + 5, 2**63, 10**30, -(2**31) - 1, -(10**30), "2147483648", str(10**30)],
)
def test_get_owned_refuses_ids_beyond_the_integer_range_without_a_query(
    app, make_engagement, statements, object_id
):
    """A form field or query string can carry any id, not only a URL's ``<int:...>``:
    PostgreSQL refuses one beyond INTEGER with a 500, SQLite beyond 64 bits."""
    from assessor.models import Engagement
    from assessor.services.errors import NotFoundError
    from assessor.services.tenancy import get_owned

    organisation_id = make_engagement().organisation_id
    statements.clear()
    with pytest.raises(NotFoundError, match="No such engagement"):
        get_owned(Engagement, object_id, organisation_id)
    assert statements == []


def test_get_owned_still_looks_up_ids_inside_the_range(app, make_engagement, statements):
    """The control: the range's ends are looked up (and absent), a real id is found."""
    from assessor.models import Engagement
    from assessor.services.errors import NotFoundError
    from assessor.services.tenancy import get_owned

    engagement = make_engagement()
    engagement_id, organisation_id = engagement.id, engagement.organisation_id
    for edge in (2**31 - 1, -(2**31)):
        statements.clear()
        with pytest.raises(NotFoundError):
            get_owned(Engagement, edge, organisation_id)
        assert [s for s in statements if "FROM engagement" in s], statements
    assert get_owned(Engagement, str(engagement_id), organisation_id).id == engagement_id
