"""Adverse impact: selection rates, impact ratios, four-fifths rule, small groups."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import ScoringError
from scoring.fairness import (
    FOUR_FIFTHS,
    SMALL_GROUP_SHARE,
    adverse_impact,
    adverse_impact_by,
    intersectional_groups,
    is_adverse,
    is_unknown_label,
)


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
    if r.reference_group is not None:
        (ref,) = [x for x in r.groups if x.is_reference]
        for x in r.groups:  # the decision agrees with exact rational arithmetic
            exact = Fraction(x.selected, x.n) / Fraction(ref.selected, ref.n)
            assert x.adverse == (exact < Fraction(4, 5))
    for x in r.small_groups:
        assert x.n < 0.02 * len(s) and x.adverse is None


def test_documented_thresholds():
    assert FOUR_FIFTHS == 0.8 and SMALL_GROUP_SHARE == 0.02


def _two_groups(sel_a: int, n_a: int, sel_b: int, n_b: int) -> tuple[list[int], list[str]]:
    scores = [1] * sel_a + [0] * (n_a - sel_a) + [1] * sel_b + [0] * (n_b - sel_b)
    return scores, ["a"] * n_a + ["b"] * n_b


def _exact_four_fifths_cases(max_n: int) -> list[tuple[int, int, int, int]]:
    """Every (sel_a, n_a, sel_b, n_b), n ≤ max_n, whose rate ratio b/a is exactly 4/5."""
    return [
        (a, na, b, nb)
        for na in range(1, max_n + 1)
        for nb in range(1, max_n + 1)
        for a in range(1, na + 1)
        for b in range(0, nb + 1)
        if Fraction(b, nb) / Fraction(a, na) == Fraction(4, 5)
    ]


def test_ratio_of_exactly_four_fifths_is_never_adverse_40_vs_100():
    # 32/100 against 40/100: 0.7999999999999999 in floats, exactly 4/5 in fact
    assert (32 / 100) / (40 / 100) < 0.8  # the float trap the module must avoid
    r = adverse_impact(*_two_groups(40, 100, 32, 100), cut=1)
    b = r.groups[1]
    assert b.impact_ratio == 0.8 and b.adverse is False and not r.any_adverse
    # one fewer selected in b is adverse: 31/32 · 0.8 < 0.8
    assert adverse_impact(*_two_groups(40, 100, 31, 100), cut=1).groups[1].adverse is True


def test_every_exact_four_fifths_case_up_to_40_is_not_adverse():
    cases = _exact_four_fifths_cases(40)
    assert len(cases) == 1425
    # floats misjudge 424 of them; the module must misjudge none
    assert sum((b / nb) / (a / na) < 0.8 for a, na, b, nb in cases) == 424
    for a, na, b, nb in cases:
        r = adverse_impact(*_two_groups(a, na, b, nb), cut=1)
        (gb,) = [x for x in (*r.groups, *r.small_groups) if x.group == "b"]
        assert r.reference_group == "a", (a, na, b, nb)
        assert gb.adverse is False and gb.impact_ratio == 0.8, (a, na, b, nb)


def test_is_adverse_matches_fraction_arithmetic_for_all_counts_up_to_20():
    for na in range(1, 21):
        for nb in range(1, 21):
            for a in range(1, na + 1):
                ref = Fraction(a, na)
                for b in range(nb + 1):
                    want = Fraction(b, nb) / ref < Fraction(4, 5)
                    assert is_adverse(b, nb, a, na) is want, (b, nb, a, na)
    # another threshold is taken as written: 9/10 against 10/10 at 0.9 is not adverse
    assert is_adverse(9, 10, 10, 10, 0.9) is False and is_adverse(8, 10, 10, 10, 0.9) is True
    assert is_adverse(9, 10, 10, 10, Fraction(9, 10)) is False
    with pytest.raises(ScoringError):
        is_adverse(1, 10, 0, 10)


def test_threshold_exactly_met_through_adverse_impact():
    # a 10/10, b 7/10: ratio exactly 0.7 -> not adverse at threshold 0.7, adverse at 0.8
    s, g = _two_groups(10, 10, 7, 10)
    assert adverse_impact(s, g, cut=1, threshold=0.7).groups[1].adverse is False
    assert adverse_impact(s, g, cut=1).groups[1].adverse is True


def test_missing_labels_are_unknown_not_a_group():
    pd = pytest.importorskip("pandas")
    labels = ["a", "a", "b", "b", None, float("nan"), np.nan, pd.NA, ""]
    scores = [90, 10, 80, 20, 95, 96, 5, 97, np.nan]
    r = adverse_impact(scores, labels, cut=50)
    assert [x.group for x in (*r.groups, *r.small_groups)] == ["a", "b"]
    assert r.n_pool == 4
    # 4 scored rows without a label (3 of them selected); the unlabelled unscored row
    # counts only as excluded
    assert (r.unknown, r.unknown_selected, r.excluded_missing) == (4, 3, 5)
    assert any("unknown group" in f for f in r.flags)
    d = r.to_dict()
    assert d["unknown"] == 4 and d["unknown_selected"] == 3
    # a pandas column with missing values works the same way
    col = pd.Series(["a", "b", None, "a"], dtype="string")  # missing is pd.NA
    r2 = adverse_impact([90, 80, 70, 10], col, cut=50)
    assert r2.unknown == 1 and [x.group for x in r2.groups] == ["a", "b"]


@pytest.mark.parametrize(
    ("label", "unknown"),
    [(None, True), (float("nan"), True), (np.float64("nan"), True), ("", True),
     ("nan", False), ("a", False), (0, False), (1.5, False)],
)  # fmt: skip
def test_is_unknown_label(label, unknown):
    assert is_unknown_label(label) is unknown


def test_median_is_taken_over_the_full_sample():
    # labelled: a {1, 2}, b {3, 4}; unlabelled: 10, 11, 12, 13.  Full-sample median of
    # 1..4, 10..13 = (4 + 10) / 2 = 7 -> nobody labelled is above it.  The labelled-only
    # median (2.5) would select b's 3 and 4.
    s = [1, 2, 3, 4, 10, 11, 12, 13]
    g = ["a", "a", "b", "b", None, None, None, None]
    r = adverse_impact(s, g, method="median")
    assert r.cut == 7.0 and r.n_selected == 0 and r.unknown_selected == 4
    assert "no one selected" in r.flags
    # rows without a score never enter the median: median of 1..4, 10, 20 = 3.5
    s2 = [1, 2, 3, 4, 10, 20, np.nan, np.nan]
    r2 = adverse_impact(s2, ["a", "a", "b", "b", None, None, "a", None], method="median")
    assert r2.cut == 3.5 and r2.n_selected == 1 and r2.unknown_selected == 2
    assert math.isclose(r2.groups[1].rate, 0.5) and r2.groups[0].rate == 0


def test_intersectional_groups():
    sex = ["F", "M", "F", None, "M", "F"]
    race = ["Black", "White", "White", "Asian", float("nan"), "Black"]
    combined = intersectional_groups(sex, race)
    assert combined == ["F × Black", "M × White", "F × White", None, None, "F × Black"]
    assert intersectional_groups(["x"], ["y"], ["z"], sep="/") == ["x/y/z"]
    r = adverse_impact_by([90, 80, 10, 70, 60, 20], {"sex × race": combined}, cut=50)
    res = r["sex × race"]
    assert res.unknown == 2 and res.n_pool == 4
    assert {x.group: (x.n, x.selected) for x in res.groups} == {
        "F × Black": (2, 1), "F × White": (1, 0), "M × White": (1, 1),
    }  # fmt: skip
    with pytest.raises(ScoringError, match="at least two"):
        intersectional_groups(sex)
    with pytest.raises(ScoringError, match="length"):
        intersectional_groups(sex, race[:-1])
