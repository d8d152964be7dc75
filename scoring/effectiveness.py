"""Situational items answered as "rate the effectiveness of each response".

Why distance scoring: the candidate rates every response option of a
situation on a P-point effectiveness scale (P = 4..7) and the expert key
gives each option's effectiveness on the same scale.  Knowledge shows as
ratings close to the key, so an option earns

    s = 1 − |rating − key| / D,   D = max(key − 1, P − key),

D being the largest distance any rating can have from that key, so every
option spans the full 0..1 whatever its key (a rating on the key earns 1,
the farthest possible rating earns 0).  Item score = 100 · mean s over the
answered options; scale score = mean of its scored items.

Missing data: an item is scored when at least half of its options are
answered (⌈0.5 · options⌉, ``MIN_OPTION_SHARE``); a scale when at least
half of its items are scored (``MIN_ITEM_SHARE``).  Otherwise NaN with
``insufficient`` set.

What the rule does to response styles (see the README; tested):

- A rating on the key earns 100 on every option, so no strategy beats
  knowing the key, and moving any rating away from the key never raises
  any scale (each option belongs to one item of one scale).
- "Everything in the middle" earns 50 on an option keyed at either end
  and more on options keyed near the middle — exactly what knowing those
  keys earns, never more.  Because D is per option, a middle-keyed option
  cannot turn middle-guessing into a floor above 50 on the extreme-keyed
  options, as a fixed divisor of P − 1 would.  ``middle_baseline`` reports
  the score of this responder for the given keys, the level below which
  a score says nothing.
- "Everything top" earns 100 on options keyed at the top, 0 on options
  keyed at the bottom.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from questionnaires.model import Instrument
from scoring.errors import ScoringError
from scoring.scales import json_lists

MIN_POINTS = 4
MAX_POINTS = 7
MIN_OPTION_SHARE = 0.5
MIN_ITEM_SHARE = 0.5


@dataclass(frozen=True, eq=False)
class EffectivenessScores:
    """Item and scale scores (0-100, NaN = not scored) and why not scored."""

    item_score: np.ndarray  # (n, items)
    item_answered: np.ndarray  # (n, items) options answered
    item_insufficient: np.ndarray  # (n, items) bool
    scale_score: np.ndarray  # (n, scales)
    scale_items: np.ndarray  # (n, scales) items scored
    scale_insufficient: np.ndarray  # (n, scales) bool
    middle_baseline: np.ndarray  # (scales,) score of the all-middle responder

    def to_dict(self) -> dict[str, object]:
        return {name: json_lists(getattr(self, name)) for name in self.__dataclass_fields__}


def _required(share: float, k: np.ndarray) -> np.ndarray:
    return np.maximum(np.ceil(share * k - 1e-9), 1).astype(np.intp)


def score_effectiveness(
    responses: ArrayLike,
    keys: ArrayLike,
    option_item: ArrayLike,
    item_scale: ArrayLike,
    points: int | ArrayLike,
    n_scales: int | None = None,
    *,
    min_option_share: float = MIN_OPTION_SHARE,
    min_item_share: float = MIN_ITEM_SHARE,
) -> EffectivenessScores:
    """Distance-from-key scores for every respondent, item and scale at once.

    ``responses``: n × options ratings 1..P (NaN = unanswered), options of all
    items side by side; ``keys``: expert effectiveness per option on the same
    1..P scale (fractional allowed, e.g. a mean of experts); ``option_item``:
    item index per option; ``item_scale``: scale index per item; ``points``:
    P for all items or one per item.
    """
    keys_a = np.asarray(keys, dtype=float)
    if keys_a.ndim != 1 or keys_a.size == 0:
        raise ScoringError("keys must give one expert rating per option")
    n_opt = keys_a.size
    r = np.asarray(responses, dtype=float)
    if r.ndim != 2 or r.shape[1] != n_opt:
        raise ScoringError(f"responses must be (respondents × {n_opt} options), got {r.shape}")
    oi = np.asarray(option_item)
    if oi.shape != (n_opt,) or oi.dtype.kind not in "iu" or (oi < 0).any():
        raise ScoringError("option_item must give a non-negative item index per option")
    isc = np.asarray(item_scale)
    n_items = isc.size
    if isc.ndim != 1 or isc.dtype.kind not in "iu" or (isc < 0).any():
        raise ScoringError("item_scale must give a non-negative scale index per item")
    if oi.max() >= n_items:
        raise ScoringError(f"option_item names item {oi.max()} but only {n_items} items exist")
    empty = np.setdiff1d(np.arange(n_items), oi)
    if empty.size:
        raise ScoringError(f"item {empty[0]} has no options")
    n_sc = int(isc.max()) + 1 if n_scales is None else int(n_scales)
    if isc.max() >= n_sc:
        raise ScoringError(f"item_scale names scale {isc.max()} but n_scales = {n_sc}")
    pts_item = np.broadcast_to(np.asarray(points), (n_items,))
    if (
        pts_item.dtype.kind not in "iu"
        or (pts_item < MIN_POINTS).any()
        or (pts_item > MAX_POINTS).any()
    ):
        raise ScoringError(f"points must be whole numbers from {MIN_POINTS} to {MAX_POINTS}")
    p = pts_item[oi].astype(float)
    if not np.isfinite(keys_a).all() or (keys_a < 1).any() or (keys_a > p).any():
        bad = int(np.flatnonzero(~((keys_a >= 1) & (keys_a <= p)))[0])
        raise ScoringError(f"option {bad}: expert key {keys_a[bad]} outside 1..{int(p[bad])}")
    answered = ~np.isnan(r)
    with np.errstate(invalid="ignore"):
        bad_r = answered & ((r < 1) | (r > p) | (r != np.round(r)))
    if bad_r.any():
        who, opt = np.argwhere(bad_r)[0]
        raise ScoringError(
            f"respondent {who}, option {opt}: rating {r[who, opt]} is not a whole 1..{int(p[opt])}"
        )

    reach = np.maximum(keys_a - 1, p - keys_a)  # > 0 because P ≥ 4
    credit = np.where(answered, 1.0 - np.abs(r - keys_a) / reach, 0.0)
    onehot = np.zeros((n_opt, n_items))
    onehot[np.arange(n_opt), oi] = 1.0
    n_answered = (answered @ onehot).astype(np.intp)
    total = credit @ onehot
    k_opt = onehot.sum(axis=0)
    item_ok = n_answered >= _required(min_option_share, k_opt)
    item_score = np.where(item_ok, 100.0 * total / np.maximum(n_answered, 1), np.nan)

    scale_hot = np.zeros((n_items, n_sc))
    scale_hot[np.arange(n_items), isc] = 1.0
    k_items = scale_hot.sum(axis=0)
    n_scored = (item_ok @ scale_hot).astype(np.intp)
    scale_sum = np.where(item_ok, item_score, 0.0) @ scale_hot
    scale_ok = (k_items > 0) & (n_scored >= _required(min_item_share, k_items))
    scale_score = np.where(scale_ok, scale_sum / np.maximum(n_scored, 1), np.nan)

    middle = (1.0 + p) / 2.0
    mid_credit = 1.0 - np.abs(middle - keys_a) / reach
    mid_item = 100.0 * (mid_credit @ onehot) / k_opt
    with np.errstate(invalid="ignore", divide="ignore"):
        baseline = np.where(k_items > 0, (mid_item @ scale_hot) / k_items, np.nan)
    return EffectivenessScores(
        item_score=item_score,
        item_answered=n_answered,
        item_insufficient=~item_ok,
        scale_score=scale_score,
        scale_items=n_scored,
        scale_insufficient=~scale_ok,
        middle_baseline=baseline,
    )


def required_options(n_options: int, share: float = MIN_OPTION_SHARE) -> int:
    """Options an item needs answered to be scored: ⌈share · n⌉, at least 1."""
    return max(math.ceil(share * n_options - 1e-9), 1)


__all__ = [
    "EffectivenessKey",
    "EffectivenessScores",
    "key_of",
    "required_options",
    "responses_of",
    "score_effectiveness",
]


# -- adapters from the instrument definition (assessment v2) ----------------------


@dataclass(frozen=True, eq=False)
class EffectivenessKey:
    """The instrument's effectiveness items as the arrays :func:`score_effectiveness` takes.

    An item measuring k scales (``Item.scales``) enters as k scored (item, scale)
    pairs, each with its own copy of the item's options, so every option still
    belongs to one item of one scale (the guarantees above hold per scale).
    ``scales`` is the instrument's full scale list (the index space of
    ``item_scale``); scales without situations come out NaN / insufficient.
    """

    scales: tuple[str, ...]
    items: tuple[str, ...]  # effectiveness item keys, questionnaire order
    pair_item: tuple[str, ...]  # item key of each (item, scale) pair
    item_scale: np.ndarray  # (pairs,) scale index
    item_points: np.ndarray  # (pairs,) P
    options: tuple[tuple[str, str], ...]  # (item key, option key) per response column
    option_item: np.ndarray  # (columns,) pair index
    keys: np.ndarray  # (columns,) expert key on 1..P

    def score(self, responses: ArrayLike) -> EffectivenessScores:
        """:func:`score_effectiveness` with this key's arrays."""
        return score_effectiveness(
            responses, self.keys, self.option_item, self.item_scale, self.item_points,
            len(self.scales),
        )  # fmt: skip


def key_of(instrument: Instrument) -> EffectivenessKey:
    """The :class:`EffectivenessKey` of ``instrument`` (ScoringError when it has no such items)."""
    scales = instrument.scale_keys
    s_index = {s: i for i, s in enumerate(scales)}
    items = [it for it in instrument.iter_items() if it.type == "effectiveness"]
    if not items:
        raise ScoringError(f"instrument {instrument.key!r} has no effectiveness items")
    pair_item: list[str] = []
    item_scale: list[int] = []
    item_points: list[int] = []
    options: list[tuple[str, str]] = []
    option_item: list[int] = []
    keys: list[float] = []
    for it in items:
        if not it.scales:
            raise ScoringError(f"effectiveness item {it.key!r} names no scale")
        for sc in it.scales:
            if sc not in s_index:
                raise ScoringError(f"effectiveness item {it.key!r} names unknown scale {sc!r}")
            for o in it.options:
                if o.effectiveness is None:
                    raise ScoringError(f"item {it.key!r} option {o.key!r} has no expert key")
                options.append((it.key, o.key))
                option_item.append(len(pair_item))
                keys.append(float(o.effectiveness))
            pair_item.append(it.key)
            item_scale.append(s_index[sc])
            item_points.append(int(it.points or 0))
    return EffectivenessKey(
        scales=scales,
        items=tuple(it.key for it in items),
        pair_item=tuple(pair_item),
        item_scale=np.array(item_scale, dtype=np.intp),
        item_points=np.array(item_points, dtype=np.intp),
        options=tuple(options),
        option_item=np.array(option_item, dtype=np.intp),
        keys=np.array(keys),
    )


def responses_of(
    instrument: Instrument,
    answers: Sequence[Mapping[str, object]],
    key: EffectivenessKey | None = None,
) -> np.ndarray:
    """Stored answers ``{option_key: rating}`` → responses (n × ``key.options``), NaN = unrated.

    An item measuring two scales fills both copies of its options.  An answer
    that is not a mapping, an unknown option or a rating that is not a whole
    number 1..P raises ScoringError naming the item: a silently dropped rating
    would bias the score.  Unrated options (or the item absent / None) are NaN.
    """
    k = key_of(instrument) if key is None else key
    out = np.full((len(answers), len(k.options)), np.nan)
    cols: dict[str, dict[str, list[int]]] = {}
    for c, (item, opt) in enumerate(k.options):
        cols.setdefault(item, {}).setdefault(opt, []).append(c)
    points = dict(zip(k.pair_item, k.item_points.tolist(), strict=True))
    for item, by_option in cols.items():
        p = points[item]
        for r, a in enumerate(answers):
            v = a.get(item)
            if v is None:
                continue
            if not isinstance(v, Mapping):
                raise ScoringError(f"item {item!r}: answer {v!r} is not a mapping of ratings")
            for opt, rating in v.items():
                if rating is None:
                    continue
                if opt not in by_option:
                    raise ScoringError(f"item {item!r} has no option {opt!r}")
                if (
                    isinstance(rating, bool)
                    or not isinstance(rating, numbers.Real)
                    or not math.isfinite(rating)
                    or rating != int(rating)
                    or not 1 <= rating <= p
                ):
                    raise ScoringError(
                        f"item {item!r} option {opt!r}: rating {rating!r} is not a whole 1..{p}"
                    )
                out[r, by_option[opt]] = float(rating)
    return out
