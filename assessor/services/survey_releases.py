"""Releases of a readiness round's results: published at points the consultant chooses.

Results are never computed live, because two live readings a few responses
apart give away the newcomers' answers by subtraction.  A release fixes which
submitted responses it covers (``Assignment.release_number``), is planned by
:func:`scoring.disclosure.plan_publication` against every set of respondents
that earlier releases of the round published, and is stored whole: the page,
the CSV, the JSON and the PDF all show the stored release, never a new
computation.

Gates, each with the reason given to the consultant:

* a release needs at least k responses that no earlier release covered, so the
  difference between two releases describes at least k people;
* an open link takes any number of responses (padding), so its results are
  released once, when the round closes, and never again.

Respondents who failed an attention check, or left a dimension unanswered, are
left out of the results and reported as totals only, never per segment.  A
dimension left without a score because its statements were answered "don't
know" is not unanswered: the respondent stays in, that dimension is missing
for them, and their "don't know" answers are counted in every published cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select, update

import scoring
from assessor.extensions import db
from assessor.models import Assignment, Result, Survey, SurveyRelease, User
from assessor.services import audit, surveys
from assessor.services.errors import ServiceError
from scoring.key import VALUE
from scoring.readiness import ReadinessResult, published_sets

#: How many assignment ids go into one ``IN (...)`` when marking a release.
_ID_CHUNK = 5_000


@dataclass(frozen=True)
class Respondent:
    """One submitted response as a release sees it: never more than this leaves here."""

    id: int
    release_number: int | None
    segment: Mapping[str, str]
    included: bool
    failed_attention: bool
    scores: tuple[float, ...]
    items: tuple[float, ...]
    #: per item offering "don't know" (the instrument's ``dont_know_items``): answered so
    dont_know: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Readiness:
    """Whether a release can be made now, and why not; shown on the round page."""

    allowed: bool
    reason: str
    new_included: int
    new_submitted: int


# ------------------------------------------------------------------ reading


def list_releases(survey: Survey) -> list[SurveyRelease]:
    """The round's releases, first first."""
    stmt = select(SurveyRelease).where(SurveyRelease.survey_id == survey.id)
    return list(db.session.scalars(stmt.order_by(SurveyRelease.number)))


def latest(survey: Survey) -> SurveyRelease | None:
    """The round's most recent release, if any."""
    stmt = (
        select(SurveyRelease)
        .where(SurveyRelease.survey_id == survey.id)
        .order_by(SurveyRelease.number.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def get_release(survey: Survey, number: object) -> SurveyRelease | None:
    """Release ``number`` of this round, or None (a bad number is simply not found)."""
    try:
        wanted = int(str(number))
    except ValueError:
        return None
    stmt = select(SurveyRelease).where(
        SurveyRelease.survey_id == survey.id, SurveyRelease.number == wanted
    )
    return db.session.scalar(stmt)


def result_of(release: SurveyRelease) -> ReadinessResult:
    """The stored aggregates of a release, exactly as published."""
    return ReadinessResult.from_dict(release.data["result"])


def respondents(survey: Survey) -> list[Respondent]:
    """The round's submitted responses, with what decides whether each is in the results."""
    instrument = surveys.instrument_of(survey)
    key = scoring.compile_key(instrument)
    dims = instrument.scale_keys
    stmt = (
        select(Assignment.id, Assignment.release_number, Assignment.segment, Result.data)
        .outerjoin(
            Result,
            (Result.assignment_id == Assignment.id)
            & (Result.instrument_hash == survey.instrument_hash),
        )
        .where(
            Assignment.survey_id == survey.id,
            Assignment.kind == "respondent",
            Assignment.submitted_at.is_not(None),
        )
        .order_by(Assignment.id)
    )
    cols = [int(key.item_col[i]) for i in _value_items(key)]
    unknowable = instrument.dont_know_items
    out: list[Respondent] = []
    for assignment_id, release_number, segment, data in db.session.execute(stmt):
        scored = data is not None and isinstance(data.get("matrix"), list)
        scores: tuple[float, ...] = ()
        items: tuple[float, ...] = ()
        unknown: tuple[bool, ...] = tuple(False for _ in unknowable)
        attentive = True
        if scored:
            row = np.array([np.nan if v is None else v for v in data["matrix"]], dtype=float)
            attentive = bool(passed_attention(key, row[None, :])[0])
            scores = tuple(
                np.nan if (v := (data["scales"].get(d) or {}).get("pomp")) is None else float(v)
                for d in dims
            )
            items = tuple(float(row[c]) for c in cols)
            said = set(data.get("dont_know") or ())
            unknown = tuple(item.key in said for item in unknowable)
        # a dimension is unanswered unless "don't know" explains its missing score
        explained = {item.scale for item, dk in zip(unknowable, unknown, strict=True) if dk}
        complete = bool(scores) and not any(
            np.isnan(s) and d not in explained for d, s in zip(dims, scores, strict=True)
        )
        complete = complete and not all(np.isnan(s) for s in scores)
        out.append(
            Respondent(
                id=int(assignment_id),
                release_number=release_number,
                segment={
                    name: str(value)
                    for name, value in (segment or {}).items()
                    if name in surveys.SEGMENTS and value
                },
                included=attentive and complete,
                failed_attention=not attentive,
                scores=scores,
                items=items,
                dont_know=unknown,
            )
        )
    return out


def _value_items(key: scoring.ScoringKey) -> list[int]:
    """The scored items whose raw 1..A answers feed r_wg (value items of a dimension)."""
    return [i for i in range(key.n_scored) if key.item_kind[i] == VALUE and key.item_scale[i] >= 0]


def passed_attention(key: scoring.ScoringKey, matrix: np.ndarray) -> np.ndarray:
    """True for respondents who answered every attention check they saw as expected."""
    if not len(key.attention_cols):
        return np.ones(matrix.shape[0], dtype=bool)
    answers = matrix[:, key.attention_cols]
    wrong = ~np.isnan(answers) & (answers != key.attention_expected)
    return ~wrong.any(axis=1)


# ------------------------------------------------------------- live counts


def live_counts(survey: Survey, people: Sequence[Respondent] | None = None) -> surveys.LiveCounts:
    """The round's responses while it collects: the exact total of submitted responses,
    and per level and department only coarsened counts of those in the results."""
    options = surveys.segment_options(surveys.instrument_of(survey))
    people = respondents(survey) if people is None else people
    k = survey.min_cell
    targets = survey.targets or {}
    show = bool(survey.breakdowns)

    def counts(name: str, with_targets: bool) -> tuple[surveys.SegmentCount, ...]:
        if not show:
            return ()
        tally = Counter(p.segment.get(name) for p in people if p.included)
        return tuple(
            surveys.SegmentCount(
                key,
                label,
                surveys.coarsen(tally[key], k),
                int(targets[key]) if with_targets and key in targets else None,
            )
            for key, label in options.get(name, [])
        )

    return surveys.LiveCounts(
        k=k,
        submitted=len(people),
        breakdowns=show,
        levels=counts("level", True),
        departments=counts("department", False),
    )


# ------------------------------------------------------------------ gating


def check(survey: Survey, people: Sequence[Respondent] | None = None) -> Readiness:
    """Whether a release may be made now; the reason is written for the consultant."""
    people = respondents(survey) if people is None else people
    new = [p for p in people if p.release_number is None]
    new_included = sum(p.included for p in new)
    k = survey.min_cell
    earlier = latest(survey)
    if survey.collection == "open" and earlier is not None:
        return Readiness(
            False,
            "The results of an open link are released once. Anyone holding the link can add "
            "responses, so a second release could be compared with the first to single out "
            "the newcomers. Open a new round to measure again.",
            new_included,
            len(new),
        )
    if survey.collection == "open" and survey.status != "closed":
        return Readiness(
            False,
            "The results of an open link are released when the round closes, once: anyone "
            "holding the link can add responses, so results released while it still takes "
            "answers could be compared with later ones.",
            new_included,
            len(new),
        )
    if new_included < k:
        since = f"since release {earlier.number}" if earlier is not None else "so far"
        return Readiness(
            False,
            f"{_responses(new_included)} {since} can go into the results; a release needs at "
            f"least {k} (the anonymity minimum), so that nobody's answers can be worked out "
            "by comparing it with what was published before.",
            new_included,
            len(new),
        )
    return Readiness(True, "", new_included, len(new))


def _responses(n: int) -> str:
    return "No response" if n == 0 else ("1 response" if n == 1 else f"{n} responses")


# ------------------------------------------------------------------ release


def release(actor: User | None, survey: Survey, *, final: bool = False) -> SurveyRelease:
    """Publish the round's results as they stand; ServiceError says why not."""
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    people = respondents(survey)
    gate = check(survey, people)
    if not gate.allowed:
        raise ServiceError(gate.reason)
    earlier = list_releases(survey)
    number = (earlier[-1].number + 1) if earlier else 1
    new_ids = [p.id for p in people if p.release_number is None]
    for start in range(0, len(new_ids), _ID_CHUNK):
        db.session.execute(
            update(Assignment)
            .where(Assignment.id.in_(new_ids[start : start + _ID_CHUNK]))
            .values(release_number=number)
            .execution_options(synchronize_session=False)
        )
    covered = [
        p if p.release_number is not None else replace(p, release_number=number) for p in people
    ]
    result = _aggregate(survey, covered, earlier)
    excluded_attention = sum(p.failed_attention for p in covered)
    record = SurveyRelease(
        organisation_id=survey.organisation_id,
        survey_id=survey.id,
        number=number,
        submitted=len(covered),
        included=sum(p.included for p in covered),
        data={
            "result": result.to_dict(),
            "breakdowns": bool(survey.breakdowns),
            "excluded": {
                "attention": excluded_attention,
                "incomplete": sum(not p.included and not p.failed_attention for p in covered),
            },
        },
        is_final=final,
        released_by_id=actor.id if actor is not None else None,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        survey.organisation_id,
        actor.id if actor is not None else None,
        "survey.release",
        "survey",
        survey.id,
        release=number,
        responses=record.included,
    )
    return record


def _aggregate(
    survey: Survey, covered: Sequence[Respondent], earlier: Sequence[SurveyRelease]
) -> ReadinessResult:
    """This release's result, planned against the sets every earlier release published
    (rebuilt from their stored results over today's respondents)."""
    instrument = surveys.instrument_of(survey)
    key = scoring.compile_key(instrument)
    dims = instrument.scale_keys
    people = [p for p in covered if p.included]
    scores = np.array([p.scores for p in people], dtype=float).reshape(len(people), len(dims))
    items = np.array([p.items for p in people], dtype=float)
    value_items = _value_items(key)
    item_dims = [key.scales[int(key.item_scale[i])] for i in value_items]
    points = {int(key.item_points[i]) for i in value_items} or {5}
    segments: dict[str, list[str | None]] = {}
    if survey.breakdowns:
        segments = {name: [p.segment.get(name) for p in people] for name in surveys.SEGMENTS}
    covered_by = np.array([p.release_number for p in people], dtype=int)
    known = [
        published_sets(result_of(release), segments, covered_by <= release.number)
        for release in earlier
    ]
    unknowable = instrument.dont_know_items
    unknown = None
    if unknowable:
        unknown = np.array([p.dont_know for p in people], dtype=bool)
        unknown = unknown.reshape(len(people), len(unknowable))
    return scoring.aggregate_readiness(
        scores,
        segments,
        dimensions=dims,
        k=survey.min_cell,
        item_responses=items.reshape(len(people), len(item_dims)),
        item_dimensions=item_dims,
        response_options=max(points),
        earlier=np.vstack(known) if known else np.zeros((0, len(people)), dtype=bool),
        dont_know=unknown,
        dont_know_items=[item.key for item in unknowable] if unknowable else None,
        dont_know_dimensions=[str(item.scale) for item in unknowable] if unknowable else None,
    )


# --------------------------------------------------------------- closing


@dataclass(frozen=True)
class Closed:
    """What closing did: the final release, or why there is none."""

    release: SurveyRelease | None
    reason: str


def close(actor: User, survey: Survey) -> Closed:
    """Close the round and publish its final release when the gates allow one."""
    surveys.close_round(actor, survey)
    gate = check(survey)
    if not gate.allowed:
        if latest(survey) is None and gate.new_included == 0:
            return Closed(None, "No response can go into the results, so nothing is released.")
        return Closed(None, gate.reason)
    return Closed(release(actor, survey, final=True), "")


def backfill() -> int:
    """Give closed rounds collected before releases existed their one release."""
    stmt = select(Survey).where(Survey.status == "closed")
    made = 0
    for survey in db.session.scalars(stmt):
        if latest(survey) is None and check(survey).allowed:
            release(None, survey, final=True)
            made += 1
    return made
