"""Weighted composite of a scale's sources (forced-choice blocks, ratings, situations, ...).

Why: v2 measures a competency with several formats whose raw points mean
different things (a Likert sum, a θ, a distance score).  They are combined
only on the common 0-100 metric — the caller converts each source first
(``thurstonian.to_pomp``, POMP from ``scales``, ``effectiveness`` scores)
and ``combine`` checks that every value lies in [0, 100].

Per scale, the weights over sources are explicit, ≥ 0 and sum to 1.  For a
respondent, the composite is the weighted mean over the sources they have,
the weights re-normalised over those sources:

    score = Σ_present w_s x_s / Σ_present w_s.

It needs ``min_share`` (0.5) of the scale's weight present, otherwise it is
NaN with ``insufficient`` set.  The SE assumes independent errors across
sources (different formats, items and occasions):
SE = √(Σ_present (w_s / share)² SE_s²); correlated errors (e.g. a shared
self-description bias) would make it larger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError
from scoring.scales import json_lists

MIN_SHARE = 0.5
WEIGHT_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Composite:
    """Combined 0-100 scores per respondent × scale, with the weight share behind them."""

    score: np.ndarray  # (n, scales), NaN where insufficient
    se: np.ndarray | None  # (n, scales) when SEs were given
    share: np.ndarray  # (n, scales) weight of the present sources
    insufficient: np.ndarray  # (n, scales) bool
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "score": json_lists(self.score),
            "se": json_lists(self.se),
            "share": json_lists(self.share),
            "insufficient": json_lists(self.insufficient),
            "sources": list(self.sources),
        }


def combine(
    sources: Mapping[str, ArrayLike],
    weights: Mapping[str, ArrayLike],
    se: Mapping[str, ArrayLike] | None = None,
    *,
    min_share: float = MIN_SHARE,
) -> Composite:
    """Weighted mean of 0-100 sources per scale, NaN-aware, with an optional SE.

    ``sources``: name → n × scales scores on 0-100 (NaN = missing);
    ``weights``: name → per-scale weights (same names), summing to 1 per scale;
    ``se``: name → n × scales standard errors on the same metric (needed for
    every present score of a source with positive weight).
    """
    names = tuple(sources)
    if not names:
        raise ScoringError("combine needs at least one source")
    if set(weights) != set(names):
        raise ScoringError(
            f"weights name {sorted(weights)} but the sources are {sorted(names)}: "
            "give every source a weight per scale (0 where it does not count)"
        )
    if not 0 < min_share <= 1:
        raise ScoringError(f"min_share must be in (0, 1], got {min_share}")
    x = []
    for name in names:
        a = np.asarray(sources[name], dtype=float)
        if a.ndim != 2 or (x and a.shape != x[0].shape):
            raise ScoringError(f"source {name!r} must be respondents × scales like the others")
        if np.isinf(a).any() or ((a < 0) | (a > 100)).any():  # NaN compares False
            raise ScoringError(f"source {name!r} is not on the 0-100 metric")
        x.append(a)
    vals = np.stack(x)  # (sources, n, scales)
    s_count = vals.shape[2]
    w = np.stack([np.asarray(weights[name], dtype=float) for name in names])
    if w.shape != (len(names), s_count):
        raise ScoringError(f"each weight vector must have one weight per scale ({s_count})")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ScoringError("weights must be finite and non-negative")
    sums = w.sum(axis=0)
    bad = np.flatnonzero(np.abs(sums - 1.0) > WEIGHT_TOL)
    if bad.size:
        raise ScoringError(f"weights of scale {bad[0]} sum to {sums[bad[0]]:g}, not 1")

    present = ~np.isnan(vals) & (w[:, None, :] > 0)
    wp = np.where(present, w[:, None, :], 0.0)
    share = wp.sum(axis=0)
    ok = share >= min_share - WEIGHT_TOL
    total = np.where(present, vals, 0.0) * wp
    score = np.where(ok, total.sum(axis=0) / np.where(ok, share, 1.0), np.nan)

    se_out = None
    if se is not None:
        if set(se) != set(names):
            raise ScoringError(f"se names {sorted(se)} but the sources are {sorted(names)}")
        e = np.stack([np.asarray(se[name], dtype=float) for name in names])
        if e.shape != vals.shape:
            raise ScoringError("each se matrix must have the shape of its source")
        if (present & ~(np.isfinite(e) & (e >= 0))).any():
            src, who, sc = np.argwhere(present & ~(np.isfinite(e) & (e >= 0)))[0]
            raise ScoringError(
                f"source {names[src]!r}: respondent {who}, scale {sc} has a score but no valid SE"
            )
        rel = wp / np.where(ok, share, 1.0)
        var = (rel**2 * np.where(present, e, 0.0) ** 2).sum(axis=0)
        se_out = np.where(ok, np.sqrt(var), np.nan)
    return Composite(score=score, se=se_out, share=share, insufficient=~ok, sources=names)


__all__ = ["Composite", "combine"]
