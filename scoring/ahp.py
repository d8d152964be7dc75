"""Analytic Hierarchy Process: priority weights from pairwise comparisons.

A board member says how much more important cluster *i* is than cluster *j*
on Saaty's 1/9..9 scale; the principal (Perron) eigenvector of the
reciprocal matrix gives the weights (Saaty 1977, 1980).  The consistency
ratio says whether the judgements hang together well enough to use, and
:func:`best_revision` names the single judgement most worth revisiting.
Groups are aggregated by the geometric mean of judgements (AIJ) or of
priorities (AIP) (Aczél & Saaty 1983; Forman & Peniwati 1998; Aguarón &
Moreno-Jiménez 2003).  Everything is vectorised over stacks of matrices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError

#: Random-index tables (mean CI of random reciprocal matrices), index n-1.
RANDOM_INDEX_TABLES: Mapping[str, tuple[float, ...]] = {
    # Saaty (1980), The Analytic Hierarchy Process, table 1.  n = 12 is the
    # published 1.48 (lower than n = 11; a known quirk of the small sample).
    "saaty1980": (
        0.0,
        0.0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
        1.51,
        1.48,
        1.56,
        1.57,
        1.59,
    ),
    # Saaty (2005), Theory and Applications of the ANP, p. 31: ahpy's 'saaty'.
    "saaty2005": (
        0.0,
        0.0,
        0.52,
        0.89,
        1.11,
        1.25,
        1.35,
        1.40,
        1.45,
        1.49,
        1.52,
        1.54,
        1.56,
        1.58,
        1.59,
    ),
    # Alonso & Lamata (2006), 100 000 random matrices per n.
    "alonso_lamata": (
        0.0,
        0.0,
        0.5245,
        0.8815,
        1.1086,
        1.2479,
        1.3417,
        1.4056,
        1.4499,
        1.4854,
        1.5141,
        1.5365,
        1.5551,
        1.5713,
        1.5838,
    ),
    # Donegan & Dodd (1991): ahpy's default 'dd' (first 15 entries).
    "donegan_dodd": (
        0.0,
        0.0,
        0.4914,
        0.8286,
        1.0591,
        1.1797,
        1.2519,
        1.3171,
        1.3733,
        1.4055,
        1.4213,
        1.4497,
        1.4643,
        1.4822,
        1.4969,
    ),
}
DEFAULT_RANDOM_INDEX = "saaty1980"
#: Saaty's conventional acceptance threshold for the consistency ratio.
CR_THRESHOLD = 0.10
#: The 17 values of Saaty's fundamental scale, 1/9 .. 9.
SAATY_SCALE: tuple[float, ...] = tuple([1.0 / v for v in range(9, 1, -1)] + list(range(1, 10)))
_RECIPROCAL_TOL = 1e-9


def random_index(n: int, table: str | Sequence[float] = DEFAULT_RANDOM_INDEX) -> float:
    """The random index for an n×n matrix from a named table or a sequence (index n-1)."""
    if isinstance(table, str):
        if table not in RANDOM_INDEX_TABLES:
            raise ScoringError(
                f"unknown random-index table {table!r}; known: {sorted(RANDOM_INDEX_TABLES)}"
            )
        values = RANDOM_INDEX_TABLES[table]
    else:
        values = tuple(float(v) for v in table)
    if n < 1:
        raise ScoringError("a pairwise matrix needs at least one element")
    if n > len(values):
        raise ScoringError(f"the random-index table covers n <= {len(values)}, not n = {n}")
    return float(values[n - 1])


def check_pairwise(matrices: ArrayLike) -> np.ndarray:
    """Validate one matrix (n×n) or a stack (k×n×n) and return it as float.

    A pairwise matrix must be square, finite, strictly positive, have a unit
    diagonal and be reciprocal (a_ij·a_ji = 1 to 1e-9): anything else is not
    a set of AHP judgements and would give meaningless weights.
    """
    try:
        a = np.asarray(matrices, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"pairwise matrix is not numeric: {exc}") from exc
    if a.ndim not in (2, 3) or a.shape[-1] != a.shape[-2]:
        raise ScoringError(f"pairwise matrix must be square (n×n or k×n×n), got shape {a.shape}")
    n = a.shape[-1]
    if n < 1 or (a.ndim == 3 and a.shape[0] < 1):
        raise ScoringError("pairwise matrix is empty")
    if not np.all(np.isfinite(a)):
        raise ScoringError("pairwise matrix has missing or infinite entries")
    if np.any(a <= 0):
        raise ScoringError("pairwise matrix entries must all be positive")
    diag = np.diagonal(a, axis1=-2, axis2=-1)
    if np.any(np.abs(diag - 1.0) > _RECIPROCAL_TOL):
        raise ScoringError("pairwise matrix must have 1 on the diagonal")
    prod = a * np.swapaxes(a, -1, -2)
    bad = np.abs(prod - 1.0) > _RECIPROCAL_TOL
    if np.any(bad):
        idx = np.argwhere(bad)[0]
        i, j = int(idx[-2]), int(idx[-1])
        raise ScoringError(
            f"pairwise matrix is not reciprocal: a[{i},{j}]·a[{j},{i}] = {prod[tuple(idx)]:.6g}, "
            "expected 1"
        )
    return a


def perron(matrices: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Principal eigenvector (normalised to sum 1) and λ_max, for one matrix or a stack.

    For a positive matrix the Perron root is real, simple and has the largest
    real part; its eigenvector can be chosen strictly positive (Perron 1907).
    """
    a = check_pairwise(matrices)
    single = a.ndim == 2
    stack = a[None] if single else a
    vals, vecs = np.linalg.eig(stack)
    top = np.argmax(vals.real, axis=-1)
    lam = np.take_along_axis(vals.real, top[:, None], axis=-1)[:, 0]
    vec = np.take_along_axis(vecs.real, top[:, None, None], axis=-1)[..., 0]
    vec = np.abs(vec)
    w = vec / vec.sum(axis=-1, keepdims=True)
    lam = np.maximum(lam, stack.shape[-1])  # λ_max ≥ n for reciprocal matrices; clip fp noise
    if single:
        return w[0], lam[0:1].reshape(())
    return w, lam


def consistency(
    lambda_max: ArrayLike, n: int, table: str | Sequence[float] = DEFAULT_RANDOM_INDEX
) -> tuple[np.ndarray, np.ndarray]:
    """CI = (λ_max − n)/(n − 1) and CR = CI/RI; both 0 for n ≤ 2 (always consistent)."""
    lam = np.asarray(lambda_max, dtype=float)
    if n <= 2:
        zero = np.zeros_like(lam)
        return zero, zero.copy()
    ci = np.maximum((lam - n) / (n - 1), 0.0)
    return ci, ci / random_index(n, table)


def _table_name(table: str | Sequence[float]) -> str:
    return table if isinstance(table, str) else "custom"


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise matrix."""

    keys: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    random_index: float
    table: str
    threshold: float = CR_THRESHOLD

    @property
    def is_consistent(self) -> bool:
        """Saaty's rule: CR ≤ 0.10 (n ≤ 2 is always consistent)."""
        return self.cr <= self.threshold

    def weight_map(self) -> dict[str, float]:
        return dict(zip(self.keys, self.weights, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": list(self.keys),
            "weights": self.weight_map(),
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "cr": self.cr,
            "random_index": self.random_index,
            "table": self.table,
            "threshold": self.threshold,
            "is_consistent": self.is_consistent,
        }


def _keys_for(n: int, keys: Sequence[str] | None) -> tuple[str, ...]:
    if keys is None:
        return tuple(str(i) for i in range(n))
    keys = tuple(keys)
    if len(keys) != n:
        raise ScoringError(f"{len(keys)} keys given for a {n}×{n} matrix")
    if len(set(keys)) != n:
        raise ScoringError("keys of a pairwise matrix must be distinct")
    return keys


def analyse(
    matrix: ArrayLike,
    keys: Sequence[str] | None = None,
    table: str | Sequence[float] = DEFAULT_RANDOM_INDEX,
    threshold: float = CR_THRESHOLD,
) -> AHPResult:
    """Eigenvector weights, λ_max, CI and CR of one pairwise matrix.

    n = 1 is accepted as the trivial case (weight 1, CR 0) so a hierarchy
    with a single child needs no special case upstream.
    """
    a = check_pairwise(matrix)
    if a.ndim != 2:
        raise ScoringError("analyse takes one matrix; use analyse_many for a stack")
    n = a.shape[0]
    k = _keys_for(n, keys)
    w, lam = perron(a)
    ci, cr = consistency(lam, n, table)
    ri = random_index(n, table) if n > 2 else 0.0
    return AHPResult(
        keys=k,
        weights=tuple(float(x) for x in w),
        lambda_max=float(lam),
        ci=float(ci),
        cr=float(cr),
        random_index=ri,
        table=_table_name(table),
        threshold=threshold,
    )


def analyse_many(
    matrices: ArrayLike,
    keys: Sequence[str] | None = None,
    table: str | Sequence[float] = DEFAULT_RANDOM_INDEX,
    threshold: float = CR_THRESHOLD,
) -> tuple[AHPResult, ...]:
    """:func:`analyse` for a stack k×n×n, with one eigen-decomposition call."""
    a = check_pairwise(matrices)
    if a.ndim == 2:
        a = a[None]
    n = a.shape[-1]
    k = _keys_for(n, keys)
    w, lam = perron(a)
    ci, cr = consistency(lam, n, table)
    ri = random_index(n, table) if n > 2 else 0.0
    return tuple(
        AHPResult(
            k,
            tuple(float(x) for x in w[m]),
            float(lam[m]),
            float(ci[m]),
            float(cr[m]),
            ri,
            _table_name(table),
            threshold,
        )
        for m in range(a.shape[0])
    )


def nearest_scale_value(x: ArrayLike) -> np.ndarray:
    """The Saaty-scale value (1/9..9) closest to x in log space (ratios are multiplicative)."""
    v = np.asarray(x, dtype=float)
    scale = np.asarray(SAATY_SCALE)
    idx = np.argmin(np.abs(np.log(v)[..., None] - np.log(scale)), axis=-1)
    return scale[idx]


def matrix_from_judgements(
    keys: Sequence[str], judgements: Mapping[tuple[str, str], float], require_complete: bool = True
) -> np.ndarray:
    """Build the reciprocal matrix from judgements {(a, b): how much more a matters than b}.

    Values must lie on Saaty's scale 1/9..9 (any value in that range is
    accepted, so 2.5 or a group's geometric mean is fine).  Each unordered
    pair may be given once, in either orientation.  Missing pairs raise
    unless ``require_complete`` is False, when they default to 1 (equal).
    """
    keys = tuple(keys)
    n = len(keys)
    if n < 2:
        raise ScoringError("pairwise comparison needs at least two elements")
    if len(set(keys)) != n:
        raise ScoringError("keys of a pairwise matrix must be distinct")
    pos = {k: i for i, k in enumerate(keys)}
    a = np.ones((n, n))
    seen: set[frozenset[str]] = set()
    for (x, y), value in judgements.items():
        if x not in pos or y not in pos:
            raise ScoringError(f"judgement ({x!r}, {y!r}) names an unknown element")
        if x == y:
            raise ScoringError(f"judgement ({x!r}, {y!r}) compares an element with itself")
        pair = frozenset((x, y))
        if pair in seen:
            raise ScoringError(f"pair ({x!r}, {y!r}) is judged twice")
        seen.add(pair)
        try:
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise ScoringError(f"judgement ({x!r}, {y!r}) is not a number: {value!r}") from exc
        if not np.isfinite(v) or v < 1 / 9 - 1e-9 or v > 9 + 1e-9:
            raise ScoringError(f"judgement ({x!r}, {y!r}) = {value!r} is outside Saaty's 1/9..9")
        i, j = pos[x], pos[y]
        a[i, j] = v
        a[j, i] = 1.0 / v
    if require_complete and len(seen) != n * (n - 1) // 2:
        missing = [
            (keys[i], keys[j])
            for i in range(n)
            for j in range(i + 1, n)
            if frozenset((keys[i], keys[j])) not in seen
        ]
        raise ScoringError(f"missing judgements for pairs {missing}")
    return a


@dataclass(frozen=True)
class Revision:
    """The one judgement whose revision most lowers the consistency ratio."""

    i: int
    j: int
    key_i: str
    key_j: str
    current: float
    suggested: float
    consistent_value: float
    cr_before: float
    cr_after: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "i": self.i,
            "j": self.j,
            "key_i": self.key_i,
            "key_j": self.key_j,
            "current": self.current,
            "suggested": self.suggested,
            "consistent_value": self.consistent_value,
            "cr_before": self.cr_before,
            "cr_after": self.cr_after,
        }


def best_revision(
    matrix: ArrayLike,
    keys: Sequence[str] | None = None,
    table: str | Sequence[float] = DEFAULT_RANDOM_INDEX,
    snap: bool = True,
) -> Revision | None:
    """The upper-triangle judgement whose revision lowers CR most, or None.

    For each pair (i, j) the candidate value is the consistent ratio w_i/w_j,
    snapped to the nearest Saaty-scale value when ``snap`` (so the advice is a
    judgement a person can give).  All p = n(n−1)/2 revised matrices are
    evaluated in one stacked eigen-decomposition; the pair giving the lowest
    CR wins.  None when n ≤ 2 or no revision lowers CR.
    """
    a = check_pairwise(matrix)
    if a.ndim != 2:
        raise ScoringError("best_revision takes one matrix")
    n = a.shape[0]
    k = _keys_for(n, keys)
    if n <= 2:
        return None
    w, lam = perron(a)
    _, cr0 = consistency(lam, n, table)
    iu, ju = np.triu_indices(n, 1)
    ideal = w[iu] / w[ju]
    cand = nearest_scale_value(ideal) if snap else ideal
    changed = ~np.isclose(cand, a[iu, ju], rtol=1e-12, atol=0.0)
    if not np.any(changed):
        return None
    iu, ju, cand, ideal = iu[changed], ju[changed], cand[changed], ideal[changed]
    p = len(iu)
    stack = np.broadcast_to(a, (p, n, n)).copy()
    rows = np.arange(p)
    stack[rows, iu, ju] = cand
    stack[rows, ju, iu] = 1.0 / cand
    _, lams = perron(stack)
    _, crs = consistency(lams, n, table)
    best = int(np.argmin(crs))
    if not crs[best] < cr0 - 1e-12:
        return None
    i, j = int(iu[best]), int(ju[best])
    return Revision(
        i=i,
        j=j,
        key_i=k[i],
        key_j=k[j],
        current=float(a[i, j]),
        suggested=float(cand[best]),
        consistent_value=float(ideal[best]),
        cr_before=float(cr0),
        cr_after=float(crs[best]),
    )


def _member_weights(k: int, member_weights: ArrayLike | None) -> np.ndarray:
    if member_weights is None:
        return np.full(k, 1.0 / k)
    mw = np.asarray(member_weights, dtype=float)
    if mw.shape != (k,):
        raise ScoringError(f"member weights must have shape ({k},), got {mw.shape}")
    if not np.all(np.isfinite(mw)) or np.any(mw < 0) or mw.sum() <= 0:
        raise ScoringError("member weights must be non-negative with a positive sum")
    return mw / mw.sum()


def aggregate_judgements(
    matrices: ArrayLike, member_weights: ArrayLike | None = None
) -> np.ndarray:
    """AIJ: the element-wise (weighted) geometric mean of members' matrices.

    The geometric mean is the only averaging that keeps the result
    reciprocal (Aczél & Saaty 1983), so the group matrix is itself a valid
    pairwise matrix.
    """
    a = check_pairwise(matrices)
    if a.ndim == 2:
        a = a[None]
    mw = _member_weights(a.shape[0], member_weights)
    g = np.exp(np.tensordot(mw, np.log(a), axes=(0, 0)))
    # rebuild from the upper triangle so reciprocity and the diagonal are exact
    n = a.shape[-1]
    iu, ju = np.triu_indices(n, 1)
    out = np.ones((n, n))
    out[iu, ju] = g[iu, ju]
    out[ju, iu] = 1.0 / g[iu, ju]
    return out


def aggregate_priorities(weights: ArrayLike, member_weights: ArrayLike | None = None) -> np.ndarray:
    """AIP: the (weighted) geometric mean of members' priority vectors, renormalised to sum 1."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] < 1:
        raise ScoringError(f"priorities must be a k×n array, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ScoringError("priorities must be finite and positive for a geometric mean")
    mw = _member_weights(w.shape[0], member_weights)
    g = np.exp(mw @ np.log(w))
    return g / g.sum()


@dataclass(frozen=True)
class GroupAHPResult:
    """Members' results and the group's weights (AIJ or AIP)."""

    keys: tuple[str, ...]
    method: str
    weights: tuple[float, ...]
    members: tuple[AHPResult, ...]
    group: AHPResult | None = None  # AIJ: the analysis of the aggregated matrix
    member_weights: tuple[float, ...] = field(default_factory=tuple)

    @property
    def cr(self) -> float | None:
        """CR of the aggregated matrix (AIJ); AIP has no group matrix, so None."""
        return None if self.group is None else self.group.cr

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": list(self.keys),
            "method": self.method,
            "weights": dict(zip(self.keys, self.weights, strict=True)),
            "cr": self.cr,
            "group": None if self.group is None else self.group.to_dict(),
            "members": [m.to_dict() for m in self.members],
            "member_weights": list(self.member_weights),
        }


def group_ahp(
    matrices: ArrayLike,
    keys: Sequence[str] | None = None,
    method: str = "aij",
    member_weights: ArrayLike | None = None,
    table: str | Sequence[float] = DEFAULT_RANDOM_INDEX,
    threshold: float = CR_THRESHOLD,
) -> GroupAHPResult:
    """Group weights of several members' matrices (k×n×n).

    ``aij`` (default) suits a board acting as one unit: judgements are
    pooled first, then weighed.  ``aip`` suits members acting as separate
    individuals: each one's priorities are pooled (Forman & Peniwati 1998).
    """
    a = check_pairwise(matrices)
    if a.ndim == 2:
        a = a[None]
    n = a.shape[-1]
    k = _keys_for(n, keys)
    mw = _member_weights(a.shape[0], member_weights)
    members = analyse_many(a, k, table, threshold)
    if method == "aij":
        group = analyse(aggregate_judgements(a, mw), k, table, threshold)
        weights = group.weights
    elif method == "aip":
        group = None
        weights = tuple(
            float(x) for x in aggregate_priorities(np.array([m.weights for m in members]), mw)
        )
    else:
        raise ScoringError(f"unknown aggregation method {method!r}; use 'aij' or 'aip'")
    return GroupAHPResult(k, method, weights, members, group, tuple(float(x) for x in mw))
