"""The dashboard and candidate page use a fixed number of queries, however large the pool."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from sqlalchemy import event, insert, select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.models import Assignment, Result, utcnow
from assessor.services import pool as pool_service
from assessor.services.results import SCORING_VERSION, score_candidate


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


def add_scored_candidates(engagement, n: int, seed: int = 1) -> None:
    """Insert ``n`` completed, scored candidates in bulk (a few distinct answer patterns)."""
    instrument = questionnaires.latest("cco_candidate")
    rng = np.random.default_rng(seed)
    patterns = [
        score_candidate(instrument, synthetic_answers(instrument, rng, {"_base": level}), {})
        for level in np.linspace(0.3, 0.8, 8)
    ]
    now = utcnow()
    start = db.session.scalar(select(Assignment.id).order_by(Assignment.id.desc()).limit(1)) or 0
    rows = [
        {
            "organisation_id": engagement.organisation_id,
            "engagement_id": engagement.id,
            "kind": "candidate",
            "instrument_key": instrument.key,
            "instrument_version": instrument.version,
            "instrument_hash": instrument.content_hash,
            "name": f"Candidate {start + i}",
            "email": f"c{start + i}@example.com",
            "status": "completed",
            "token_nonce": f"{i:032x}",
            "expires_at": now,
            "submitted_at": now,
            "created_at": now,
        }
        for i in range(n)
    ]
    db.session.execute(insert(Assignment), rows)
    ids = db.session.scalars(
        select(Assignment.id)
        .where(Assignment.engagement_id == engagement.id, Assignment.id > start)
        .order_by(Assignment.id)
    ).all()
    db.session.execute(
        insert(Result),
        [
            {
                "assignment_id": aid,
                "scoring_version": SCORING_VERSION,
                "instrument_hash": instrument.content_hash,
                "data": patterns[k % len(patterns)],
                "computed_at": now,
            }
            for k, aid in enumerate(ids)
        ],
    )
    db.session.commit()


def measured(client, path: str) -> int:
    pool_service.clear_cache()
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
