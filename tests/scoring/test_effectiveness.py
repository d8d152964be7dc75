"""Situational "rate the effectiveness of each response" items, distance scoring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoring.effectiveness import (
    MAX_POINTS,
    MIN_ITEM_SHARE,
    MIN_OPTION_SHARE,
    MIN_POINTS,
    required_options,
    score_effectiveness,
)
from scoring.errors import ScoringError

nan = np.nan
# two items of 4 options on a 7-point scale; item 0 -> scale 0, item 1 -> scale 1
KEYS = np.array([7.0, 1.0, 4.0, 5.0, 2.0, 6.0, 3.0, 7.0])
OPTION_ITEM = np.array([0, 0, 0, 0, 1, 1, 1, 1])
ITEM_SCALE = np.array([0, 1])


def run(rows, **kw):
    return score_effectiveness(np.array(rows, dtype=float), KEYS, OPTION_ITEM, ITEM_SCALE, 7, **kw)


def test_thresholds_pinned():
    assert (MIN_POINTS, MAX_POINTS) == (4, 7)
    assert MIN_OPTION_SHARE == 0.5 and MIN_ITEM_SHARE == 0.5
    assert [required_options(k) for k in (1, 2, 3, 4, 5, 6)] == [1, 1, 2, 2, 3, 3]


def test_hand_worked_item_scores():
    # option credit 1 − |r − k| / max(k − 1, 7 − k):
    # row 0: key answers -> 100 everywhere
    # row 1: item 0: r=(6,2,4,nan): 1−1/6, 1−1/6, 1, – -> mean(5/6, 5/6, 1) = 8/9
    #        item 1: r=(1,7,nan,nan): key 2 reach 5 -> 1−1/5; key 6 reach 5 -> 1−1/5 -> 0.8
    # row 2: everything top (7): item 0: 1, 0, 1−3/3=0, 1−2/4 -> (1+0+0+0.5)/4
    got = run([
        KEYS,
        [6, 2, 4, nan, 1, 7, nan, nan],
        [7] * 8,
    ])  # fmt: skip
    assert got.item_score[0].tolist() == [100.0, 100.0]
    assert got.item_score[1] == pytest.approx([100 * 8 / 9, 80.0])
    assert got.item_score[2, 0] == pytest.approx(100 * (1 + 0 + 0 + 0.5) / 4)
    # item 1 top: key 2 -> 1 − 5/5 = 0, key 6 -> 1 − 1/5, key 3 -> 1 − 4/4 = 0, key 7 -> 1
    assert got.item_score[2, 1] == pytest.approx(100 * (0 + 0.8 + 0 + 1) / 4)
    assert got.scale_score.tolist() == got.item_score.tolist()  # one item per scale
    assert got.item_answered.tolist() == [[4, 4], [3, 2], [4, 4]]


def test_middle_baseline_and_response_styles_against_an_expert():
    rng = np.random.default_rng(5)
    n_items, k, p = 12, 4, 7
    keys = rng.integers(1, p + 1, n_items * k).astype(float)
    option_item = np.repeat(np.arange(n_items), k)
    item_scale = np.arange(n_items) % 3
    expert = np.clip(keys + rng.integers(-1, 2, (500, keys.size)), 1, p)  # within one point
    middle = np.full((1, keys.size), 4.0)
    top = np.full((1, keys.size), 7.0)
    got = score_effectiveness(np.vstack([expert, middle, top]), keys, option_item, item_scale, p)
    s = got.scale_score
    np.testing.assert_allclose(s[-2], got.middle_baseline)  # baseline = the all-middle row
    assert (s[:-2].mean(axis=0) > s[-2] + 10).all()  # knowledge beats the middle
    assert (s[:-2].mean(axis=0) > s[-1] + 10).all()  # and "everything top"
    # the middle earns exactly 50 on an end-keyed option and 100 on a middle-keyed one
    one = score_effectiveness([[4, 4, 4, 4]], [1.0, 7.0, 4.0, 4.0], [0, 1, 2, 3], [0, 1, 2, 3], 7)
    assert one.item_score[0].tolist() == [50.0, 50.0, 100.0, 100.0]


def test_missing_rules():
    got = run([
        [nan] * 8,                       # nothing answered
        [7, nan, nan, nan, 2, 6, nan, nan],  # item 0: one of four options -> not scored
    ])  # fmt: skip
    assert np.isnan(got.item_score[0]).all() and got.item_insufficient[0].all()
    assert np.isnan(got.scale_score[0]).all() and got.scale_insufficient[0].all()
    assert np.isnan(got.item_score[1, 0]) and got.item_insufficient[1, 0]
    assert got.item_score[1, 1] == 100.0 and not got.scale_insufficient[1, 1]
    # scale of two items, one scored: half is enough
    two = score_effectiveness(
        [[7, 1, nan, nan, nan, nan]], [7.0, 1.0, 2.0, 3.0, 4.0, 5.0], [0, 0, 1, 1, 2, 2],
        [0, 0, 0], 7,
    )  # fmt: skip
    assert two.scale_items.tolist() == [[1]] and two.scale_insufficient.tolist() == [[True]]
    two_of_two = score_effectiveness(
        [[7, 1, nan, nan]], [7.0, 1.0, 2.0, 3.0], [0, 0, 1, 1], [0, 0], 7
    )
    assert two_of_two.scale_score.tolist() == [[100.0]]
    # a single-option item answered is scored
    single = score_effectiveness([[3]], [4.0], [0], [0], 5)
    assert single.item_score[0, 0] == pytest.approx(100 * (1 - 1 / 3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"points": 3}, "points"),
        ({"points": 8}, "points"),
        ({"keys": KEYS * 2}, "expert key"),
        ({"responses": [[8] * 8]}, "rating 8"),
        ({"responses": [[2.5] * 8]}, "rating 2.5"),
        ({"option_item": np.array([0, 0, 0, 0, 1, 1, 1, 3])}, "only 2 items"),
        ({"item_scale": np.array([0, 1, 1])}, "item 2 has no options"),
        ({"responses": [[1] * 7]}, "options"),
    ],
)
def test_invalid_input_raises(kwargs, match):
    args = {"responses": [KEYS], "keys": KEYS, "option_item": OPTION_ITEM,
            "item_scale": ITEM_SCALE, "points": 7}  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ScoringError, match=match):
        score_effectiveness(**args)


@settings(max_examples=150, deadline=None)
@given(
    p=st.integers(4, 7),
    seed=st.integers(0, 2**32 - 1),
    which=st.integers(0, 11),
)
@example(p=4, seed=0, which=0)
def test_moving_away_from_the_key_never_raises_any_scale(p, seed, which):
    rng = np.random.default_rng(seed)
    keys = rng.uniform(1, p, 12).round(1)
    option_item = np.repeat(np.arange(4), 3)
    item_scale = np.array([0, 0, 1, 2])
    r = rng.integers(1, p + 1, (1, 12)).astype(float)
    r[0, rng.random(12) < 0.2] = nan
    before = score_effectiveness(r, keys, option_item, item_scale, p)
    moved = r.copy()
    if np.isnan(moved[0, which]):
        moved[0, which] = round(keys[which])
        before = score_effectiveness(moved, keys, option_item, item_scale, p)
    step = 1.0 if moved[0, which] >= keys[which] else -1.0
    if not 1 <= moved[0, which] + step <= p:
        return
    moved[0, which] += step
    after = score_effectiveness(moved, keys, option_item, item_scale, p)
    b, a = before.scale_score[0], after.scale_score[0]
    both = ~np.isnan(b)
    assert (a[both] <= b[both] + 1e-12).all()
    other = np.arange(3) != item_scale[option_item[which]]
    np.testing.assert_array_equal(a[other & both], b[other & both])  # no points elsewhere
