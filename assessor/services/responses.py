"""The participant's side: consent, saving a page of answers, resuming, submitting.

Every page is upserted as soon as it is submitted, so closing the browser
loses at most the page on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

import questionnaires
from assessor.database import insert_for, upsert
from assessor.extensions import db
from assessor.models import Answer, Assignment, PageTiming, utcnow
from assessor.services import standings
from assessor.services.errors import ServiceError
from questionnaires import Instrument, Section
from questionnaires.flow import (
    AnswerError,
    missing_required,
    parse_answer,
    progress,
    visible_items,
    visible_sections,
)

#: A page shown longer than this counts only this much (a tab left open overnight).
MAX_SECONDS_PER_PAGE = 3600.0


class AlreadySubmittedError(ServiceError):
    """A late page or a second submit (double click, second tab): nothing is changed."""

    def __init__(self) -> None:
        super().__init__("This questionnaire has already been submitted.")


@dataclass
class PageResult:
    """What happened when a page was posted: field errors (item key → message) or saved."""

    errors: dict[str, str] = field(default_factory=dict)
    saved: int = 0
    #: Every answer of the participant as stored once the page is saved.
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def instrument_of(assignment: Assignment) -> Instrument:
    """The exact instrument version the participant was invited to."""
    instrument = questionnaires.load(assignment.instrument_key, assignment.instrument_version)
    if instrument.content_hash != assignment.instrument_hash:
        raise ServiceError(
            "The questionnaire definition changed after this invitation was sent; "
            "ask the sender for a new link."
        )
    return instrument


#: A participant's answers, one row each; built once (the id comes as a parameter).
_ANSWERS = select(Answer.item_key, Answer.value).where(
    Answer.assignment_id == bindparam("assignment_id")
)


def answers_of(assignment: Assignment) -> dict[str, Any]:
    """Item key → stored value, segment answers included (they live on the assignment)."""
    rows = db.session.execute(_ANSWERS, {"assignment_id": assignment.id})
    answers: dict[str, Any] = {key: value for key, value in rows}
    if assignment.segment:
        instrument = questionnaires.load(assignment.instrument_key, assignment.instrument_version)
        for item in instrument.items:
            if item.segment and item.segment in assignment.segment:
                answers[item.key] = assignment.segment[item.segment]
    return answers


def consent(assignment: Assignment, *, norms: bool = False) -> None:
    """Record the participant's agreement to take part, and a candidate's separate,
    optional agreement that their scores may be used without their name for norms."""
    if assignment.consented_at is None:
        assignment.consented_at = utcnow()
        if norms and assignment.kind == "candidate":
            assignment.norm_consent_at = assignment.consented_at
        db.session.flush()


def section_by_key(instrument: Instrument, key: str) -> Section | None:
    return next((s for s in instrument.sections if s.key == key), None)


def next_section(
    instrument: Instrument, answers: Mapping[str, Any], after: str | None
) -> Section | None:
    """The next visible section after ``after`` (the first when None)."""
    sections = visible_sections(instrument, answers)
    if after is None:
        return sections[0] if sections else None
    keys = [s.key for s in sections]
    if after in keys:
        index = keys.index(after)
        return sections[index + 1] if index + 1 < len(sections) else None
    order = [s.key for s in instrument.sections]
    position = order.index(after) if after in order else -1
    return next((s for s in sections if order.index(s.key) > position), None)


def previous_section(
    instrument: Instrument, answers: Mapping[str, Any], before: str
) -> Section | None:
    sections = visible_sections(instrument, answers)
    keys = [s.key for s in sections]
    if before in keys and keys.index(before) > 0:
        return sections[keys.index(before) - 1]
    return None


def resume_section(
    instrument: Instrument, assignment: Assignment, answers: Mapping[str, Any]
) -> Section | None:
    """Where a returning participant continues: the first page with a required gap."""
    for section in visible_sections(instrument, answers):
        if missing_required([section], answers):
            return section
    current = assignment.current_section
    if current and section_by_key(instrument, current) is not None:
        return section_by_key(instrument, current)
    return None


def save_page(
    assignment: Assignment,
    section: Section,
    form_data: Mapping[str, Any],
    seconds: float | None,
    *,
    strict: bool,
    stored: Mapping[str, Any] | None = None,
) -> PageResult:
    """Validate and upsert the answers of one page.

    ``form_data`` maps item key → raw submitted value. Valid answers are
    saved even when others on the page are invalid or missing, so nothing
    typed is lost; with ``strict`` missing required items are errors.
    ``stored`` are the answers the caller already read in this transaction;
    they decide which items the conditions show and where the participant
    goes next, never whether a value is written, since another tab may have
    saved since they were read. Every valid answer of the page goes to the
    database, which leaves a row already holding the same value as it was (so
    a page sent again keeps when each was answered); every answer left empty
    or hidden is deleted.
    """
    if assignment.submitted_at is not None:
        raise AlreadySubmittedError()
    stored = answers_of(assignment) if stored is None else stored
    merged = dict(stored)
    result = PageResult()
    parsed: dict[str, Any] = {}
    for item in section.items:
        try:
            parsed[item.key] = parse_answer(item, form_data.get(item.key))
        except AnswerError as exc:
            result.errors[item.key] = str(exc)
            parsed[item.key] = stored.get(item.key)
    merged.update({k: v for k, v in parsed.items()})
    shown = {i.key for i in visible_items(section, merged)}
    now = utcnow()
    _claim_open(assignment, section.key, now)
    if any(item.segment for item in section.items):
        # read again under the claim's row lock: another tab may have saved a segment
        db.session.refresh(assignment, ["segment"])
    segment = dict(assignment.segment or {})
    upserts: list[dict[str, Any]] = []
    removals: list[str] = []
    after = result.answers = dict(stored)
    for item in section.items:
        if item.key in result.errors:
            continue
        value = parsed[item.key] if item.key in shown else None
        if value is None:
            after.pop(item.key, None)
        else:
            after[item.key] = value
        if item.segment:
            # A segment describes the respondent; it is never stored as an answer.
            if value is None:
                segment.pop(item.segment, None)
            else:
                segment[item.segment] = value
                result.saved += 1
            continue
        if value is None:
            removals.append(item.key)
            continue
        result.saved += 1
        upserts.append(
            {
                "assignment_id": assignment.id,
                "section_key": section.key,
                "item_key": item.key,
                "value": value,
                "answered_at": now,
            }
        )
    if removals:
        db.session.execute(
            delete(Answer).where(
                Answer.assignment_id == assignment.id, Answer.item_key.in_(removals)
            )
        )
    # the database leaves a row already holding the value sent as it was
    upsert(
        db.session,
        Answer,
        upserts,
        ("assignment_id", "item_key"),
        {"value": "value", "answered_at": "answered_at", "section_key": "section_key"},
        unless_same="value",
    )
    if strict:
        final = {k: v for k, v in merged.items() if k in shown or k not in parsed}
        for item in missing_required([section], final):
            result.errors.setdefault(item.key, "Answer this question to continue.")
    if segment != (assignment.segment or {}):
        assignment.segment = segment or None
    _record_time(assignment, section.key, seconds)
    db.session.flush()
    db.session.expire(assignment, ["answers"])
    return result


#: Built once; the values come as parameters (see ``_claim_open``).
_CLAIM_OPEN = (
    update(Assignment)
    .where(
        Assignment.id == bindparam("claim_id"),
        Assignment.submitted_at.is_(None),
        Assignment.erased_at.is_(None),
    )
    .values(
        current_section=bindparam("claim_section"),
        started_at=func.coalesce(Assignment.started_at, bindparam("claim_now")),
        status=case((Assignment.status == "invited", "in_progress"), else_=Assignment.status),
    )
    .returning(Assignment.started_at, Assignment.status)
)


def _claim_open(assignment: Assignment, section_key: str, now: Any) -> None:
    """Mark progress only while the questionnaire is open, in one conditional UPDATE.

    The UPDATE also takes the row lock that ``submit`` needs, so a page can
    never be saved into an assessment that was submitted, or erased, in the meantime
    (the caller's row may predate either; the database's row is what counts).
    RETURNING hands back what changed, so nothing is read again.
    """
    was_invited = assignment.status == "invited"
    if was_invited:  # a candidate's first page moves the engagement's counts
        standings.before_changing(assignment)
    claimed = (
        db.session.connection()
        .execute(
            _CLAIM_OPEN,
            {"claim_id": assignment.id, "claim_section": section_key, "claim_now": now},
        )
        .first()
    )
    if claimed is None:
        raise AlreadySubmittedError()
    set_committed_value(assignment, "current_section", section_key)
    set_committed_value(assignment, "started_at", claimed.started_at)
    set_committed_value(assignment, "status", claimed.status)
    if was_invited:
        standings.candidate_changed(assignment)  # listed as in progress now


def _record_time(assignment: Assignment, section_key: str, seconds: float | None) -> None:
    """Add the seconds spent on a page (capped, so a tab left open does not count)."""
    if seconds is None or seconds < 0:
        return
    seconds = min(float(seconds), MAX_SECONDS_PER_PAGE)
    db.session.connection().execute(
        _add_time_statement(db.session.get_bind().dialect.name),
        {
            "assignment_id": assignment.id,
            "section_key": section_key,
            "seconds": seconds,
            "saved_at": utcnow(),
        },
    )


@lru_cache(maxsize=4)
def _add_time_statement(dialect: str) -> Any:
    """The page-timing upsert, built once per dialect (its values come as parameters)."""
    statement = insert_for(dialect, PageTiming)
    total = PageTiming.seconds + statement.excluded.seconds
    return statement.on_conflict_do_update(
        index_elements=["assignment_id", "section_key"],
        set_={
            "seconds": case(
                (total > 4 * MAX_SECONDS_PER_PAGE, 4 * MAX_SECONDS_PER_PAGE), else_=total
            ),
            "saved_at": statement.excluded.saved_at,
        },
    )


def timings_of(assignment: Assignment) -> dict[str, float]:
    stmt = select(PageTiming.section_key, PageTiming.seconds).where(
        PageTiming.assignment_id == assignment.id
    )
    return {key: float(seconds) for key, seconds in db.session.execute(stmt)}


def completion(
    assignment: Assignment, instrument: Instrument, answers: Mapping[str, Any] | None = None
) -> int:
    """Percent of visible items answered (0–100)."""
    answered, total = progress(
        instrument, answers if answers is not None else answers_of(assignment)
    )
    return round(100 * answered / total) if total else 0


def submit(assignment: Assignment) -> list[str]:
    """Close the questionnaire once every required answer is there.

    Returns the keys of missing required items (nothing is changed then).
    Answers to items hidden by conditions are discarded at submission.
    """
    if assignment.submitted_at is not None:
        raise AlreadySubmittedError()
    instrument = instrument_of(assignment)
    # Lock the row before reading the answers: a save from another tab waits, then finds
    # the questionnaire submitted, so nothing it writes escapes the checks below.
    standings.before_changing(assignment)  # the engagement first, as every change does
    db.session.execute(
        select(Assignment.id).where(Assignment.id == assignment.id).with_for_update()
    )
    answers = answers_of(assignment)
    sections = visible_sections(instrument, answers)
    missing = missing_required(sections, answers)
    if missing:
        return [i.key for i in missing]
    shown = {i.key for s in sections for i in visible_items(s, answers)}
    hidden = [k for k in answers if k not in shown]
    if hidden:
        db.session.execute(
            delete(Answer).where(Answer.assignment_id == assignment.id, Answer.item_key.in_(hidden))
        )
    # One atomic transition, so a double-clicked submit or a second tab cannot submit twice.
    claimed = db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.submitted_at.is_(None))
        .values(submitted_at=utcnow(), status="completed")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadySubmittedError()
    db.session.refresh(assignment)
    standings.candidate_changed(assignment)
    return []
