"""Scale scores for many respondents at once: raw, per-item mean and POMP.

Scoring is three matrix products over the answers matrix (see
:mod:`scoring.key` for the encoding):

1. ``X0 @ value_weight`` adds every likert/rating answer (times -1 when
   reverse-keyed) and every ticked multi/checklist option's score vector;
2. the choice indices are scattered into a one-hot matrix and multiplied by
   ``choice_weight`` (the stacked option score vectors);
3. for respondents with a missing answer only, the answered-item mask times
   ``[value_const | touches]`` gives the reverse-keying constants
   (``points + 1`` per answered reversed item) and the number of answered
   items per scale.  Complete rows use the precomputed totals.

Missing data: a scale is scored when at least ``min_share`` of its items are
answered; the score is then prorated from the answered items (see
:func:`score_scales`), otherwise it is NaN and flagged ``insufficient``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoring.errors import ScoringError
from scoring.key import CHOICE, SET, VALUE, ScoringKey
from scoring.matrix import check_matrix

#: Default share of a scale's items that must be answered for a score.
MIN_SHARE = 0.8


def _json(a: np.ndarray) -> list:
    """Nested lists with NaN as None (JSON has no NaN)."""
    if a.dtype.kind == "f":
        return np.where(np.isnan(a), None, a.astype(object)).tolist()
    return a.tolist()


@dataclass(frozen=True, eq=False)
class ScaleScores:
    """Scale scores of n respondents on the key's scales (arrays are n × scales).

    ``raw`` is the prorated sum of item contributions, ``mean`` the mean
    contribution per item (raw / items), ``pomp`` the percent of maximum
    possible, 100·(raw − min)/(max − min).  Where ``insufficient`` is true
    all three are NaN.
    """

    scales: tuple[str, ...]
    raw: np.ndarray
    mean: np.ndarray
    pomp: np.ndarray
    answered: np.ndarray  # (n, scales) int: items answered per scale
    n_items: np.ndarray  # (scales,) items per scale
    required: np.ndarray  # (scales,) answered items needed for a score
    insufficient: np.ndarray  # (n, scales) bool
    scale_min: np.ndarray  # (scales,) lowest possible raw score
    scale_max: np.ndarray  # (scales,) highest possible raw score
    min_share: float = MIN_SHARE

    @property
    def n(self) -> int:
        return int(self.raw.shape[0])

    def column(self, scale: str) -> int:
        try:
            return self.scales.index(scale)
        except ValueError:
            raise ScoringError(f"no scale {scale!r} in these scores") from None

    def row(self, i: int) -> dict[str, dict[str, object]]:
        """One respondent's scores as ``{scale: {raw, mean, pomp, answered, insufficient}}``."""
        out: dict[str, dict[str, object]] = {}
        for s, name in enumerate(self.scales):
            bad = bool(self.insufficient[i, s])
            out[name] = {
                "raw": None if bad else float(self.raw[i, s]),
                "mean": None if bad else float(self.mean[i, s]),
                "pomp": None if bad else float(self.pomp[i, s]),
                "answered": int(self.answered[i, s]),
                "n_items": int(self.n_items[s]),
                "insufficient": bad,
            }
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-able: lists of rows, NaN as None."""
        return {
            "scales": list(self.scales),
            "raw": _json(self.raw),
            "mean": _json(self.mean),
            "pomp": _json(self.pomp),
            "answered": _json(self.answered),
            "n_items": _json(self.n_items),
            "required": _json(self.required),
            "insufficient": _json(self.insufficient),
            "scale_min": _json(self.scale_min),
            "scale_max": _json(self.scale_max),
            "min_share": self.min_share,
        }


def required_items(n_items: np.ndarray, min_share: float) -> np.ndarray:
    """Answered items needed per scale: ceil(min_share × items), at least 1.

    A 1e-9 tolerance keeps 0.7 × 10 from becoming 8 through rounding.
    """
    if not (isinstance(min_share, int | float) and 0.0 < min_share <= 1.0):
        raise ScoringError(f"min_share must be in (0, 1], got {min_share!r}")
    req = np.ceil(np.asarray(n_items) * float(min_share) - 1e-9).astype(np.intp)
    return np.maximum(req, 1)


def _sums(key: ScoringKey, m: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per respondent and scale: sum of answered contributions, answered items, and
    the lowest possible sum and possible range of the answered items."""
    n = m.shape[0]
    p, nv, nc = key.n_scored_cols, key.n_value_cols, key.n_choice_cols
    s = len(key.scales)
    xs = m[:, :p]
    # One product over the whole scored block.  The extra all-ones weight
    # column is each row's sum, NaN exactly when the row has a missing answer,
    # so finding incomplete rows costs no extra pass over the matrix.
    weight = np.hstack([key.value_weight, np.ones((p, 1))])
    out = xs @ weight
    total = out[:, :s]
    miss_rows = np.flatnonzero(np.isnan(out[:, s]))
    if miss_rows.size:  # redo the incomplete rows with missing answers as 0
        sub = xs[miss_rows]
        total[miss_rows] = np.where(np.isnan(sub), 0.0, sub) @ key.value_weight
    if nc:
        block = m[:, nv : nv + nc]
        there = ~np.isnan(block)
        idx = np.where(there, block, 0.0).astype(np.intp) + key.choice_offset
        width = key.choice_weight.shape[0]
        onehot = np.zeros((n, width))
        idx += (np.arange(n) * width)[:, None]
        onehot.ravel()[idx.ravel()] = there.ravel()
        total += onehot @ key.choice_weight
    total += key.value_const.sum(axis=0)
    answered = np.broadcast_to(key.n_items.astype(float), (n, s)).copy()
    low = np.broadcast_to(key.scale_min, (n, s)).copy()
    span = np.broadcast_to(key.scale_max - key.scale_min, (n, s)).copy()
    if miss_rows.size:
        # Unanswered scored items, times [const | touches | min | max], removed from
        # the all-answered totals: only rows with a gap pay for this product.
        gone = np.isnan(m[np.ix_(miss_rows, key.item_col[: key.n_scored])]).astype(float)
        fix = gone @ np.hstack(
            [key.value_const, key.touches.astype(float), key.item_min, key.item_max]
        )
        total[miss_rows] -= fix[:, :s]
        answered[miss_rows] -= fix[:, s : 2 * s]
        low[miss_rows] -= fix[:, 2 * s : 3 * s]
        span[miss_rows] -= fix[:, 3 * s :] - fix[:, 2 * s : 3 * s]
    return total, answered, low, span


def score_scales(key: ScoringKey, matrix: np.ndarray, min_share: float = MIN_SHARE) -> ScaleScores:
    """Score every respondent (row of ``matrix``) on every scale of ``key``.

    Proration: with a answered of K items (a ≥ required), the answered
    items' POMP, 100·(Σ contributions − Σ their minima)/(Σ their ranges), is
    taken as the scale's POMP and raw = min + POMP/100·(max − min).  When the
    answered items share one range (e.g. a likert-only scale) this is exactly
    raw = mean answered contribution × K; unlike mean × K it can never leave
    the possible range when items of different ranges are mixed.

    Items that do not touch a scale do not count toward it: a situational or
    choice item touches a scale when its options score it differently, a
    multi item when any option scores it.  A multi item contributes the sum
    of its chosen options' scores, a checklist the points of its ticked
    entries (answered with nothing ticked = 0; unanswered = missing).
    Scales without items are always insufficient.
    """
    m = check_matrix(key, matrix)
    req = required_items(key.n_items, min_share)
    total, answered, low, span = _sums(key, m)
    k = key.n_items.astype(float)
    ok = (answered >= req) & (k > 0)
    pomp = np.full(total.shape, np.nan)
    np.divide(100.0 * (total - low), span, out=pomp, where=ok)
    np.clip(pomp, 0.0, 100.0, out=pomp)  # only trims floating-point rounding
    raw = key.scale_min + pomp / 100.0 * (key.scale_max - key.scale_min)
    mean = np.full(total.shape, np.nan)
    np.divide(raw, k, out=mean, where=ok)
    return ScaleScores(
        scales=key.scales,
        raw=raw,
        mean=mean,
        pomp=pomp,
        answered=np.rint(answered).astype(np.intp),
        n_items=key.n_items,
        required=req,
        insufficient=~ok,
        scale_min=key.scale_min,
        scale_max=key.scale_max,
        min_share=float(min_share),
    )


def item_pool(
    key: ScoringKey, matrix: np.ndarray, scale: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each respondent's contribution of every item of ``scale`` (n × items, NaN = missing).

    This is the reverse-keyed item matrix that reliability analysis needs:
    likert/rating values after reversal, the chosen option's score for
    situational/choice items, and the summed scores of ticked options for
    multi/checklist items.
    """
    m = check_matrix(key, matrix)
    s = key.scale_index(scale)
    idx = np.flatnonzero(key.touches[:, s])
    pool = np.full((m.shape[0], idx.size), np.nan)
    for j, i in enumerate(idx):
        c = int(key.item_col[i])
        kind = key.item_kind[i]
        if kind == VALUE:
            x = m[:, c]
            pool[:, j] = key.item_points[i] + 1 - x if key.item_reverse[i] else x
        elif kind == CHOICE:
            x = m[:, c]
            ok = ~np.isnan(x)
            rows = key.item_option_offset[i] + np.where(ok, x, 0).astype(np.intp)
            pool[ok, j] = key.option_scores[rows[ok], s]
        elif kind == SET:
            block = m[:, c : c + int(key.item_ncols[i])]
            ok = ~np.isnan(block[:, 0])
            o = key.item_option_offset[i]
            vec = key.option_scores[o : o + block.shape[1], s]
            pool[ok, j] = np.where(np.isnan(block[ok]), 0.0, block[ok]) @ vec
    return pool, tuple(key.items[i] for i in idx)


def pomp(raw: np.ndarray | float, minimum: float, maximum: float) -> np.ndarray:
    """Percent of maximum possible: 100·(raw − min)/(max − min) (Cohen et al. 1999)."""
    if not (math.isfinite(minimum) and math.isfinite(maximum)) or maximum <= minimum:
        raise ScoringError(f"POMP needs minimum < maximum, got {minimum!r} and {maximum!r}")
    return 100.0 * (np.asarray(raw, dtype=float) - minimum) / (maximum - minimum)
