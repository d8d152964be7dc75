"""Readiness survey rounds: opening, collection links, anonymous respondents, live counts.

Respondents are anonymous by construction: a collection link is signed for
a *survey* (not a person), opening it creates an ``Assignment`` with no name
or e-mail, and nothing about the request (address, browser) is written
anywhere.  The only description of a respondent is the segment they choose
(level, department, region).  Counts shown to staff follow the same rule as
results: a department × level count below the survey's minimum is never
shown, nor one that would let it be recovered from a published total.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, Engagement, Survey, User, utcnow
from assessor.services import audit
from assessor.services.errors import NotFoundError, ServiceError
from assessor.services.tenancy import get_owned
from questionnaires import Instrument

INSTRUMENT_KEY = "readiness"
#: A collection link signs (survey id, nonce[, level]) under this purpose only.
COLLECTION_SALT = "assessor.survey-collection.v1"
#: The resume cookie signs (survey id, assignment id, nonce) under this purpose only.
COOKIE_SALT = "assessor.survey-resume.v1"
COOKIE_PATH = "/s/"
DEFAULT_K = 5
MAX_K = 50
MAX_TARGET = 100_000
#: A closing date may lie at most this far ahead.
MAX_CLOSING_DAYS = 366
#: How long a respondent may come back to an unfinished response when no closing date is set.
DEFAULT_RESPONSE_DAYS = 60
SEGMENTS: tuple[str, ...] = ("level", "department", "region")


class SurveyLinkError(ServiceError):
    """A collection link that cannot be used; ``reason`` is ``invalid`` or ``closed``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# ----------------------------------------------------------------- instrument


def instrument_of(survey: Survey) -> Instrument:
    """The exact instrument version the round collects (old rounds keep theirs)."""
    return questionnaires.load(survey.instrument_key, survey.instrument_version)


def segment_options(instrument: Instrument) -> dict[str, list[tuple[str, str]]]:
    """Segment name → [(option key, label)] in questionnaire order (level, department, …)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for item in instrument.items:
        if item.segment:
            out[item.segment] = [(o.key, o.text) for o in item.options]
    return out


def level_keys() -> list[str]:
    """The levels of the current readiness instrument (targets and per-level links)."""
    return [key for key, _ in segment_options(questionnaires.latest(INSTRUMENT_KEY))["level"]]


# --------------------------------------------------------------- validation


def _closing_datetime(closes_on: date | None) -> datetime | None:
    """End of the chosen day (UTC); the round accepts answers through that whole day."""
    if closes_on is None:
        return None
    today = utcnow().date()
    if closes_on < today:
        raise ServiceError(
            "The closing date is in the past. Choose today or a later date.", field="closes_on"
        )
    if closes_on > today + timedelta(days=MAX_CLOSING_DAYS):
        raise ServiceError(
            f"Choose a closing date within {MAX_CLOSING_DAYS} days.", field="closes_on"
        )
    return datetime.combine(closes_on, time(23, 59, 59), tzinfo=UTC)


def _clean_targets(targets: Mapping[str, Any]) -> dict[str, int]:
    known = set(level_keys())
    clean: dict[str, int] = {}
    for level, raw in targets.items():
        if level not in known:
            raise ServiceError(f"Unknown level {level!r}.", field="targets")
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ServiceError("Targets must be whole numbers.", field=f"target_{level}") from None
        if value < 0:
            raise ServiceError("A target cannot be negative.", field=f"target_{level}")
        if value > MAX_TARGET:
            raise ServiceError(
                f"Keep each target at or below {MAX_TARGET:,}.", field=f"target_{level}"
            )
        if value:
            clean[level] = value
    return clean


def _clean_title(title: str, number: int) -> str:
    # Control characters (a NUL breaks PostgreSQL text) have no place in a title.
    title = " ".join("".join(c for c in (title or "") if c.isprintable() or c.isspace()).split())
    if len(title) > 200:
        raise ServiceError("Keep the title under 200 characters.", field="title")
    return title or f"Readiness survey, round {number}"


# ---------------------------------------------------------------- rounds


def list_rounds(engagement: Engagement) -> list[Survey]:
    """The engagement's rounds, first round first."""
    stmt = (
        select(Survey)
        .where(
            Survey.engagement_id == engagement.id,
            Survey.organisation_id == engagement.organisation_id,
        )
        .order_by(Survey.round)
    )
    return list(db.session.scalars(stmt))


def get_round(organisation_id: int, engagement: Engagement, survey_id: object) -> Survey:
    """A round of this engagement owned by this organisation; 404 otherwise."""
    survey = get_owned(Survey, survey_id, organisation_id)
    if survey.engagement_id != engagement.id:
        raise NotFoundError("No such survey round in this engagement.")
    return survey


def previous_round(survey: Survey) -> Survey | None:
    """The round just before this one in the same engagement, if any."""
    stmt = (
        select(Survey)
        .where(Survey.engagement_id == survey.engagement_id, Survey.round < survey.round)
        .order_by(Survey.round.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def open_round(
    actor: User,
    engagement: Engagement,
    *,
    title: str = "",
    closes_on: date | None = None,
    targets: Mapping[str, Any] | None = None,
    min_cell: int = DEFAULT_K,
) -> Survey:
    """Open the next round; only one round of an engagement collects answers at a time."""
    if not DEFAULT_K <= int(min_cell) <= MAX_K:
        raise ServiceError(
            f"The anonymity minimum must be between {DEFAULT_K} and {MAX_K} respondents.",
            field="min_cell",
        )
    rounds = list_rounds(engagement)
    still_open = [s for s in rounds if accepting(s)]
    if still_open:
        raise ServiceError(
            f"Round {still_open[0].round} is still collecting answers. Close it before "
            "opening the next round."
        )
    number = (rounds[-1].round + 1) if rounds else 1
    instrument = questionnaires.latest(INSTRUMENT_KEY)
    survey = Survey(
        organisation_id=engagement.organisation_id,
        engagement_id=engagement.id,
        round=number,
        title=_clean_title(title, number),
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        instrument_hash=instrument.content_hash,
        token_nonce=secrets.token_hex(16),
        status="open",
        closes_at=_closing_datetime(closes_on),
        targets=_clean_targets(targets or {}),
        min_cell=int(min_cell),
        created_by_id=actor.id,
    )
    db.session.add(survey)
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "survey.open", "survey", survey.id, round=number)
    return survey


def update_round(
    actor: User,
    survey: Survey,
    *,
    title: str | None = None,
    closes_on: date | None = None,
    targets: Mapping[str, Any] | None = None,
) -> Survey:
    """Change the title, closing date or targets; unfinished responses follow the new date."""
    if title is not None:
        survey.title = _clean_title(title, survey.round)
    survey.closes_at = _closing_datetime(closes_on)
    if targets is not None:
        survey.targets = _clean_targets(targets)
    if survey.status == "open":
        _set_unfinished_expiry(survey, _response_expiry(survey))
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "survey.update", "survey", survey.id)
    return survey


def close_round(actor: User, survey: Survey) -> Survey:
    """Stop collecting: the link and every unfinished response stop working at once."""
    if survey.status == "closed":
        raise ServiceError("This round is already closed.")
    survey.status = "closed"
    survey.closed_at = utcnow()
    _set_unfinished_expiry(survey, survey.closed_at)
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "survey.close", "survey", survey.id)
    return survey


def reopen_round(actor: User, survey: Survey) -> Survey:
    """Collect again with the same links; unfinished responses can be completed."""
    if survey.status != "closed" and accepting(survey):
        raise ServiceError("This round is already open.")
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise ServiceError(
            "The closing date has passed. Set a later closing date (or none) to reopen."
        )
    others = [s for s in list_rounds_of(survey) if s.id != survey.id and accepting(s)]
    if others:
        raise ServiceError(
            f"Round {others[0].round} is collecting answers; close it before reopening this one."
        )
    survey.status = "open"
    survey.closed_at = None
    _set_unfinished_expiry(survey, _response_expiry(survey))
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "survey.reopen", "survey", survey.id)
    return survey


def list_rounds_of(survey: Survey) -> list[Survey]:
    stmt = select(Survey).where(Survey.engagement_id == survey.engagement_id)
    return list(db.session.scalars(stmt))


def rotate_links(actor: User, survey: Survey) -> Survey:
    """New collection links; the old ones stop working (started responses continue)."""
    survey.token_nonce = secrets.token_hex(16)
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "survey.rotate_links", "survey", survey.id)
    return survey


def accepting(survey: Survey) -> bool:
    """Whether the round takes new answers now (open and before its closing date)."""
    return survey.status == "open" and (survey.closes_at is None or survey.closes_at > utcnow())


def state_label(survey: Survey) -> str:
    if survey.status == "closed":
        return "closed"
    if not accepting(survey):
        return "ended"
    return "open"


def _response_expiry(survey: Survey) -> datetime:
    if survey.closes_at is not None:
        return survey.closes_at
    return utcnow() + timedelta(days=DEFAULT_RESPONSE_DAYS)


def _set_unfinished_expiry(survey: Survey, when: datetime) -> None:
    db.session.execute(
        update(Assignment)
        .where(Assignment.survey_id == survey.id, Assignment.submitted_at.is_(None))
        .values(expires_at=when)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------- collection links


def _collection_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=COLLECTION_SALT)


def collection_token(survey: Survey, level: str | None = None) -> str:
    """The token of the round's collection link; with ``level`` the level is preset."""
    payload: list[Any] = [survey.id, survey.token_nonce]
    if level is not None:
        if level not in level_keys():
            raise ServiceError(f"Unknown level {level!r}.")
        payload.append(level)
    return _collection_serializer().dumps(payload)


def resolve_collection(token: str) -> tuple[Survey, str | None]:
    """The round and preset level a collection link opens, or SurveyLinkError saying why not."""
    try:
        payload = _collection_serializer().loads(token)
    except BadSignature:
        payload = None
    if (
        not isinstance(payload, list)
        or len(payload) not in (2, 3)
        or not isinstance(payload[0], int)
    ):
        raise SurveyLinkError(
            "invalid", "This survey link is not valid. Check it was copied whole."
        )
    survey = db.session.get(Survey, payload[0])
    if survey is None or not secrets.compare_digest(str(payload[1]), survey.token_nonce):
        raise SurveyLinkError(
            "invalid", "This survey link is not valid any more. Ask the sender for the new link."
        )
    level = payload[2] if len(payload) == 3 else None
    if level is not None and level not in dict(segment_options(instrument_of(survey))["level"]):
        level = None
    return survey, level


def check_accepting(survey: Survey) -> None:
    if not accepting(survey):
        raise SurveyLinkError(
            "closed",
            "This survey is closed and no longer takes answers. Thank you for your interest.",
        )


def start_response(survey: Survey, segment: Mapping[str, str] | None = None) -> Assignment:
    """A new anonymous response: no name, no e-mail, consent given on the survey's own page.

    ``segment`` presets what the link already knows (a level link's level, an
    invitation list's level / department / region); the respondent can correct it.
    """
    check_accepting(survey)
    preset = {k: v for k, v in (segment or {}).items() if k in SEGMENTS and v}
    now = utcnow()
    assignment = Assignment(
        organisation_id=survey.organisation_id,
        engagement_id=survey.engagement_id,
        survey_id=survey.id,
        kind="respondent",
        instrument_key=survey.instrument_key,
        instrument_version=survey.instrument_version,
        instrument_hash=survey.instrument_hash,
        name=None,
        email=None,
        status="invited",
        token_nonce=secrets.token_hex(16),
        expires_at=_response_expiry(survey),
        segment=preset or None,
        consented_at=now,
        created_at=now,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


# ------------------------------------------------------------ resume cookie


def _cookie_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=COOKIE_SALT)


def cookie_name(survey: Survey) -> str:
    return f"survey_{survey.id}"


def cookie_value(assignment: Assignment) -> str:
    """Signed (survey id, assignment id, nonce): which response this browser started, no more."""
    return _cookie_serializer().dumps([assignment.survey_id, assignment.id, assignment.token_nonce])


def cookie_max_age(survey: Survey) -> int:
    end = survey.closes_at or (utcnow() + timedelta(days=DEFAULT_RESPONSE_DAYS))
    return max(60, int((end - utcnow()).total_seconds()) + 86400)


def response_from_cookie(survey: Survey, value: str | None) -> Assignment | None:
    """The response this browser started in this round, if the cookie is genuine."""
    if not value:
        return None
    try:
        payload = _cookie_serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(payload, list) or len(payload) != 3 or payload[0] != survey.id:
        return None
    assignment = db.session.get(Assignment, payload[1]) if isinstance(payload[1], int) else None
    if (
        assignment is None
        or assignment.survey_id != survey.id
        or not secrets.compare_digest(str(payload[2]), assignment.token_nonce)
    ):
        return None
    return assignment


# ------------------------------------------------------------------ counts


@dataclass(frozen=True)
class LevelCount:
    key: str
    label: str
    submitted: int
    target: int | None

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return min(100, round(100 * self.submitted / self.target))


@dataclass(frozen=True)
class ResponseCounts:
    """Live counts of one round; department × level cells below k are None (never shown)."""

    k: int
    started: int
    submitted: int
    levels: tuple[LevelCount, ...]
    level_unknown: int
    departments: tuple[tuple[str, str], ...]
    #: level key → department key → count, or None where suppressed
    grid: Mapping[str, Mapping[str, int | None]]
    department_totals: Mapping[str, int | None]

    @property
    def in_progress(self) -> int:
        return self.started - self.submitted

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "started": self.started,
            "submitted": self.submitted,
            "in_progress": self.in_progress,
            "levels": [
                {"level": c.key, "submitted": c.submitted, "target": c.target} for c in self.levels
            ],
            "level_not_given": self.level_unknown,
            "department_by_level": {lv: dict(row) for lv, row in self.grid.items()},
            "departments": dict(self.department_totals),
        }


def suppress_counts(
    grid: Sequence[Sequence[int]], row_totals_shown: bool, col_totals: Sequence[int], k: int
) -> tuple[list[list[bool]], list[bool]]:
    """Which cells (and column totals) of a count table to hide.

    Primary: any count from 1 to k − 1.  Complementary: where a published
    total covers exactly one hidden non-zero cell, the smallest other
    non-zero cell is hidden too, so no hidden count is a subtraction away.
    Zero cells stay visible (an empty cell describes nobody).
    """
    rows = len(grid)
    cols = len(col_totals)
    hide = [[0 < grid[r][c] < k for c in range(cols)] for r in range(rows)]
    hide_col = [0 < t < k for t in col_totals]
    changed = True
    while changed:
        changed = False
        lines: list[list[tuple[int, int]]] = []
        if row_totals_shown:
            lines += [[(r, c) for c in range(cols)] for r in range(rows)]
        lines += [[(r, c) for r in range(rows)] for c in range(cols) if not hide_col[c]]
        for line in lines:
            present = [(r, c) for r, c in line if grid[r][c] > 0]
            hidden = [p for p in present if hide[p[0]][p[1]]]
            shown = [p for p in present if not hide[p[0]][p[1]]]
            if len(hidden) == 1 and shown:
                r, c = min(shown, key=lambda p: grid[p[0]][p[1]])
                hide[r][c] = True
                changed = True
        # the column totals themselves add up to the (published) grand total
        present_cols = [c for c in range(cols) if col_totals[c] > 0]
        hidden_cols = [c for c in present_cols if hide_col[c]]
        shown_cols = [c for c in present_cols if not hide_col[c]]
        if len(hidden_cols) == 1 and shown_cols:
            hide_col[min(shown_cols, key=lambda c: col_totals[c])] = True
            changed = True
    return hide, hide_col


def response_counts(survey: Survey) -> ResponseCounts:
    """Started and submitted responses, by level and (suppressed) by department × level."""
    instrument = instrument_of(survey)
    options = segment_options(instrument)
    levels = options.get("level", [])
    departments = options.get("department", [])
    stmt = select(Assignment.segment, Assignment.submitted_at).where(
        Assignment.survey_id == survey.id
    )
    started = 0
    by_level: Counter[str] = Counter()
    by_cell: Counter[tuple[str, str]] = Counter()
    unknown = 0
    for segment, submitted_at in db.session.execute(stmt):
        started += 1
        if submitted_at is None:
            continue
        seg = segment or {}
        level = seg.get("level")
        if level is None:
            unknown += 1
            continue
        by_level[level] += 1
        if seg.get("department") is not None:
            by_cell[(level, seg["department"])] += 1
    submitted = sum(by_level.values()) + unknown
    k = survey.min_cell
    level_keys_ = [key for key, _ in levels]
    dept_keys = [key for key, _ in departments]
    raw = [[by_cell[(lv, dp)] for dp in dept_keys] for lv in level_keys_]
    col_totals = [sum(raw[r][c] for r in range(len(level_keys_))) for c in range(len(dept_keys))]
    hide, hide_col = suppress_counts(raw, True, col_totals, k)
    grid = {
        lv: {dp: (None if hide[r][c] else raw[r][c]) for c, dp in enumerate(dept_keys)}
        for r, lv in enumerate(level_keys_)
    }
    totals = {dp: (None if hide_col[c] else col_totals[c]) for c, dp in enumerate(dept_keys)}
    targets = survey.targets or {}
    return ResponseCounts(
        k=k,
        started=started,
        submitted=submitted,
        levels=tuple(
            LevelCount(key, label, by_level[key], int(targets[key]) if key in targets else None)
            for key, label in levels
        ),
        level_unknown=unknown,
        departments=tuple(departments),
        grid=grid,
        department_totals=totals,
    )


def submitted_counts(surveys: Sequence[Survey]) -> dict[int, tuple[int, int]]:
    """Survey id → (started, submitted), for a list of rounds, in one query."""
    if not surveys:
        return {}
    stmt = (
        select(
            Assignment.survey_id,
            func.count(Assignment.id),
            func.count(Assignment.submitted_at),
        )
        .where(Assignment.survey_id.in_([s.id for s in surveys]))
        .group_by(Assignment.survey_id)
    )
    out = {s.id: (0, 0) for s in surveys}
    for survey_id, started, submitted in db.session.execute(stmt):
        out[int(survey_id)] = (int(started), int(submitted))
    return out
