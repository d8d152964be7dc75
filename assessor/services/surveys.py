"""Readiness survey rounds: opening, collection, anonymous respondents, live counts.

Respondents are anonymous by construction: a response is created with no name
or e-mail, and nothing about the request (address, browser) is written
anywhere.  The only description of a respondent is their segment (level,
department, region).  A round collects either through personal single-use
invitations (``services.survey_invitations``; nobody can add responses) or
through one open link, which anyone holding it can answer any number of times:
such a round publishes no breakdown unless the consultant turns them on
knowingly.  While a round collects, staff see the total number of responses
and, per segment, only coarsened counts at or above the anonymity minimum;
results exist only as releases (``services.survey_releases``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

import questionnaires
import scoring.readiness
from assessor.extensions import db
from assessor.models import (
    Assignment,
    Engagement,
    Survey,
    SurveyInvitation,
    SurveyRelease,
    User,
    utcnow,
)
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
DEFAULT_K = scoring.readiness.DEFAULT_K
#: The range of the anonymity minimum k; below DEFAULT_K a reason must be given.
MIN_K = scoring.readiness.MIN_K
MAX_K = scoring.readiness.MAX_K
#: Live counts per segment are shown rounded down to a multiple of this (and never below k).
COARSE_STEP = 5
COLLECTIONS: tuple[str, ...] = ("invitation", "open")
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


def _clean_min_cell(min_cell: object, reason: str) -> tuple[int, str]:
    try:
        k = int(str(min_cell))
    except ValueError:
        raise ServiceError(
            "Enter the anonymity minimum as a whole number.", field="min_cell"
        ) from None
    if not MIN_K <= k <= MAX_K:
        raise ServiceError(
            f"The anonymity minimum must be between {MIN_K} and {MAX_K} respondents.",
            field="min_cell",
        )
    reason = " ".join("".join(c for c in (reason or "") if c.isprintable()).split())
    if len(reason) > 500:
        raise ServiceError("Keep the reason under 500 characters.", field="min_cell_reason")
    if k < DEFAULT_K and len(reason) < 10:
        raise ServiceError(
            f"Say why groups smaller than {DEFAULT_K} must be reported (for example, a board "
            "of four members); the reason is kept with the round.",
            field="min_cell_reason",
        )
    return k, (reason if k < DEFAULT_K else "")


def open_round(
    actor: User,
    engagement: Engagement,
    *,
    title: str = "",
    closes_on: date | None = None,
    targets: Mapping[str, Any] | None = None,
    min_cell: int = DEFAULT_K,
    min_cell_reason: str = "",
    collection: str = "invitation",
) -> Survey:
    """Open the next round; only one round of an engagement collects answers at a time."""
    k, reason = _clean_min_cell(min_cell, min_cell_reason)
    if collection not in COLLECTIONS:
        raise ServiceError("Choose how answers are collected.", field="collection")
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
        min_cell=k,
        min_cell_reason=reason,
        collection=collection,
        breakdowns=collection == "invitation",
        created_by_id=actor.id,
    )
    db.session.add(survey)
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "survey.open",
        "survey",
        survey.id,
        round=number,
        collection=collection,
        k=k,
        **({"k_reason": reason} if reason else {}),
    )
    return survey


def set_breakdowns(actor: User, survey: Survey, *, on: bool, understood: bool = False) -> Survey:
    """Turn breakdowns by segment on or off for an open-link round (before its release).

    On an open link anyone can add made-up responses to a small group and subtract
    them again, so turning breakdowns on needs the consultant's explicit
    acknowledgement, and is recorded in the audit log.
    """
    if survey.collection != "open":
        raise ServiceError("Rounds collected by invitation always show breakdowns.")
    if db.session.scalar(
        select(func.count()).select_from(SurveyRelease).where(SurveyRelease.survey_id == survey.id)
    ):
        raise ServiceError("The results are already released; breakdowns can no longer change.")
    if on and not understood:
        raise ServiceError(
            "Tick the box to confirm you understand that on an open link someone can add "
            "made-up responses to a small group and work out a colleague's answers from the "
            "breakdowns.",
            field="understood",
        )
    survey.breakdowns = bool(on)
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "survey.breakdowns_on" if on else "survey.breakdowns_off",
        "survey",
        survey.id,
    )
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
    # The invitation list has served its purpose: nobody's address outlives the round.
    db.session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id)
        .values(email=None)
        .execution_options(synchronize_session=False)
    )
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
    if survey.collection == "open" and db.session.scalar(
        select(func.count()).select_from(SurveyRelease).where(SurveyRelease.survey_id == survey.id)
    ):
        raise ServiceError(
            "The results of this open link are released, and an open link is released only "
            "once. Open a new round to collect more answers."
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
    if survey.collection != "open":
        raise SurveyLinkError(
            "invalid",
            "This survey takes answers through personal invitation links only. Please use "
            "the link in the invitation you received.",
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


def coarsen(count: int, k: int) -> int | None:
    """A live count as shown while a round collects: None below k, else rounded down to a
    multiple of COARSE_STEP (never below k), so that one new response rarely shows."""
    if count < k:
        return None
    return max(k, COARSE_STEP * (count // COARSE_STEP))


@dataclass(frozen=True)
class SegmentCount:
    """One level or department while the round collects: a coarsened count only."""

    key: str
    label: str
    at_least: int | None
    target: int | None

    @property
    def percent(self) -> int | None:
        """Progress towards the target, from the coarsened count (never an exact one)."""
        if not self.target or self.at_least is None:
            return None
        return min(100, round(100 * self.at_least / self.target))


@dataclass(frozen=True)
class LiveCounts:
    """What staff see while a round collects: the exact total, coarsened segments.

    Nothing here is exact per segment, and the segment counts cover only responses
    that will be in the results, so that the ones left out (attention checks,
    unanswered dimensions) are never counted per segment
    (``survey_releases.live_counts``).
    """

    k: int
    submitted: int
    breakdowns: bool
    levels: tuple[SegmentCount, ...]
    departments: tuple[SegmentCount, ...]


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
