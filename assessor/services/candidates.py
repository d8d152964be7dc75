"""The recruiter's view of candidates: listing, pipeline moves, interviews, exports."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Answer, Assignment, Engagement, Interview, User
from assessor.services import audit, revisions
from assessor.services import pool as pool_service
from assessor.services.errors import ServiceError
from questionnaires import Instrument

PIPELINE_MOVES = {
    "shortlist": "shortlisted",
    "reject": "rejected",
    "hire": "hired",
    "reopen": "completed",
}
SORTS = ("fit", "name", "status", "invited")
STATUS_FILTERS = (
    "all",
    "invited",
    "in_progress",
    "completed",
    "shortlisted",
    "rejected",
    "hired",
    "revoked",
    "flagged",
)


@dataclass
class CandidateRow:
    assignment: Assignment
    percent: int
    summary: dict[str, Any] | None


@dataclass
class CandidatePage:
    """One page of the listing: which candidates, in order, and the counts by status.

    Plain data: the page's ``Assignment`` rows are loaded by :func:`page_rows`
    only when the page is not already rendered (see :attr:`cache_key`).
    """

    engagement_id: int
    revision: str
    ids: list[int]
    #: Percent answered, for the page's candidates who are answering now.
    progress: dict[int, int]
    total: int
    page: int
    pages: int
    sort: str
    status: str
    query: str
    counts: dict[str, int]

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """Everything the rendered listing depends on: same key, same markup."""
        return (
            self.engagement_id,
            self.revision,
            self.sort,
            self.status,
            self.query,
            self.page,
            tuple(sorted(self.progress.items())),
        )


@dataclass(frozen=True)
class _Roster:
    """The few columns the listing filters and sorts on, for every candidate."""

    rows: list[tuple[Any, ...]]
    status_of: dict[int, str]
    counts: dict[str, int]


# Columns of a roster row (indexed: attribute access on 5,000 rows shows up in the bench).
_ID, _NAME, _EMAIL, _STATUS, _CREATED = range(5)
_ROSTERS = revisions.RevisionCache(size=32)
_ORDERINGS = revisions.RevisionCache(size=256)


def _roster(engagement: Engagement, pool: pool_service.CandidatePool) -> _Roster:
    def build() -> _Roster:
        stmt = (
            select(
                Assignment.id,
                Assignment.name,
                Assignment.email,
                Assignment.status,
                Assignment.created_at,
            )
            .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
            .order_by(Assignment.id)
        )
        # Core execution on the session's connection: plain rows, no ORM row processing.
        rows = list(map(tuple, db.session.connection().execute(stmt).all()))
        counts: dict[str, int] = dict.fromkeys(STATUS_FILTERS, 0)
        counts.update(Counter(r[_STATUS] for r in rows))
        counts["all"] = len(rows)
        counts["flagged"] = len(pool.flagged_ids)
        return _Roster(rows, {r[_ID]: r[_STATUS] for r in rows}, counts)

    return _ROSTERS.get_or_build((engagement.id, engagement.candidates_revision), build)


def _ordering(
    engagement: Engagement,
    pool: pool_service.CandidatePool,
    roster: _Roster,
    sort: str,
    status: str,
    needle: str,
) -> tuple[int, ...]:
    """The ids of one view (filter, search, sort), in order."""

    def build() -> tuple[int, ...]:
        chosen = roster.rows
        if status == "flagged":
            flagged_ids = pool.flagged_ids
            chosen = [r for r in chosen if r[_ID] in flagged_ids]
        elif status != "all":
            chosen = [r for r in chosen if r[_STATUS] == status]
        if needle:
            chosen = [
                r
                for r in chosen
                if needle in (r[_NAME] or "").lower() or needle in (r[_EMAIL] or "").lower()
            ]
        chosen = list(chosen)
        if sort == "fit":
            fit_of = pool.fit_by_id

            def by_fit(r: tuple[Any, ...]) -> tuple[bool, float, str]:
                fit = fit_of.get(r[_ID])
                return (fit is None, -(fit or 0.0), r[_NAME] or "")

            chosen.sort(key=by_fit)
        elif sort == "name":
            chosen.sort(key=lambda r: ((r[_NAME] or "").lower(), r[_ID]))
        elif sort == "status":
            chosen.sort(key=lambda r: (r[_STATUS], (r[_NAME] or "").lower()))
        else:
            chosen.sort(key=lambda r: r[_CREATED], reverse=True)
        return tuple(r[_ID] for r in chosen)

    key = (engagement.id, engagement.candidates_revision, sort, status, needle)
    return _ORDERINGS.get_or_build(key, build)


def list_candidates(
    engagement: Engagement,
    *,
    page: int = 1,
    per_page: int = 50,
    sort: str = "fit",
    status: str = "all",
    query: str = "",
) -> CandidatePage:
    """One page of candidates, sorted and filtered, with a fixed number of queries.

    The roster (a few columns of every candidate) and each view's order are
    kept per candidates revision, so a repeated view costs one small query
    (the progress of the page's candidates who are answering) however large
    the pool.
    """
    sort = sort if sort in SORTS else "fit"
    status = status if status in STATUS_FILTERS else "all"
    pool = pool_service.candidate_pool(engagement)
    roster = _roster(engagement, pool)
    ordered = _ordering(engagement, pool, roster, sort, status, query.strip().lower())
    total = len(ordered)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    window = list(ordered[(page - 1) * per_page : page * per_page])
    answering = [i for i in window if roster.status_of.get(i) == "in_progress"]
    total_items = max(1, len(pool.instrument.items))
    progress = {
        aid: min(99, round(100 * n / total_items)) for aid, n in _answer_counts(answering).items()
    }
    progress.update({aid: 0 for aid in answering if aid not in progress})
    return CandidatePage(
        engagement.id,
        engagement.candidates_revision,
        window,
        progress,
        total,
        page,
        pages,
        sort,
        status,
        query,
        dict(roster.counts),
    )


def page_rows(engagement: Engagement, listing: CandidatePage) -> list[CandidateRow]:
    """The page's candidates as rows to show: their assignments, progress and summaries."""
    pool = pool_service.candidate_pool(engagement)
    loaded = _assignments_by_id(listing.ids)
    return [
        CandidateRow(
            loaded[i],
            100 if loaded[i].submitted_at is not None else listing.progress.get(i, 0),
            pool.summary(i),
        )
        for i in listing.ids
        if i in loaded
    ]


def _light_assignments(engagement: Engagement) -> list[Assignment]:
    stmt = (
        select(Assignment)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
        .order_by(Assignment.id)
    )
    return list(db.session.scalars(stmt))


def _assignments_by_id(ids: list[int]) -> dict[int, Assignment]:
    """The assignments of one page, in one query."""
    if not ids:
        return {}
    stmt = select(Assignment).where(Assignment.id.in_(ids))
    return {a.id: a for a in db.session.scalars(stmt)}


def _answer_counts(assignment_ids: list[int]) -> dict[int, int]:
    if not assignment_ids:
        return {}
    stmt = (
        select(Answer.assignment_id, func.count(Answer.id))
        .where(Answer.assignment_id.in_(assignment_ids))
        .group_by(Answer.assignment_id)
    )
    return {aid: int(n) for aid, n in db.session.execute(stmt)}


def move(actor: User, assignment: Assignment, action: str) -> Assignment:
    """Shortlist, reject, hire or reopen a candidate, with an audit event."""
    if action not in PIPELINE_MOVES:
        raise ServiceError(f"Unknown action '{action}'.")
    target = PIPELINE_MOVES[action]
    if action in ("shortlist", "hire", "reopen") and assignment.submitted_at is None:
        raise ServiceError(
            "Only candidates who completed the assessment can be "
            f"{'shortlisted' if action == 'shortlist' else 'moved on'}."
        )
    if action == "reject" and assignment.status == "revoked":
        raise ServiceError("This invitation was revoked.")
    previous = assignment.status
    if action == "reject" and assignment.submitted_at is None:
        target = "rejected"
    assignment.status = target
    db.session.flush()
    revisions.candidate_changed(assignment)
    audit.record(
        actor.organisation_id,
        actor.id,
        f"candidate.{action}",
        "assignment",
        assignment.id,
        before=previous,
        after=target,
    )
    return assignment


def record_interview(
    actor: User,
    assignment: Assignment,
    kit: Instrument,
    interviewer_name: str,
    ratings: dict[str, int],
    notes: str,
) -> Interview:
    """Store one interviewer's ratings (scale → 1..5) of a candidate."""
    name = " ".join((interviewer_name or "").split())
    if not name:
        raise ServiceError("Enter the interviewer's name.", field="interviewer_name")
    if assignment.submitted_at is None:
        raise ServiceError("Interviews are recorded for candidates who completed the assessment.")
    known = {item.scale for item in kit.items if item.type == "rating"}
    clean = {}
    for scale, value in ratings.items():
        if scale not in known:
            raise ServiceError(f"Unknown competency '{scale}'.")
        if value is not None:
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ServiceError("Ratings go from 1 to 5.")
            clean[scale] = value
    if not clean:
        raise ServiceError("Rate at least one competency.")
    interview = Interview(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        interviewer_name=name[:200],
        instrument_version=kit.version,
        ratings=clean,
        notes=(notes or "").strip()[:5000],
        created_by_id=actor.id,
    )
    db.session.add(interview)
    db.session.flush()
    revisions.candidate_changed(assignment)
    audit.record(
        actor.organisation_id,
        actor.id,
        "interview.record",
        "assignment",
        assignment.id,
        interviewer=name,
        rated=len(clean),
    )
    return interview


def interviews_of(assignment: Assignment) -> list[Interview]:
    stmt = (
        select(Interview)
        .where(Interview.assignment_id == assignment.id)
        .order_by(Interview.created_at)
    )
    return list(db.session.scalars(stmt))


def set_interview_weight(actor: User, engagement: Engagement, percent: int) -> None:
    if not 0 <= percent <= 100:
        raise ServiceError(
            "The interview weight is a percentage from 0 to 100.", field="interview_weight"
        )
    engagement.interview_weight = percent / 100.0
    db.session.flush()
    revisions.candidates_changed(engagement.id)
    audit.record(
        actor.organisation_id,
        actor.id,
        "engagement.interview_weight",
        "engagement",
        engagement.id,
        percent=percent,
    )


CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES):
        return "'" + value
    return value


def export_csv(actor: User, engagement: Engagement) -> str:
    """Every candidate of the engagement with status, fit and scale scores."""
    pool = pool_service.candidate_pool(engagement)
    out = io.StringIO()
    writer = csv.writer(out)
    scale_names = [pool.instrument.scale(s).name for s in pool.scale_keys]
    profile_label = f"v{pool.profile_version.version}" if pool.profile_version else ""
    writer.writerow(
        [
            "name",
            "email",
            "status",
            "submitted_at",
            "fit",
            "fit_low",
            "fit_high",
            "fit_band",
            "rank",
            "score_source",
            "profile_version",
            "quality_flag",
            *scale_names,
        ]
    )
    for a in _light_assignments(engagement):
        i = pool.row(a.id)
        summary = pool.summary(a.id) if i is not None else None
        scores = [_fmt(v) for v in pool.pomp[i]] if i is not None else [""] * len(pool.scale_keys)
        writer.writerow(
            [
                safe_cell(a.name),
                safe_cell(a.email),
                a.status,
                a.submitted_at.isoformat() if a.submitted_at else "",
                _fmt(summary and summary["fit"]),
                _fmt(summary and summary["fit_low"]),
                _fmt(summary and summary["fit_high"]),
                (summary or {}).get("band") or "",
                (summary or {}).get("rank") or "",
                (summary or {}).get("source") or "",
                profile_label if summary else "",
                "yes" if summary and summary["flagged"] else "",
                *scores,
            ]
        )
    audit.record(actor.organisation_id, actor.id, "export.csv", "engagement", engagement.id)
    return out.getvalue()


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.1f}"
