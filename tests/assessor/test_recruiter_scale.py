"""The dashboard and candidate page use a fixed number of queries, however large the pool."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from assessor.demo import add_scored_candidates
from assessor.extensions import db
from assessor.models import Assignment
from assessor.services import revisions


@contextmanager
def count_queries():
    statements: list[str] = []
    connection = db.session.connection()

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def measured(client, path: str) -> int:
    revisions.clear_caches()
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(statements)


@pytest.mark.parametrize(
    "path",
    [
        "/engagements/{e}/candidates",
        "/engagements/{e}/candidates?sort=name&page=3",
        "/engagements/{e}/candidates/{c}",
    ],
)
def test_query_count_does_not_grow_with_the_pool(client, auth, make_user, make_engagement, path):
    recruiter = make_user("recruiter")
    small = make_engagement(owner=recruiter, client_name="Small")
    large = make_engagement(owner=recruiter, client_name="Large")
    add_scored_candidates(small, 10)
    add_scored_candidates(large, 5000)
    auth.login(recruiter.email)
    first = {
        e.id: db.session.scalar(
            select(Assignment.id).where(Assignment.engagement_id == e.id).order_by(Assignment.id)
        )
        for e in (small, large)
    }
    counts = [measured(client, path.format(e=e.id, c=first[e.id])) for e in (small, large)]
    assert counts[0] == counts[1], counts
    html = client.get(f"/engagements/{large.id}/candidates").get_data(as_text=True)
    assert "Page 1 of 100 (5000 candidates)" in html
