"""Weighted composite of a scale's sources on the 0-100 metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoring.composite import MIN_SHARE, combine
from scoring.errors import ScoringError

nan = np.nan
W = {"blocks": np.array([0.6, 0.5]), "ratings": np.array([0.2, 0.5]),
     "situations": np.array([0.2, 0.0])}  # fmt: skip


def test_min_share_pinned():
    assert MIN_SHARE == 0.5


def test_hand_worked_weighted_mean_and_renormalisation():
    src = {
        "blocks": np.array([[60.0, 40.0], [nan, 40.0], [50.0, nan], [nan, nan]]),
        "ratings": np.array([[80.0, 80.0], [80.0, 80.0], [nan, 70.0], [90.0, 90.0]]),
        "situations": np.array([[40.0, 99.0], [40.0, 99.0], [70.0, nan], [nan, nan]]),
    }
    got = combine(src, W)
    # row 0: 0.6·60 + 0.2·80 + 0.2·40 = 60; scale 1: 0.5·40 + 0.5·80 (situations weight 0)
    assert got.score[0] == pytest.approx([60.0, 60.0])
    # row 1: blocks missing -> share 0.4 < 0.5 -> insufficient; scale 1 as row 0
    assert np.isnan(got.score[1, 0]) and got.insufficient[1, 0]
    assert got.share[1] == pytest.approx([0.4, 1.0])
    # row 2: blocks + situations present, share 0.8: (0.6·50 + 0.2·70) / 0.8 = 55
    assert got.score[2, 0] == pytest.approx(55.0)
    assert got.score[2, 1] == pytest.approx(70.0)  # share exactly 0.5 is enough
    assert got.insufficient[3].tolist() == [True, False]  # 0.2 of scale 0; 0.5 of scale 1
    assert got.score[3, 1] == 90.0
    assert got.sources == ("blocks", "ratings", "situations")


def test_se_assumes_independent_errors():
    src = {"a": np.array([[50.0], [50.0]]), "b": np.array([[70.0], [nan]])}
    se = {"a": np.array([[6.0], [6.0]]), "b": np.array([[8.0], [nan]])}
    got = combine(src, {"a": [0.5], "b": [0.5]}, se)
    assert got.se[0, 0] == pytest.approx(np.sqrt(0.25 * 36 + 0.25 * 64))
    assert got.se[1, 0] == pytest.approx(6.0)  # the only source present, weight 1
    with pytest.raises(ScoringError, match="no valid SE"):
        combine(src, {"a": [0.5], "b": [0.5]}, {"a": se["a"], "b": np.full((2, 1), nan)})


@pytest.mark.parametrize(
    ("sources", "weights", "match"),
    [
        ({"a": [[50.0]]}, {"a": [0.9]}, "sum to 0.9"),
        ({"a": [[50.0]]}, {"b": [1.0]}, "weights name"),
        ({"a": [[150.0]]}, {"a": [1.0]}, "0-100"),
        ({"a": [[-1.0]]}, {"a": [1.0]}, "0-100"),
        ({"a": [[50.0]], "b": [[50.0]]}, {"a": [1.2], "b": [-0.2]}, "non-negative"),
        ({"a": [[50.0, 50.0]]}, {"a": [1.0]}, "one weight per scale"),
        ({}, {}, "at least one"),
    ],
)
def test_invalid_input_raises(sources, weights, match):
    with pytest.raises(ScoringError, match=match):
        combine(sources, weights)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=3, max_size=3),
    st.lists(st.floats(0.01, 1), min_size=3, max_size=3),
)
@example([None, None, 100.0], [1.0, 1.0, 0.01])
def test_composite_stays_between_its_sources(values, raw_w):
    w = np.array(raw_w) / sum(raw_w)
    src = {k: np.array([[nan if v is None else v]]) for k, v in zip("abc", values, strict=True)}
    got = combine(src, {k: [w[i]] for i, k in enumerate("abc")})
    present = [v for v in values if v is not None]
    if got.insufficient[0, 0]:
        assert np.isnan(got.score[0, 0])
        assert sum(w[i] for i, v in enumerate(values) if v is not None) < 0.5 + 1e-9
    else:
        assert min(present) - 1e-9 <= got.score[0, 0] <= max(present) + 1e-9
