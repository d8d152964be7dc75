"""Stored standings: each candidate's fit, bands, percentiles and rank inputs, in the database.

The dashboard, the candidate page, the PDF and the exports read what is stored
here, so a read never recomputes a pool and every place shows the same
figures: each is computed and rounded once, here (:func:`_rounded`). Each change
stores what it moves, in its own transaction:

- a candidate is invited, starts, moves, is revoked or re-issued:
  :func:`candidate_changed` (the counts by status);
- a result is stored (submission) or erased: :func:`result_changed` (their standing);
- an interview is recorded: :func:`restate` with the candidate's id;
- the role profile, the interview weight or the norm group changes: :func:`restate`
  (everyone).

Rank is not stored per candidate (one new score would move thousands): it is
1 + the number of candidates with a higher stored score, read from the
engagement's counts per score (:func:`ranks`). Percentiles, reliabilities and
bands come from the engagement's norm group for the candidate's assessment
version (``services.norm_groups``), never from the engagement's own pool, and a
candidate who is in the group is compared with the others.
"""

from __future__ import annotations

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
    Interview,
    NormGroup,
    Result,
    utcnow,
)
from assessor.services import norm_groups, profiles
from questionnaires import Instrument
from scoring import faking
from scoring.fit import INTERVIEW_RATING_SEM, compute_fit, fit_band, interview_to_pomp
from scoring.norms import group_standing
from scoring.profiles import SCALE_CLUSTER
from scoring.reliability import DEFAULT_POMP_SD, DEFAULT_RELIABILITY, Z90

CANDIDATE_INSTRUMENT = "cco_candidate"
#: How many of a candidate's highest competencies the listing names.
TOP_STRENGTHS = 3
#: Every stored figure is rounded once, here, to what the pages show: whole points.
DECIMALS = 0
#: Interview ratings run 1..5; r_wg's null ("no agreement") variance is that of a uniform
#: answer over A = 5 points, (A² − 1)/12 = 2 (James, Demaree & Wolf, 1984).
RATING_NULL_VARIANCE = 2.0
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
    _restate(engagement, [assignment.id])


def rebuild(engagement: Engagement) -> None:
    """Restate every candidate of the engagement (after an upgrade or a bulk load)."""
    restate(engagement, None)


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
            Assignment.instrument_version,
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
    n, n_scales = len(rows), len(scale_keys)
    versions = np.array([row[6] for row in rows])
    stored_figures = np.array([row[7:] for row in rows], dtype=float)
    stored_figures = stored_figures.reshape(n, 2 * n_scales)
    pomp, own_se = stored_figures[:, :n_scales], stored_figures[:, n_scales:]
    groups = {int(v): norm_groups.group_for(engagement, int(v)) for v in np.unique(versions)}
    # each scale's SEM: the candidate's own model SE (v2), else the norm group's, else the
    # documented assumption; a one-item scale has none and gets no band of its own
    sem = np.full((n, n_scales), np.nan)
    for version, group in groups.items():
        sem[versions == version] = _group_sems(group, scale_keys)
        sem[np.ix_(versions == version, single_items(version, scale_keys))] = np.nan
    sem = np.where(np.isnan(own_se), sem, own_se)
    has_band = ~np.isnan(sem)
    low = np.where(has_band, np.clip(pomp - Z90 * sem, 0.0, 100.0), np.nan)
    high = np.where(has_band, np.clip(pomp + Z90 * sem, 0.0, 100.0), np.nan)
    placed = _placed(groups, versions, ids, scale_keys, pomp, np.nan_to_num(Z90 * sem))
    ratings, raters, agreement = _interview_ratings(ids, scale_keys)
    version, profile = profiles.current_profile(engagement)
    fit_value = fit_low = fit_high = score = score_low = score_high = [None] * n
    fit_rel = interview = [None] * n
    band: list[str | None] = [None] * n
    source: list[str | None] = [None] * n
    meets = [False] * n
    failed: list[list[str]] = [[] for _ in range(n)]
    if profile is not None:
        figures_by_row: dict[str, np.ndarray] = {}
        for v, group in groups.items():
            rows_v = np.flatnonzero(versions == v)
            rel, sds, corr = _composite_inputs(group, scale_keys)
            fit = compute_fit(
                pomp[rows_v],
                scale_keys,
                profile,
                # a scale without a band of its own (one item) still adds error to the fit:
                # the documented assumption stands in for it there
                sem=np.where(np.isnan(sem[rows_v]), default_sem(), sem[rows_v]),
                scale_clusters=SCALE_CLUSTER,
                ids=[str(ids[i]) for i in rows_v],
                interview=ratings[rows_v],
                interview_se=INTERVIEW_RATING_SEM / np.sqrt(np.maximum(raters[rows_v], 1)),
                interview_weight=engagement.interview_weight,
                reliabilities=rel,
                sds=sds,
                corr=corr,
            )
            for name in (
                "fit", "fit_low", "fit_high", "score", "score_low", "score_high",
                "fit_reliability", "interview",
            ):  # fmt: skip
                column = figures_by_row.setdefault(name, np.full(n, np.nan))
                column[rows_v] = getattr(fit, name)
            meets_v = fit.meets_minima.tolist()  # a property that builds the whole array
            for i, r in enumerate(rows_v):
                source[r] = fit.score_source[i]
                meets[r] = meets_v[i]
                failed[r] = list(fit.failed_minima[i])
        fit_value, fit_low, fit_high, score, score_low, score_high, interview = (
            _rounded(figures_by_row[name])
            for name in ("fit", "fit_low", "fit_high", "score", "score_low", "score_high",
                         "interview")
        )  # fmt: skip
        fit_rel = _rounded(figures_by_row["fit_reliability"], 2)
        # the band of the figure shown, so that 64.6 shown as 65 is a good fit
        band = [str(b) or None for b in fit_band(np.array(score, dtype=float))]
    figures = {
        "pomp": _rounded(pomp),
        "low": _rounded(low),
        "high": _rounded(high),
        "percentile": _rounded(placed["percentile"]),
        "percentile_low": _rounded(placed["low"]),
        "percentile_high": _rounded(placed["high"]),
        "t": _rounded(placed["t"]),
        "sten": _rounded(placed["sten"]),
        "interview": _rounded(interview_to_pomp(ratings)),
        "raters": raters.astype(int).tolist(),
        "agreement": _rounded(agreement, 2),
    }
    top = np.argsort(-np.nan_to_num(pomp, nan=-1.0), axis=1, kind="stable")[:, :TOP_STRENGTHS]
    now = utcnow()
    standings: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    discrepancy = _discrepancies(ids, scale_keys, pomp, ratings)
    for i, (assignment_id, flagged, reasons, *stored) in enumerate(rows):
        stored = stored[:3]
        group = groups[int(versions[i])]
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
                "fit_reliability": fit_rel[i],
                "interview": interview[i],
                "score_low": score_low[i],
                "score_high": score_high[i],
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
                "norm_group_id": group.id if group is not None else None,
                "norm_n": int(placed["n"][i]),
                "computed_at": now,
            }
        )
        new = (score[i], score[i] is not None, bool(flagged))
        if tuple(stored) != new:  # unchanged rows are not written again
            scores.append(
                {"id": assignment_id, "score": new[0], "is_scored": new[1], "is_flagged": new[2]}
            )
    return standings, scores


def single_items(version: int, scale_keys: tuple[str, ...]) -> np.ndarray:
    """Which scales this version measures with one item (no internal consistency, so no
    band of their own)."""
    key = scoring.compile_key(questionnaires.load(CANDIDATE_INSTRUMENT, version))
    counts = key.touches.sum(axis=0)
    return np.array(
        [key.scales.count(k) == 1 and counts[key.scales.index(k)] == 1 for k in scale_keys]
    )


def _group_sems(group: NormGroup | None, scale_keys: tuple[str, ...]) -> np.ndarray:
    """Each scale's SEM from the group's reliability evidence (the assumption without a
    group, or where the group estimated none; one-item scales are the caller's)."""
    out = np.full(len(scale_keys), default_sem())
    if group is None:
        return out
    per_scale = group.data.get("scale", {})
    for s, key in enumerate(scale_keys):
        sem = ((per_scale.get(key) or {}).get("evidence") or {}).get("sem")
        if sem is not None:
            out[s] = float(sem)
    return out


def _composite_inputs(
    group: NormGroup | None, scale_keys: tuple[str, ...]
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The scales' reliabilities, SDs and intercorrelations in the group, for Mosier's
    reliability of the fit (a one-item scale counts with the documented assumption)."""
    if group is None:
        return None, None, None
    per_scale = group.data.get("scale", {})
    order = {key: j for j, key in enumerate(group.data.get("scales", []))}
    rel = np.full(len(scale_keys), np.nan)
    sds = np.full(len(scale_keys), np.nan)
    corr = np.full((len(scale_keys), len(scale_keys)), np.nan)
    stored = np.array(group.data.get("correlations", []), dtype=float)
    for s, key in enumerate(scale_keys):
        evidence = (per_scale.get(key) or {}).get("evidence") or {}
        rel[s] = evidence.get("reliability") or DEFAULT_RELIABILITY
        sds[s] = (per_scale.get(key) or {}).get("sd") or np.nan
        for t, other in enumerate(scale_keys):
            if key in order and other in order and stored.size:
                corr[s, t] = stored[order[key], order[other]]
    return rel, sds, corr


def _placed(
    groups: dict[int, NormGroup | None],
    versions: np.ndarray,
    ids: list[int],
    scale_keys: tuple[str, ...],
    pomp: np.ndarray,
    half_width: np.ndarray,
) -> dict[str, np.ndarray]:
    """Percentile with its interval, normalised T and sten of every score in the group of
    the candidate's version, a member taken out of their own group; NaN without one."""
    shape = pomp.shape
    out = {name: np.full(shape, np.nan) for name in ("percentile", "low", "high", "t", "sten")}
    out["n"] = np.zeros(shape[0], dtype=int)
    present = {v: g for v, g in groups.items() if g is not None}
    own_rows = norm_groups.member_scores([g.id for g in present.values()], ids)
    for version, group in present.items():
        rows_v = np.flatnonzero(versions == version)
        per_scale = group.data.get("scale", {})
        # the scores the group holds for its members among these candidates (NaN elsewhere),
        # in the order of ``scale_keys``
        columns = [
            group.data.get("scales", []).index(k) if k in per_scale else None for k in scale_keys
        ]
        own = np.full((rows_v.size, len(scale_keys)), np.nan)
        for i, r in enumerate(rows_v):
            held = own_rows.get((group.id, ids[r]))
            if held is not None:
                own[i] = [np.nan if c is None or held[c] is None else held[c] for c in columns]
        for s, key in enumerate(scale_keys):
            if key not in per_scale:
                continue
            placed = group_standing(
                pomp[rows_v, s], per_scale[key]["values"], per_scale[key]["counts"],
                half_width=half_width[rows_v, s], own=own[:, s],
            )  # fmt: skip
            for name in ("percentile", "low", "high", "t", "sten"):
                out[name][rows_v, s] = getattr(placed, name)
            out["n"][rows_v] = np.maximum(out["n"][rows_v], placed.n)
    for name in ("percentile", "low", "high"):  # reported as 1st to 99th, everywhere
        out[name] = np.clip(out[name], 1.0, 99.0)
    return out


def _se_columns(scale_keys: tuple[str, ...]) -> list[Any]:
    """Each scale's own standard error of a stored result, where its version measures one
    (NULL for version 1, whose bands come from the pool's SEM)."""
    return [Result.data[("scales", key, "se")].as_float() for key in scale_keys]


def _pomp_columns(scale_keys: tuple[str, ...]) -> list[Any]:
    """Each scale's POMP score of a stored result, as a column (NULL where there were
    too few answers): extracted by the database, far cheaper than decoding results."""
    return [Result.data[("scales", key, "pomp")].as_float() for key in scale_keys]


def _rounded(values: Any, decimals: int = DECIMALS) -> list[Any]:
    """The one rounding of stored figures, to what the pages show, halves up (so 64.5
    is 65 everywhere); NaN becomes None."""
    scale = 10.0**decimals
    rounded = np.floor(np.asarray(values, dtype=float) * scale + 0.5) / scale
    shown = rounded.astype(object)
    shown[np.isnan(rounded)] = None
    return shown.tolist()


def default_sem() -> float:
    """SEM implied by the documented default reliability and SD (too few to estimate)."""
    return float(DEFAULT_POMP_SD * np.sqrt(1 - DEFAULT_RELIABILITY))


def _interview_ratings(
    assignment_ids: list[int], scale_keys: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate and competency: the mean interview rating (1-5, NaN where nobody
    rated it), how many interviewers rated it, and their agreement r_wg (NaN under two
    raters): 1 − s²/σ²_EU, floored at 0."""
    column = {key: s for s, key in enumerate(scale_keys)}
    row = {assignment_id: r for r, assignment_id in enumerate(assignment_ids)}
    sums = np.zeros((len(assignment_ids), len(scale_keys)))
    squares = np.zeros_like(sums)
    counts = np.zeros_like(sums)
    stmt = select(Interview.assignment_id, Interview.ratings).where(
        Interview.assignment_id.in_(assignment_ids)
    )
    for assignment_id, given in db.session.execute(stmt):
        for scale, value in (given or {}).items():
            if value is not None and scale in column:
                sums[row[assignment_id], column[scale]] += float(value)
                squares[row[assignment_id], column[scale]] += float(value) ** 2
                counts[row[assignment_id], column[scale]] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
        variance = np.where(
            counts > 1, (squares - counts * means**2) / np.maximum(counts - 1, 1), np.nan
        )
    agreement = np.where(
        counts > 1, np.clip(1.0 - np.maximum(variance, 0.0) / RATING_NULL_VARIANCE, 0, 1), np.nan
    )
    return means, counts, agreement


def _discrepancies(
    ids: list[int], scale_keys: tuple[str, ...], pomp: np.ndarray, ratings: np.ndarray
) -> list[str | None]:
    """Per candidate, the reason when the self-description is rosier than what the
    interviewers saw (``faking.self_interview_discrepancy``), else None."""
    evidence = faking.self_interview_discrepancy(
        np.clip(pomp, 0.0, 100.0), interview_to_pomp(ratings)
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


def backfill() -> int:
    """Store standings for engagements with scored candidates and none stored (after an
    upgrade, which clears them because they are derived)."""
    stmt = (
        select(Engagement)
        .where(
            select(Result.id)
            .join(Assignment, Assignment.id == Result.assignment_id)
            .where(Assignment.engagement_id == Engagement.id, Assignment.kind == "candidate")
            .exists(),
            ~select(CandidateStanding.assignment_id)
            .where(CandidateStanding.engagement_id == Engagement.id)
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
