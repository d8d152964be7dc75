"""Adverse impact: selection rates, impact ratios, four-fifths rule, small groups."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import ScoringError
from scoring.fairness import adverse_impact, adverse_impact_by


def test_hand_worked_four_fifths():
    # group a: 10 candidates, 6 at or above the cut of 60 -> rate .6
    # group b: 10 candidates, 3 at or above -> rate .3; ratio .3 / .6 = .5 < .8 -> adverse
    a = [60, 61, 70, 80, 90, 65, 10, 20, 30, 40]
    b = [60, 75, 99, 10, 20, 30, 40, 50, 55, 59.9]
    r = adverse_impact(a + b, ["a"] * 10 + ["b"] * 10, cut=60)
    ga, gb = r.groups
    assert (ga.n, ga.selected, ga.rate) == (10, 6, 0.6)
    assert (gb.n, gb.selected, gb.rate) == (10, 3, 0.3)
    assert ga.is_reference and ga.impact_ratio == 1.0 and ga.adverse is False
    assert gb.impact_ratio == pytest.approx(0.5) and gb.adverse is True
    assert r.reference_group == "a" and r.any_adverse
    assert r.n_pool == 20 and r.n_selected == 9
    d = json.loads(json.dumps(r.to_dict()))
    assert "§4D" in d["source"]


def test_ratio_exactly_four_fifths_is_not_adverse():
    # a: 5 of 10 (.5); b: 4 of 10 (.4); .4 / .5 = .8, not below .8
    s = [1] * 5 + [0] * 5 + [1] * 4 + [0] * 6
    r = adverse_impact(s, ["a"] * 10 + ["b"] * 10, cut=1)
    assert r.groups[1].impact_ratio == pytest.approx(0.8) and r.groups[1].adverse is False


def test_small_groups_reported_apart():
    # pool of 100; group c has 1 member (1 % < 2 %): listed apart, rate shown, not judged
    s = [1] * 50 + [0] * 49 + [0]
    g = ["a"] * 50 + ["b"] * 49 + ["c"]
    s[50:60] = [1] * 10  # b: 10 of 49 selected
    r = adverse_impact(s, g, cut=1)
    assert [x.group for x in r.groups] == ["a", "b"]
    (c,) = r.small_groups
    assert c.group == "c" and c.n == 1 and c.selected == 0 and c.rate == 0
    assert c.small and c.adverse is None and c.impact_ratio == 0.0
    assert r.groups[1].impact_ratio == pytest.approx((10 / 49) / 1.0)


def test_zero_selected_group_and_no_one_selected():
    r = adverse_impact([90, 80, 10, 20], ["a", "a", "b", "b"], cut=50)
    b = r.groups[1]
    assert b.selected == 0 and b.impact_ratio == 0.0 and b.adverse is True
    none = adverse_impact([10, 20, 30, 40], ["a", "a", "b", "b"], cut=50)
    assert none.reference_group is None
    assert all(g.impact_ratio is None and g.adverse is None for g in none.groups)
    assert "no one selected" in none.flags
    assert not none.any_adverse


def test_median_variant():
    # pool median of 1..8 is 4.5: strictly above -> 5, 6, 7, 8
    s = [1, 2, 3, 4, 5, 6, 7, 8]
    g = ["a", "b", "a", "b", "a", "b", "b", "b"]
    r = adverse_impact(s, g, method="median")
    assert r.cut == 4.5 and r.n_selected == 4
    ga, gb = r.groups
    # a: {1, 3, 5} -> 1 of 3; b: {2, 4, 6, 7, 8} -> 3 of 5 = .6 (reference)
    assert ga.rate == pytest.approx(1 / 3) and gb.rate == pytest.approx(0.6)
    assert ga.impact_ratio == pytest.approx((1 / 3) / 0.6) and ga.adverse is True


def test_missing_rows_are_excluded_and_counted():
    r = adverse_impact([90, np.nan, 80, 70], ["a", "a", None, "b"], cut=75)
    assert r.excluded_missing == 2 and r.n_pool == 2
    assert any("excluded" in f for f in r.flags)


def test_several_grouping_variables():
    res = adverse_impact_by(
        [90, 10, 80, 20], {"g1": ["a", "a", "b", "b"], "g2": ["x", "y", "x", "y"]}, cut=50
    )
    assert res["g1"].any_adverse is False
    assert res["g2"].groups[1].rate == 0 and res["g2"].groups[1].adverse is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scores": [1, 2], "groups": ["a"]}, "equal length"),
        ({"scores": [1, 2], "groups": ["a", "b"], "cut": None}, "cut score"),
        ({"scores": [np.nan], "groups": ["a"], "cut": 1}, "no scored"),
        ({"scores": [1], "groups": ["a"], "cut": 1, "method": "mean"}, "unknown method"),
        ({"scores": [1], "groups": ["a"], "cut": 1, "threshold": 0}, "threshold"),
    ],
)
def test_degenerate_input(kwargs, message):
    with pytest.raises(ScoringError, match=message):
        adverse_impact(**kwargs)


def test_single_group_is_flagged():
    r = adverse_impact([1, 2, 3], ["a"] * 3, cut=2)
    assert any("fewer than two groups" in f for f in r.flags)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 100), st.sampled_from("abcd")), min_size=1, max_size=80),
    st.floats(0, 100),
)
def test_rates_and_ratios_in_range(pairs, cut):
    s = [p[0] for p in pairs]
    g = [p[1] for p in pairs]
    r = adverse_impact(s, g, cut=cut)
    everyone = (*r.groups, *r.small_groups)
    assert sum(x.n for x in everyone) == len(s)
    assert sum(x.selected for x in everyone) == r.n_selected == sum(v >= cut for v in s)
    for x in r.groups:
        assert 0 <= x.rate <= 1
        if x.impact_ratio is not None:
            assert 0 <= x.impact_ratio <= 1 + 1e-12
            assert x.adverse == (x.impact_ratio < 0.8)
    for x in r.small_groups:
        assert x.n < 0.02 * len(s) and x.adverse is None
