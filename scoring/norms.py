"""Norm-referenced scores: percentile rank, z, T and sten against a norm sample.

Each scale (column) is normed against the non-missing values of the same
column of the norm sample; by default the norm sample is the scored pool
itself.  Percentile ranks come from ``np.searchsorted`` on the sorted norm,
so n scores against an N-person norm cost O((n + N) log N) per scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from scoring.errors import ScoringError

#: Smallest norm sample whose percentiles and standard scores are reported (the same
#: floor as a norm group's, :data:`NORM_SIZE_FLOOR`).
MIN_NORM_N = 30


@dataclass(frozen=True, eq=False)
class NormScores:
    """Standard scores of n respondents on S scales (arrays n × S; per-scale arrays S).

    Columns whose norm is not usable (too small, or no variance) are NaN and
    ``reason`` says why; ``usable`` is False there.
    """

    percentile: np.ndarray
    z: np.ndarray
    t: np.ndarray
    sten: np.ndarray  # float so that NaN can mark a missing score
    norm_n: np.ndarray  # (S,) int: non-missing values in the norm sample
    norm_mean: np.ndarray  # (S,)
    norm_sd: np.ndarray  # (S,) sample SD (ddof = 1)
    usable: np.ndarray  # (S,) bool
    reason: tuple[str | None, ...]
    scales: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        def js(a: np.ndarray) -> list:
            return np.where(np.isnan(a), None, a.astype(object)).tolist()

        return {
            "scales": list(self.scales),
            "percentile": js(self.percentile),
            "z": js(self.z),
            "t": js(self.t),
            "sten": js(self.sten),
            "norm_n": self.norm_n.tolist(),
            "norm_mean": js(self.norm_mean),
            "norm_sd": js(self.norm_sd),
            "usable": self.usable.tolist(),
            "reason": list(self.reason),
        }


def percentile_rank(values: ArrayLike, norm: ArrayLike) -> np.ndarray:
    """100 · (norm values below x + ½ · norm values equal to x) / N, for every x.

    The mid-rank definition (e.g. Crocker & Algina 1986) is symmetric: the
    median of the norm gets 50, and a value tied with the whole norm gets 50
    rather than 0 or 100.  NaN values give NaN; NaN in the norm is dropped.
    """
    v = np.asarray(values, dtype=float)
    s = np.asarray(norm, dtype=float).ravel()
    s = np.sort(s[~np.isnan(s)])
    if s.size == 0:
        raise ScoringError("percentile_rank: the norm sample has no values")
    below = np.searchsorted(s, v, side="left")
    upto = np.searchsorted(s, v, side="right")
    out = 100.0 * (below + 0.5 * (upto - below)) / s.size
    return np.where(np.isnan(v), np.nan, out)


def sten_from_z(z: ArrayLike) -> np.ndarray:
    """Sten = clip(round_half_up(5.5 + 2z), 1, 10): bands of half an SD, mean between 5 and 6."""
    zz = np.asarray(z, dtype=float)
    return np.clip(np.floor(5.5 + 2.0 * zz + 0.5), 1.0, 10.0)


def norm_scores(
    scores: ArrayLike,
    norm: ArrayLike | None = None,
    *,
    min_n: int = MIN_NORM_N,
    scales: tuple[str, ...] = (),
) -> NormScores:
    """Percentile, z, T = 50 + 10z and sten of ``scores`` (n × S, or n) against ``norm``.

    ``norm`` (N × S, NaN allowed) defaults to ``scores`` themselves.
    z uses the norm's mean and sample SD (ddof = 1).  A scale whose norm
    has fewer than ``min_n`` values, or no variance, is not usable: its
    values are NaN and ``reason`` explains, so a tiny pool never produces a
    confident-looking percentile.
    """
    x = np.asarray(scores, dtype=float)
    one_d = x.ndim == 1
    if one_d:
        x = x[:, None]
    if x.ndim != 2:
        raise ScoringError(f"scores must be 1-D or 2-D, got {x.ndim}-D")
    ref = x if norm is None else np.asarray(norm, dtype=float)
    if ref.ndim == 1:
        ref = ref[:, None]
    if ref.ndim != 2 or ref.shape[1] != x.shape[1]:
        raise ScoringError(
            f"norm sample has shape {ref.shape}; it needs {x.shape[1]} column(s) like the scores"
        )
    if min_n < 2:
        raise ScoringError("min_n must be at least 2 (an SD needs two values)")
    if scales and len(scales) != x.shape[1]:
        raise ScoringError(f"{len(scales)} scale names for {x.shape[1]} score columns")
    n_s = x.shape[1]
    pct = np.full(x.shape, np.nan)
    z = np.full(x.shape, np.nan)
    norm_n = np.zeros(n_s, dtype=np.intp)
    mean = np.full(n_s, np.nan)
    sd = np.full(n_s, np.nan)
    usable = np.zeros(n_s, dtype=bool)
    reasons: list[str | None] = []
    for s in range(n_s):  # a loop over scales, not respondents
        col = ref[:, s]
        col = col[~np.isnan(col)]
        norm_n[s] = col.size
        if col.size < min_n:
            reasons.append(f"norm has {col.size} score(s); at least {min_n} are needed")
            continue
        mean[s] = col.mean()
        sd[s] = col.std(ddof=1)
        if not sd[s] > 0:
            reasons.append("every score in the norm is the same")
            continue
        usable[s] = True
        reasons.append(None)
        pct[:, s] = percentile_rank(x[:, s], col)
        z[:, s] = (x[:, s] - mean[s]) / sd[s]
    t = 50.0 + 10.0 * z
    sten = sten_from_z(z)
    if one_d:
        pct, z, t, sten = pct[:, 0], z[:, 0], t[:, 0], sten[:, 0]
    return NormScores(
        percentile=pct, z=z, t=t, sten=sten, norm_n=norm_n, norm_mean=mean, norm_sd=sd,
        usable=usable, reason=tuple(reasons), scales=tuple(scales),
    )  # fmt: skip


# --- Norm groups across engagements (issue #17) -------------------------------------------------

#: A norm group smaller than this is shown as provisional (configurable per installation).
DEFAULT_MIN_NORM_SIZE = 100
#: No norm group is built from fewer completed assessments, whatever the configuration.
NORM_SIZE_FLOOR = 30


def distribution(values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-missing values, ascending, and how many times each occurs: all a
    norm group keeps of a scale's scores to place anyone in it."""
    v = np.asarray(values, dtype=float).ravel()
    return np.unique(v[~np.isnan(v)], return_counts=True)


@dataclass(frozen=True, eq=False)
class GroupStanding:
    """Where n candidates stand in a norm group on one scale (arrays of shape n).

    ``percentile`` is the mid-rank percentile; ``low``/``high`` are the percentiles of the
    two ends of the score's own confidence band, so the interval carries the score's
    measurement error; ``t`` and ``sten`` are normalised (from the percentile through the
    inverse normal), so they mean the same whatever the shape of the group's scores.
    ``n`` is the group size each candidate was compared with (one less for a member).
    """

    percentile: np.ndarray
    low: np.ndarray
    high: np.ndarray
    t: np.ndarray
    sten: np.ndarray
    n: np.ndarray


def group_standing(
    scores: ArrayLike,
    values: ArrayLike,
    counts: ArrayLike,
    *,
    half_width: ArrayLike = 0.0,
    own: ArrayLike | None = None,
) -> GroupStanding:
    """Percentile (with the interval of ``scores`` ± ``half_width``), normalised T and sten
    of ``scores`` in the group whose distinct values and counts are ``values``, ``counts``.

    ``own`` holds, for a candidate who is a member of the group, the score the group holds
    for them (NaN for everyone else): it is taken out before the comparison, so nobody is
    compared with themselves.  NaN scores give NaN; a comparison with fewer than two
    others gives NaN.
    """
    x = np.asarray(scores, dtype=float)
    vals = np.asarray(values, dtype=float)
    cnt = np.asarray(counts, dtype=np.int64)
    if vals.ndim != 1 or vals.shape != cnt.shape:
        raise ScoringError("values and counts must be 1-D and of the same length")
    if vals.size and (np.any(np.diff(vals) <= 0) or np.any(cnt <= 0)):
        raise ScoringError("values must be distinct and ascending, with positive counts")
    o = np.full(x.shape, np.nan) if own is None else np.asarray(own, dtype=float)
    h = np.broadcast_to(np.asarray(half_width, dtype=float), x.shape)
    if o.shape != x.shape:
        raise ScoringError(f"own has shape {o.shape}; the scores have {x.shape}")
    if np.any(h < 0):
        raise ScoringError("half_width must not be negative")
    cum = np.concatenate(([0], np.cumsum(cnt)))
    member = ~np.isnan(o)
    n = cum[-1] - member.astype(np.int64)

    def rank_at(point: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            below = cum[np.searchsorted(vals, point, side="left")] - (member & (o < point))
            upto = cum[np.searchsorted(vals, point, side="right")] - (member & (o <= point))
            out = 100.0 * (below + 0.5 * (upto - below)) / np.where(n > 0, n, 1)
        return np.where(np.isnan(point) | (n < 2), np.nan, out)

    safe = np.nan_to_num(x)
    pct = np.where(np.isnan(x), np.nan, rank_at(safe))
    low = np.where(np.isnan(x), np.nan, rank_at(safe - h))
    high = np.where(np.isnan(x), np.nan, rank_at(safe + h))
    nn = np.maximum(n, 1).astype(float)
    with np.errstate(invalid="ignore"):
        p = np.clip(pct / 100.0, 0.5 / nn, 1.0 - 0.5 / nn)
    z = ndtri(p)
    return GroupStanding(
        percentile=pct, low=low, high=high, t=50.0 + 10.0 * z, sten=sten_from_z(z),
        n=np.where(np.isnan(x), 0, n),
    )  # fmt: skip
