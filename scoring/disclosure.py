"""Disclosure control for anonymous aggregates: nothing published isolates fewer than k people.

Every published aggregate (a count, a mean, an SD) is a sum over a set of
respondents.  A reader who has several of them knows the sum over any linear
combination of those sets, so a cell hidden on its own can still be computed
as "total minus the published cells", and a newcomer as "release 2 minus
release 1".  The promise is therefore about the whole system of sets
published in a round, across all its releases: **no linear combination of
the published sets is non-zero on between 1 and k − 1 respondents.**

This module is the one place that promise is checked.  A new table is
covered by passing its cells as sets; nothing here knows about tables.
numpy only.

Model.  Row i of ``sets`` (m × n, boolean) is the indicator vector of the
i-th published set.  The reader knows ``y @ sets @ x`` for every y (x = any
per-respondent value), so every vector of the row space U is known.  A
publication is unsafe when some non-zero v ∈ U has 1 ≤ |support(v)| ≤ k − 1.
Every v ∈ U is constant on *atoms* (respondents with identical membership),
so the work is done on atoms weighted by their sizes, and only atoms smaller
than k can be in the support of a disclosing vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError

#: Search nodes explored before the checker gives up and answers "unsafe" (conservative).
#: The hardest case met in testing took under 3,000; a node costs well under a millisecond.
DEFAULT_BUDGET = 20_000

# Tolerances, each erring on the side of "unsafe" (see the comments where used).
_ROW_TOL = 1e-10  # a set is a combination of earlier ones below this relative residual
_NULL_TOL = 1e-7  # singular values up to this count as zero when looking for null directions
_RANK_TOL = 1e-8  # residual norm (unit columns) up to which a column counts as dependent
_ZERO_TOL = 1e-8  # |v_i| / max |v| up to which a coordinate counts as zero
_PARALLEL_TOL = 1e-10  # 1 − |cos| below which two columns are parallel (merged: tight on purpose)


@dataclass(frozen=True, eq=False)
class Disclosure:
    """A combination of published sets that is non-zero on fewer than k respondents.

    ``values = coefficients @ sets`` (float n-vector); ``members`` is its
    support and ``weight`` the number of respondents in it.  ``exact`` is
    True when the vector was verified to isolate ``weight`` < k respondents;
    False when the search ran out of budget without finding one, so the
    publication is only *presumed* unsafe (``weight`` may then be ≥ k).
    ``minimal`` is True when no disclosing vector has a smaller support.
    """

    weight: int
    members: np.ndarray
    coefficients: np.ndarray
    values: np.ndarray
    exact: bool
    minimal: bool
    nodes: int


@dataclass(frozen=True, eq=False)
class Plan:
    """Which candidate sets a release may publish.

    ``published[i]`` is True when candidate i is published.  ``withheld``
    lists, in order, the candidates withheld by the complementary step (not
    those under k).  ``fixed_unsafe`` is True when the sets already published
    are themselves unsafe; then nothing new is published.  ``checks`` counts
    checker runs and ``inexact`` those that gave up on budget (their verdict
    was "unsafe" by default, so the plan may withhold more than needed).
    """

    published: np.ndarray
    fixed_unsafe: bool
    withheld: tuple[int, ...]
    checks: int
    inexact: int


class _OutOfBudget(Exception):
    pass


def _as_sets(sets: ArrayLike, n: int | None = None, what: str = "sets") -> np.ndarray:
    a = np.asarray(sets)
    if a.size == 0 and n is not None:
        return np.zeros((0, n), dtype=bool)
    if a.ndim != 2:
        raise ScoringError(f"{what} must be a 2-D (sets × respondents) array, got shape {a.shape}")
    if a.dtype != bool:
        if not np.all((a == 0) | (a == 1)):
            raise ScoringError(f"{what} must be boolean (0/1) membership")
        a = a.astype(bool)
    if n is not None and a.shape[1] != n:
        raise ScoringError(f"{what} cover {a.shape[1]} respondents, expected {n}")
    return a


def _atoms(sets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Incidence (sets × atoms), atom sizes, and each respondent's atom (−1: in no set)."""
    packed = np.ascontiguousarray(np.packbits(sets, axis=0).T)  # respondents × bytes
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    inc = sets[:, first]
    inverse = inverse.reshape(-1)
    keep = inc.any(axis=0)  # the atom of respondents in no set is never revealed
    remap = np.full(len(first), -1)
    remap[keep] = np.arange(int(keep.sum()))
    return inc[:, keep], counts[keep], remap[inverse]


def _row_basis(rows: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Orthonormal basis of the row space, built in row order, and the rows that enlarged it.

    A row joins the basis when it is not a combination of the rows before it,
    so a representation over the returned rows uses the earliest ones.  A
    small tolerance keeps more rows (a larger row space: conservative).
    Gram-Schmidt, twice, in blocks: the projection on the basis so far is
    one product per block, the loop only runs within a block.
    """
    m, a = rows.shape
    basis = np.empty((min(m, a), a))
    used: list[int] = []
    r = 0
    for start in range(0, m, 32):
        block = rows[start : start + 32].astype(float)
        scale = np.maximum(1.0, np.linalg.norm(block, axis=1))
        for _ in range(2):
            block -= (block @ basis[:r].T) @ basis[:r]
        first = r
        for i in range(len(block)):
            v = block[i]
            for _ in range(2):
                v = v - (basis[first:r] @ v) @ basis[first:r]
            nv = float(np.linalg.norm(v))
            if nv > _ROW_TOL * scale[i]:
                basis[r] = v / nv
                used.append(start + i)
                r += 1
                if r == a:
                    return basis[:r], used
    return basis[:r], used


def _coefficients(rows: np.ndarray, q: np.ndarray, used: list[int], v: np.ndarray) -> np.ndarray:
    """y with y @ rows[used] = v, for v in the span (rows[used] = L @ q, L lower triangular)."""
    lower = rows[used] @ q.T
    return np.linalg.solve(lower.T, q @ v)


def _left_null(m: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of {z : z @ m = 0}; generous tolerance (conservative)."""
    d = m.shape[0]
    if m.shape[1] == 0:
        return np.eye(d)
    u, s, _ = np.linalg.svd(m, full_matrices=m.shape[1] < d)
    rank = int(np.sum(s > _NULL_TOL))
    return u[:, rank:]


class _Search:
    """Minimum-weight non-zero vector of the row space of ``g`` (d × s, unit columns), if < k.

    Branch and bound over the set T of columns where the vector may be
    non-zero.  The columns outside T must not span the space (then some
    z ≠ 0 is orthogonal to all of them and z @ g vanishes outside T), so T
    meets every basis.  The search keeps a basis β of the columns outside T
    with its tableau D = g[:, β]⁻¹ g: row i of D is the vector of the row
    space that is 1 on β_i and 0 on the rest of β, and every vector is
    Σ v(β_i) · D[i].  At each node:

    * columns heavier than the weight left are *forced* (can never join T)
      and pivoted into β where possible;
    * every row of D that is zero on the forced columns is a solution
      (the vectors non-zero on exactly one free member of β);
    * any other solution is non-zero on two or more free members of β, and
      meets every set that spans the space together with the forced
      columns; a fractional packing of such sets (found at the root, each
      column used at most its weight) gives the lower bound;
    * otherwise branch: the i-th child puts the i-th free member of β into
      T and keeps the earlier ones out of it (no set is visited twice), and
      replaces it in β by a column outside T (one pivot).
    """

    def __init__(self, g: np.ndarray, w: np.ndarray, k: int, budget: int) -> None:
        self.g = g
        self.w = w.astype(float)
        self.best = float(k)  # looking for weight < best
        self.best_row: np.ndarray | None = None
        self.best_support: np.ndarray | None = None
        self.nodes = 0
        self.budget = budget
        self.family: list[tuple[np.ndarray, float]] = []

    def run(self) -> bool:
        """Search; False when the budget ran out (``best_row`` may still hold a solution)."""
        g, w = self.g, self.w
        d, s = g.shape
        forced = w > self.best - 1
        beta = np.array(_greedy_basis(g, np.where(forced, -np.inf, -w)), dtype=int)
        if len(beta) < d:  # g has full row rank, so this is numerical trouble: presume unsafe
            return False
        tab = np.linalg.solve(g[:, beta], g)
        _clean(tab)
        self.family = self._packing(beta, forced)
        try:
            self._node(np.zeros(s, dtype=bool), 0.0, forced, beta, tab)
        except _OutOfBudget:
            return False
        return True

    def _packing(self, beta: np.ndarray, forced: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Sets of free columns that span with the forced ones, with demands δ.

        Greedy fractional packing: each column's demands add up to at most
        its weight, so any T meeting every set weighs at least Σ δ.
        """
        g = self.g
        d, s = g.shape
        fb = beta[forced[beta]]
        q = np.linalg.qr(g[:, fb])[0] if len(fb) else np.zeros((d, 0))
        y = g - q @ (q.T @ g)
        need = d - len(fb)
        cap = np.where(forced, 0.0, self.w)
        out: list[tuple[np.ndarray, float]] = []
        total = 0.0
        while need > 0 and total <= self.best - 1 and (cap > 0).any():
            ext = _greedy_basis(y, np.where(cap > 0, -cap, np.inf), need)  # heaviest first
            if len(ext) < need:
                break
            delta = float(cap[ext].min())
            cap[ext] -= delta
            mask = np.zeros(s, dtype=bool)
            mask[ext] = True
            out.append((mask, delta))
            total += delta
        return out

    def _node(
        self, in_t: np.ndarray, wt: float, forced: np.ndarray, beta: np.ndarray, tab: np.ndarray
    ) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise _OutOfBudget
        w = self.w
        forced = forced | (~in_t & (w > self.best - 1 - wt))
        basic = np.zeros(len(w), dtype=bool)
        basic[beta] = True
        # Bring forced columns into the basis where possible: fewer free basic columns to branch on.
        while True:
            rows = np.flatnonzero(~forced[beta])
            cols = np.flatnonzero(forced & ~basic)
            if not len(rows) or not len(cols):
                break
            block = np.abs(tab[np.ix_(rows, cols)])
            if not block.any():
                break
            ri, ci = np.unravel_index(int(np.argmax(block)), block.shape)
            i, r = int(rows[ri]), int(cols[ci])
            basic[beta[i]] = False
            basic[r] = True
            beta, tab = _pivot(beta, tab, i, r)
        free_rows = np.flatnonzero(~forced[beta])
        if not len(free_rows):
            return  # the forced columns span everything: no vector vanishes on all of them
        # Solutions non-zero on exactly one free basic column: rows of D clear of forced columns.
        nz = tab[free_rows] != 0
        clear = ~(nz & forced).any(axis=1)
        if clear.any():
            weights = nz[clear] @ w
            pick = int(np.argmin(weights))
            if weights[pick] < self.best:
                self._record(tab[free_rows[clear][pick]])
        if len(free_rows) < 2:
            return
        room = self.best - 1 - wt
        # Lower bound for the rest (two or more free basic columns in the support).
        load = np.zeros(len(w))
        bound = 0.0
        for mask, delta in self.family:
            if (mask & in_t).any():
                continue  # already met by T
            if not (mask & ~forced).any():
                return  # spans with the forced columns and cannot be met
            load += delta * mask
            bound += delta
        resid = np.sort(np.maximum(w[beta[free_rows]] - load[beta[free_rows]], 0.0))
        bound += float(resid[0] + resid[1])
        if bound > room:
            return
        order = sorted(free_rows.tolist(), key=lambda i: (w[beta[i]], beta[i]))
        for pos, i in enumerate(order):
            j = int(beta[i])
            if w[j] > self.best - 1 - wt:
                continue
            child_t = in_t.copy()
            child_t[j] = True
            row = tab[i]
            cand = np.flatnonzero((row != 0) & ~basic & ~child_t)
            if not len(cand):
                continue  # row i lies inside T + j: already considered above
            child_forced = forced.copy()
            child_forced[[int(beta[p]) for p in order[:pos]]] = True
            mag = np.abs(row[cand])
            steady = mag >= 1e-3 * mag.max()  # a pivot this size keeps the tableau accurate
            pick = cand[np.lexsort((-mag, -w[cand], ~steady, ~child_forced[cand]))[0]]
            nbeta, ntab = _pivot(beta, tab, i, int(pick))
            self._node(child_t, wt + w[j], child_forced, nbeta, ntab)

    def _record(self, row: np.ndarray) -> None:
        supp = row != 0
        weight = float(self.w[supp].sum())
        if 0 < weight < self.best:
            self.best = weight
            self.best_row = row.copy()
            self.best_support = supp


def _clean(tab: np.ndarray) -> None:
    """Set entries that are zero up to rounding to exactly zero (relative to their row)."""
    tab[np.abs(tab) <= _ZERO_TOL * np.abs(tab).max(axis=1, keepdims=True)] = 0.0


def _greedy_basis(y: np.ndarray, rank: np.ndarray, need: int | None = None) -> list[int]:
    """Independent columns of ``y``, up to ``need``: lowest ``rank`` first (+inf: never).

    Among the columns of the best rank still independent of those taken, the
    one with the largest residual is taken (a well-conditioned basis).
    """
    need = y.shape[0] if need is None else need
    res = y.astype(float, copy=True)
    n2 = np.einsum("ij,ij->j", res, res)
    tol2 = _RANK_TOL**2
    chosen: list[int] = []
    while len(chosen) < need:
        live = (n2 > tol2) & (rank < np.inf)
        if not live.any():
            break
        best = live & (rank == rank[live].min())
        j = int(np.argmax(np.where(best, n2, -1.0)))
        u = res[:, j] / np.sqrt(n2[j])
        res -= np.outer(u, u @ res)
        n2 = np.einsum("ij,ij->j", res, res)
        n2[j] = 0.0
        chosen.append(j)
    return chosen


def _pivot(beta: np.ndarray, tab: np.ndarray, i: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Exchange basic column beta[i] for column r (Gauss-Jordan step on the tableau)."""
    tab = tab.copy()
    tab[i] /= tab[i, r]
    col = tab[:, r].copy()
    col[i] = 0.0
    tab -= np.outer(col, tab[i])
    tab[:, r] = 0.0
    tab[i, r] = 1.0
    _clean(tab)
    beta = beta.copy()
    beta[i] = r
    return beta, tab


def _follow(col_of: np.ndarray, remap: np.ndarray) -> np.ndarray:
    """Compose a column map with a remapping (−1 stays −1)."""
    out = np.full(len(col_of), -1)
    ok = col_of >= 0
    out[ok] = remap[col_of[ok]]
    return out


def _reduce(
    g: np.ndarray, w: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drop zero columns, merge parallel ones, force merged columns of weight ≥ k to zero.

    Returns the reduced matrix (unit columns), its column weights, the map t
    with z_original = t @ z_reduced, and for every original column the
    reduced column it went into (−1: always zero).  Parallel columns are
    zero together in every vector, so merging them only speeds the search;
    a merged column of weight ≥ k can never be in a disclosing support.
    """
    t = np.eye(g.shape[0])
    col_of = np.arange(g.shape[1])
    while True:
        norms = np.linalg.norm(g, axis=0) if g.shape[0] else np.zeros(g.shape[1])
        keep = norms > _RANK_TOL
        remap = np.full(len(keep), -1)
        remap[keep] = np.arange(int(keep.sum()))
        col_of = _follow(col_of, remap)
        g, w, norms = g[:, keep], w[keep], norms[keep]
        if g.shape[0] == 0 or g.shape[1] == 0:
            return np.zeros((0, 0)), w[:0], t[:, :0], np.full(len(col_of), -1)
        u = g / norms
        parallel = np.abs(u.T @ u) >= 1.0 - _PARALLEL_TOL
        label = np.argmax(parallel, axis=0)  # first column parallel to each (itself at worst)
        reps, group = np.unique(label, return_inverse=True)
        group = group.reshape(-1)
        col_of = _follow(col_of, group)
        w = np.bincount(group, weights=w, minlength=len(reps))
        g = u[:, reps]
        heavy = w >= k
        if not heavy.any():
            return g, w, t, col_of
        z = _left_null(g[:, heavy])
        remap = np.full(len(heavy), -1)
        remap[~heavy] = np.arange(int((~heavy).sum()))
        col_of = _follow(col_of, remap)
        t = t @ z
        g = z.T @ g[:, ~heavy]
        w = w[~heavy]


def isolating_combination(
    sets: ArrayLike, k: int, *, budget: int = DEFAULT_BUDGET
) -> Disclosure | None:
    """A combination of the published ``sets`` (m × n, boolean) isolating 1..k−1 people, or None.

    None means safe: no vector of the sets' row space is non-zero on between
    1 and k − 1 respondents.  Otherwise the returned disclosure has minimum
    weight (``minimal``) unless the search budget ran out.  Its coefficients
    use the earliest sets that are needed (a set that is a combination of
    earlier rows gets 0), so callers can order rows by how much they want
    to keep them and withhold the last set with a non-zero coefficient.
    """
    a = _as_sets(sets)
    m, n = a.shape
    k = int(k)
    if m == 0 or n == 0 or k <= 1:
        return None
    inc, size, atom_of = _atoms(a)
    small = size < k
    if not small.any():
        return None  # every atom has k people or more: no support can be smaller than k
    # Identical and empty rows add nothing; keep each set's first occurrence.
    _, first = np.unique(inc, axis=0, return_index=True)
    first = np.sort(first)
    first = first[inc[first].any(axis=1)]
    rows = inc[first].astype(float)
    q, used = _row_basis(rows)
    # U_S: the vectors of the row space that vanish on atoms of k or more, restricted to the
    # small atoms S (a basis with orthonormal rows), by whichever route is the smaller problem.
    sidx = np.flatnonzero(small)
    if len(sidx) <= len(size) - len(sidx):
        # (v_S, 0) is in the row space iff the projector on its complement, P = I - q'q,
        # kills it; P'P = P, so U_S is the null space of P[S, S] = I - q_S' q_S.
        qs = q[:, sidx]
        lam, vec = np.linalg.eigh(np.eye(len(sidx)) - qs.T @ qs)
        basis = vec[:, lam <= 10 * _NULL_TOL**2].T  # generous: more null directions, conservative
    else:
        # v = c @ q with c in the left null space of q restricted to the large atoms.
        basis = _left_null(q[:, ~small]).T @ q[:, sidx]
    if basis.shape[0] == 0:
        return None
    g_red, w_red, t, col_of = _reduce(basis, size[small], k)
    if g_red.shape[1] == 0:
        return None
    search = _Search(g_red, w_red, k, budget)
    complete = search.run()
    if search.best_row is None:
        if complete:
            return None
        v_red = g_red[0]  # out of budget: presume unsafe, with some vector of the space
        supp_red = np.abs(v_red) > _ZERO_TOL * np.abs(v_red).max()
    else:
        v_red = search.best_row
        supp_red = search.best_support
    # Back to atoms: v_S = (t z) @ basis, zero outside the support found and on large atoms.
    z = np.linalg.lstsq(g_red.T, v_red, rcond=None)[0]
    in_supp = (col_of >= 0) & supp_red[np.maximum(col_of, 0)]
    v_atoms = np.zeros(len(size))
    v_atoms[sidx[in_supp]] = ((t @ z) @ basis)[in_supp]
    v_atoms /= np.abs(v_atoms[sidx[in_supp]]).min() * np.sign(v_atoms[sidx[in_supp][0]])
    # Coefficients over the rows that built the basis: a unique representation.
    y_used = _coefficients(rows, q, used, v_atoms)
    coef = np.zeros(m)
    coef[first[used]] = y_used
    coef[np.abs(coef) <= 1e-9 * max(1.0, float(np.abs(coef).max()))] = 0.0
    coef, v_atoms = _snap(coef), _snap(v_atoms)
    values = np.where(atom_of >= 0, v_atoms[np.maximum(atom_of, 0)], 0.0)
    members = values != 0
    return Disclosure(
        weight=int(members.sum()),
        members=members,
        coefficients=coef,
        values=values,
        exact=search.best_row is not None,
        minimal=complete and search.best_row is not None,
        nodes=search.nodes,
    )


def _snap(a: np.ndarray) -> np.ndarray:
    """Round values within 1e-9 of an integer (combinations of 0/1 sets are mostly whole)."""
    r = np.round(a)
    return np.where(np.abs(a - r) <= 1e-9, r, a)


def plan_publication(
    fixed: ArrayLike | None,
    candidates: ArrayLike,
    k: int,
    priority: ArrayLike | None = None,
    *,
    budget: int = DEFAULT_BUDGET,
) -> Plan:
    """Choose which ``candidates`` (c × n) to publish next to the already published ``fixed``.

    Primary suppression: a candidate of 1..k−1 people is never published.
    An empty candidate describes nobody and is left out of the system
    (``published`` False; it could neither reveal nor protect anyone).
    Complementary suppression, greedy: while the checker finds a disclosing
    combination of fixed + published candidates, withhold the published
    candidate in it that we least want to keep: lowest ``priority``
    (default: set size), then the smaller set, then the later index.  Rows
    are given to the checker most-wanted first, so the witness's
    coefficients rest on the most-wanted sets and the candidate withheld is
    the least-wanted one the combination cannot do without.  Terminates:
    every step withholds one candidate.  If ``fixed`` alone is unsafe,
    nothing new is published.
    """
    cand = _as_sets(candidates, what="candidates")
    c, n = cand.shape
    fix = _as_sets(np.zeros((0, n), dtype=bool) if fixed is None else fixed, n, "fixed sets")
    k = int(k)
    sizes = cand.sum(axis=1)
    if priority is None:
        prio = sizes.astype(float)
    else:
        prio = np.asarray(priority, dtype=float)
        if prio.shape != (c,) or not np.all(np.isfinite(prio)):
            raise ScoringError(f"priority must be {c} finite numbers, one per candidate")
    order = sorted(range(c), key=lambda i: (-prio[i], -sizes[i], i))  # most wanted first
    published = (sizes > 0) & (sizes >= k)
    checks = inexact = 0
    if len(fix):
        checks += 1
        found = isolating_combination(fix, k, budget=budget)
        if found is not None:
            inexact += not found.exact
            return Plan(np.zeros(c, dtype=bool), True, (), checks, inexact)
    # Every system tried is a subset of fixed + candidates, so its sets are unions of these atoms.
    inc, _, atom_of = _atoms(np.vstack([fix, cand]))
    seen = atom_of >= 0
    rep = np.zeros(inc.shape[1], dtype=int)
    rep[atom_of[seen]] = np.flatnonzero(seen)
    inc = inc.astype(float)
    withheld: list[int] = []
    while True:
        live = [i for i in order if published[i]]
        if not live:
            break
        checks += 1
        found = isolating_combination(np.vstack([fix, cand[live]]), k, budget=budget)
        if found is None:
            break
        inexact += not found.exact
        v = found.values[rep]
        # Withhold until this combination can no longer be formed, then look for another.
        while live:
            coef = _express(np.vstack([inc[: len(fix)], inc[len(fix) + np.array(live)]]), v)
            if coef is None:
                break
            involved = [i for i, y in zip(live, coef[len(fix) :], strict=True) if y != 0]
            # None involved only after an inexact verdict: withhold the least wanted, re-check.
            victim = involved[-1] if involved else live[-1]
            published[victim] = False
            withheld.append(victim)
            live.remove(victim)
            if not involved:
                break
    return Plan(published, False, tuple(withheld), checks, inexact)


def _express(rows: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """Coefficients of v over the earliest independent rows, or None if v is not in their span."""
    q, used = _row_basis(rows)
    if not used or np.linalg.norm(v - (q @ v) @ q) > 1e-8 * max(1.0, float(np.linalg.norm(v))):
        return None
    coef = np.zeros(len(rows))
    coef[used] = _coefficients(rows, q, used, v)
    coef[np.abs(coef) <= 1e-9 * max(1.0, float(np.abs(coef).max()))] = 0.0
    return coef
