"""Convert answer mappings (as stored in SQL rows) to and from the answers matrix.

The encoding is described in :mod:`scoring.key`.  Conversion is the one
place that touches Python objects; it loops over *items* (a few hundred)
with one list comprehension over respondents each, and validates every
value so that scoring can trust the matrix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from itertools import chain

import numpy as np

from scoring.errors import ScoringError
from scoring.key import CHOICE, SET, VALUE, ScoringKey


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _value_column(key: ScoringKey, i: int, values: list[object]) -> np.ndarray:
    item = key.items[i]
    col = key.item_col[i]
    lo, hi = key.col_min[col], key.col_max[col]
    integral = key.item_types[i] in ("likert", "rating")
    out = np.full(len(values), np.nan)
    for r, v in enumerate(values):
        if _is_missing(v):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ScoringError(f"item {item!r}: answer {v!r} is not a number")
        x = float(v)
        if integral and x != int(x):
            raise ScoringError(f"item {item!r}: answer {v!r} is not a whole number")
        if (not math.isnan(lo) and x < lo) or (not math.isnan(hi) and x > hi) or math.isinf(x):
            raise ScoringError(f"item {item!r}: answer {v!r} is outside the range {lo:g}..{hi:g}")
        out[r] = x
    return out


def _choice_column(key: ScoringKey, i: int, values: list[object]) -> np.ndarray:
    item = key.items[i]
    lookup = {k: float(n) for n, k in enumerate(key.item_options[i])}
    out = np.full(len(values), np.nan)
    for r, v in enumerate(values):
        if _is_missing(v):
            continue
        x = lookup.get(v) if isinstance(v, str) else None
        if x is None:
            raise ScoringError(f"item {item!r} has no option {v!r}")
        out[r] = x
    return out


def _set_columns(key: ScoringKey, i: int, values: list[object]) -> np.ndarray:
    item = key.items[i]
    lookup = {k: n for n, k in enumerate(key.item_options[i])}
    out = np.zeros((len(values), int(key.item_ncols[i])))
    for r, v in enumerate(values):
        if _is_missing(v):
            out[r] = np.nan
            continue
        if isinstance(v, str | bytes) or not isinstance(v, Sequence | set | frozenset):
            raise ScoringError(f"item {item!r}: answer {v!r} is not a list of options")
        for k in v:
            n = lookup.get(k) if isinstance(k, str) else None
            if n is None:
                raise ScoringError(f"item {item!r} has no option {k!r}")
            out[r, n] = 1.0
    return out


def answers_to_matrix(key: ScoringKey, answers: Sequence[Mapping[str, object]]) -> np.ndarray:
    """The (respondents × ``key.n_columns``) answers matrix; NaN marks a missing answer.

    ``answers`` holds one mapping per respondent from item key to answer,
    in the fixed answer conventions (likert/rating int 1..points, choice and
    situational an option key, multi/checklist a list of option keys,
    numeric a float; missing = absent or None).  Keys of items the key does
    not score (text, segment, numeric questions) are ignored, and so are the
    values of forced_choice, effectiveness and familiarity items
    (``key.separate_items``): their own adapters (``thurstonian.ranks_of``,
    ``effectiveness.responses_of``, ``faking.familiarity_of``) read and check them.  An unknown
    option or an out-of-range value raises :class:`ScoringError` naming the
    item, because a silently dropped answer would bias the score.
    """
    if isinstance(answers, Mapping):
        raise ScoringError("answers must be a sequence of mappings, one per respondent")
    n = len(answers)
    out = np.full((n, key.n_columns), np.nan)
    for r, a in enumerate(answers):
        if not isinstance(a, Mapping):
            raise ScoringError(f"respondent {r}: answers must be a mapping, got {type(a)!r}")
    for i, item in enumerate(key.items):
        values = [a.get(item) for a in answers]
        c = int(key.item_col[i])
        kind = key.item_kind[i]
        if kind == VALUE:
            out[:, c] = _value_column(key, i, values)
        elif kind == CHOICE:
            out[:, c] = _choice_column(key, i, values)
        else:
            out[:, c : c + int(key.item_ncols[i])] = _set_columns(key, i, values)
    return out


def matrix_to_answers(key: ScoringKey, matrix: np.ndarray) -> list[dict[str, object]]:
    """The inverse of :func:`answers_to_matrix` (missing answers are left out).

    Used by tests and the benchmark to compare against plain-Python
    references, and handy for exporting synthetic data.
    """
    m = check_matrix(key, matrix)
    out: list[dict[str, object]] = [{} for _ in range(m.shape[0])]
    for i, item in enumerate(key.items):
        c = int(key.item_col[i])
        kind = key.item_kind[i]
        if kind == SET:
            block = m[:, c : c + int(key.item_ncols[i])]
            opts = key.item_options[i]
            for r in np.flatnonzero(~np.isnan(block[:, 0])):
                out[r][item] = [opts[j] for j in np.flatnonzero(block[r] == 1.0)]
            continue
        col = m[:, c]
        for r in np.flatnonzero(~np.isnan(col)):
            if kind == CHOICE:
                out[r][item] = key.item_options[i][int(col[r])]
            elif key.item_types[i] in ("likert", "rating"):
                out[r][item] = int(col[r])
            else:
                out[r][item] = float(col[r])
    return out


def check_matrix(
    key: ScoringKey, matrix: object, *, ranges: bool = True, indices: bool = True
) -> np.ndarray:
    """``matrix`` as a float array of the key's shape, or a ScoringError saying what is wrong.

    Checks the shape and, cheaply (one min and one max reduction per
    column), that every value lies in its column's range, and that choice
    columns hold whole numbers, so that a matrix built by hand cannot index
    outside the option tables.  Callers that check row blocks themselves
    (:func:`check_ranges`, :func:`check_indices`) pass False.
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2:
        raise ScoringError(f"answers matrix must be 2-D, got {m.ndim} dimension(s)")
    if m.shape[1] != key.n_columns:
        raise ScoringError(
            f"answers matrix has {m.shape[1]} columns; instrument {key.instrument!r} "
            f"v{key.version} needs {key.n_columns}"
        )
    if m.shape[0] == 0:
        raise ScoringError("answers matrix has no respondents")
    if ranges:
        check_ranges(key, m)
    if indices:
        s = key.n_value_cols
        check_indices(key, np.ascontiguousarray(m[:, s : s + key.n_choice_cols]))
    return m


def check_ranges(key: ScoringKey, m: np.ndarray) -> None:
    """ScoringError naming the first column of ``m`` with a value outside its range."""
    if not m.size:
        return
    cmin = np.fmin.reduce(m, axis=0)
    cmax = np.fmax.reduce(m, axis=0)
    bad = (cmin < key.col_min) | (cmax > key.col_max) | np.isinf(cmin) | np.isinf(cmax)
    for c in np.flatnonzero(bad):
        raise ScoringError(
            f"answers matrix column {key.columns[c]!r} holds values outside "
            f"{key.col_min[c]:g}..{key.col_max[c]:g}"
        )


def check_indices(key: ScoringKey, block: np.ndarray) -> None:
    """ScoringError unless the scored choice columns ``block`` hold whole numbers (or NaN)."""
    if block.size:
        frac = np.any((block != np.rint(block)) & (block == block), axis=0)
        for j in np.flatnonzero(frac):
            raise ScoringError(
                f"answers matrix column {key.columns[key.n_value_cols + j]!r} "
                "must hold option indices"
            )


# -- stored answers (one row per respondent and item) --------------------------------------------


class _Lookup(dict):
    """A dict answering ``missing`` for an absent key, so ``map(d.__getitem__, …)`` stays in C."""

    def __init__(self, pairs: Mapping[object, int], missing: int) -> None:
        super().__init__(pairs)
        self.missing = missing

    def __missing__(self, _key: object) -> int:
        return self.missing


#: Type codes of the values handled in bulk (anything else: ``_OTHER``, the per-value code).
_INT, _FLOAT, _NONE, _LIST, _OTHER = range(5)
_TYPE_CODES = _Lookup({int: _INT, float: _FLOAT, type(None): _NONE, list: _LIST}, _OTHER)
_IS_STR = _Lookup({str: True, int: False, float: False, type(None): False}, False)


def _types(values: np.ndarray) -> np.ndarray:
    """The type code of every element (exact types: bool and subclasses are ``_OTHER``)."""
    codes = map(_TYPE_CODES.__getitem__, map(type, values))
    return np.fromiter(codes, dtype=np.intp, count=len(values))


def _option_ids(lookup: _Lookup, values: Sequence[object]) -> np.ndarray:
    """``lookup[v]`` for every value; an unhashable value (a list) maps to ``lookup.missing``."""
    try:
        return np.fromiter(map(lookup.__getitem__, values), dtype=np.intp, count=len(values))
    except TypeError:
        out = np.empty(len(values), dtype=np.intp)
        for j, v in enumerate(values):
            try:
                out[j] = lookup[v]
            except TypeError:
                out[j] = lookup.missing
        return out


def _decode_json(texts: np.ndarray) -> np.ndarray:
    """Decode the JSON documents among ``texts`` in one ``json.loads`` call.

    Elements that are not str are taken as decoded already: SQL NULL (None)
    and the numbers SQLite hands back for a JSON column (its NUMERIC affinity
    stores ``3`` as an integer).
    """
    import json

    is_str = np.fromiter(map(_IS_STR.__getitem__, map(type, texts)), dtype=bool, count=len(texts))
    strings = texts[is_str]
    try:
        decoded = json.loads(f"[{','.join(strings)}]")
    except ValueError as exc:
        raise ScoringError(f"stored answers are not valid JSON: {exc}") from None
    if len(decoded) != len(strings):
        raise ScoringError("stored answers are not valid JSON: a value holds several documents")
    out = texts.copy()
    out[is_str] = np.fromiter(decoded, dtype=object, count=len(decoded))
    return out


def _key_tables(key: ScoringKey) -> tuple[_Lookup, _Lookup, np.ndarray]:
    """Item key → item index, option key → option id, and (item, option id) → option index.

    One option-id space for every item's options turns "is this option valid
    for this item, and which column" into a single 2-D gather.  The table's
    last two columns answer "missing" (-2, a None value) and "unknown" (-1).
    """
    items = _Lookup({k: i for i, k in enumerate(key.items)}, -1)
    names = sorted({o for opts in key.item_options for o in opts})
    n_ids = len(names)
    options = _Lookup({o: j for j, o in enumerate(names)}, n_ids + 1)
    options[None] = n_ids
    table = np.full((len(key.items), n_ids + 2), -1, dtype=np.intp)
    table[:, n_ids] = -2
    for i, opts in enumerate(key.item_options):
        for n, o in enumerate(opts):
            table[i, options[o]] = n
    return items, options, table


def rows_to_matrix(
    key: ScoringKey,
    respondent: np.ndarray | Sequence[int],
    item: Sequence[str] | np.ndarray,
    value: Sequence[object] | np.ndarray,
    n: int,
    *,
    json_text: bool = False,
) -> np.ndarray:
    """The answers matrix of stored answer rows: exactly ``answers_to_matrix`` of the same answers.

    Row ``j`` says respondent ``respondent[j]`` (0..n-1, the matrix row) gave
    ``value[j]`` to item ``item[j]``, as rows of the answer table come from the
    database.  ``value`` holds decoded JSON values, or with ``json_text=True``
    the JSON documents as text (SQLite's raw driver, PostgreSQL's ``value::text``),
    decoded here in one ``json.loads`` call, which is cheaper than one call per row
    (non-str elements, SQL NULL or the numbers SQLite returns, count as decoded).

    Rows of items the key does not score are ignored, as ``answers_to_matrix``
    ignores those keys; an absent row or a None/NaN value is a missing answer.
    Values are scattered into the matrix by block with numpy indexing; only the
    rare values that are not plain int/float/str/list (or that fail a check)
    go through ``answers_to_matrix``'s own per-value code, in its order (item,
    then respondent), so that the error raised for bad data is the same one.
    Two rows for the same respondent and item raise ScoringError (the answer
    table's unique constraint forbids them; which one should win is unknowable).
    """
    resp = np.asarray(respondent)
    m = len(resp)
    if resp.ndim != 1 or len(item) != m or len(value) != m:
        raise ScoringError("respondent, item and value must be sequences of the same length")
    if n < 0:
        raise ScoringError(f"number of respondents must be ≥ 0, got {n}")
    out = np.full((n, key.n_columns), np.nan)
    if m == 0:
        return out
    if resp.dtype.kind not in "iu":
        raise ScoringError("respondent indices must be integers")
    resp = resp.astype(np.intp, copy=False)
    if int(resp.min()) < 0 or int(resp.max()) >= n:
        raise ScoringError(f"respondent indices must lie in 0..{n - 1}")

    items, options, table = _key_tables(key)
    try:
        idx = np.fromiter(map(items.__getitem__, item), dtype=np.intp, count=m)
    except TypeError:
        raise ScoringError("item keys must be strings") from None
    keep = np.flatnonzero(idx >= 0)
    if not keep.size:
        return out
    resp, idx = resp[keep], idx[keep]
    n_items = len(key.items)
    seen = np.zeros(n * n_items, dtype=bool)
    flat = resp * n_items + idx
    seen[flat] = True
    if np.count_nonzero(seen) != len(flat):
        order = np.argsort(flat, kind="stable")
        dup = order[1:][np.diff(flat[order]) == 0][0]
        raise ScoringError(
            f"respondent {int(resp[dup])} has more than one answer to item "
            f"{key.items[int(idx[dup])]!r}"
        )
    del seen, flat
    if json_text:
        vals = _decode_json(np.fromiter(value, dtype=object, count=m)[keep])
    else:
        vals = np.fromiter(value, dtype=object, count=m)[keep]

    kind = key.item_kind[idx]
    col = key.item_col[idx]
    slow: list[np.ndarray] = []  # rows for the per-value code: odd types or failed checks

    # value block: likert/rating/numeric; plain int/float in bulk
    sel = np.flatnonzero(kind == VALUE)
    if sel.size:
        v = vals[sel]
        t = _types(v)
        fast = t <= _FLOAT
        x = np.full(len(v), np.nan)
        try:
            x[fast] = v[fast].astype(float)
        except OverflowError:  # an int beyond float: the per-value code raises what it raises
            fast[:] = False
        c = col[sel]
        integral = np.array([t in ("likert", "rating") for t in key.item_types])[idx[sel]]
        with np.errstate(invalid="ignore"):
            bad = (
                (x < key.col_min[c])
                | (x > key.col_max[c])
                | np.isinf(x)
                | (integral & (x != np.trunc(x)) & ~np.isnan(x))
            )
        ok = fast & ~bad
        out[resp[sel[ok]], c[ok]] = x[ok]
        slow.append(sel[~ok & (t != _NONE)])

    # choice block: option key -> 0-based index through the (item, option id) table
    sel = np.flatnonzero(kind == CHOICE)
    if sel.size:
        opt = table[idx[sel], _option_ids(options, vals[sel])]
        ok = opt >= 0
        out[resp[sel[ok]], col[sel[ok]]] = opt[ok]
        slow.append(sel[opt == -1])

    # set block: lists of option keys -> 0 in all the item's columns, then 1 where ticked
    sel = np.flatnonzero(kind == SET)
    if sel.size:
        v = vals[sel]
        t = _types(v)
        is_list = t == _LIST
        lists = v[is_list]
        lens = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
        elements = list(chain.from_iterable(lists))
        owner = np.repeat(np.arange(len(lists)), lens)
        opt = table[idx[sel[is_list]][owner], _option_ids(options, elements)]
        good_el = opt >= 0
        row_bad = np.zeros(len(lists), dtype=bool)
        row_bad[owner[~good_el]] = True
        rows = sel[is_list][~row_bad]
        w = key.item_ncols[idx[rows]]
        start = np.cumsum(w) - w
        within = np.arange(int(w.sum())) - np.repeat(start, w)
        out[np.repeat(resp[rows], w), np.repeat(col[rows], w) + within] = 0.0
        el = good_el & ~row_bad[owner]
        ticked = sel[is_list][owner[el]]
        out[resp[ticked], col[ticked] + opt[el]] = 1.0
        slow.append(np.concatenate([sel[~is_list & (t != _NONE)], sel[is_list][row_bad]]))

    rest = np.concatenate(slow) if slow else np.empty(0, dtype=np.intp)
    for j in rest[np.lexsort((resp[rest], idx[rest]))]:
        i, r, c = int(idx[j]), int(resp[j]), int(col[j])
        if key.item_kind[i] == VALUE:
            out[r, c] = _value_column(key, i, [vals[j]])[0]
        elif key.item_kind[i] == CHOICE:
            out[r, c] = _choice_column(key, i, [vals[j]])[0]
        else:
            out[r, c : c + int(key.item_ncols[i])] = _set_columns(key, i, [vals[j]])[0]
    return out
