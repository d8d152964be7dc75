"""The demo firm's earlier searches: enough completed assessments across engagements for
norm groups (and the technical manual) to show real figures.

Candidates are generated from a general level plus a specific level per competency, so
scales correlate as they do in real pools; most agreed to the use of their scores for
norms. Results are scored with the real scorer and inserted in bulk (the page-by-page
flow of the live demo candidates would take minutes for this many).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, Engagement, Result, User, utcnow
from assessor.services import engagements, norm_groups, standings
from assessor.services.results import SCORING_VERSION, score_candidate

#: (client, role title, assessment version, candidates, months ago the search closed)
PAST_SEARCHES: tuple[tuple[str, str, int, int, int], ...] = (
    ("Fjordline Insurance", "Chief Customer Officer", 1, 36, 17),
    ("Castell Telecom", "Chief Customer Officer", 1, 34, 12),
    ("Brightwater Health", "Chief Experience Officer", 1, 33, 8),
    ("Orrin Logistics", "Chief Customer Officer", 1, 32, 4),
    ("Keswick Water", "Chief Customer Officer (pilot of version 2)", 2, 44, 2),
)
#: Share of candidates who agreed to the anonymous use of their scores for norms.
NORM_CONSENT_SHARE = 0.88
FIRST_NAMES = (
    "Amara", "Bjørn", "Carla", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jae",
    "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Pilar", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Yara", "Zoltán",
)  # fmt: skip
LAST_NAMES = (
    "Achterberg", "Brennan", "Castillo", "Dąbrowska", "Eriksen", "Fontaine", "Gupta",
    "Haddad", "Ishikawa", "Jovanović", "Kowalczyk", "Lindgren", "Mensah", "Novak",
    "O'Connell", "Petrov", "Quinn", "Rahman", "Sørensen", "Takahashi",
)  # fmt: skip


def trait_levels(rng: np.random.Generator, scales: tuple[str, ...]) -> dict[str, float]:
    """One candidate's levels (0-1): a general level shared by every competency plus a
    specific part per competency, so the scales correlate moderately."""
    general = float(np.clip(rng.normal(0.55, 0.11), 0.15, 0.9))
    levels = {s: float(np.clip(general + rng.normal(0, 0.1), 0.05, 0.95)) for s in scales}
    return {"_base": general, **levels}


def load_archive(users: dict[str, User]) -> list[Engagement]:
    """The past searches with their completed candidates, then the firm's first norm group
    of each assessment version, built by the demo administrator."""
    rng = np.random.default_rng(1917)
    now = utcnow()
    created: list[Engagement] = []
    for client, title, version, count, months in PAST_SEARCHES:
        engagement = engagements.create_engagement(
            users["recruiter"], client, title, f"Search closed about {months} months ago."
        )
        closed = now - timedelta(days=30 * months)
        add_past_candidates(engagement, version, count, closed, rng)
        standings.rebuild(engagement)
        created.append(engagement)
    for version in sorted({search[2] for search in PAST_SEARCHES}):
        norm_groups.build(users["admin"], norm_groups.CANDIDATE_INSTRUMENT, version)
    return created


def add_past_candidates(
    engagement: Engagement,
    version: int,
    count: int,
    closed: Any = None,
    rng: np.random.Generator | None = None,
    consent_share: float = NORM_CONSENT_SHARE,
) -> list[int]:
    """Insert ``count`` completed, scored candidates of ``version`` who submitted before
    ``closed`` (default now); ``consent_share`` of them agreed to norms. Their ids."""
    from assessor.demo import synthetic_answers

    rng = rng or np.random.default_rng(1917)
    closed = closed or utcnow()
    instrument = questionnaires.load(norm_groups.CANDIDATE_INSTRUMENT, version)
    scales = tuple(s.key for s in instrument.scales)
    seconds = {s.key: float(len(s.items) * rng.uniform(8, 14)) for s in instrument.sections}
    start = db.session.scalar(select(Assignment.id).order_by(Assignment.id.desc()).limit(1)) or 0
    rows, results = [], []
    for i in range(count):
        answers = synthetic_answers(instrument, rng, trait_levels(rng, scales))
        results.append(score_candidate(instrument, answers, seconds))
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        submitted = closed - timedelta(days=int(rng.integers(20, 60)))
        status = "hired" if i == 0 else ("shortlisted" if i < 4 else "rejected")
        rows.append(
            {
                "name": f"{first} {last}",
                "email": f"archive.{engagement.id}.{start + i + 1}@candidates.example",
                "status": status,
                "token_nonce": f"{start + i + 1:032x}",
                "expires_at": submitted,
                "consented_at": submitted,
                "norm_consent_at": submitted if rng.random() < consent_share else None,
                "started_at": submitted,
                "submitted_at": submitted,
                "created_at": submitted - timedelta(days=7),
            }
        )
    return insert_scored(engagement, instrument, rows, results)


def insert_scored(
    engagement: Engagement,
    instrument: Any,
    rows: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> list[int]:
    """Insert completed candidates of ``engagement`` who took ``instrument`` (``rows`` of
    their own assignment columns: name, status, dates…) with their scored ``results``, in
    two statements. Their ids, in order."""
    start = db.session.scalar(select(Assignment.id).order_by(Assignment.id.desc()).limit(1)) or 0
    common = {
        "organisation_id": engagement.organisation_id,
        "engagement_id": engagement.id,
        "kind": "candidate",
        "instrument_key": instrument.key,
        "instrument_version": instrument.version,
        "instrument_hash": instrument.content_hash,
    }
    db.session.execute(insert(Assignment), [{**common, **row} for row in rows])
    ids = db.session.scalars(
        select(Assignment.id)
        .where(Assignment.engagement_id == engagement.id, Assignment.id > start)
        .order_by(Assignment.id)
    ).all()
    db.session.execute(
        insert(Result),
        [
            {
                "assignment_id": assignment_id,
                "scoring_version": SCORING_VERSION,
                "instrument_hash": instrument.content_hash,
                "data": data,
                "computed_at": row.get("submitted_at") or utcnow(),
            }
            for assignment_id, data, row in zip(ids, results, rows, strict=True)
        ],
    )
    return list(ids)
