"""Compile an :class:`~questionnaires.model.Instrument` into numpy scoring arrays.

The instrument is a tree of frozen dataclasses, convenient to read and
validate but slow to walk for every respondent.  :func:`compile_key` walks it
once and produces a :class:`ScoringKey`: flat arrays that turn an answers
matrix into scale scores with a handful of vectorised operations (a matrix
product, a gather of option scores, a second small product for counts).

Matrix encoding (one row per respondent, ``key.columns`` names the columns):

========================  =====================================================
block (in this order)     column content
========================  =====================================================
value items               likert / rating: the raw answer 1..points (not
                          reversed; reversal is folded into the weights)
choice items              situational / choice: the 0-based index of the
                          chosen option in ``item.options``
set items                 multi / checklist: one 0/1 column per option
                          (1 = ticked); an unanswered item is NaN in all its
                          columns, an answered item with nothing ticked is 0
check items               unscored likert items and attention checks: the raw
                          answer (likert/rating/numeric) or the option index
========================  =====================================================

NaN means "missing" everywhere.  Grouping columns by block makes every
block a contiguous slice, so scoring never copies the matrix.

Forced-choice, effectiveness and familiarity items (assessment v2) get **no
columns**: their answers are scored by their own modules (:mod:`scoring.thurstonian`,
:mod:`scoring.effectiveness`, :mod:`scoring.faking`, combined in
:mod:`scoring.assessment`), so the key lists them in ``separate_items`` and
:func:`scoring.matrix.answers_to_matrix` ignores their values.  An instrument
without such items compiles exactly as before.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from questionnaires.model import ARCHETYPES, Instrument, Item
from scoring.errors import ScoringError

#: Item kinds (``ScoringKey.item_kind``).
VALUE, CHOICE, SET = 0, 1, 2
KIND_NAMES: tuple[str, ...] = ("value", "choice", "set")

_VALUE_TYPES = ("likert", "rating")
_CHOICE_TYPES = ("situational", "choice")
_SET_TYPES = ("multi", "checklist")
#: Item types scored by their own modules, not by this key (no columns).
SEPARATE_TYPES = ("forced_choice", "effectiveness", "familiarity")
#: Item types an attention check may have (the expected answer is one value).
_ATTENTION_TYPES = ("likert", "rating", "situational", "choice", "numeric")


@dataclass(frozen=True, eq=False)
class ScoringKey:
    """Flat numpy arrays that score one instrument version.

    Per-item arrays are indexed by position in ``items`` (questionnaire
    order inside each block, blocks ordered as in the module docstring).
    The scored items come first: ``items[:n_scored]``.
    """

    instrument: str
    version: int
    content_hash: str
    scales: tuple[str, ...]
    archetypes: tuple[str, ...]
    # -- items --------------------------------------------------------------
    items: tuple[str, ...]
    item_types: tuple[str, ...]
    item_kind: np.ndarray  # (n_items,) int: VALUE, CHOICE or SET
    item_col: np.ndarray  # (n_items,) first matrix column of the item
    item_ncols: np.ndarray  # (n_items,) columns of the item (options for SET)
    item_points: np.ndarray  # (n_items,) likert/rating points, 0 otherwise
    item_reverse: np.ndarray  # (n_items,) bool, reverse-keyed likert
    item_scale: np.ndarray  # (n_items,) int scale index of likert/rating/checklist, -1 none
    item_option_offset: np.ndarray  # (n_items,) first row in option tables, -1 none
    item_options: tuple[tuple[str, ...], ...]  # option keys per item
    item_order: np.ndarray  # (n_items,) position in questionnaire order
    n_scored: int  # items[:n_scored] feed scales
    # -- columns ------------------------------------------------------------
    columns: tuple[str, ...]  # "item" or "item:option" (SET items)
    col_item: np.ndarray  # (n_columns,) item index of every column
    n_value_cols: int
    n_choice_cols: int
    n_set_cols: int
    col_min: np.ndarray  # (n_columns,) smallest valid value (NaN: any float)
    col_max: np.ndarray  # (n_columns,) largest valid value (NaN: any float)
    # -- options ------------------------------------------------------------
    option_scores: np.ndarray  # (n_options, n_scales) score vector of each option
    option_archetypes: np.ndarray  # (n_options, n_archetypes)
    # -- scale weights (derived from the above, precomputed for speed) -------
    touches: np.ndarray  # (n_scored, n_scales) bool: item counts toward scale
    item_min: np.ndarray  # (n_scored, n_scales) lowest contribution (0 where not touching)
    item_max: np.ndarray  # (n_scored, n_scales) highest contribution
    value_weight: np.ndarray  # (n_scored_cols, n_scales) linear part of contributions
    value_const: np.ndarray  # (n_scored, n_scales) added once per answered item
    choice_weight: np.ndarray  # (n_choice_options, n_scales) rows for one-hot choice
    choice_offset: np.ndarray  # (n_choice_cols,) first row in choice_weight per column
    n_items: np.ndarray  # (n_scales,) items touching each scale
    scale_min: np.ndarray  # (n_scales,) lowest possible raw score
    scale_max: np.ndarray  # (n_scales,) highest possible raw score
    # -- response-quality metadata -----------------------------------------
    likert_cols: np.ndarray  # columns of all likert items, questionnaire order
    likert_points: np.ndarray  # points of those items
    attention_items: tuple[str, ...]
    attention_cols: np.ndarray  # matrix column of each attention check
    attention_expected: np.ndarray  # expected matrix value (option index for choices)
    pair_a: np.ndarray  # columns of normally keyed items of reverse-keyed pairs
    pair_b: np.ndarray  # columns of the reverse-keyed partner (same scale)
    pair_scale: np.ndarray  # scale index of each pair
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    #: forced_choice / effectiveness / familiarity items, questionnaire order: scored
    #: by their own modules (see scoring.assessment), no columns here.
    separate_items: tuple[str, ...] = ()

    @property
    def n_columns(self) -> int:
        return len(self.columns)

    @property
    def n_scored_cols(self) -> int:
        return self.n_value_cols + self.n_choice_cols + self.n_set_cols

    def item_index(self, item: str) -> int:
        """Position of ``item`` in ``items``; ScoringError when it is not in the key."""
        try:
            return self._index[item]
        except KeyError:
            raise ScoringError(f"item {item!r} is not in the scoring key") from None

    def scale_index(self, scale: str) -> int:
        try:
            return self.scales.index(scale)
        except ValueError:
            raise ScoringError(f"scale {scale!r} is not in the scoring key") from None

    def scale_items(self, scale: str) -> tuple[str, ...]:
        """Keys of the items counting toward ``scale``, in key order."""
        s = self.scale_index(scale)
        return tuple(self.items[i] for i in np.flatnonzero(self.touches[:, s]))


def _points(item: Item) -> int:
    if item.points:
        return int(item.points)
    if item.type == "rating" and item.anchors:
        return max(a.level for a in item.anchors)
    return 5


def _attention_value(item: Item) -> float:
    """The matrix value an attention check expects (raw answer or option index)."""
    expected = item.attention
    if isinstance(expected, Mapping):  # tolerate {expected: x} if passed through raw
        expected = expected.get("expected")
    if item.type in _CHOICE_TYPES:
        keys = [o.key for o in item.options]
        if str(expected) not in keys:
            raise ScoringError(
                f"attention item {item.key!r} expects {expected!r}, which is not an option"
            )
        return float(keys.index(str(expected)))
    if item.type in _VALUE_TYPES:
        text = str(expected).strip()
        try:
            value = float(text)
        except ValueError:
            labels = [str(label).casefold() for label in item.labels]
            if text.casefold() in labels:
                return float(labels.index(text.casefold()) + 1)
            raise ScoringError(
                f"attention item {item.key!r}: cannot read expected answer {expected!r}"
            ) from None
        if value != int(value) or not 1 <= value <= _points(item):
            raise ScoringError(
                f"attention item {item.key!r}: expected answer {expected!r} is out of range"
            )
        return value
    try:
        return float(str(expected))
    except ValueError:
        raise ScoringError(
            f"attention item {item.key!r}: cannot read expected answer {expected!r}"
        ) from None


def _kind(item: Item) -> int:
    if item.type in _VALUE_TYPES:
        return VALUE
    if item.type in _CHOICE_TYPES:
        return CHOICE
    if item.type in _SET_TYPES:
        return SET
    raise ScoringError(f"item {item.key!r} of type {item.type!r} cannot be scored")


def _build(instrument: Instrument) -> ScoringKey:
    scales = instrument.scale_keys
    if len(set(scales)) != len(scales):
        raise ScoringError(f"instrument {instrument.key!r} has duplicate scale keys")
    s_index = {s: i for i, s in enumerate(scales)}
    archetypes = ARCHETYPES
    a_index = {a: i for i, a in enumerate(archetypes)}
    order = {it.key: n for n, it in enumerate(instrument.iter_items())}

    scored: list[Item] = []
    checks: list[Item] = []
    separate: list[str] = []
    for it in instrument.iter_items():
        if it.type in SEPARATE_TYPES and it.attention is None:
            separate.append(it.key)
        elif it.is_scored and it.type != "numeric":
            scored.append(it)
        elif it.attention is not None:
            if it.type not in _ATTENTION_TYPES:
                raise ScoringError(
                    f"attention item {it.key!r} has type {it.type!r}; "
                    f"attention checks must be one of {', '.join(_ATTENTION_TYPES)}"
                )
            checks.append(it)
        elif it.type == "likert" and it.segment is None:
            checks.append(it)  # unscored likert: still counts for straight-lining
    # blocks: value, choice, set (scored), then checks
    scored.sort(key=lambda it: (_kind(it), order[it.key]))
    items = scored + checks
    keys = [it.key for it in items]
    if len(set(keys)) != len(keys):
        raise ScoringError(f"instrument {instrument.key!r} has duplicate item keys")

    n_sc = len(scales)
    item_kind, item_col, item_ncols, item_points, item_reverse = [], [], [], [], []
    item_scale, item_offset, item_options = [], [], []
    columns: list[str] = []
    col_item: list[int] = []
    col_min: list[float] = []
    col_max: list[float] = []
    opt_scores: list[np.ndarray] = []
    opt_arch: list[np.ndarray] = []

    for i, it in enumerate(items):
        is_check = i >= len(scored)
        kind = _kind(it) if not (is_check and it.type == "numeric") else VALUE
        pts = _points(it) if it.type in _VALUE_TYPES else 0
        if it.scale is not None and it.type in ("likert", "rating", "checklist"):
            if it.scale not in s_index:
                raise ScoringError(f"item {it.key!r} names unknown scale {it.scale!r}")
            item_scale.append(s_index[it.scale])
        else:
            item_scale.append(-1)
        item_kind.append(kind)
        item_col.append(len(columns))
        item_points.append(pts)
        item_reverse.append(bool(it.reverse) and it.type == "likert")
        item_options.append(tuple(o.key for o in it.options))
        if it.options and kind in (CHOICE, SET):
            if len({o.key for o in it.options}) != len(it.options):
                raise ScoringError(f"item {it.key!r} has duplicate option keys")
            item_offset.append(len(opt_scores))
            for o in it.options:
                vec = np.zeros(n_sc)
                if it.type == "checklist":
                    if item_scale[-1] >= 0:
                        vec[item_scale[-1]] = 1.0 if o.points is None else float(o.points)
                else:
                    for s, v in o.scores.items():
                        if s not in s_index:
                            raise ScoringError(
                                f"item {it.key!r} option {o.key!r} scores unknown scale {s!r}"
                            )
                        vec[s_index[s]] = float(v)
                arch = np.zeros(len(archetypes))
                for a, v in o.archetypes.items():
                    if a in a_index:
                        arch[a_index[a]] = float(v)
                opt_scores.append(vec)
                opt_arch.append(arch)
        else:
            item_offset.append(-1)
        if kind == SET:
            if not it.options:
                raise ScoringError(f"item {it.key!r} has no options")
            for o in it.options:
                columns.append(f"{it.key}:{o.key}")
                col_item.append(i)
                col_min.append(0.0)
                col_max.append(1.0)
            item_ncols.append(len(it.options))
        else:
            columns.append(it.key)
            col_item.append(i)
            item_ncols.append(1)
            if kind == CHOICE:
                if not it.options:
                    raise ScoringError(f"item {it.key!r} has no options")
                col_min.append(0.0)
                col_max.append(float(len(it.options) - 1))
            elif it.type in _VALUE_TYPES:
                col_min.append(1.0)
                col_max.append(float(pts))
            else:  # numeric attention check
                col_min.append(math.nan if it.minimum is None else float(it.minimum))
                col_max.append(math.nan if it.maximum is None else float(it.maximum))

    n_items = len(items)
    n_scored = len(scored)
    kinds = np.array(item_kind, dtype=np.intp)
    cols = np.array(item_col, dtype=np.intp)
    ncols = np.array(item_ncols, dtype=np.intp)
    points = np.array(item_points, dtype=np.intp)
    reverse = np.array(item_reverse, dtype=bool)
    scale_of = np.array(item_scale, dtype=np.intp)
    offset = np.array(item_offset, dtype=np.intp)
    option_scores = np.array(opt_scores, dtype=float).reshape(len(opt_scores), n_sc)
    option_arch = np.array(opt_arch, dtype=float).reshape(len(opt_arch), len(archetypes))

    sk = kinds[:n_scored]
    n_value = int(ncols[:n_scored][sk == VALUE].sum())
    n_choice = int(ncols[:n_scored][sk == CHOICE].sum())
    n_set = int(ncols[:n_scored][sk == SET].sum())
    n_scored_cols = n_value + n_choice + n_set

    # Per-item contribution range and which scales each scored item touches.
    touches = np.zeros((n_scored, n_sc), dtype=bool)
    lo = np.zeros((n_scored, n_sc))
    hi = np.zeros((n_scored, n_sc))
    value_weight = np.zeros((n_scored_cols, n_sc))
    value_const = np.zeros((n_scored, n_sc))
    choice_rows: list[np.ndarray] = []
    choice_offset: list[int] = []
    for i in range(n_scored):
        it = items[i]
        if kinds[i] == VALUE:
            s = scale_of[i]
            touches[i, s] = True
            lo[i, s], hi[i, s] = 1.0, float(points[i])
            # reversed value = points + 1 - x  ->  const (points+1) and weight -1
            value_weight[cols[i], s] = -1.0 if reverse[i] else 1.0
            value_const[i, s] = float(points[i] + 1) if reverse[i] else 0.0
        else:
            rows = option_scores[offset[i] : offset[i] + len(it.options)]
            if kinds[i] == CHOICE:  # counts when the options score the scale differently
                touches[i] = rows.max(axis=0) > rows.min(axis=0)
            else:  # counts when any option scores the scale
                touches[i] = np.any(rows != 0.0, axis=0)
            if kinds[i] == CHOICE:
                lo[i], hi[i] = rows.min(axis=0), rows.max(axis=0)
                choice_offset.append(sum(len(r) for r in choice_rows))
                choice_rows.append(rows)
            else:  # any subset may be ticked, including none
                lo[i] = np.minimum(rows, 0.0).sum(axis=0)
                hi[i] = np.maximum(rows, 0.0).sum(axis=0)
                value_weight[cols[i] : cols[i] + ncols[i]] = rows
    lo *= touches
    hi *= touches
    scale_min = lo.sum(axis=0)
    scale_max = hi.sum(axis=0)
    n_per_scale = touches.sum(axis=0).astype(np.intp)
    for s in np.flatnonzero((n_per_scale > 0) & (scale_max <= scale_min)):
        raise ScoringError(
            f"scale {scales[s]!r}: its items cannot produce different scores "
            f"(minimum = maximum = {scale_min[s]:g})"
        )
    choice_weight = np.concatenate(choice_rows, axis=0) if choice_rows else np.zeros((0, n_sc))

    # Response-quality metadata.
    likert = [i for i in range(n_items) if items[i].type == "likert"]
    likert.sort(key=lambda i: order[items[i].key])
    att = [i for i in range(n_items) if items[i].attention is not None]
    att.sort(key=lambda i: order[items[i].key])
    pa: list[int] = []
    pb: list[int] = []
    ps: list[int] = []
    for s in range(n_sc):
        normal = [i for i in likert if i < n_scored and scale_of[i] == s and not reverse[i]]
        rev = [i for i in likert if i < n_scored and scale_of[i] == s and reverse[i]]
        for a in normal:
            for b in rev:
                pa.append(int(cols[a]))
                pb.append(int(cols[b]))
                ps.append(s)

    def arr(values: list[int] | list[float], dtype: type = np.intp) -> np.ndarray:
        out = np.array(values, dtype=dtype)
        out.flags.writeable = False
        return out

    key = ScoringKey(
        instrument=instrument.key,
        version=instrument.version,
        content_hash=instrument.content_hash,
        scales=scales,
        archetypes=archetypes,
        items=tuple(keys),
        item_types=tuple(it.type for it in items),
        item_kind=kinds,
        item_col=cols,
        item_ncols=ncols,
        item_points=points,
        item_reverse=reverse,
        item_scale=scale_of,
        item_option_offset=offset,
        item_options=tuple(item_options),
        item_order=arr([order[k] for k in keys]),
        n_scored=n_scored,
        columns=tuple(columns),
        col_item=arr(col_item),
        n_value_cols=n_value,
        n_choice_cols=n_choice,
        n_set_cols=n_set,
        col_min=arr(col_min, float),
        col_max=arr(col_max, float),
        option_scores=option_scores,
        option_archetypes=option_arch,
        touches=touches,
        item_min=lo,
        item_max=hi,
        value_weight=value_weight,
        value_const=value_const,
        choice_weight=choice_weight,
        choice_offset=arr(choice_offset),
        n_items=n_per_scale,
        scale_min=scale_min,
        scale_max=scale_max,
        likert_cols=arr([int(cols[i]) for i in likert]),
        likert_points=arr([int(points[i]) for i in likert]),
        attention_items=tuple(keys[i] for i in att),
        attention_cols=arr([int(cols[i]) for i in att]),
        attention_expected=arr([_attention_value(items[i]) for i in att], float),
        pair_a=arr(pa),
        pair_b=arr(pb),
        pair_scale=arr(ps),
        _index={k: i for i, k in enumerate(keys)},
        separate_items=tuple(separate),
    )
    for name in (
        "item_kind", "item_col", "item_ncols", "item_points", "item_reverse", "item_scale",
        "item_option_offset", "option_scores", "option_archetypes", "touches", "item_min",
        "item_max", "value_weight", "value_const", "choice_weight", "n_items", "scale_min",
        "scale_max",
    ):  # fmt: skip
        getattr(key, name).flags.writeable = False
    return key


_CACHE: dict[str, ScoringKey] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 64


def compile_key(instrument: Instrument) -> ScoringKey:
    """The :class:`ScoringKey` of ``instrument``, cached per ``content_hash``.

    Compiling walks every item and option once; the app scores the same
    few instrument versions over and over, so the result is cached by the
    content hash (the identity of a version).  Instruments without a hash
    are compiled afresh every time.
    """
    h = instrument.content_hash
    if h:
        cached = _CACHE.get(h)
        if cached is not None and cached.instrument == instrument.key:
            return cached
    key = _build(instrument)
    if h:
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[h] = key
    return key


def clear_key_cache() -> None:
    """Forget every compiled key (tests, or after editing a definition in place)."""
    with _CACHE_LOCK:
        _CACHE.clear()
