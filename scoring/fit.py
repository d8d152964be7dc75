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
#: Inter-rater reliability of one rating in a highly structured interview (Conway, Jako &
#: Goodman, 1995, J. Applied Psychology 80, 565-579: about .67), assumed for every rating.
INTERVIEW_RATER_RELIABILITY = 0.67
#: SD of interview ratings on the 0..100 metric assumed with it: one rating point.
INTERVIEW_RATING_SD = 25.0
#: Standard error of one interviewer's rating of one competency (0..100 metric); the mean
#: of k interviewers has this / sqrt(k).
INTERVIEW_RATING_SEM = INTERVIEW_RATING_SD * (1.0 - INTERVIEW_RATER_RELIABILITY) ** 0.5
RANKINGS = ("competition", "dense")
_TIE_DECIMALS = 6


def _composite_reliability(
    share: np.ndarray,
    complete: np.ndarray,
    reliabilities: ArrayLike | None,
    sds: ArrayLike | None,
    corr: ArrayLike | None,
) -> np.ndarray:
    """Mosier's reliability of each candidate's fit (their weights), NaN without inputs."""
    n, s = share.shape
    out = np.full(n, np.nan)
    if reliabilities is None or sds is None or corr is None:
        return out
    rel = np.asarray(reliabilities, dtype=float)
    sd = np.asarray(sds, dtype=float)
    r = np.asarray(corr, dtype=float)
    if rel.shape != (s,) or sd.shape != (s,) or r.shape != (s, s):
        raise ScoringError(f"reliabilities and sds must have shape ({s},), corr ({s}, {s})")
    used = share > 0
    usable = complete & ~(used & (np.isnan(rel) | np.isnan(sd) | ~(sd > 0))[None, :]).any(axis=1)
    if not usable.any():
        return out
    cov = np.nan_to_num(r * np.outer(np.nan_to_num(sd), np.nan_to_num(sd)))
    np.fill_diagonal(cov, np.nan_to_num(sd) ** 2)
    w = share[usable]
    total = np.einsum("pi,ij,pj->p", w, cov, w)
    error = (w**2 * np.nan_to_num(sd) ** 2 * (1.0 - np.nan_to_num(rel))).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[usable] = np.where(total > 0, 1.0 - error / total, np.nan)
    return out


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
    interview: np.ndarray  # n, 0..100 or NaN: the interviews, weighted as the fit
    interview_by_scale: np.ndarray  # n × s, 0..100 or NaN
    interview_weight: float
    fit_reliability: np.ndarray  # n, Mosier's reliability of the fit (NaN without inputs)
    score: np.ndarray  # blended where an interview exists, else the fit
    score_se: np.ndarray
    score_low: np.ndarray
    score_high: np.ndarray
    score_band: tuple[str, ...]
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
                    "fit_reliability": num(self.fit_reliability[i]),
                    "score": num(self.score[i]),
                    "score_low": num(self.score_low[i]),
                    "score_high": num(self.score_high[i]),
                    "score_band": self.score_band[i] or None,
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
    *,
    interview_se: ArrayLike | None = None,
    reliabilities: ArrayLike | None = None,
    sds: ArrayLike | None = None,
    corr: ArrayLike | None = None,
) -> FitResult:
    """Fit of n candidates (POMP scale scores n × s) to ``profile``, and the score shown.

    cluster_c = mean of the cluster's observed scales; fit = Σ w_c·cluster_c, i.e. each
    observed scale carries w_c / (observed scales of c).  With SEMs (per scale, or n × s)
    the fit's SE is sqrt(Σ share²·SEM²): the error part of Mosier's composite, so the band
    is fit ± z·SE clipped to [0, 100].  With the scales' ``reliabilities``, ``sds`` and
    intercorrelations ``corr`` the fit's reliability (Mosier, 1943) is reported too.

    ``interview`` holds each candidate's mean rating (1..5) per competency (n × s, NaN
    where no interviewer rated it).  A rated competency's score becomes
    (1 − interview_weight)·assessment + interview_weight·interview, the others keep the
    assessment, and the blend is weighted as the fit: one rated competency moves the
    score by its own share only.  The blend's band combines both errors (``interview_se``,
    by default :data:`INTERVIEW_RATING_SEM` for one rating), so the score shown always
    carries the band of that score.  A cluster with positive weight and no observed
    scale leaves the fit missing (ranked last) rather than guessed.
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

    # each scale's share of the fit for this candidate: its cluster's weight over the
    # cluster's observed scales (n × s; zero for unobserved or unweighted scales)
    share = np.where(seen, member @ w, 0.0) / np.where(m @ member.T > 0, m @ member.T, 1.0)
    share = np.where(complete[:, None], share, 0.0)

    # error propagation (independent errors: Mosier's SEM with the model composite SD)
    if sem is None:
        e2 = np.full((n, s), np.nan)
    else:
        e = _as_matrix(sem, "sem")
        if e.shape == (s,):
            e = np.broadcast_to(e, (n, s))
        if e.shape != (n, s):
            raise ScoringError(f"sem must have shape ({s},) or ({n}, {s}), got {e.shape}")
        if np.any(e[seen] < 0) or np.any(np.isnan(e[seen] * (share[seen] > 0))):
            raise ScoringError("every observed scale score needs a non-negative SEM")
        e2 = np.where(share > 0, np.nan_to_num(e), 0.0) ** 2
    se = np.where(complete, np.sqrt((share**2 * e2).sum(axis=1)), np.nan)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    low = np.clip(fit - z * se, 0, 100)
    high = np.clip(fit + z * se, 0, 100)
    fit_rel = _composite_reliability(share, complete, reliabilities, sds, corr)

    # must-have minima (on the assessment)
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

    # interview blend, competency by competency
    if interview is None:
        iv = np.full((n, s), np.nan)
    else:
        iv = interview_to_pomp(interview)
        if iv.shape != (n, s):
            raise ScoringError(f"interview ratings must have shape ({n}, {s}), got {iv.shape}")
    if interview_se is None:
        iv_e2 = np.where(np.isnan(iv), 0.0, INTERVIEW_RATING_SEM**2)
    else:
        iv_e = _as_matrix(interview_se, "interview_se")
        if iv_e.shape != (n, s) or np.any(iv_e[~np.isnan(iv)] < 0):
            raise ScoringError(f"interview_se must be ({n}, {s}) and non-negative where rated")
        iv_e2 = np.nan_to_num(iv_e) ** 2
    rated = ~np.isnan(iv) & (share > 0)
    a = float(interview_weight)
    blended = np.where(rated, (1 - a) * x0 + a * np.nan_to_num(iv), x0)
    has_iv = rated.any(axis=1) & complete
    score = np.where(has_iv, (share * blended).sum(axis=1), fit)
    score_var = (share**2 * np.where(rated, (1 - a) ** 2 * e2 + a**2 * iv_e2, e2)).sum(axis=1)
    score_se = np.where(complete, np.sqrt(score_var), np.nan)
    score_low = np.clip(score - z * score_se, 0, 100)
    score_high = np.clip(score + z * score_se, 0, 100)
    iv_weight = np.where(rated, share, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rated_sum = np.where(rated, share * np.nan_to_num(iv), 0.0).sum(axis=1)
        iv_score = np.where(iv_weight > 0, rated_sum / iv_weight, np.nan)
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
        interview=iv_score,
        interview_by_scale=iv,
        interview_weight=float(interview_weight),
        fit_reliability=fit_rel,
        score=score,
        score_se=score_se,
        score_low=score_low,
        score_high=score_high,
        score_band=tuple(str(b) for b in fit_band(score)),
        score_source=tuple(str(v) for v in source),
        rank=rank(score, ranking),
        ranking=ranking,
    )
