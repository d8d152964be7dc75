"""Scale scores for many respondents at once: raw, per-item mean and POMP.

Scoring is three matrix products over the answers matrix (see
:mod:`scoring.key` for the encoding):

1. ``X0 @ value_weight`` adds every likert/rating answer (times -1 when
   reverse-keyed) and every ticked multi/checklist option's score vector;
2. the choice indices are scattered into a one-hot matrix and multiplied by
   ``choice_weight`` (the stacked option score vectors, zeroed on the
   scales an item does not touch);
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
from scoring.matrix import check_indices, check_matrix, check_ranges

#: Default share of a scale's items that must be answered for a score.
MIN_SHARE = 0.8
#: Rows scored per block (a block of the answers matrix stays in cache).
_BLOCK = 8192


def json_lists(a: np.ndarray | None) -> list | None:
    """Nested lists with NaN as None (JSON has no NaN); None stays None. Every result's
    ``to_dict`` uses it."""
    if a is None:
        return None
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
            "raw": json_lists(self.raw),
            "mean": json_lists(self.mean),
            "pomp": json_lists(self.pomp),
            "answered": json_lists(self.answered),
            "n_items": json_lists(self.n_items),
            "required": json_lists(self.required),
            "insufficient": json_lists(self.insufficient),
            "scale_min": json_lists(self.scale_min),
            "scale_max": json_lists(self.scale_max),
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


class _Weights:
    """Per-call constants of :func:`score_scales`, derived once from the key."""

    def __init__(self, key: ScoringKey, n_rows: int) -> None:
        p = key.n_scored_cols
        s = len(key.scales)
        # The extra all-ones column is each row's sum: NaN exactly when the row
        # has a missing answer, so incomplete rows are found inside the product.
        self.linear = np.hstack([key.value_weight, np.ones((p, 1))])
        self.fix = np.hstack([key.value_const, key.touches, key.item_min, key.item_max])
        self.const = key.value_const.sum(axis=0)
        self.has_items = key.n_items > 0
        self.full = key.scale_max - key.scale_min
        self.low = key.scale_min - self.const  # complete rows: POMP of total − low
        self.scale_pomp = 100.0 / np.where(self.has_items, self.full, 1.0)
        self.width = key.choice_weight.shape[0]
        # A choice item whose options all score a scale alike does not touch it
        # (README): its constant must not reach the raw score either, or raw
        # leaves [scale_min, scale_max], which only sum the touching items.
        choice_items = np.flatnonzero(key.item_kind[: key.n_scored] == CHOICE)
        per_item = np.diff(np.append(key.choice_offset, self.width))
        self.choice_weight = key.choice_weight * np.repeat(
            key.touches[choice_items], per_item, axis=0
        )
        self.onehot = np.zeros((n_rows, self.width))  # reused, reset after each block
        self.base = (np.arange(n_rows) * self.width)[:, None] + key.choice_offset
        self.s = s


def _score_block(
    key: ScoringKey, w: _Weights, m: np.ndarray, req: np.ndarray,
    raw: np.ndarray, pomp: np.ndarray, answered: np.ndarray, insufficient: np.ndarray,
) -> None:  # fmt: skip
    """Score one block of rows into the given output slices."""
    n = m.shape[0]
    p, nv, nc, s = key.n_scored_cols, key.n_value_cols, key.n_choice_cols, w.s
    check_ranges(key, m)
    xs = m[:, :p]
    out = xs @ w.linear
    total = out[:, :s]
    miss = np.flatnonzero(np.isnan(out[:, s]))
    if miss.size:  # redo the incomplete rows with missing answers as 0
        sub = xs[miss]
        total[miss] = np.where(np.isnan(sub), 0.0, sub) @ key.value_weight
    if nc:
        # Scatter the chosen option indices into the reused one-hot buffer,
        # multiply by the stacked option score vectors, reset the buffer.
        block = m[:, nv : nv + nc].copy()  # a copy: the caller's matrix stays untouched
        gap = np.isnan(block)
        if miss.size:
            block[gap] = 0.0
        flat = block.astype(np.intp)
        if (flat != block).any():
            check_indices(key, np.where(gap, np.nan, block))
        flat += w.base[:n]
        at = flat.ravel()
        onehot = w.onehot.ravel()
        onehot[at] = 1.0
        if miss.size:
            onehot[flat[gap]] = 0.0
        total += w.onehot[:n] @ w.choice_weight
        onehot[at] = 0.0
    np.add(total, w.const, out=raw)  # complete rows: the exact sum
    np.subtract(total, w.low, out=pomp)
    pomp *= w.scale_pomp
    answered[:] = key.n_items
    insufficient[:] = ~w.has_items
    if miss.size:
        # Unanswered scored items, times [const | touches | min | max], are taken
        # off the all-answered totals: only rows with a gap pay for this product.
        gone = np.isnan(m[np.ix_(miss, key.item_col[: key.n_scored])]) @ w.fix
        a = np.rint(key.n_items - gone[:, s : 2 * s]).astype(answered.dtype)
        ok = (a >= req) & w.has_items
        answered[miss] = a
        insufficient[miss] = ~ok
        low = key.scale_min - gone[:, 2 * s : 3 * s]
        span = w.full - (gone[:, 3 * s :] - gone[:, 2 * s : 3 * s])
        part = np.full(a.shape, np.nan)
        score = 100.0 * (total[miss] + w.const - gone[:, :s] - low)
        np.divide(score, span, out=part, where=ok)
        np.clip(part, 0.0, 100.0, out=part)  # only trims floating-point rounding
        pomp[miss] = part
        raw[miss] = key.scale_min + part * (w.full / 100.0)
    pomp[:, ~w.has_items] = np.nan
    raw[:, ~w.has_items] = np.nan
    np.clip(pomp, 0.0, 100.0, out=pomp)  # only trims floating-point rounding


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

    Rows are processed in blocks of a few thousand so that each block's
    intermediates stay in cache; nothing loops over respondents.
    """
    m = check_matrix(key, matrix, ranges=False, indices=False)
    req = required_items(key.n_items, min_share)
    n, s = m.shape[0], len(key.scales)
    pomp = np.empty((n, s))
    raw = np.empty((n, s))
    answered = np.empty((n, s), dtype=np.int32)
    insufficient = np.empty((n, s), dtype=bool)
    w = _Weights(key, min(n, _BLOCK))
    for start in range(0, n, _BLOCK):
        rows = slice(start, min(start + _BLOCK, n))
        _score_block(
            key, w, m[rows], req, raw[rows], pomp[rows], answered[rows], insufficient[rows]
        )
    mean = raw * (1.0 / np.where(w.has_items, key.n_items, 1))
    return ScaleScores(
        scales=key.scales,
        raw=raw,
        mean=mean,
        pomp=pomp,
        answered=answered,
        n_items=key.n_items,
        required=req,
        insufficient=insufficient,
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
