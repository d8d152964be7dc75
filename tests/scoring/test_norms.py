"""Percentile ranks, z, T and stens against a norm sample."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringError, norm_scores, percentile_rank, sten_from_z
from scoring.norms import (
    DEFAULT_MIN_NORM_SIZE,
    MIN_NORM_N,
    NORM_SIZE_FLOOR,
    distribution,
    group_standing,
)
from tests.scoring import reference

NORM = np.array([1, 2, 2, 3, 4, 5, 5, 5, 6, 7], dtype=float)


def test_hand_worked_norm_scores():
    # N = 10, mean = 40 / 10 = 4, squared deviations sum to 34 -> SD = sqrt(34 / 9)
    sd = math.sqrt(34 / 9)
    ns = norm_scores(np.array([5.0, 4.0, 0.0, 8.0]), NORM, min_n=10)
    # 5: five values below (1, 2, 2, 3, 4), three ties -> 100·(5 + 3/2)/10 = 65
    # 4: four below, one tie -> 45;  0: none below -> 0;  8: all below -> 100
    assert list(ns.percentile) == pytest.approx([65, 45, 0, 100])
    assert list(ns.z) == pytest.approx([1 / sd, 0, -4 / sd, 4 / sd])
    assert list(ns.t) == pytest.approx([50 + 10 / sd, 50, 50 - 40 / sd, 50 + 40 / sd])
    # sten = round_half_up(5.5 + 2z) clipped to 1..10: 6.53 -> 7, 5.5 -> 6, 1.38 -> 1, 9.6 -> 10
    assert list(ns.sten) == [7, 6, 1, 10]
    assert ns.norm_n[0] == 10 and ns.norm_mean[0] == 4 and ns.norm_sd[0] == pytest.approx(sd)
    assert ns.usable[0] and ns.reason == (None,)


def test_sten_conventions():
    # the mean falls on the 5/6 border; each sten is half an SD wide
    assert list(sten_from_z([0.0, -1e-9, 0.4999, 0.5, -0.5, 2.25, 9, -9])) == [
        6, 5, 6, 7, 5, 10, 10, 1,
    ]  # fmt: skip


def test_pool_is_its_own_norm_by_default_and_columns_are_separate():
    scores = np.column_stack([NORM, NORM * 10])
    scores[0, 1] = np.nan
    ns = norm_scores(scores, scales=("a", "b"), min_n=9)
    assert ns.percentile[5, 0] == 65  # the first 5
    assert ns.norm_n.tolist() == [10, 9]
    assert math.isnan(ns.percentile[0, 1])  # a missing score stays missing
    # column b against its own 9 values: 50 has 4 below (20, 20, 30, 40) and 3 ties
    assert ns.percentile[5, 1] == pytest.approx(100 * (4 + 1.5) / 9)
    json.dumps(ns.to_dict(), allow_nan=False)
    # with a minimum of 10, column b (9 scores) is not usable
    assert norm_scores(scores, min_n=10).usable.tolist() == [True, False]
    # the default minimum is the norm-group floor of 30: neither 10-score column is usable
    assert MIN_NORM_N == NORM_SIZE_FLOOR == 30
    assert not norm_scores(scores).usable.any()


def test_too_small_a_norm_is_flagged_not_silent():
    ns = norm_scores(np.array([[1.0, 2.0]] * 3), np.array([[1.0, 2.0]] * 29))
    assert not ns.usable.any()
    assert all("29 score(s); at least 30" in r for r in ns.reason)
    assert np.isnan(ns.percentile).all() and np.isnan(ns.sten).all()
    flat = norm_scores(np.ones(32))
    assert not flat.usable[0] and "same" in flat.reason[0]
    assert norm_scores(np.arange(5.0), min_n=5).usable[0]


def test_bad_shapes():
    with pytest.raises(ScoringError, match="needs 2 column"):
        norm_scores(np.ones((3, 2)), np.ones((20, 3)))
    with pytest.raises(ScoringError, match="1-D or 2-D"):
        norm_scores(np.ones((2, 2, 2)))
    with pytest.raises(ScoringError, match="no values"):
        percentile_rank([1.0], [np.nan])
    with pytest.raises(ScoringError, match="min_n"):
        norm_scores(np.ones(20), min_n=1)


@settings(max_examples=80, deadline=None)
@given(
    norm=st.lists(st.integers(0, 20).map(float), min_size=1, max_size=60),
    values=st.lists(st.integers(-2, 22).map(float), min_size=1, max_size=20),
)
def test_percentile_matches_reference_and_is_bounded(norm, values):
    got = percentile_rank(np.array(values), np.array(norm))
    want = [reference.percentile_rank(v, norm) for v in values]
    assert np.allclose(got, want, atol=1e-12)
    assert ((got >= 0) & (got <= 100)).all()
    order = np.argsort(values, kind="stable")
    assert (np.diff(got[order]) >= 0).all()  # monotone in the score


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(30, 200))
def test_standard_scores_are_consistent(seed, n):
    x = np.random.default_rng(seed).normal(50, 15, size=n)
    ns = norm_scores(x)
    assert np.allclose(ns.t, 50 + 10 * ns.z)
    assert ((ns.sten >= 1) & (ns.sten <= 10)).all()
    assert abs(ns.z.mean()) < 1e-9 and ns.z.std(ddof=1) == pytest.approx(1)


def test_group_standing_by_hand_and_never_against_oneself():
    values, counts = distribution([1, 2, 2, 3, 4, 5, 5, 5, 6, 7, np.nan])
    assert values.tolist() == [1, 2, 3, 4, 5, 6, 7] and counts.tolist() == [1, 2, 1, 1, 3, 1, 1]
    # an outsider scoring 5: five below, three ties in 10 -> 65
    g = group_standing([5.0, np.nan], values, counts)
    assert g.percentile[0] == pytest.approx(65) and np.isnan(g.percentile[1])
    assert g.n.tolist() == [10, 0]
    # the same 5 from a member of the group: their own 5 is taken out -> 5 below, 2 ties in 9
    m = group_standing([5.0], values, counts, own=[5.0])
    assert m.percentile[0] == pytest.approx(100 * (5 + 1) / 9) and m.n[0] == 9
    # a member whose score moved since (held 2, now 5): the held 2 leaves the "below" count
    moved = group_standing([5.0], values, counts, own=[2.0])
    assert moved.percentile[0] == pytest.approx(100 * (4 + 1.5) / 9)
    # the interval is the percentiles of the band's ends: 5 ± 1.5 -> 3.5 and 6.5
    b = group_standing([5.0], values, counts, half_width=1.5)
    assert b.low[0] == pytest.approx(40) and b.high[0] == pytest.approx(90)
    # normalised T and sten from the percentile: 65th -> z = 0.3853 -> T 53.9, sten 6
    z = NormalDist().inv_cdf(0.65)
    assert g.t[0] == pytest.approx(50 + 10 * z) and g.sten[0] == 6
    # the extremes are kept finite: half a person inside each end
    top = group_standing([99.0], values, counts)
    assert top.percentile[0] == 100 and top.t[0] == pytest.approx(
        50 + 10 * NormalDist().inv_cdf(0.95)
    )


def test_group_standing_refuses_bad_input():
    with pytest.raises(ScoringError, match="ascending"):
        group_standing([1.0], [2.0, 1.0], [1, 1])
    with pytest.raises(ScoringError, match="same length"):
        group_standing([1.0], [1.0, 2.0], [1])
    with pytest.raises(ScoringError, match="own"):
        group_standing([1.0, 2.0], [1.0, 2.0], [1, 1], own=[1.0])
    with pytest.raises(ScoringError, match="half_width"):
        group_standing([1.0], [1.0, 2.0], [1, 1], half_width=-1)
    # too small a comparison (one other person) gives no percentile
    assert np.isnan(group_standing([1.0], [1.0, 2.0], [1, 1], own=[1.0]).percentile[0])
    assert DEFAULT_MIN_NORM_SIZE == 100


@settings(max_examples=60, deadline=None)
@given(
    norm=st.lists(st.integers(0, 20).map(float), min_size=3, max_size=60),
    member=st.integers(0, 59),
    value=st.integers(-2, 22).map(float),
)
def test_group_standing_equals_the_reference_without_the_member(norm, member, value):
    member %= len(norm)
    values, counts = distribution(norm)
    got = group_standing([value], values, counts, own=[norm[member]])
    rest = norm[:member] + norm[member + 1 :]
    assert got.percentile[0] == pytest.approx(reference.percentile_rank(value, rest))
    assert got.n[0] == len(rest)
