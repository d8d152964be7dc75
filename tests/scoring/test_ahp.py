"""AHP: hand-worked examples, ahpy as a reference, invariants and degenerate input."""

from __future__ import annotations

import itertools
import json

import ahpy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.ahp import (
    RANDOM_INDEX_TABLES,
    SAATY_SCALE,
    aggregate_judgements,
    aggregate_priorities,
    analyse,
    analyse_many,
    best_revision,
    check_pairwise,
    consistency,
    group_ahp,
    matrix_from_judgements,
    nearest_scale_value,
    random_index,
)
from scoring.errors import ScoringError
from tests.scoring.reference_b import power_weights

# ---------------------------------------------------------------- hand-worked


def test_consistent_matrix_recovers_ratios():
    # a is twice b, b twice c => a four times c; weights 4:2:1 => 4/7, 2/7, 1/7.
    a = [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]
    r = analyse(a, ["a", "b", "c"])
    assert r.weights == pytest.approx((4 / 7, 2 / 7, 1 / 7))
    # A w = 3 w exactly for a consistent matrix => lambda_max = n = 3, CI = CR = 0.
    assert r.lambda_max == pytest.approx(3.0)
    assert r.ci == pytest.approx(0.0, abs=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-12)
    assert r.is_consistent


def test_classic_three_by_three():
    # a:b = 3, a:c = 5, b:c = 3 (mildly inconsistent: 3*3 = 9 != 5).
    a = matrix_from_judgements("abc", {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 3})
    r = analyse(a, "abc")
    # Reference by power iteration (plain Python):
    w, lam = power_weights(a.tolist())
    assert r.weights == pytest.approx(w, abs=1e-9)
    assert r.weights == pytest.approx((0.6370, 0.2583, 0.1047), abs=5e-5)
    # lambda_max = 3.0385; CI = (3.0385 - 3) / (3 - 1) = 0.01926; CR = 0.01926 / 0.58 = 0.0332
    assert r.lambda_max == pytest.approx(lam, abs=1e-9)
    assert r.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert r.ci == pytest.approx((r.lambda_max - 3) / 2)
    assert r.cr == pytest.approx(r.ci / 0.58)
    assert r.cr == pytest.approx(0.0332, abs=1e-4)
    assert r.random_index == 0.58 and r.table == "saaty1980"


def test_two_and_one_elements():
    # n = 2: [[1, 3], [1/3, 1]] -> weights 3/4, 1/4; always consistent (CR 0).
    r = analyse([[1, 3], [1 / 3, 1]], ["x", "y"])
    assert r.weights == pytest.approx((0.75, 0.25))
    assert r.cr == 0.0 and r.ci == 0.0 and r.random_index == 0.0
    # n = 1 is the trivial case: the only element gets all the weight.
    r1 = analyse([[1.0]], ["only"])
    assert r1.weights == (1.0,) and r1.cr == 0.0


def test_random_index_tables():
    assert random_index(3) == 0.58
    assert random_index(12) == 1.48  # Saaty 1980's published value
    assert random_index(15) == 1.59
    assert random_index(3, "alonso_lamata") == 0.5245
    assert random_index(3, "donegan_dodd") == 0.4914
    assert random_index(3, "saaty2005") == 0.52
    assert random_index(4, [0, 0, 0.5, 0.8]) == 0.8
    for name, table in RANDOM_INDEX_TABLES.items():
        assert len(table) == 15, name
        assert table[0] == table[1] == 0
    with pytest.raises(ScoringError, match="unknown random-index table"):
        random_index(3, "nope")
    with pytest.raises(ScoringError, match="covers n <= 15"):
        random_index(16)
    # CR with another table: the 3-element example under Alonso & Lamata: CI / 0.5245.
    a = matrix_from_judgements("abc", {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 3})
    r = analyse(a, "abc", table="alonso_lamata")
    assert r.cr == pytest.approx(r.ci / 0.5245)
    ci, cr = consistency(np.array([3.0385, 3.0]), 3)
    assert ci == pytest.approx([0.01925, 0.0]) and cr == pytest.approx([0.01925 / 0.58, 0.0])


def test_matrix_from_judgements_builds_reciprocals():
    a = matrix_from_judgements(["a", "b", "c"], {("a", "b"): 3, ("c", "a"): 5, ("b", "c"): 1 / 2})
    # (c, a) = 5 means a[c][a] = 5 and a[a][c] = 1/5.
    expected = np.array([[1, 3, 1 / 5], [1 / 3, 1, 1 / 2], [5, 2, 1]])
    assert np.allclose(a, expected)
    check_pairwise(a)
    partial = matrix_from_judgements("abc", {("a", "b"): 2}, require_complete=False)
    assert partial[0, 2] == 1 and partial[1, 0] == 0.5


@pytest.mark.parametrize(
    ("keys", "judgements", "message"),
    [
        ("abc", {("a", "b"): 3, ("a", "c"): 5}, "missing judgements"),
        ("ab", {("a", "b"): 10}, "outside Saaty"),
        ("ab", {("a", "b"): 0}, "outside Saaty"),
        ("ab", {("a", "z"): 2}, "unknown element"),
        ("ab", {("a", "a"): 2}, "itself"),
        ("ab", {("a", "b"): 2, ("b", "a"): 0.5}, "judged twice"),
        ("ab", {("a", "b"): "lots"}, "not a number"),
        ("a", {}, "at least two"),
        ("aa", {}, "distinct"),
    ],
)
def test_matrix_from_judgements_errors(keys, judgements, message):
    with pytest.raises(ScoringError, match=message):
        matrix_from_judgements(keys, judgements)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([1, 2, 3], "square"),
        ([[1, -2], [-0.5, 1]], "positive"),
        ([[1, 0], [np.inf, 1]], "infinite"),
        ([[1, 2], [2, 1]], "not reciprocal"),
        ([[1, 2], [0.5 + 1e-6, 1]], "not reciprocal"),
        ([[2, 1], [1, 0.5]], "diagonal"),
        ([[1, np.nan], [np.nan, 1]], "missing"),
        (np.ones((0, 0)), "empty"),
        ([["a", "b"], ["c", "d"]], "not numeric"),
    ],
)
def test_invalid_matrices_raise(matrix, message):
    with pytest.raises(ScoringError, match=message):
        analyse(matrix)


def test_keys_must_match():
    with pytest.raises(ScoringError, match="2 keys"):
        analyse(np.ones((3, 3)), ["a", "b"])
    with pytest.raises(ScoringError, match="distinct"):
        analyse([[1, 2], [0.5, 1]], ["a", "a"])


def test_best_revision_hand_example():
    # a dominates b, c, d; b dominates c and d; but c is judged *below* d (1/3)
    # while the rows of a and b imply c above d.  Fixing c:d helps most.
    keys = "abcd"
    a = matrix_from_judgements(
        keys,
        {
            ("a", "b"): 3, ("a", "c"): 5, ("a", "d"): 7,
            ("b", "c"): 3, ("b", "d"): 5, ("c", "d"): 1 / 3,
        },
    )  # fmt: skip
    before = analyse(a, keys)
    assert before.cr > 0.10  # lambda 4.363: CI = 0.121, CR = 0.121 / 0.90 = 0.134
    assert before.cr == pytest.approx(0.1343, abs=1e-4)
    rev = best_revision(a, keys)
    assert rev is not None
    assert (rev.key_i, rev.key_j) == ("c", "d")
    assert rev.current == pytest.approx(1 / 3)
    # consistent value w_c / w_d = 0.0701 / 0.1023 = 0.685; in log space 1/2 is
    # nearer (|ln .685 - ln .5| = 0.315) than 1 (|ln .685| = 0.378).
    assert rev.consistent_value == pytest.approx(before.weights[2] / before.weights[3])
    assert rev.suggested == 0.5
    revised = a.copy()
    revised[2, 3], revised[3, 2] = 0.5, 2.0
    assert rev.cr_after == pytest.approx(analyse(revised).cr)
    assert rev.cr_after < 0.10 < rev.cr_before
    assert json.dumps(rev.to_dict())


def test_best_revision_nothing_to_fix():
    assert best_revision([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]) is None
    assert best_revision([[1, 5], [1 / 5, 1]]) is None


def test_best_revision_unsnapped_uses_consistent_value():
    a = matrix_from_judgements("abc", {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 3})
    rev = best_revision(a, "abc", snap=False)
    assert rev is not None
    assert rev.suggested == pytest.approx(rev.consistent_value)
    assert rev.cr_after < rev.cr_before


def test_nearest_scale_value():
    assert nearest_scale_value([0.9, 2.4, 8.7, 20, 0.01]).tolist() == [1, 2, 9, 9, 1 / 9]


def test_aij_geometric_mean_hand_example():
    # member 1 says a:b = 2, member 2 says 8: geometric mean sqrt(2 * 8) = 4.
    m1 = [[1, 2], [1 / 2, 1]]
    m2 = [[1, 8], [1 / 8, 1]]
    g = aggregate_judgements([m1, m2])
    assert g[0, 1] == pytest.approx(4.0) and g[1, 0] == pytest.approx(0.25)
    # weighted 3:1 -> 2^0.75 * 8^0.25 = 2^(0.75 + 0.75) = 2^1.5
    gw = aggregate_judgements([m1, m2], [3, 1])
    assert gw[0, 1] == pytest.approx(2**1.5)
    res = group_ahp([m1, m2], ["a", "b"])
    assert res.weights == pytest.approx((0.8, 0.2))  # 4 : 1
    assert res.cr == 0.0 and len(res.members) == 2
    assert json.dumps(res.to_dict())


def test_aip_geometric_mean_hand_example():
    # (0.5, 0.5) and (0.8, 0.2): sqrt(.4) = .6325, sqrt(.1) = .3162 -> 2/3, 1/3 after normalising.
    p = aggregate_priorities([[0.5, 0.5], [0.8, 0.2]])
    assert p == pytest.approx((2 / 3, 1 / 3))
    res = group_ahp([[[1, 1], [1, 1]], [[1, 4], [1 / 4, 1]]], ["a", "b"], method="aip")
    assert res.weights == pytest.approx((2 / 3, 1 / 3))
    assert res.cr is None and res.group is None


def test_group_errors():
    with pytest.raises(ScoringError, match="unknown aggregation"):
        group_ahp([[[1, 2], [0.5, 1]]], method="mean")
    with pytest.raises(ScoringError, match="member weights"):
        aggregate_judgements([[[1, 2], [0.5, 1]]], [1, 2])
    with pytest.raises(ScoringError, match="non-negative"):
        aggregate_judgements([[[1, 2], [0.5, 1]]] * 2, [1, -1])
    with pytest.raises(ScoringError, match="positive"):
        aggregate_priorities([[1.0, 0.0]])
    with pytest.raises(ScoringError, match="k×n"):
        aggregate_priorities([1.0, 0.0])
    with pytest.raises(ScoringError, match="not reciprocal"):
        group_ahp([[[1, 2], [0.5, 1]], [[1, 2], [2, 1]]])


def test_analyse_many_matches_single():
    ms = [
        matrix_from_judgements("abc", {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 3}),
        matrix_from_judgements("abc", {("a", "b"): 1 / 2, ("a", "c"): 7, ("b", "c"): 9}),
    ]
    many = analyse_many(np.stack(ms), "abc")
    for m, r in zip(ms, many, strict=True):
        one = analyse(m, "abc")
        assert r.weights == pytest.approx(one.weights)
        assert r.cr == pytest.approx(one.cr)
    assert json.dumps(many[0].to_dict())


# ---------------------------------------------------------------- properties

saaty_value = st.sampled_from(SAATY_SCALE)


@st.composite
def judgements(draw, min_n=3, max_n=7):
    n = draw(st.integers(min_n, max_n))
    keys = [f"k{i}" for i in range(n)]
    comp = {(keys[i], keys[j]): draw(saaty_value) for i, j in itertools.combinations(range(n), 2)}
    return keys, comp


@settings(max_examples=40, deadline=None)
@given(judgements(), st.sampled_from([("dd", "donegan_dodd"), ("saaty", "saaty2005")]))
def test_agrees_with_ahpy(data, tables):
    """ahpy 2.1 uses Donegan & Dodd by default and Saaty (2005) for 'saaty'."""
    keys, comp = data
    ahpy_table, our_table = tables
    ref = ahpy.Compare("x", comp, precision=10, random_index=ahpy_table)
    ours = analyse(matrix_from_judgements(keys, comp), keys, table=our_table)
    for k, w in ours.weight_map().items():
        assert w == pytest.approx(ref.local_weights[k], abs=1e-4)
    assert ours.cr == pytest.approx(ref.consistency_ratio, abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(judgements(min_n=2, max_n=9))
def test_weight_invariants(data):
    keys, comp = data
    a = matrix_from_judgements(keys, comp)
    r = analyse(a, keys)
    assert sum(r.weights) == pytest.approx(1.0)
    assert all(w > 0 for w in r.weights)
    assert r.lambda_max >= len(keys) - 1e-9
    assert r.cr >= 0
    # relabelling the elements permutes the weights
    perm = list(reversed(range(len(keys))))
    rp = analyse(a[np.ix_(perm, perm)], [keys[i] for i in perm])
    assert rp.weight_map() == pytest.approx(r.weight_map())


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=2, max_size=8))
def test_consistent_matrices_recover_weights(raw):
    w = np.array(raw) / sum(raw)
    r = analyse(np.outer(w, 1 / w))
    assert r.weights == pytest.approx(w.tolist(), abs=1e-9)
    assert r.cr == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(judgements(min_n=3, max_n=7))
def test_best_revision_lowers_cr(data):
    keys, comp = data
    a = matrix_from_judgements(keys, comp)
    before = analyse(a, keys)
    rev = best_revision(a, keys)
    if rev is None:
        return
    revised = a.copy()
    revised[rev.i, rev.j], revised[rev.j, rev.i] = rev.suggested, 1 / rev.suggested
    after = analyse(revised, keys)
    assert after.cr == pytest.approx(rev.cr_after, abs=1e-9)
    assert rev.cr_after < before.cr
    assert rev.suggested in SAATY_SCALE
    # no other single snapped revision does better (reference: plain loop)
    for i, j in itertools.combinations(range(len(keys)), 2):
        v = float(nearest_scale_value(before.weights[i] / before.weights[j]))
        m = a.copy()
        m[i, j], m[j, i] = v, 1 / v
        assert analyse(m).cr >= rev.cr_after - 1e-9


@settings(max_examples=20, deadline=None)
@given(st.lists(judgements(min_n=4, max_n=4), min_size=2, max_size=5))
def test_aij_is_reciprocal_and_weights_sum_to_one(members):
    keys = members[0][0]
    stack = np.stack([matrix_from_judgements(keys, comp) for _, comp in members])
    g = aggregate_judgements(stack)
    check_pairwise(g)
    for method in ("aij", "aip"):
        res = group_ahp(stack, keys, method=method)
        assert sum(res.weights) == pytest.approx(1.0)
