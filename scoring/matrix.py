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
