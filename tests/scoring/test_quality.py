"""Response-quality checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringError, answers_to_matrix, longest_run, response_quality
from tests.scoring import reference

nan = np.nan


def test_longest_run_hand_worked():
    x = np.array([
        [3, 3, 3, 1, 3, 3],          # 3 3 3 -> 3
        [3, 3, nan, 3, 3, 3],        # a gap breaks the run: 3 3 3 after it -> 3
        [nan, nan, nan, nan, nan, nan],  # nothing answered -> 0
        [1, 2, 3, 4, 5, 1],          # never repeats -> 1
        [5, 5, 5, 5, 5, 5],          # straight line -> 6
    ])  # fmt: skip
    assert longest_run(x).tolist() == [3, 3, 0, 1, 6]
    assert longest_run(np.zeros((2, 0))).tolist() == [0, 0]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([1.0, 2.0, 3.0, nan]), min_size=1, max_size=12),
        min_size=1, max_size=8,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1)
)  # fmt: skip
def test_longest_run_matches_reference(rows):
    got = longest_run(np.array(rows))
    assert got.tolist() == [reference.longest_run(r) for r in rows]


ANSWERS = [
    # likert order l1 l2 l3 l4 l5 att: straight 4s; l1/l2 and l3/l2 both "agree"
    {"l1": 4, "l2": 4, "l3": 4, "l4": 4, "l5": 4, "att": 4},
    # varied answers, attention check failed (2 instead of 4)
    {"l1": 5, "l2": 1, "l3": 4, "l4": 7, "l5": 2, "att": 2},
    # nothing answered
    {},
]


def test_quality_hand_worked(mini_key):
    m = answers_to_matrix(mini_key, ANSWERS)
    q = response_quality(mini_key, m, seconds=[120, 20, 60], n_items=20, long_run=6)
    # 4 4 4 4 4 4 -> 6;  5 1 4 7 2 2 -> 2 (l5 and att);  nothing -> 0
    assert q.longest_run.tolist() == [6, 2, 0]
    assert q.attention_failed.tolist() == [1 - 1, 1, 0] and q.n_attention == 1
    assert q.attention_answered.tolist() == [1, 1, 0]
    # pairs (l1, l2), (l3, l2) on 5 points: 4 and 4 are both "agree" (≥ 4) -> 2 contradictions;
    # (l4, l5) on 7 points: 4 and 4 are neither ≥ 6 nor ≤ 2
    assert q.contradictions.tolist() == [2, 0, 0]
    assert q.pairs_answered.tolist() == [3, 3, 0]
    # 120 / 20 = 6 s per item, 20 / 20 = 1 s (too fast), 60 / 20 = 3 s
    assert q.seconds_per_item.tolist() == [6, 1, 3]
    assert q.flagged.tolist() == [True, True, False]
    assert q.reasons[0] == (
        "6 identical answers in a row (flag at 6)",
        "contradictory answers on 2 of 3 reverse-keyed pairs",
    )
    assert q.reasons[1] == (
        "1.0 seconds per item (minimum 2)",
        "failed 1 of 1 attention checks",
    )
    assert q.reasons[2] == ()
    json.dumps(q.to_dict(), allow_nan=False)


def test_disagreeing_with_both_sides_is_a_contradiction(mini_key):
    # l1 = 2 and l2 = 1: "disagree" with a statement and with its reverse (both ≤ 2)
    m = answers_to_matrix(mini_key, [{"l1": 2, "l2": 1, "l3": 3}])
    q = response_quality(mini_key, m)
    assert q.contradictions.tolist() == [1] and q.pairs_answered.tolist() == [2]
    assert q.flagged.tolist() == [True]  # 1 of 2 = 50% > 25%
    assert q.seconds_per_item is None  # no timing given: not checked


def test_page_timings(mini_key):
    m = answers_to_matrix(mini_key, ANSWERS[:2])
    # pages of 6 and 5 items: respondent 1 spends 60 s and 5 s (1 s per item on page 2)
    q = response_quality(mini_key, m, page_seconds=[[60, 5], [60, 60]], items_per_page=[6, 5])
    assert q.seconds_per_item.tolist() == pytest.approx([65 / 11, 120 / 11])
    assert q.fast_pages.tolist() == [1, 0]
    # overall 5.9 s per item is fine and only 1 of 2 pages is fast: not a speed flag
    assert not any("seconds per item" in r for r in q.reasons[0])
    q = response_quality(mini_key, m, page_seconds=[[5, 5], [60, 60]], items_per_page=[6, 5])
    assert "2 page(s) answered too fast" in q.reasons[0][0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seconds": [1, 2]}, "one value per respondent"),
        ({"seconds": [1, 2, 3]}, "n_items"),
        ({"seconds": [1, -2, 3], "n_items": 5}, "non-negative"),
        ({"page_seconds": [[1], [2], [3]]}, "items_per_page"),
        ({"page_seconds": [[1], [2]], "items_per_page": [3]}, r"\(3 × pages\)"),
        ({"page_seconds": [[1], [2], [nan]], "items_per_page": [3]}, "non-negative"),
    ],
)
def test_bad_timing_input(mini_key, kwargs, message):
    m = answers_to_matrix(mini_key, ANSWERS)
    with pytest.raises(ScoringError, match=message):
        response_quality(mini_key, m, **kwargs)


def test_wrong_matrix_shape(mini_key):
    with pytest.raises(ScoringError, match="columns"):
        response_quality(mini_key, np.ones((2, 4)))
