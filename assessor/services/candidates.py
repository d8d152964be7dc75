"""The recruiter's view of candidates: listing, pipeline moves, interviews, exports."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, true

import questionnaires
from assessor.extensions import db
from assessor.models import (
    Answer,
    Assignment,
    CandidateStanding,
    Engagement,
    Interview,
    NormGroup,
    User,
)
from assessor.services import audit, profiles, standings
from assessor.services.errors import ConflictError, NotFoundError, ServiceError
from assessor.services.tenancy import get_owned
from questionnaires import Instrument, Item

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
#: What the filters show a count for (stored with the engagement, ``standings.recount``).
COUNTED = (*STATUS_FILTERS, "ranked")


@dataclass(frozen=True)
class CandidateRow:
    """One candidate as the listing shows them, from their stored standing."""

    id: int
    name: str | None
    email: str | None
    status: str
    percent: int
    #: a stored result (and so a standing) exists
    has_result: bool
    rank: int | None
    #: the score shown, the 90% band of that score and its label (as stored)
    score: float | None
    score_low: float | None
    score_high: float | None
    band: str | None
    score_source: str | None
    failed_minima: list[str]
    #: names of the highest competencies
    top: list[str]
    is_flagged: bool
    quality_reasons: list[str]


@dataclass(frozen=True)
class CandidatePage:
    """One page of the listing, in order, with the counts by status."""

    rows: list[CandidateRow]
    total: int
    page: int
    pages: int
    sort: str
    status: str
    query: str
    counts: dict[str, int]


def _order(sort: str) -> list[Any]:
    """Each order ends in the listing index's tie-breakers (see ``models.assignment``)."""
    if sort == "fit":
        return [
            Assignment.is_scored.desc(),
            Assignment.score.desc(),
            Assignment.name,
            Assignment.id,
        ]
    if sort == "name":
        return [Assignment.name, Assignment.id]
    if sort == "status":
        return [Assignment.status, Assignment.name, Assignment.id]
    return [Assignment.created_at.desc(), Assignment.id.desc()]


def _filters(engagement: Engagement, status: str, needle: str) -> list[Any]:
    conditions = [Assignment.engagement_id == engagement.id, Assignment.kind == "candidate"]
    if status == "flagged":
        conditions.append(Assignment.is_flagged == true())
    elif status != "all":
        conditions.append(Assignment.status == status)
    if needle:
        conditions.append(
            or_(
                Assignment.name.icontains(needle, autoescape=True),
                Assignment.email.icontains(needle, autoescape=True),
            )
        )
    return conditions


def list_candidates(
    engagement: Engagement,
    *,
    page: int = 1,
    per_page: int = 50,
    sort: str = "fit",
    status: str = "all",
    query: str = "",
) -> CandidatePage:
    """One page of candidates, filtered, searched and sorted in SQL.

    The same statements at 10 and at 50,000 candidates: the page is read off an
    index, the ranks and the totals come from counts stored with the engagement
    (a search counts its hits).
    """
    sort = sort if sort in SORTS else "fit"
    status = status if status in STATUS_FILTERS else "all"
    needle = query.strip()
    counts = {key: int((engagement.candidate_counts or {}).get(key, 0)) for key in COUNTED}
    conditions = _filters(engagement, status, needle)
    if needle:
        total = db.session.scalar(select(func.count()).select_from(Assignment).where(*conditions))
    else:
        total = counts["all" if status == "all" else status]
    total = int(total or 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    stmt = (
        select(
            Assignment.id,
            Assignment.name,
            Assignment.email,
            Assignment.status,
            Assignment.score,
            Assignment.is_flagged,
            CandidateStanding.assignment_id.label("standing_of"),
            CandidateStanding.score_low,
            CandidateStanding.score_high,
            CandidateStanding.band,
            CandidateStanding.score_source,
            CandidateStanding.failed_minima,
            CandidateStanding.top,
            CandidateStanding.quality_reasons,
        )
        .outerjoin(CandidateStanding, CandidateStanding.assignment_id == Assignment.id)
        .where(*conditions)
        .order_by(*_order(sort))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = db.session.execute(stmt).all()
    answering = [r.id for r in found if r.status == "in_progress"]
    names = _scale_names()
    progress = _progress(answering)
    rank = standings.ranks(engagement, [r.score for r in found])
    rows = [
        CandidateRow(
            id=r.id,
            name=r.name,
            email=r.email,
            status=r.status,
            percent=100 if r.status not in ("invited", "in_progress") else progress.get(r.id, 0),
            has_result=r.standing_of is not None,
            rank=rank[i],
            score=r.score,
            score_low=r.score_low,
            score_high=r.score_high,
            band=r.band,
            score_source=r.score_source,
            failed_minima=list(r.failed_minima or []),
            top=[names.get(k, k) for k in r.top or []],
            is_flagged=r.is_flagged,
            quality_reasons=list(r.quality_reasons or []),
        )
        for i, r in enumerate(found)
    ]
    return CandidatePage(rows, total, page, pages, sort, status, query, counts)


def _scale_names() -> dict[str, str]:
    return {s.key: s.name for s in standings.candidate_instrument().scales}


def _progress(assignment_ids: list[int]) -> dict[int, int]:
    """Percent answered of candidates who are answering now (read live: a save moves it)."""
    if not assignment_ids:
        return {}
    total_items = max(1, len(standings.candidate_instrument().items))
    stmt = (
        select(Answer.assignment_id, func.count(Answer.id))
        .where(Answer.assignment_id.in_(assignment_ids))
        .group_by(Answer.assignment_id)
    )
    return {aid: min(99, round(100 * n / total_items)) for aid, n in db.session.execute(stmt)}


def erased_message(erased_at: datetime) -> str:
    """What every refused write on an erased record says (the date, without the time)."""
    return (
        f"This candidate's data was erased on {erased_at.day} {erased_at:%b %Y}; "
        "nothing can be added or changed."
    )


def ensure_not_erased(assignment: Assignment) -> Assignment:
    """Refuse any change to an erased record: erasure is final (issue #15).

    Every service that changes a participant calls this, so that a write added
    later cannot bring data back to a tombstone. When the loaded row says "not
    erased", the database is asked again: another request may have erased it
    since this one loaded it (call it after ``standings.lock``, so that such an
    erasure has committed and is seen).
    """
    erased_at = assignment.erased_at
    if erased_at is None and assignment.id is not None:
        erased_at = db.session.scalar(
            select(Assignment.erased_at).where(Assignment.id == assignment.id)
        )
    if erased_at is not None:
        raise ConflictError(erased_message(erased_at))
    return assignment


def get_candidate(
    organisation_id: int, engagement: Engagement, assignment_id: object
) -> Assignment:
    """A candidate of this engagement and firm, erased or not (reads show the tombstone)."""
    assignment = get_owned(Assignment, assignment_id, organisation_id)
    if assignment.engagement_id != engagement.id or assignment.kind != "candidate":
        raise NotFoundError("No such candidate in this engagement.")
    return assignment


def get_writable_candidate(
    organisation_id: int, engagement: Engagement, assignment_id: object
) -> Assignment:
    """A candidate that may still change: the lookup of every write view (409 once erased)."""
    return ensure_not_erased(get_candidate(organisation_id, engagement, assignment_id))


def move(actor: User, assignment: Assignment, action: str) -> Assignment:
    """Shortlist, reject, hire or reopen a candidate, with an audit event."""
    standings.lock(assignment.engagement_id)
    ensure_not_erased(assignment)
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
    standings.candidate_changed(assignment)
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


#: The interview kit's culture-fit scale (kit v2 onward): rated once per board value and
#: stored apart from the competency ratings, so it never enters the competency fit.
CULTURE_SCALE = "culture_fit"


@dataclass(frozen=True)
class CultureQuestion:
    """One culture-fit rating on the interview form: a value the board named."""

    field: str  # form field name, stable for the value's name (not its position)
    value: str
    behaviour: str
    text: str


def culture_item(kit: Instrument) -> Item | None:
    """The kit's anchored culture-fit rating (None for kits before v2)."""
    return next((i for i in kit.items if i.type == "rating" and i.scale == CULTURE_SCALE), None)


def competency_items(kit: Instrument) -> list[Item]:
    """The kit's competency ratings: every rating item but the culture-fit one."""
    return [i for i in kit.items if i.type == "rating" and i.scale != CULTURE_SCALE]


def culture_questions(kit: Instrument, values: Sequence[Any]) -> list[CultureQuestion]:
    """One culture question per board value (``name``, ``behaviour``); none without the item.

    The field name hashes the value's name, so a value named by another board member
    between showing and posting the form never shifts a rating onto the wrong value.
    """
    if culture_item(kit) is None:
        return []
    out = []
    for v in values:
        digest = hashlib.sha256(v.name.casefold().encode()).hexdigest()[:12]
        text = f"How does the candidate's past behaviour match \u201c{v.name}\u201d?"
        out.append(CultureQuestion(f"culture_{digest}", v.name, v.behaviour, text))
    return out


def record_interview(
    actor: User,
    assignment: Assignment,
    kit: Instrument,
    interviewer_name: str,
    ratings: dict[str, int],
    notes: str,
    culture: Sequence[tuple[CultureQuestion, int | None]] = (),
) -> Interview:
    """Store one interviewer's ratings (scale → 1..5) of a candidate.

    ``culture`` pairs each culture question shown with its rating (None: not
    rated); rated ones are stored with the value's words in ``Interview.culture``,
    never in ``ratings``, so culture fit stays out of the competency fit.
    """
    standings.before_changing(assignment)
    ensure_not_erased(assignment)
    name = " ".join((interviewer_name or "").split())
    if not name:
        raise ServiceError("Enter the interviewer's name.", field="interviewer_name")
    if assignment.submitted_at is None:
        raise ServiceError("Interviews are recorded for candidates who completed the assessment.")
    known = {item.scale for item in competency_items(kit)}
    clean = {}
    for scale, value in ratings.items():
        if scale not in known:
            raise ServiceError(f"Unknown competency '{scale}'.")
        if value is not None:
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ServiceError("Ratings go from 1 to 5.")
            clean[scale] = value
    if culture and culture_item(kit) is None:
        raise ServiceError("This interview kit has no culture-fit ratings.")
    fit: list[dict[str, Any]] = []
    for question, value in culture:
        if value is None:
            continue
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ServiceError("Ratings go from 1 to 5.")
        fit.append({"value": question.value, "behaviour": question.behaviour, "rating": value})
    if not clean and not fit:
        raise ServiceError("Rate at least one competency.")
    interview = Interview(
        organisation_id=assignment.organisation_id,
        assignment_id=assignment.id,
        interviewer_name=name[:200],
        instrument_version=kit.version,
        ratings=clean,
        culture=fit or None,
        notes=(notes or "").strip()[:5000],
        created_by_id=actor.id,
    )
    db.session.add(interview)
    db.session.flush()
    engagement = db.session.get(Engagement, assignment.engagement_id)
    assert engagement is not None
    standings.restate(engagement, [assignment.id])
    audit.record(
        actor.organisation_id,
        actor.id,
        "interview.record",
        "assignment",
        assignment.id,
        interviewer=name,
        rated=len(clean),
        culture_rated=len(fit),
    )
    return interview


def interviews_of(assignment: Assignment) -> list[Interview]:
    stmt = (
        select(Interview)
        .where(Interview.assignment_id == assignment.id)
        .order_by(Interview.created_at)
    )
    return list(db.session.scalars(stmt))


#: The candidate assessment's versions, as a recruiter chooses between them.
ASSESSMENT_VERSIONS: dict[int, str] = {
    1: "Version 1: agree/disagree (standard)",
    2: "Version 2: forced choice with faking checks (pilot)",
}


def set_assessment_version(actor: User, engagement: Engagement, version: int) -> None:
    """Choose the assessment new invitations get; candidates already invited keep theirs
    and each is scored with their own version, on the same fit scale."""
    shipped = questionnaires.versions(standings.CANDIDATE_INSTRUMENT)
    if version not in shipped or version not in ASSESSMENT_VERSIONS:
        raise ServiceError(
            f"Choose one of the assessment versions: {', '.join(map(str, shipped))}.",
            field="version",
        )
    engagement.candidate_version = version
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "engagement.assessment_version",
        "engagement",
        engagement.id,
        version=version,
    )


def set_interview_weight(actor: User, engagement: Engagement, percent: int) -> None:
    if not 0 <= percent <= 100:
        raise ServiceError(
            "The interview weight is a percentage from 0 to 100.", field="interview_weight"
        )
    engagement.interview_weight = percent / 100.0
    db.session.flush()
    standings.restate(engagement)
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
    """Every candidate of the engagement with status, fit and scale scores, as stored."""
    instrument = standings.candidate_instrument()
    scales = [s.key for s in instrument.scales]
    version = profiles.current_version(engagement)
    profile_label = f"v{version.version}" if version else ""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "name",
            "email",
            "status",
            "submitted_at",
            "score",
            "score_low",
            "score_high",
            "band",
            "rank",
            "score_source",
            "assessment_fit",
            "assessment_fit_low",
            "assessment_fit_high",
            "fit_reliability",
            "interview",
            "profile_version",
            "norm_group",
            "quality_flag",
            *[s.name for s in instrument.scales],
            *[f"{s.name} percentile" for s in instrument.scales],
        ]
    )
    stmt = (
        select(Assignment, CandidateStanding, NormGroup.number)
        .outerjoin(CandidateStanding, CandidateStanding.assignment_id == Assignment.id)
        .outerjoin(NormGroup, NormGroup.id == CandidateStanding.norm_group_id)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
        .order_by(Assignment.id)
    )
    found = db.session.execute(stmt).all()
    ranks = standings.ranks(engagement, [a.score for a, _, _ in found])
    for (a, standing, group_number), position in zip(found, ranks, strict=True):
        stored = standing.scales if standing is not None else {}
        writer.writerow(
            [
                safe_cell(a.name),
                safe_cell(a.email),
                a.status,
                a.submitted_at.isoformat() if a.submitted_at else "",
                _fmt(a.score),
                _fmt(standing and standing.score_low),
                _fmt(standing and standing.score_high),
                (standing and standing.band) or "",
                position if position is not None else "",
                (standing and standing.score_source) or "",
                _fmt(standing and standing.fit),
                _fmt(standing and standing.fit_low),
                _fmt(standing and standing.fit_high),
                _fmt(standing and standing.fit_reliability, 2),
                _fmt(standing and standing.interview),
                profile_label if standing else "",
                group_number or "",
                "yes" if a.is_flagged else "",
                *[_fmt((stored.get(s) or {}).get("pomp")) for s in scales],
                *[_fmt((stored.get(s) or {}).get("percentile")) for s in scales],
            ]
        )
    audit.record_after_response(
        actor.organisation_id, actor.id, "export.csv", "engagement", engagement.id
    )
    return out.getvalue()


def _fmt(value: Any, decimals: int = 0) -> str:
    """A stored figure as the pages print it (it was rounded once, when stored)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{decimals}f}"
