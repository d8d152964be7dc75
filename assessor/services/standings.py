"""Stored standings: each candidate's fit, band, percentiles and rank inputs, in the database.

The dashboard, the candidate page, the PDF and the exports read what is stored
here, so a read never recomputes a pool and every place shows the same
figures. Each change stores what it moves, in its own transaction:

- a candidate is invited, starts, moves, is revoked or re-issued:
  :func:`candidate_changed` (the counts by status);
- a result is stored (submission) or erased: :func:`result_changed` (their
  standing, and the norm when due);
- an interview is recorded: :func:`restate` with the candidate's id;
- the role profile or the interview weight changes: :func:`restate` (everyone).

Rank is not stored per candidate (one new score would move thousands): it is
1 + the number of candidates with a higher stored score, read from the
engagement's counts per score (:func:`ranks`). Percentiles and bands compare with the
engagement's norm (``EngagementNorm``), which is rebuilt from every result
when the number of scored candidates has moved by :data:`NORM_REFRESH_SHARE`
since it was built, so at every submission while a pool is small and about
once per 2,500 submissions at 50,000.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Collection
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, insert, select, true, update

import questionnaires
import scoring
from assessor.extensions import db
from assessor.models import (
    STATUSES,
    Assignment,
    CandidateStanding,
    Engagement,
    EngagementNorm,
    Interview,
    Result,
    utcnow,
)
from assessor.services import profiles
from questionnaires import Instrument
from scoring import faking
from scoring.fit import compute_fit, fit_band, interview_to_pomp
from scoring.profiles import SCALE_CLUSTER
from scoring.reliability import DEFAULT_POMP_SD, DEFAULT_RELIABILITY, Z90

CANDIDATE_INSTRUMENT = "cco_candidate"
#: The norm is rebuilt once the number of scored candidates differs from the norm's
#: by this share of it (and by at least one).
NORM_REFRESH_SHARE = 0.05
#: How many of a candidate's highest competencies the listing names.
TOP_STRENGTHS = 3
#: Every stored figure is rounded once, here, to what the pages show.
DECIMALS = 1
#: Keys of ``Engagement.candidate_counts`` besides the statuses.
COUNT_KEYS = ("all", "flagged", "ranked")


def candidate_instrument() -> Instrument:
    return questionnaires.latest(CANDIDATE_INSTRUMENT)


def candidate_changed(assignment: Assignment) -> None:
    """Count again when ``assignment`` is a candidate (board members and readiness
    respondents are not listed)."""
    if assignment.kind == "candidate":
        recount(assignment.engagement_id)


def lock(engagement_id: int) -> None:
    """Changes to an engagement's standings and counts go one at a time (on PostgreSQL;
    SQLite's writers always do): each counts and computes from what the one before
    stored. A service that changes a candidate's row takes it first
    (:func:`before_changing`), so that every transaction takes the engagement before
    any candidate, and none waits for another in a circle."""
    # FOR NO KEY UPDATE: exclusive among these changes, yet no wait for the key-share
    # locks that inserting a row referring to the engagement takes
    db.session.execute(
        select(Engagement.id).where(Engagement.id == engagement_id).with_for_update(key_share=True)
    )


def before_changing(assignment: Assignment) -> None:
    """Take the engagement before changing a candidate's row (see :func:`lock`)."""
    if assignment.kind == "candidate":
        lock(assignment.engagement_id)


def recount(engagement_id: int) -> None:
    """Count the engagement's candidates by status (and flagged, ranked) again."""
    lock(engagement_id)
    _recount(engagement_id)


def _recount(engagement_id: int) -> None:
    candidates = (Assignment.engagement_id == engagement_id, Assignment.kind == "candidate")
    # two counts, each read off one of the listing's indexes without touching a row
    by_status = (
        select(Assignment.status, Assignment.is_scored, func.count())
        .where(*candidates)
        .group_by(Assignment.status, Assignment.is_scored)
    )
    counts = dict.fromkeys((*STATUSES, *COUNT_KEYS), 0)
    for status, scored, n in db.session.execute(by_status):
        counts[status] = counts.get(status, 0) + n
        counts["all"] += n
        counts["ranked"] += n if scored else 0
    counts["flagged"] = db.session.scalar(
        select(func.count()).where(*candidates, Assignment.is_flagged == true())
    )
    db.session.execute(
        update(Engagement).where(Engagement.id == engagement_id).values(candidate_counts=counts)
    )


def result_changed(assignment: Assignment) -> None:
    """A candidate's result was stored or erased: their standing, and the norm when due."""
    if assignment.kind != "candidate":
        return
    lock(assignment.engagement_id)
    engagement = db.session.get(Engagement, assignment.engagement_id)
    assert engagement is not None
    if _norm_is_due(engagement.id):
        _build_norm(engagement)
        _restate(engagement, None)
    else:
        _restate(engagement, [assignment.id])


def rebuild(engagement: Engagement) -> None:
    """Build the norm from every stored result, then restate every candidate."""
    lock(engagement.id)
    _build_norm(engagement)
    _restate(engagement, None)


def restate(engagement: Engagement, assignment_ids: Collection[int] | None = None) -> None:
    """Compute and store the standings of these candidates (every candidate when None)."""
    lock(engagement.id)
    _restate(engagement, assignment_ids)


def _restate(engagement: Engagement, assignment_ids: Collection[int] | None) -> None:
    """:func:`restate` under the engagement's lock, which the caller holds."""
    instrument = candidate_instrument()
    scale_keys = scoring.compile_key(instrument).scales
    chosen = and_(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
    if assignment_ids is not None:
        chosen = and_(chosen, Assignment.id.in_(list(assignment_ids)))
    # only the figures a standing needs, taken out of each result by the database
    scored = (
        select(
            Result.assignment_id,
            Result.data[("quality", "flagged")].as_boolean(),
            Result.data[("quality", "reasons")],
            Assignment.score,
            Assignment.is_scored,
            Assignment.is_flagged,
            *_pomp_columns(scale_keys),
            *_se_columns(scale_keys),
        )
        .join(Assignment, Assignment.id == Result.assignment_id)
        .where(chosen)
        .order_by(Result.assignment_id)
    )
    rows = db.session.execute(scored).all()
    db.session.execute(
        delete(CandidateStanding).where(
            CandidateStanding.assignment_id.in_(select(Assignment.id).where(chosen))
        )
    )
    has_result = select(Result.id).where(Result.assignment_id == Assignment.id).exists()
    db.session.execute(
        update(Assignment)
        .where(chosen, Assignment.is_scored | Assignment.is_flagged, ~has_result)
        .values(score=None, is_scored=False, is_flagged=False)
        .execution_options(synchronize_session=False)
    )
    if rows:
        standings, scores = _standings(engagement, scale_keys, rows)
        db.session.execute(insert(CandidateStanding), standings)
        if scores:
            db.session.execute(update(Assignment), scores)  # by primary key, one batch
    _count_scores(engagement.id)
    db.session.expire_all()  # objects in the session see the stored scores
    _recount(engagement.id)


def _standings(
    engagement: Engagement, scale_keys: tuple[str, ...], rows: list[Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The standing rows of the scored ``rows``, and the assignments' score columns
    that change."""
    ids = [row[0] for row in rows]
    n_scales = len(scale_keys)
    stored_figures = np.array([row[6:] for row in rows], dtype=float)
    stored_figures = stored_figures.reshape(len(rows), 2 * n_scales)
    pomp, own_se = stored_figures[:, :n_scales], stored_figures[:, n_scales:]
    norm = db.session.get(EngagementNorm, engagement.id)
    # a candidate's own standard error where their version measures one (v2's model-based
    # SE), else the scale's SEM from the pool or the documented default
    sem = np.where(np.isnan(own_se), np.array([_sem(norm, k) for k in scale_keys]), own_se)
    low = np.clip(pomp - Z90 * sem, 0.0, 100.0)
    high = np.clip(pomp + Z90 * sem, 0.0, 100.0)
    percentile, norm_n = _percentiles(norm, scale_keys, pomp)
    version, profile = profiles.current_profile(engagement)
    n = len(rows)
    fit_value = fit_low = fit_high = score = [None] * n
    band: list[str | None] = [None] * n
    source: list[str | None] = [None] * n
    meets = [False] * n
    failed: list[list[str]] = [[] for _ in range(n)]
    if profile is not None:
        means = _interview_means(ids)
        fit = compute_fit(
            pomp,
            scale_keys,
            profile,
            sem=sem,
            scale_clusters=SCALE_CLUSTER,
            ids=[str(i) for i in ids],
            interview=np.array([means.get(i, np.nan) for i in ids]),
            interview_weight=engagement.interview_weight,
        )
        fit_value, fit_low, fit_high, score = (
            _rounded(a) for a in (fit.fit, fit.fit_low, fit.fit_high, fit.score)
        )
        # the band of the figure shown, so that 64.96 shown as 65.0 is a good fit
        band = [str(b) or None for b in fit_band(np.array(fit_value, dtype=float))]
        source = list(fit.score_source)
        meets = fit.meets_minima.tolist()
        failed = [list(f) for f in fit.failed_minima]
    figures = {
        "pomp": _rounded(pomp),
        "low": _rounded(low),
        "high": _rounded(high),
        "percentile": _rounded(percentile),
    }
    top = np.argsort(-np.nan_to_num(pomp, nan=-1.0), axis=1, kind="stable")[:, :TOP_STRENGTHS]
    now = utcnow()
    standings: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    discrepancy = _discrepancies(ids, scale_keys, pomp)
    for i, (assignment_id, flagged, reasons, *stored) in enumerate(rows):
        stored = stored[:3]
        if discrepancy[i] is not None:
            flagged, reasons = True, [*(reasons or []), discrepancy[i]]
        standings.append(
            {
                "assignment_id": assignment_id,
                "engagement_id": engagement.id,
                "profile_version_id": version.id if version is not None else None,
                "fit": fit_value[i],
                "fit_low": fit_low[i],
                "fit_high": fit_high[i],
                "band": band[i],
                "score_source": source[i],
                "meets_minima": meets[i],
                "failed_minima": failed[i],
                "top": [scale_keys[s] for s in top[i] if not np.isnan(pomp[i, s])],
                "quality_reasons": list(reasons or []),
                "scales": {
                    key: {name: values[i][s] for name, values in figures.items()}
                    for s, key in enumerate(scale_keys)
                },
                "norm_n": norm_n,
                "computed_at": now,
            }
        )
        new = (score[i], score[i] is not None, bool(flagged))
        if tuple(stored) != new:  # unchanged rows are not written again
            scores.append(
                {"id": assignment_id, "score": new[0], "is_scored": new[1], "is_flagged": new[2]}
            )
    return standings, scores


def _se_columns(scale_keys: tuple[str, ...]) -> list[Any]:
    """Each scale's own standard error of a stored result, where its version measures one
    (NULL for version 1, whose bands come from the pool's SEM)."""
    return [Result.data[("scales", key, "se")].as_float() for key in scale_keys]


def _pomp_columns(scale_keys: tuple[str, ...]) -> list[Any]:
    """Each scale's POMP score of a stored result, as a column (NULL where there were
    too few answers): extracted by the database, far cheaper than decoding results."""
    return [Result.data[("scales", key, "pomp")].as_float() for key in scale_keys]


def _rounded(values: Any) -> list[Any]:
    """The one rounding of stored figures (to what the pages show); NaN becomes None."""
    rounded = np.round(np.asarray(values, dtype=float), DECIMALS)
    shown = rounded.astype(object)
    shown[np.isnan(rounded)] = None
    return shown.tolist()


def default_sem() -> float:
    """SEM implied by the documented default reliability and SD (too few to estimate)."""
    return float(DEFAULT_POMP_SD * np.sqrt(1 - DEFAULT_RELIABILITY))


def _sem(norm: EngagementNorm | None, scale: str) -> float:
    if norm is None or scale not in norm.data:
        return default_sem()
    return float(norm.data[scale]["sem"])


def _percentiles(
    norm: EngagementNorm | None, scale_keys: tuple[str, ...], pomp: np.ndarray
) -> tuple[np.ndarray, int]:
    """Percentile ranks of ``pomp`` in the norm (NaN where its scale's norm is too small)."""
    if norm is None:
        return np.full(pomp.shape, np.nan), 0
    columns = [
        np.repeat(
            np.asarray((norm.data.get(s) or {}).get("values", []), dtype=float),
            np.asarray((norm.data.get(s) or {}).get("counts", []), dtype=int),
        )
        for s in scale_keys
    ]
    size = max((len(c) for c in columns), default=0)
    if size == 0:
        return np.full(pomp.shape, np.nan), 0
    sample = np.full((size, len(scale_keys)), np.nan)
    for s, column in enumerate(columns):
        sample[: len(column), s] = column
    norms = scoring.norm_scores(pomp, norm=sample)
    usable_n = norms.norm_n[norms.usable]
    return norms.percentile, int(usable_n.max()) if usable_n.size else 0


def _interview_by_scale(assignment_ids: list[int], scale_keys: tuple[str, ...]) -> np.ndarray:
    """Each candidate's mean interview rating per competency on the 0-100 metric
    (NaN where no interviewer rated it), for the self-versus-interview check."""
    column = {key: s for s, key in enumerate(scale_keys)}
    row = {assignment_id: r for r, assignment_id in enumerate(assignment_ids)}
    sums = np.zeros((len(assignment_ids), len(scale_keys)))
    counts = np.zeros_like(sums)
    stmt = select(Interview.assignment_id, Interview.ratings).where(
        Interview.assignment_id.in_(assignment_ids)
    )
    for assignment_id, given in db.session.execute(stmt):
        for scale, value in (given or {}).items():
            if value is not None and scale in column:
                sums[row[assignment_id], column[scale]] += float(value)
                counts[row[assignment_id], column[scale]] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    return interview_to_pomp(means)


def _discrepancies(
    ids: list[int], scale_keys: tuple[str, ...], pomp: np.ndarray
) -> list[str | None]:
    """Per candidate, the reason when the self-description is rosier than what the
    interviewers saw (``faking.self_interview_discrepancy``), else None."""
    evidence = faking.self_interview_discrepancy(
        np.clip(pomp, 0.0, 100.0), _interview_by_scale(ids, scale_keys)
    )
    return [
        (
            f"Self-report above the interview ratings: {float(evidence.value[i]):.0f} points "
            f"higher on average over {int(evidence.n_items[i])} competencies (flagged above "
            f"{faking.MAX_DISCREPANCY:.0f})"
        )
        if evidence.flagged[i]
        else None
        for i in range(len(ids))
    ]


def _interview_means(assignment_ids: list[int]) -> dict[int, float]:
    """Mean interview rating (1–5) per candidate over all interviewers and competencies."""
    ratings: dict[int, list[float]] = {}
    stmt = select(Interview.assignment_id, Interview.ratings).where(
        Interview.assignment_id.in_(assignment_ids)
    )
    for assignment_id, given in db.session.execute(stmt):
        values = [float(v) for v in (given or {}).values() if v is not None]
        if values:
            ratings.setdefault(assignment_id, []).extend(values)
    return {k: float(np.mean(v)) for k, v in ratings.items()}


def _scored_count(engagement_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Result)
            .join(Assignment, Assignment.id == Result.assignment_id)
            .where(Assignment.engagement_id == engagement_id, Assignment.kind == "candidate")
        )
        or 0
    )


def _norm_is_due(engagement_id: int) -> bool:
    norm = db.session.get(EngagementNorm, engagement_id)
    if norm is None:
        return True
    moved = abs(_scored_count(engagement_id) - norm.n)
    return moved >= max(1, math.ceil(NORM_REFRESH_SHARE * norm.n))


def _build_norm(engagement: Engagement) -> EngagementNorm:
    """The engagement's norm from every stored candidate result (scores as stored).

    Reliability (and so the SEM behind every band) pools only the answers given
    to the current instrument version; too few gives the documented default.
    The caller holds the engagement's lock.
    """
    instrument = candidate_instrument()
    key = scoring.compile_key(instrument)
    stmt = (
        select(Result.instrument_hash, Result.data["matrix"], *_pomp_columns(key.scales))
        .join(Assignment, Assignment.id == Result.assignment_id)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
    )
    pomp_rows: list[Any] = []
    item_rows: list[list[Any]] = []
    for instrument_hash, matrix, *pomp_row in db.session.execute(stmt):
        pomp_rows.append(pomp_row)
        if instrument_hash == instrument.content_hash and len(matrix) == len(key.columns):
            item_rows.append(matrix)
    pomp = np.array(pomp_rows, dtype=float).reshape(len(pomp_rows), len(key.scales))
    reliability: dict[str, scoring.Reliability] = {}
    if len(item_rows) >= 2:
        reliability = scoring.scale_reliability(key, np.array(item_rows, dtype=float))
    data: dict[str, Any] = {}
    for s, scale in enumerate(key.scales):
        column = pomp[:, s]
        values, counts = np.unique(column[~np.isnan(column)], return_counts=True)
        data[scale] = {
            "sem": float(reliability[scale].sem) if scale in reliability else default_sem(),
            "values": values.tolist(),
            "counts": counts.tolist(),
        }
    norm = db.session.get(EngagementNorm, engagement.id)
    if norm is None:
        norm = EngagementNorm(engagement_id=engagement.id, n=len(pomp_rows), data=data)
        db.session.add(norm)
    else:
        norm.n, norm.data, norm.built_at = len(pomp_rows), data, utcnow()
    db.session.flush()
    return norm


def backfill() -> int:
    """Store standings for engagements scored before they were stored (after an upgrade)."""
    stmt = (
        select(Engagement)
        .where(
            select(Result.id)
            .join(Assignment, Assignment.id == Result.assignment_id)
            .where(Assignment.engagement_id == Engagement.id, Assignment.kind == "candidate")
            .exists(),
            ~select(EngagementNorm.engagement_id)
            .where(EngagementNorm.engagement_id == Engagement.id)
            .exists(),
        )
        .order_by(Engagement.id)
    )
    engagements = list(db.session.scalars(stmt))
    for engagement in engagements:
        rebuild(engagement)
    return len(engagements)


def ranks(engagement: Engagement, scores: list[float | None]) -> list[int | None]:
    """The rank of each stored score: 1 + the engagement's candidates scored higher
    (ties share a rank), read from the stored counts per score."""
    counts = engagement.score_counts or []
    above: list[float] = []  # scores, highest first, negated for bisect
    before: list[int] = [0]  # candidates above each of them
    for score, n in counts:
        above.append(-score)
        before.append(before[-1] + n)
    return [None if score is None else 1 + before[bisect_left(above, -score)] for score in scores]


def rank_of(engagement: Engagement, assignment: Assignment) -> int | None:
    return ranks(engagement, [assignment.score])[0]


def _count_scores(engagement_id: int) -> None:
    """Store how many candidates have each score (the ranks are read from it)."""
    stmt = (
        select(Assignment.score, func.count())
        .where(
            Assignment.engagement_id == engagement_id,
            Assignment.kind == "candidate",
            Assignment.is_scored == true(),
        )
        .group_by(Assignment.score)
        .order_by(Assignment.score.desc())
    )
    counts = [[float(score), int(n)] for score, n in db.session.execute(stmt)]
    db.session.execute(
        update(Engagement).where(Engagement.id == engagement_id).values(score_counts=counts)
    )
