"""Pages and downloads are audited after the request's own transaction, and never
sent when their audit record cannot be written (both databases)."""

from __future__ import annotations

import logging

import pytest
from flask import template_rendered
from sqlalchemy import event, exc, func, select

from assessor.extensions import db
from assessor.models import AuditEvent
from assessor.services import audit, survey_releases, survey_results, surveys
from assessor.services.errors import ServiceError
from tests.assessor.participants import readiness_respondents


@pytest.fixture
def survey(make_engagement, consultant):
    engagement = make_engagement(owner=consultant, client_name="Halden Utilities")
    survey = surveys.open_round(consultant, engagement, title="Spring pulse")
    readiness_respondents(survey, [{"level": "front_line", "department": "sales"}] * 5)
    survey_releases.release(consultant, survey)
    db.session.commit()
    return survey


def results_url(survey, suffix=""):
    return f"/engagements/{survey.engagement_id}/surveys/{survey.id}/results{suffix}"


def audited(action, survey) -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.object_id == survey.id
        )
    )


def test_a_page_is_audited_after_it_is_rendered_in_a_transaction_of_its_own(
    app, client, auth, consultant, survey
):
    auth.login(consultant.email)
    steps: list[str] = []

    def on_statement(_conn, _cursor, statement, *_args) -> None:
        words = statement.split()
        steps.append(" ".join(words[:3]).upper() if words[0].upper() == "INSERT" else words[0])

    def on_render(_app, template, **_extra) -> None:
        steps.append(f"rendered {template.name}")

    def transaction_ends(*_args) -> None:
        steps.append("END")

    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(db.engine, "commit", transaction_ends)
    event.listen(db.engine, "release_savepoint", transaction_ends)  # the test's commits
    template_rendered.connect(on_render, app)
    try:
        response = client.get(results_url(survey))
    finally:
        template_rendered.disconnect(on_render, app)
        event.remove(db.engine, "release_savepoint", transaction_ends)
        event.remove(db.engine, "commit", transaction_ends)
        event.remove(db.engine, "before_cursor_execute", on_statement)
    assert response.status_code == 200 and "Spring pulse" in response.get_data(as_text=True)
    insert = steps.index("INSERT INTO AUDIT_EVENT")
    rendered = steps.index("rendered consultant/results.html")
    writes = [s for s in steps[:insert] if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []  # the page itself only read
    assert rendered < insert
    # the page's transaction ended before the audit INSERT, whose own ends after it
    assert "END" in steps[rendered:insert] and steps[insert:].count("END") == 1
    assert audited("survey.results", survey) == 1


def test_a_download_whose_audit_record_fails_is_not_sent(
    app, client, auth, consultant, survey, caplog
):
    auth.login(consultant.email)

    def audit_write_fails(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO audit_event"):
            raise exc.OperationalError(statement, {}, Exception("disk I/O error"))

    event.listen(db.engine, "before_cursor_execute", audit_write_fails)
    try:
        with caplog.at_level(logging.ERROR):
            response = client.get(results_url(survey, ".csv"))
    finally:
        event.remove(db.engine, "before_cursor_execute", audit_write_fails)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    assert "could not be recorded" in html and "try again" in html
    assert "overall" not in html  # not a line of the CSV
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "in the audit trail" in caplog.text
    assert audited("export.csv", survey) == 0

    # once the audit trail can be written again, the same download goes out
    again = client.get(results_url(survey, ".csv"))
    assert again.status_code == 200 and "overall" in again.get_data(as_text=True)
    assert audited("export.csv", survey) == 1


def test_a_request_that_fails_after_keeping_its_event_writes_none(
    app, client, auth, consultant, survey, monkeypatch
):
    auth.login(consultant.email)

    def cannot_export(_view):
        raise ServiceError("The export is not available.")

    monkeypatch.setattr(survey_results, "export_csv", cannot_export)
    refused = client.get(results_url(survey, ".csv"))
    assert refused.status_code == 400
    page = client.get(results_url(survey))  # the next request does not carry it over
    assert page.status_code == 200
    assert audited("export.csv", survey) == 0
    assert audited("survey.results", survey) == 1


def test_outside_a_request_the_event_joins_the_current_transaction(app, consultant, survey):
    audit.record_after_response(
        consultant.organisation_id, consultant.id, "survey.results", "survey", survey.id
    )
    assert audited("survey.results", survey) == 1
