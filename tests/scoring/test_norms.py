"""Percentile ranks, z, T and stens against a norm sample."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringError, norm_scores, percentile_rank, sten_from_z
from tests.scoring import reference

NORM = np.array([1, 2, 2, 3, 4, 5, 5, 5, 6, 7], dtype=float)


def test_hand_worked_norm_scores():
    # N = 10, mean = 40 / 10 = 4, squared deviations sum to 34 -> SD = sqrt(34 / 9)
    sd = math.sqrt(34 / 9)
    ns = norm_scores(np.array([5.0, 4.0, 0.0, 8.0]), NORM)
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
    # with the default minimum of 10, column b (9 scores) is not usable
    assert norm_scores(scores).usable.tolist() == [True, False]


def test_too_small_a_norm_is_flagged_not_silent():
    ns = norm_scores(np.array([[1.0, 2.0]] * 3), np.array([[1.0, 2.0]] * 9))
    assert not ns.usable.any()
    assert all("9 score(s); at least 10" in r for r in ns.reason)
    assert np.isnan(ns.percentile).all() and np.isnan(ns.sten).all()
    flat = norm_scores(np.ones(12))
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
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 200))
def test_standard_scores_are_consistent(seed, n):
    x = np.random.default_rng(seed).normal(50, 15, size=n)
    ns = norm_scores(x)
    assert np.allclose(ns.t, 50 + 10 * ns.z)
    assert ((ns.sten >= 1) & (ns.sten <= 10)).all()
    assert abs(ns.z.mean()) < 1e-9 and ns.z.std(ddof=1) == pytest.approx(1)
