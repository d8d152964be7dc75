"""Candidate-to-role fit: weighted cluster scores, must-haves, ranking, interview blend.

The fit is compensatory (a weighted mean of cluster scores) and is reported
with a confidence band because every scale score carries measurement error;
the must-have minima are a separate, non-compensatory screen.  The ranking
and the interview blend never hide which rows lack data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError
from scoring.profiles import SCALE_CLUSTER, RoleProfile

#: (lower bound, label), checked from the top: strong >= 80, good >= 65, partial >= 50.
FIT_BANDS: tuple[tuple[float, str], ...] = (
    (80.0, "strong fit"),
    (65.0, "good fit"),
    (50.0, "partial fit"),
    (0.0, "weak fit"),
)
DEFAULT_INTERVIEW_WEIGHT = 0.4
RANKINGS = ("competition", "dense")
_TIE_DECIMALS = 6


def fit_band(score: ArrayLike) -> np.ndarray:
    """Band label per score ('' for missing)."""
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, "", dtype=object)
    done = np.isnan(s)
    for lower, label in FIT_BANDS:
        hit = ~done & (s >= lower)
        out[hit] = label
        done |= hit
    return out


def interview_to_pomp(ratings: ArrayLike) -> np.ndarray:
    """Map interview ratings 1..5 to 0..100 by 25·(r − 1); NaN stays NaN."""
    r = np.asarray(ratings, dtype=float)
    ok = ~np.isnan(r)
    if np.any((r[ok] < 1) | (r[ok] > 5)):
        raise ScoringError("interview ratings must lie in 1..5")
    return 25.0 * (r - 1.0)


def rank(values: ArrayLike, method: str = "competition") -> np.ndarray:
    """Rank 1 = highest; ties share a rank; missing (NaN) rank after every present value.

    ``competition`` ("1224"): rank = 1 + number of strictly higher values.
    ``dense`` ("1223"): rank = 1 + number of distinct higher values.
    Values are compared after rounding to 6 decimals so floating-point noise
    does not break ties.  All missing rows share the rank after the last
    present one.
    """
    if method not in RANKINGS:
        raise ScoringError(f"unknown ranking {method!r}; use one of {RANKINGS}")
    v = np.round(np.asarray(values, dtype=float), _TIE_DECIMALS)
    if v.ndim != 1:
        raise ScoringError("rank takes a 1-d array")
    ok = ~np.isnan(v)
    present = v[ok]
    out = np.empty(v.shape, dtype=int)
    if method == "competition":
        srt = np.sort(present)
        out[ok] = len(present) - np.searchsorted(srt, present, side="right") + 1
        out[~ok] = len(present) + 1
    else:
        uniq = np.unique(present)  # ascending
        out[ok] = len(uniq) - np.searchsorted(uniq, present, side="left")
        out[~ok] = len(uniq) + 1
    return out


@dataclass(frozen=True)
class FitResult:
    """Fit of a pool of candidates to one role profile (arrays are row-aligned)."""

    profile: RoleProfile
    ids: tuple[str, ...]
    cluster_keys: tuple[str, ...]
    cluster_scores: np.ndarray  # n × c, NaN where a cluster has no scale score
    fit: np.ndarray  # n, 0..100; NaN when a weighted cluster is missing
    fit_se: np.ndarray  # n; NaN without SEMs
    fit_low: np.ndarray
    fit_high: np.ndarray
    confidence: float
    band: tuple[str, ...]
    minima_keys: tuple[str, ...]
    gaps: np.ndarray  # n × m, minimum − observed (positive = shortfall), NaN if unobserved
    failed_minima: tuple[tuple[str, ...], ...]
    unknown_minima: tuple[tuple[str, ...], ...]
    interview: np.ndarray  # n, 0..100 or NaN
    interview_weight: float
    score: np.ndarray  # blended where an interview exists, else the fit
    score_source: tuple[str, ...]  # "blended" | "test_only" | "missing"
    rank: np.ndarray
    ranking: str

    @property
    def meets_minima(self) -> np.ndarray:
        """True where every must-have is observed and met."""
        return np.array(
            [not f and not u for f, u in zip(self.failed_minima, self.unknown_minima, strict=True)],
            dtype=bool,
        )

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        rows = []
        for i, cid in enumerate(self.ids):
            rows.append(
                {
                    "id": cid,
                    "clusters": {
                        c: num(self.cluster_scores[i, k]) for k, c in enumerate(self.cluster_keys)
                    },
                    "fit": num(self.fit[i]),
                    "fit_se": num(self.fit_se[i]),
                    "fit_low": num(self.fit_low[i]),
                    "fit_high": num(self.fit_high[i]),
                    "band": self.band[i] or None,
                    "gaps": {m: num(self.gaps[i, k]) for k, m in enumerate(self.minima_keys)},
                    "failed_minima": list(self.failed_minima[i]),
                    "unknown_minima": list(self.unknown_minima[i]),
                    "meets_minima": bool(self.meets_minima[i]),
                    "interview": num(self.interview[i]),
                    "score": num(self.score[i]),
                    "score_source": self.score_source[i],
                    "rank": int(self.rank[i]),
                }
            )
        return {
            "profile": self.profile.to_dict(),
            "confidence": self.confidence,
            "interview_weight": self.interview_weight,
            "ranking": self.ranking,
            "candidates": rows,
        }


def _as_matrix(x: ArrayLike, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"{name} must be numeric: {exc}") from exc
    return a


def compute_fit(
    pomp: ArrayLike,
    scale_keys: Sequence[str],
    profile: RoleProfile,
    sem: ArrayLike | None = None,
    scale_clusters: Mapping[str, str] = SCALE_CLUSTER,
    ids: Sequence[str] | None = None,
    interview: ArrayLike | None = None,
    interview_weight: float = DEFAULT_INTERVIEW_WEIGHT,
    confidence: float = 0.90,
    ranking: str = "competition",
) -> FitResult:
    """Fit of n candidates (POMP scale scores n × s) to ``profile``.

    cluster_c = mean of the cluster's observed scales; fit = Σ w_c·cluster_c.
    With SEMs (per scale, or n × s) and independent errors:
    var(cluster_c) = Σ SEM²/m², var(fit) = Σ w_c² var(cluster_c); the band is
    fit ± z·SE clipped to [0, 100].  A cluster with positive weight and no
    observed scale leaves the fit missing (ranked last) rather than guessed.
    """
    x = _as_matrix(pomp, "pomp")
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ScoringError(f"pomp must be n × s, got shape {x.shape}")
    n, s = x.shape
    keys = tuple(scale_keys)
    if len(keys) != s:
        raise ScoringError(f"{len(keys)} scale keys for {s} columns of scores")
    if n == 0:
        raise ScoringError("no candidates to score")
    if np.any(np.isinf(x)) or np.any((x < 0) | (x > 100)):
        raise ScoringError("POMP scale scores must lie in [0, 100] (NaN for missing)")
    if not 0 < confidence < 1:
        raise ScoringError("confidence must lie strictly between 0 and 1")
    if not 0 <= interview_weight <= 1:
        raise ScoringError("interview_weight must lie in [0, 1]")
    if ranking not in RANKINGS:
        raise ScoringError(f"unknown ranking {ranking!r}; use one of {RANKINGS}")
    if ids is None:
        ids = tuple(str(i) for i in range(n))
    ids = tuple(str(i) for i in ids)
    if len(ids) != n:
        raise ScoringError(f"{len(ids)} ids for {n} candidates")

    # scale -> cluster membership matrix (s × c)
    cluster_keys = tuple(c for c in profile.weights)
    member = np.zeros((s, len(cluster_keys)))
    col = {c: k for k, c in enumerate(cluster_keys)}
    for j, key in enumerate(keys):
        c = scale_clusters.get(key)
        if c is not None and c in col:
            member[j, col[c]] = 1.0
    w = profile.weight_vector(cluster_keys)
    lacking = [
        c for c, wc in zip(cluster_keys, w, strict=True) if wc > 0 and not member[:, col[c]].any()
    ]
    if lacking:
        raise ScoringError(f"no scale maps to weighted cluster(s) {lacking}")

    seen = ~np.isnan(x)
    x0 = np.where(seen, x, 0.0)
    m = seen.astype(float) @ member  # observed scales per cluster, n × c
    with np.errstate(invalid="ignore", divide="ignore"):
        clusters = np.where(m > 0, (x0 @ member) / np.where(m > 0, m, 1.0), np.nan)
    weighted = w > 0
    complete = ~np.isnan(clusters[:, weighted]).any(axis=1)
    fit = np.where(complete, np.nan_to_num(clusters) @ w, np.nan)

    # error propagation
    if sem is None:
        se = np.full(n, np.nan)
    else:
        e = _as_matrix(sem, "sem")
        if e.shape == (s,):
            e = np.broadcast_to(e, (n, s))
        if e.shape != (n, s):
            raise ScoringError(f"sem must have shape ({s},) or ({n}, {s}), got {e.shape}")
        if np.any(e[seen] < 0) or np.any(np.isnan(e[seen])):
            raise ScoringError("every observed scale score needs a non-negative SEM")
        e2 = np.where(seen, e, 0.0) ** 2
        safe_m = np.where(m > 0, m, 1.0)
        var_c = (e2 @ member) / safe_m**2
        var_fit = np.nan_to_num(var_c) @ (w**2)
        se = np.where(complete, np.sqrt(var_fit), np.nan)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    low = np.clip(fit - z * se, 0, 100)
    high = np.clip(fit + z * se, 0, 100)

    # must-have minima
    mkeys = tuple(profile.minima)
    kidx = {k: j for j, k in enumerate(keys)}
    obs = np.full((n, len(mkeys)), np.nan)
    for q, mk in enumerate(mkeys):
        if mk in kidx:
            obs[:, q] = x[:, kidx[mk]]
    req = np.array([profile.minima[k] for k in mkeys], dtype=float)
    gaps = req[None, :] - obs
    with np.errstate(invalid="ignore"):
        failed = gaps > 0
    unknown = np.isnan(obs)
    failed_t = tuple(tuple(mk for q, mk in enumerate(mkeys) if failed[i, q]) for i in range(n))
    unknown_t = tuple(tuple(mk for q, mk in enumerate(mkeys) if unknown[i, q]) for i in range(n))

    # interview blend
    if interview is None:
        iv = np.full(n, np.nan)
    else:
        iv = interview_to_pomp(interview)
        if iv.shape != (n,):
            raise ScoringError(f"interview ratings must have shape ({n},), got {iv.shape}")
    has_iv = ~np.isnan(iv)
    score = np.where(
        has_iv, (1 - interview_weight) * fit + interview_weight * np.nan_to_num(iv), fit
    )
    source = np.where(np.isnan(fit), "missing", np.where(has_iv, "blended", "test_only"))

    return FitResult(
        profile=profile,
        ids=ids,
        cluster_keys=cluster_keys,
        cluster_scores=clusters,
        fit=fit,
        fit_se=se,
        fit_low=low,
        fit_high=high,
        confidence=confidence,
        band=tuple(str(b) for b in fit_band(fit)),
        minima_keys=mkeys,
        gaps=gaps,
        failed_minima=failed_t,
        unknown_minima=unknown_t,
        interview=iv,
        interview_weight=float(interview_weight),
        score=score,
        score_source=tuple(str(v) for v in source),
        rank=rank(score, ranking),
        ranking=ranking,
    )
