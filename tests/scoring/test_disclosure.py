"""Disclosure control: no combination of published sets isolates fewer than k respondents.

The oracles here are written from the definition, not from the module's
algorithm:

* ``solvable_group`` (the brief's oracle) builds an orthonormal basis of
  the row space of the published sets over atoms and looks for a union of
  atoms of 1..k-1 respondents whose indicator lies in it: by enumerating
  every such union when there are few, else by a mixed-integer program
  (``scipy.optimize.milp``: y @ incidence = x, x binary on small atoms,
  1 <= size . x <= k - 1), each answer re-checked by the residual.
* ``min_support`` brute-forces the support-based promise itself on small
  systems: the lightest set T of small atoms such that some non-zero vector
  of the row space vanishes outside T (the columns outside T lose rank).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoring.disclosure import Disclosure, Plan, isolating_combination, plan_publication
from scoring.errors import ScoringError
from scoring.readiness import (
    DIMENSIONS,
    MAX_K,
    MIN_K,
    ReadinessResult,
    aggregate_readiness,
    published_sets,
)

# ------------------------------------------------------------------ oracles


def oracle_atoms(sets: np.ndarray) -> list[tuple[tuple[bool, ...], list[int]]]:
    """Respondents with identical membership (plain Python; people in no set left out)."""
    groups: dict[tuple[bool, ...], list[int]] = defaultdict(list)
    for i in range(sets.shape[1]):
        key = tuple(bool(b) for b in sets[:, i])
        if any(key):
            groups[key].append(i)
    return list(groups.items())


def _incidence(sets: np.ndarray, atoms) -> np.ndarray:
    return np.array([[float(key[r]) for key, _ in atoms] for r in range(sets.shape[0])])


def _orthonormal_rows(b: np.ndarray) -> np.ndarray:
    _, s, vt = np.linalg.svd(np.unique(b, axis=0), full_matrices=False)
    return vt[s > 1e-9 * max(1.0, float(s.max(initial=0.0)))]


def _in_span(basis: np.ndarray, vecs: np.ndarray) -> np.ndarray:
    vecs = np.atleast_2d(vecs)
    res = vecs - (vecs @ basis.T) @ basis
    return np.linalg.norm(res, axis=1) <= 1e-7 * np.maximum(1.0, np.linalg.norm(vecs, axis=1))


def _count_unions(sizes: list[int], cap: int) -> int:
    ways = [1] + [0] * cap
    for x in sizes:
        for t in range(cap, x - 1, -1):
            ways[t] += ways[t - x]
    return sum(ways[1:])


def _unions(sizes: list[int], cap: int):
    """Index tuples of atoms with total size 1..cap (every one, smallest atoms first)."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])

    def rec(start: int, total: int, chosen: tuple[int, ...]):
        for p in range(start, len(order)):
            i = order[p]
            t = total + sizes[i]
            if t > cap:
                break
            yield (*chosen, i)
            yield from rec(p + 1, t, (*chosen, i))

    return rec(0, 0, ())


def _members(atoms, chosen, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for a in chosen:
        m[atoms[a][1]] = True
    return m


def solvable_group(sets, k: int, enumerate_up_to: int = 2_000) -> np.ndarray | None:
    """Respondents of a group of 1..k-1 whose total the published sets determine, or None."""
    sets = np.asarray(sets, dtype=bool)
    if sets.shape[0] == 0 or k <= 1:
        return None
    atoms = oracle_atoms(sets)
    if not atoms:
        return None
    b = _incidence(sets, atoms)
    basis = _orthonormal_rows(b)
    small = [a for a, (_, who) in enumerate(atoms) if len(who) < k]
    sizes = [len(atoms[a][1]) for a in small]
    n = sets.shape[1]
    if _count_unions(sizes, k - 1) > enumerate_up_to:
        return _milp_group(b, atoms, small, k, basis, n)
    combos = list(_unions(sizes, k - 1))
    for start in range(0, len(combos), 4096):
        chunk = combos[start : start + 4096]
        x = np.zeros((len(chunk), len(atoms)))
        for r, combo in enumerate(chunk):
            x[r, [small[i] for i in combo]] = 1.0
        hit = np.flatnonzero(_in_span(basis, x))
        if len(hit):
            return _members(atoms, [small[i] for i in chunk[hit[0]]], n)
    return None


def _milp_group(b, atoms, small, k, basis, n):
    optimize = pytest.importorskip("scipy.optimize")
    rows = np.unique(b, axis=0)
    m, a = rows.shape
    s = len(small)
    sizes = np.array([len(atoms[i][1]) for i in small], dtype=float)
    eq = np.zeros((a, m + s))
    eq[:, :m] = rows.T
    for j, atom in enumerate(small):
        eq[atom, m + j] = -1.0
    constraints = [
        optimize.LinearConstraint(eq, 0, 0),
        optimize.LinearConstraint(np.r_[np.zeros(m), sizes][None, :], 1, k - 1),
    ]
    bounds = optimize.Bounds(
        np.r_[np.full(m, -np.inf), np.zeros(s)], np.r_[np.full(m, np.inf), np.ones(s)]
    )
    for _ in range(50):
        res = optimize.milp(
            c=np.r_[np.zeros(m), sizes],
            constraints=constraints,
            integrality=np.r_[np.zeros(m), np.ones(s)],
            bounds=bounds,
        )
        if res.status == 2:  # infeasible: no group
            return None
        assert res.status == 0, res.message
        chosen = np.flatnonzero(res.x[m:] > 0.5)
        x = np.zeros(a)
        x[[small[j] for j in chosen]] = 1.0
        if _in_span(basis, x)[0]:
            return _members(atoms, [small[j] for j in chosen], n)
        cut = np.zeros(m + s)  # a tolerance artefact: exclude this exact choice and solve again
        cut[m + chosen] = 1.0
        cut[m + np.setdiff1d(np.arange(s), chosen)] = -1.0
        constraints.append(optimize.LinearConstraint(cut[None, :], -np.inf, len(chosen) - 1))
    raise AssertionError("the MILP oracle kept proposing groups that are not determined")


def min_support(sets, k: int) -> int | None:
    """Fewest respondents in the support of a non-zero combination of the sets, if < k."""
    sets = np.asarray(sets, dtype=bool)
    atoms = oracle_atoms(sets) if sets.shape[0] else []
    if not atoms:
        return None
    basis = _orthonormal_rows(_incidence(sets, atoms))
    sizes = [len(who) for _, who in atoms]
    small = [a for a in range(len(atoms)) if sizes[a] < k]
    best = None
    for size in range(1, len(small) + 1):
        for combo in itertools.combinations(small, size):
            weight = sum(sizes[a] for a in combo)
            if weight >= k or (best is not None and weight >= best):
                continue
            outside = [a for a in range(len(atoms)) if a not in combo]
            if np.linalg.matrix_rank(basis[:, outside], tol=1e-9) < basis.shape[0]:
                best = weight
    return best


def ind(n: int, *ranges: range | list[int]) -> np.ndarray:
    v = np.zeros(n, dtype=bool)
    for r in ranges:
        v[list(r)] = True
    return v


def assert_witness(d: Disclosure, sets: np.ndarray, k: int) -> None:
    """A returned disclosure is what it claims: v = y @ sets, supported on ``members``."""
    assert d.exact and 1 <= d.weight < k
    assert d.weight == int(d.members.sum())
    np.testing.assert_allclose(d.coefficients @ sets.astype(float), d.values, atol=1e-7)
    assert np.array_equal(d.values != 0, d.members)


# ------------------------------------------------------------- hand-worked


def test_one_plus_one_hidden_cells_next_to_a_published_total():
    # cells A 5, B 1, C 1, D 6; total 13.  Hiding B and C (1 + 1) is not enough:
    # total - A - D = B + C, two people.
    n = 13
    total, a, b, c, d = ind(n, range(13)), ind(n, range(5)), [5], [6], ind(n, range(7, 13))
    b, c = ind(n, b), ind(n, c)
    published = np.array([total, a, d])
    found = isolating_combination(published, 5)
    assert found is not None and found.weight == 2 and found.minimal
    assert np.flatnonzero(found.members).tolist() == [5, 6]
    assert found.coefficients.tolist() == [1.0, -1.0, -1.0]
    assert_witness(found, published, 5)
    assert solvable_group(published, 5) is not None
    # the plan hides enough: A (the smaller of A and D) goes too
    plan = plan_publication(None, np.array([total, a, b, c, d]), 5)
    assert plan.published.tolist() == [True, False, False, False, True]
    assert plan.withheld == (1,) and not plan.fixed_unsafe
    kept = np.array([total, a, b, c, d])[plan.published]
    assert isolating_combination(kept, 5) is None and solvable_group(kept, 5) is None


def test_three_plus_three_hidden_next_to_a_total_is_fine():
    # hidden 3 + 3 = 6 >= k = 5: total - A - D describes six people
    n = 16
    total, a, d = ind(n, range(16)), ind(n, range(5)), ind(n, range(11, 16))
    assert isolating_combination(np.array([total, a, d]), 5) is None
    assert solvable_group(np.array([total, a, d]), 5) is None
    b, c = ind(n, range(5, 8)), ind(n, range(8, 11))
    plan = plan_publication(None, np.array([total, a, b, c, d]), 5)
    assert plan.published.tolist() == [True, True, False, False, True]
    assert plan.withheld == ()


def test_unlabelled_respondents_are_caught():
    # 12 people: 5 executives, 5 front line, 2 without a level.  overall - both levels = the 2.
    n = 12
    overall, ex, fl = ind(n, range(12)), ind(n, range(5)), ind(n, range(5, 10))
    found = isolating_combination(np.array([overall, ex, fl]), 5)
    assert found is not None and found.weight == 2
    assert np.flatnonzero(found.members).tolist() == [10, 11]
    # and through the readiness tables: one level is withheld
    lv = ["executive"] * 5 + ["front_line"] * 5 + [None, ""]
    r = aggregate_readiness(np.full((12, 8), 50.0), {"level": lv})
    assert r.overall.n == 12
    assert [c.segment for c in r.tables["level"].cells] == [{"level": "executive"}]
    assert r.tables["level"].suppressed == ({"level": "front_line"},)


def test_differencing_between_releases_is_caught():
    # release 1: overall of 12; release 2: 13 -> the newcomer
    r1, r2 = ind(13, range(12)), ind(13, range(13))
    found = isolating_combination(np.array([r1, r2]), 5)
    assert found is not None and found.weight == 1 and found.members.tolist()[-1]
    assert found.coefficients.tolist() == [-1.0, 1.0]
    plan = plan_publication(r1[None, :], r2[None, :], 5)
    assert plan.published.tolist() == [False] and not plan.fixed_unsafe


def test_release_with_five_newcomers_is_fine():
    r1, r2 = ind(17, range(12)), ind(17, range(17))
    assert isolating_combination(np.array([r1, r2]), 5) is None
    assert plan_publication(r1[None, :], r2[None, :], 5).published.tolist() == [True]


def test_one_table_against_another_is_caught():
    # level L1 has 6 people; region eu holds those 6 and one more: eu - L1 = 1 person.
    # Each table on its own is fine; only the pair discloses.
    n = 14
    l1, l2 = ind(n, range(6)), ind(n, range(6, 14))
    eu, us = ind(n, range(7)), ind(n, range(7, 14))
    overall = ind(n, range(n))
    found = isolating_combination(np.array([overall, l1, l2, eu, us]), 5)
    assert found is not None and found.weight == 1 and found.members[6]
    plan = plan_publication(None, np.array([overall, l1, l2, eu, us]), 5, [5, 4, 4, 3, 3])
    kept = np.array([overall, l1, l2, eu, us])[plan.published]
    assert plan.published[0] and solvable_group(kept, 5) is None


def test_heatmap_block_of_one_plus_one_through_the_margins():
    # 3 levels x 3 departments.  The top-left 2 x 2 block is hidden: every row and
    # column of the heatmap has 0 or 2 hidden cells (the old per-line rule was happy),
    # yet level 1's margin minus its published cell is the block's first row: 1 + 1.
    sizes = [[1, 1, 6], [6, 6, 6], [6, 6, 6]]
    lev, dep = [], []
    for i in range(3):
        for j in range(3):
            lev += [i] * sizes[i][j]
            dep += [j] * sizes[i][j]
    lev, dep = np.array(lev), np.array(dep)
    margins = [lev == i for i in range(3)] + [dep == j for j in range(3)]
    shown = [(lev == i) & (dep == j) for i in range(3) for j in range(3) if i == 2 or j == 2]
    published = np.array([np.ones(len(lev), dtype=bool), *margins, *shown])
    found = isolating_combination(published, 5)
    assert found is not None and found.weight == 2
    assert set(np.flatnonzero(found.members)) == {0, 1}  # the two people of row 0, cols 0-1
    assert solvable_group(published, 5) is not None


@pytest.mark.parametrize("k", [3, 5, 10])
def test_k_boundaries(k):
    # a group of exactly k - 1 newcomers is disclosed; exactly k is not
    base = ind(20 + k, range(20))
    few = ind(20 + k, range(20 + k - 1))
    enough = ind(20 + k, range(20 + k))
    found = isolating_combination(np.array([base, few]), k)
    assert found is not None and found.weight == k - 1 and found.minimal
    assert isolating_combination(np.array([base, enough]), k) is None
    assert solvable_group(np.array([base, few]), k) is not None
    assert solvable_group(np.array([base, enough]), k) is None


def test_a_difference_of_individuals_counts_not_only_group_totals():
    # A = {a, b}, B = {a, c}: A - B = e_b - e_c is not a group total, but it is a
    # combination non-zero on two people only (a contrast between them).
    others = ind(10, range(3, 10))
    sets = np.array([ind(10, [0, 1]) | others, ind(10, [0, 2]) | others])
    found = isolating_combination(sets, 3)
    assert found is not None and found.weight == 2 and set(np.flatnonzero(found.members)) == {1, 2}
    assert found.values[1] == -found.values[2]


def test_large_atoms_never_disclose():
    # every atom has k or more people: safe whatever the combination
    n = 30
    sets = np.array([ind(n, range(10)), ind(n, range(10, 20)), ind(n, range(n)), ind(n, range(20))])
    assert isolating_combination(sets, 10) is None


def test_people_in_no_set_are_never_revealed():
    sets = np.array([ind(8, range(6)), ind(8, range(6))])  # two people in no published set
    assert isolating_combination(sets, 5) is None


def test_out_of_budget_is_presumed_unsafe():
    # 3 levels x 3 departments of 2 people each, only the margins published: every non-zero
    # combination touches at least 6 people, so it is safe for k = 5, but proving it takes a
    # search of more than one node
    lev, dep = np.repeat(np.arange(3), 6), np.tile(np.repeat(np.arange(3), 2), 3)
    sets = np.array([lev == i for i in range(3)] + [dep == j for j in range(3)])
    assert isolating_combination(sets, 5) is None
    guess = isolating_combination(sets, 5, budget=1)
    assert guess is not None and not guess.exact and not guess.minimal
    np.testing.assert_allclose(guess.coefficients @ sets, guess.values, atol=1e-7)
    # a plan that runs out of budget withholds more, never less, and says so
    plan = plan_publication(None, sets, 5, budget=1)
    assert plan.inexact >= 1 and not plan.published.all()
    assert isolating_combination(sets[plan.published], 5) is None
    found = isolating_combination(sets, 7)  # k = 7: a level is itself only 6 people
    assert found is not None and found.weight == 6 and found.minimal


def test_degenerate_inputs():
    assert isolating_combination(np.zeros((0, 5), dtype=bool), 5) is None
    assert isolating_combination(np.ones((2, 4), dtype=bool), 1) is None  # k = 1: nothing is small
    assert isolating_combination([[1, 0, 0], [1, 1, 1]], 2) is not None  # 0/1 ints accepted
    with pytest.raises(ScoringError, match="boolean"):
        isolating_combination([[2, 0]], 3)
    with pytest.raises(ScoringError, match="2-D"):
        isolating_combination([1, 0, 1], 3)
    with pytest.raises(ScoringError, match="priority"):
        plan_publication(None, np.ones((2, 6), dtype=bool), 3, priority=[1.0])
    with pytest.raises(ScoringError, match="expected 6"):
        plan_publication(np.ones((1, 5), dtype=bool), np.ones((2, 6), dtype=bool), 3)


# -------------------------------------------------------------------- plans


def test_plan_rules():
    n = 30
    overall = ind(n, range(n))
    big, mid, small, empty = ind(n, range(12)), ind(n, range(12, 20)), ind(n, [20]), ind(n, [])
    rest = ind(n, range(21, 30))
    cand = np.array([overall, big, mid, small, empty, rest])
    plan = plan_publication(None, cand, 5)
    # primary: the one-person cell is never published; the empty one describes nobody
    assert not plan.published[3] and not plan.published[4]
    # complementary: overall - big - mid - rest = the one person; by default (priority =
    # size) the least wanted set in that combination, mid (8 people), is withheld
    assert plan.published.tolist() == [True, True, False, False, False, True]
    assert plan.withheld == (2,) and plan.checks == 2 and plan.inexact == 0
    assert isinstance(plan, Plan) and not plan.fixed_unsafe
    # priority decides, not size: big is wanted least, so big goes
    plan = plan_publication(None, cand, 5, [9, 1, 5, 5, 5, 5])
    assert plan.published.tolist() == [True, False, True, False, False, True]
    assert plan.withheld == (1,)
    # equal priority: the smaller set goes first ...
    a, b, c = ind(n, range(10)), ind(n, range(10, 20)), ind(n, range(20, 29))
    plan = plan_publication(None, np.array([overall, a, b, c]), 5, [9, 1, 1, 1])
    assert plan.withheld == (3,)  # overall - a - b - c = person 29; c has 9, a and b 10
    # ... then the later index
    a, b, c = ind(n, range(10)), ind(n, range(10, 19)), ind(n, range(19, 28))
    plan = plan_publication(None, np.array([ind(n, range(29)), a, b, c]), 5, [9, 1, 1, 1])
    assert plan.withheld == (3,)  # b and c both 9: the later goes
    # the overall is withheld only when nothing less wanted can help
    plan = plan_publication(ind(n, range(29))[None, :], overall[None, :], 5)
    assert plan.published.tolist() == [False]


def test_fixed_unsafe_withholds_everything():
    n = 13
    fixed = np.array([ind(n, range(12)), ind(n, range(13))])  # already differences to one person
    plan = plan_publication(fixed, np.array([ind(n, range(6)), ind(n, range(6, 13))]), 5)
    assert plan.fixed_unsafe and not plan.published.any()


def test_plan_keeps_earlier_releases_fixed():
    # release 1 published overall (12) and two levels (6 + 6); release 2 adds 1 + 5
    n = 18
    lv = np.array([0] * 6 + [1] * 6 + [0] + [1] * 5)
    r1 = np.arange(n) < 12
    fixed = np.array([r1, r1 & (lv == 0), r1 & (lv == 1)])
    cand = np.array([np.ones(n, dtype=bool), lv == 0, lv == 1])
    plan = plan_publication(fixed, cand, 5, [9, 1, 1])
    # level 0 grew by one person: new level 0 - old level 0 is the newcomer, so it goes;
    # then new overall - new level 1 - old level 0 is the newcomer too: level 1 goes
    assert plan.published.tolist() == [True, False, False]
    assert sorted(plan.withheld) == [1, 2]
    kept = np.vstack([fixed, cand[plan.published]])
    assert solvable_group(kept, 5) is None and isolating_combination(kept, 5) is None


# --------------------------------------------- checker against the oracles


@st.composite
def set_systems(draw):
    n = draw(st.integers(1, 14))
    m = draw(st.integers(1, 6))
    k = draw(st.integers(2, 6))
    p = draw(st.sampled_from([0.2, 0.5, 0.8]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sets = rng.random((m, n)) < p
    if draw(st.booleans()):
        sets[0] = True  # a published total
    if draw(st.booleans()) and m > 1:
        sets[1] = sets[0] & (rng.random(n) < 0.7)  # nested, like an earlier release
    return sets, k


@settings(max_examples=300, deadline=None)
@given(set_systems())
def test_checker_is_exact_on_small_systems(system):
    sets, k = system
    truth = min_support(sets, k)
    found = isolating_combination(sets, k)
    if truth is None:
        assert found is None
    else:
        assert found is not None and found.weight == truth and found.minimal
        assert_witness(found, sets, k)
    # indicator-based oracle: a determined group total is a disclosure the checker must see
    if solvable_group(sets, k) is not None:
        assert found is not None


@settings(max_examples=60, deadline=None)
@given(set_systems(), st.lists(st.floats(0, 10), min_size=6, max_size=6))
def test_plans_are_safe_on_small_systems(system, prio):
    sets, k = system
    split = len(sets) // 2
    fixed, cand = sets[:split], sets[split:]
    plan = plan_publication(fixed, cand, k, prio[: len(cand)])
    if plan.fixed_unsafe:
        assert isolating_combination(fixed, k) is not None and not plan.published.any()
        return
    kept = np.vstack([fixed, cand[plan.published]])
    assert min_support(kept, k) is None and solvable_group(kept, k) is None
    sizes = cand.sum(axis=1)
    assert not plan.published[(sizes < k) | (sizes == 0)].any()


def test_oracles_agree_on_structured_systems():
    # enumeration and the MILP answer the same question; both are used below
    rng = np.random.default_rng(11)
    for _ in range(25):
        n, m, k = int(rng.integers(8, 30)), int(rng.integers(2, 8)), int(rng.integers(3, 7))
        sets = rng.random((m, n)) < rng.uniform(0.3, 0.7)
        sets[0] = True
        by_enum = solvable_group(sets, k, enumerate_up_to=10**9)
        by_milp = solvable_group(sets, k, enumerate_up_to=0)
        assert (by_enum is None) == (by_milp is None)


# ------------------------------------------------ whole rounds, all releases


def table_sets(result: ReadinessResult, seg, included: np.ndarray) -> list:
    """The sets a release published, rebuilt from its labels by plain loops."""
    n = len(included)
    out = []
    if result.overall is not None:
        out.append((None, [i for i in range(n) if included[i]]))
    for table in result.tables.values():
        for cell in table.cells:
            who = [
                i
                for i in range(n)
                if included[i] and all(seg[b][i] == cell.segment[b] for b in table.by)
            ]
            out.append((cell, who))
    return out


def build_round(seed, k, n_dep, regions, n_unlabelled, n_releases, missing, exact_earlier):
    """4 levels x n_dep departments (x 2 regions), cells of 0..12, some unlabelled people,
    release points each adding at least k respondents (the app's gate), and optionally
    one dimension that some respondents did not answer."""
    rng = np.random.default_rng(seed)
    levels = ["board", "executive", "middle_management", "front_line"]
    deps = [f"d{j}" for j in range(n_dep)]
    regs = ["eu", "us"] if regions else [None]
    lv, dp, rg = [], [], []
    for a in levels:
        for b in deps:
            for c in regs:
                size = int(rng.integers(0, 13))
                lv += [a] * size
                dp += [b] * size
                rg += [c] * size
    for _ in range(n_unlabelled):
        lv.append(None if rng.random() < 0.6 else str(rng.choice(levels)))
        dp.append(None if rng.random() < 0.6 else str(rng.choice(deps)))
        rg.append(None if not regions or rng.random() < 0.3 else str(rng.choice(regs)))
    n = len(lv)
    perm = rng.permutation(n)
    seg = {"level": [lv[i] for i in perm], "department": [dp[i] for i in perm]}
    if regions:
        seg["region"] = [rg[i] for i in perm]
    # release points: each release adds at least k respondents (the app's gate)
    cuts = sorted(set(int(c) for c in rng.integers(k, max(n, k + 1), size=n_releases - 1)))
    points: list[int] = []
    for c in [*cuts, n]:
        if c - (points[-1] if points else 0) >= k:
            points.append(c)
    if points and points[-1] != n:
        points[-1] = n
    x = rng.uniform(0, 100, (n, 8))
    if missing:
        col = int(rng.integers(0, 8))
        x[rng.random(n) < missing, col] = np.nan
    return x, seg, k, points, exact_earlier


@st.composite
def rounds(draw):
    return build_round(
        seed=draw(st.integers(0, 2**32 - 1)),
        k=draw(st.integers(MIN_K, MAX_K)),
        n_dep=draw(st.integers(3, 5)),
        regions=draw(st.booleans()),
        n_unlabelled=draw(st.integers(0, 6)),
        n_releases=draw(st.integers(2, 4)),
        missing=draw(st.sampled_from([0.0, 0.0, 0.1])),
        exact_earlier=draw(st.booleans()),
    )


def check_round(x, seg, k, points, exact_earlier):
    n = x.shape[0]
    answered = ~np.isnan(x)
    counts: list[np.ndarray] = []  # every set whose n was published, over all n respondents
    means: dict[str, list[np.ndarray]] = {d: [] for d in DIMENSIONS}
    for cut in points:
        included = np.arange(n) < cut
        here = {b: v[:cut] for b, v in seg.items()}
        earlier = np.array(counts).reshape(len(counts), n)[:, :cut]
        kwargs = {}
        if exact_earlier:
            kwargs["earlier_means"] = {
                d: np.array(means[d]).reshape(len(means[d]), n)[:, :cut] for d in DIMENSIONS
            }
        r = aggregate_readiness(x[:cut], here, k=k, earlier=earlier, **kwargs)
        r = ReadinessResult.from_dict(json.loads(json.dumps(r.to_dict())))  # as stored
        rebuilt = table_sets(r, seg, included)
        assert np.array_equal(
            published_sets(r, seg, included), np.array([ind(n, who) for _, who in rebuilt])
        )
        for cell, who in rebuilt:
            member = ind(n, who)
            assert len(who) >= k
            counts.append(member)
            for j, d in enumerate(DIMENSIONS):
                shown = r.overall if cell is None else cell
                if shown.mean[d] is not None:
                    assert (member & answered[:, j]).sum() >= k
                    means[d].append(member)
        if exact_earlier:
            for d in DIMENSIONS:
                shown = [ind(n, w) for c, w in rebuilt if (c or r.overall).mean[d] is not None]
                assert np.array_equal(
                    published_sets(r, seg, included, d), np.array(shown).reshape(-1, n)
                )
    all_counts = np.array(counts).reshape(len(counts), n)
    group = solvable_group(all_counts, k)
    assert group is None, f"respondents {np.flatnonzero(group)} are singled out by the counts"
    for j, d in enumerate(DIMENSIONS):
        if not means[d] or (answered[:, j].all() and not exact_earlier):
            continue  # complete answers: the same system as the counts
        sets = np.array(means[d]) & answered[:, j]
        group = solvable_group(sets, k)
        assert group is None, f"respondents {np.flatnonzero(group)} are singled out on {d}"


@settings(max_examples=45, deadline=None)  # about 15-25 s
@given(rounds())
# the deepest search met while tuning (k = 10, regions, 4 releases, a dimension with gaps)
@example(build_round(264, 10, 5, True, 6, 4, 0.1, False))
@example(build_round(44648, 9, 4, True, 4, 4, 0.1, True))
def test_no_group_under_k_is_ever_solvable_across_releases(data):
    check_round(*data)


def test_round_with_every_kind_of_gap():
    # a fixed, deliberately awkward round: tiny cells, unlabelled people, three releases
    rng = np.random.default_rng(5)
    lv = list(rng.choice(["board", "executive", "middle_management", "front_line"], 60))
    dp = list(rng.choice(["ops", "sales", "hr"], 60))
    lv[:4] = [None, None, "board", None]
    dp[:4] = ["ops", None, None, None]
    x = rng.uniform(0, 100, (60, 8))
    x[rng.random(60) < 0.1, 3] = np.nan
    for exact in (False, True):
        check_round(x, {"level": lv, "department": dp}, 5, [20, 40, 60], exact)


def test_five_thousand_respondents_in_five_releases():
    """Full size, five releases (how long it takes is measured by bench/release.py)."""
    rng = np.random.default_rng(0)
    n = 5000
    seg = {
        "level": list(rng.choice(["board", "executive", "middle_management", "front_line"], n)),
        "department": list(rng.choice([f"d{j}" for j in range(5)], n)),
        "region": list(rng.choice(["eu", "us"], n)),
    }
    for b in seg.values():
        for i in rng.choice(n, 12, replace=False):
            b[i] = None
    x = rng.uniform(0, 100, (n, 8))
    earlier = np.zeros((0, n), dtype=bool)
    for cut in (1000, 2000, 3000, 4000, 5000):
        included = np.arange(n) < cut
        r = aggregate_readiness(
            x[:cut], {b: v[:cut] for b, v in seg.items()}, k=5, earlier=earlier[:, :cut]
        )
        earlier = np.vstack([earlier, published_sets(r, seg, included)])
    assert r.overall.n == n
    assert solvable_group(earlier, 5) is None
