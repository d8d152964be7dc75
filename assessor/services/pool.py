"""The candidate pool of an engagement as arrays: fit, ranks, bands, percentiles.

Everything is computed for the whole pool at once with the scoring package
(pool statistics need the pool anyway), then cached under the engagement's
candidates revision (``services.revisions``) until a result, interview,
profile or the interview weight changes. A fixed number of queries builds
it, however many candidates there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import select

import questionnaires
import scoring
import scoring.reliability
from assessor.extensions import db
from assessor.models import Assignment, Engagement, Interview, Result
from assessor.services import profiles, revisions
from questionnaires import Instrument
from scoring.fit import FitResult, compute_fit
from scoring.profiles import SCALE_CLUSTER, RoleProfile

CANDIDATE_INSTRUMENT = "cco_candidate"


@dataclass(frozen=True)
class ProfileVersionInfo:
    """The profile version a ranking used (plain data: pools outlive sessions)."""

    id: int
    version: int
    source: str


@dataclass
class CandidatePool:
    """Row-aligned arrays over the engagement's scored candidates."""

    engagement_id: int
    instrument: Instrument
    profile_version: ProfileVersionInfo | None
    profile: RoleProfile | None
    ids: list[int]
    scale_keys: tuple[str, ...]
    pomp: np.ndarray  # n × s
    low: np.ndarray  # n × s, 90% band
    high: np.ndarray
    sem: np.ndarray  # s
    reliability: dict[str, scoring.Reliability]
    norms: scoring.NormScores
    fit: FitResult | None
    quality_flagged: np.ndarray  # n bool
    quality_reasons: list[list[str]]
    interview_counts: dict[int, int] = field(default_factory=dict)
    _row: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._row = {aid: i for i, aid in enumerate(self.ids)}

    @property
    def n(self) -> int:
        return len(self.ids)

    def row(self, assignment_id: int) -> int | None:
        return self._row.get(assignment_id)

    @cached_property
    def fit_by_id(self) -> dict[int, float]:
        """Assignment id → fit score, for the candidates that have one (built once per pool)."""
        if self.fit is None:
            return {}
        scores = self.fit.score
        return {
            aid: float(scores[i]) for i, aid in enumerate(self.ids) if not math.isnan(scores[i])
        }

    @cached_property
    def flagged_ids(self) -> frozenset[int]:
        """Ids of the candidates with response-quality flags (built once per pool)."""
        return frozenset(self.ids[i] for i in np.flatnonzero(self.quality_flagged))

    def summary(self, assignment_id: int) -> dict[str, Any] | None:
        """Fit, band, rank and top strengths of one candidate (None if not scored)."""
        i = self.row(assignment_id)
        if i is None:
            return None
        fit = self.fit
        scores = self.pomp[i]
        order = [s for s in np.argsort(-np.nan_to_num(scores, nan=-1.0)) if not np.isnan(scores[s])]
        top = [self.instrument.scale(self.scale_keys[s]).name for s in order[:3]]
        return {
            "fit": None if fit is None or np.isnan(fit.score[i]) else float(fit.score[i]),
            "fit_low": None if fit is None or np.isnan(fit.fit_low[i]) else float(fit.fit_low[i]),
            "fit_high": None
            if fit is None or np.isnan(fit.fit_high[i])
            else float(fit.fit_high[i]),
            "band": fit.band[i] if fit is not None else None,
            "rank": int(fit.rank[i]) if fit is not None else None,
            "source": fit.score_source[i] if fit is not None else None,
            "failed_minima": list(fit.failed_minima[i]) if fit is not None else [],
            "top": top,
            "flagged": bool(self.quality_flagged[i]),
            "reasons": self.quality_reasons[i],
        }


_POOLS = revisions.RevisionCache(size=32)


def candidate_pool(engagement: Engagement) -> CandidatePool:
    """The engagement's pool, from the cache while its candidates have not changed."""
    key = (engagement.id, engagement.candidates_revision)
    return _POOLS.get_or_build(key, lambda: build_pool(engagement))


def _interview_means(engagement: Engagement) -> tuple[dict[int, float], dict[int, int]]:
    """Mean rating (1–5) per candidate over all interviewers and competencies."""
    stmt = (
        select(Interview.assignment_id, Interview.ratings)
        .join(Assignment, Assignment.id == Interview.assignment_id)
        .where(Assignment.engagement_id == engagement.id)
    )
    sums: dict[int, list[float]] = {}
    counts: dict[int, int] = {}
    for assignment_id, ratings in db.session.execute(stmt):
        values = [float(v) for v in (ratings or {}).values() if v is not None]
        counts[assignment_id] = counts.get(assignment_id, 0) + 1
        if values:
            sums.setdefault(assignment_id, []).extend(values)
    return {k: float(np.mean(v)) for k, v in sums.items()}, counts


def build_pool(engagement: Engagement) -> CandidatePool:
    """Compute the pool from the stored results (scores as stored at submission)."""
    instrument = questionnaires.latest(CANDIDATE_INSTRUMENT)
    key = scoring.compile_key(instrument)
    scale_keys = key.scales
    stmt = (
        select(Result.assignment_id, Result.data, Result.instrument_hash)
        .join(Assignment, Assignment.id == Result.assignment_id)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
        .order_by(Result.assignment_id)
    )
    ids: list[int] = []
    pomp_rows: list[list[Any]] = []
    item_rows: list[list[Any]] = []
    reasons: list[list[str]] = []
    flagged: list[bool] = []
    n_columns = len(key.columns)
    for assignment_id, data, instrument_hash in db.session.execute(stmt):
        ids.append(assignment_id)
        stored = data.get("scales") or {}
        pomp_rows.append([(stored.get(s) or {}).get("pomp") for s in scale_keys])
        # Item statistics only pool answers given to the current version.
        if instrument_hash == instrument.content_hash and len(data["matrix"]) == n_columns:
            item_rows.append(data["matrix"])
        quality = data.get("quality") or {}
        flagged.append(bool(quality.get("flagged")))
        reasons.append(list(quality.get("reasons") or []))
    # One conversion for the whole pool: numpy turns None (a missing score) into NaN.
    pomp = np.array(pomp_rows, dtype=float).reshape(len(ids), len(scale_keys))
    reliability: dict[str, scoring.Reliability] = {}
    if len(item_rows) >= 2:
        reliability = scoring.scale_reliability(key, np.array(item_rows, dtype=float))
    sem = np.array([reliability[s].sem if s in reliability else _default_sem() for s in scale_keys])
    half = scoring.reliability.Z90 * sem
    low = np.clip(pomp - half, 0.0, 100.0)
    high = np.clip(pomp + half, 0.0, 100.0)
    norms = scoring.norm_scores(pomp, scales=scale_keys)
    version_row, profile = profiles.current_profile(engagement)
    version = (
        ProfileVersionInfo(version_row.id, version_row.version, version_row.source)
        if version_row
        else None
    )
    interview_mean, interview_counts = _interview_means(engagement)
    fit = None
    if profile is not None and ids:
        interview = np.array([interview_mean.get(i, np.nan) for i in ids])
        fit = compute_fit(
            pomp,
            scale_keys,
            profile,
            sem=sem,
            scale_clusters=SCALE_CLUSTER,
            ids=[str(i) for i in ids],
            interview=interview,
            interview_weight=engagement.interview_weight,
        )
    return CandidatePool(
        engagement_id=engagement.id,
        instrument=instrument,
        profile_version=version,
        profile=profile,
        ids=ids,
        scale_keys=scale_keys,
        pomp=pomp,
        low=low,
        high=high,
        sem=sem,
        reliability=reliability,
        norms=norms,
        fit=fit,
        quality_flagged=np.array(flagged, dtype=bool),
        quality_reasons=reasons,
        interview_counts=interview_counts,
    )


def _default_sem() -> float:
    """SEM implied by the documented default reliability and SD (too few to estimate)."""
    from scoring.reliability import DEFAULT_POMP_SD, DEFAULT_RELIABILITY

    return float(DEFAULT_POMP_SD * np.sqrt(1 - DEFAULT_RELIABILITY))
