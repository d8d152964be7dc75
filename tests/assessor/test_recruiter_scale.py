"""The dashboard and candidate page issue the same statements at 10 and 50,000 candidates.

Everything they show is stored (``services.standings``): the page is read off an
index, so no statement grows with the pool and nothing is computed per request.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from assessor.demo import add_scored_candidates
from assessor.extensions import db
from assessor.models import Assignment
from assessor.services import profiles

LARGE = 50_000


@contextmanager
def recorded_statements():
    statements: list[str] = []
    connection = db.session.connection()

    def before(_conn, _cursor, statement, *_args):
        # an IN list is expanded to one placeholder per value, and the test's savepoints
        # are numbered: neither depends on the pool
        statement = re.sub(r"\((?:\?|%\(\w+\)s)(?:, (?:\?|%\(\w+\)s))*\)", "(…)", statement)
        statements.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", statement))

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


@pytest.fixture
def pools(make_user, make_engagement):
    recruiter = make_user("recruiter")
    small = make_engagement(owner=recruiter, client_name="Small")
    large = make_engagement(owner=recruiter, client_name="Large")
    for engagement in (small, large):
        profiles.set_archetype(recruiter, engagement, "operating_executive")
    add_scored_candidates(small, 10)
    add_scored_candidates(large, LARGE)
    return recruiter, small, large


PATHS = [
    "/engagements/{e}/candidates",
    "/engagements/{e}/candidates?status=completed",
    "/engagements/{e}/candidates?sort=name&page=3",
    "/engagements/{e}/candidates/{c}",
]


def test_the_same_statements_at_10_and_50000_candidates(client, auth, pools):
    recruiter, small, large = pools
    auth.login(recruiter.email)
    first = {
        e.id: db.session.scalar(
            select(Assignment.id).where(Assignment.engagement_id == e.id).order_by(Assignment.id)
        )
        for e in (small, large)
    }
    for path in PATHS:
        issued = []
        for engagement in (small, large):
            url = path.format(e=engagement.id, c=first[engagement.id])
            with recorded_statements() as statements:
                response = client.get(url)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            issued.append(statements)
        assert issued[0] == issued[1], path
    html = client.get(f"/engagements/{large.id}/candidates").get_data(as_text=True)
    assert f"Page 1 of 1000 ({LARGE} candidates)" in html
    assert re.search(r"<td>1</td>", html)  # ranked from the top, as stored
