"""score_scales, item_pool and pomp against hand-worked examples and the reference."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import scoring.scales as scales_module
from questionnaires.model import Item, Option
from scoring import (
    ScoringError,
    answers_to_matrix,
    compile_key,
    item_pool,
    pomp,
    required_items,
    score_scales,
)
from tests.scoring import reference
from tests.scoring.conftest import (
    instrument,
    likert,
    likert_instrument,
    option,
    random_answers,
    random_instrument,
)

FULL = {
    "l1": 5, "l2": 1, "l3": 4, "l4": 7, "l5": 2, "att": 4,
    "s1": "y", "s2": "q", "m1": ["o1", "o3"], "ck": ["e2"], "r1": 3,
}  # fmt: skip


def test_hand_worked_complete_respondent(mini_key):
    sc = score_scales(mini_key, answers_to_matrix(mini_key, [FULL]))
    # a: l1 5 + l2 reversed (6-1=5) + l3 4 + s1 "y" (a=1) + s2 "q" (a=0)      = 15
    #    range 3..18 -> POMP 100·(15-3)/15 = 80
    # b: l4 7 + l5 reversed (8-2=6) + s1 "y" (b=1) + m1 {o1, o3} (b=1)         = 15
    #    range 2..19 -> POMP 100·13/17
    # c: s2 "q" (c=3) + m1 {o1, o3} (c=-1) + ck {e2} (2 points) + r1 3          = 7
    #    range 0..12 -> POMP 100·7/12
    assert sc.raw[0] == pytest.approx([15, 15, 7])
    assert sc.pomp[0] == pytest.approx([80, 100 * 13 / 17, 100 * 7 / 12])
    assert sc.mean[0] == pytest.approx([15 / 5, 15 / 4, 7 / 4])
    assert list(sc.answered[0]) == [5, 4, 4]
    assert not sc.insufficient.any()


def test_hand_worked_proration_likert_only():
    key = compile_key(likert_instrument({"a": (False, False, True, False, False)}))
    # answers 4, missing, 2 (reversed: 6-2 = 4), 5, 3: four of five answered (0.8 ≥ 0.8)
    m = np.array([[4, np.nan, 2, 5, 3]])
    sc = score_scales(key, m)
    # mean of answered = (4 + 4 + 5 + 3) / 4 = 4; prorated raw = 4 × 5 = 20
    assert sc.mean[0, 0] == pytest.approx(4.0)
    assert sc.raw[0, 0] == pytest.approx(20.0)
    # range 5..25 -> POMP 100·(20-5)/20 = 75
    assert sc.pomp[0, 0] == pytest.approx(75.0)
    assert sc.answered[0, 0] == 4 and not sc.insufficient[0, 0]


def test_too_few_answers_is_nan_and_flagged():
    key = compile_key(likert_instrument({"a": (False,) * 5}))
    # 3 of 5 answered: 0.6 < 0.8 -> insufficient
    sc = score_scales(key, np.array([[4, np.nan, np.nan, 5, 3]]))
    assert sc.insufficient[0, 0] and sc.answered[0, 0] == 3
    assert math.isnan(sc.raw[0, 0]) and math.isnan(sc.pomp[0, 0]) and math.isnan(sc.mean[0, 0])
    # a lower threshold accepts it: mean 4 × 5 = 20
    assert score_scales(key, np.array([[4, np.nan, np.nan, 5, 3]]), min_share=0.6).raw[0, 0] == 20


def test_min_share_has_a_rounding_tolerance():
    # 0.7 × 10 is 7.000000000000001 in floating point; 7 answers must be enough
    assert list(required_items(np.array([10, 5, 1, 0]), 0.7)) == [7, 4, 1, 1]
    for bad in (0, -0.1, 1.5, "x"):
        with pytest.raises(ScoringError, match="min_share"):
            required_items(np.array([3]), bad)


def test_mixed_ranges_prorate_within_the_possible_range():
    # scale a: likert l (1..5) + situational s (0..3)
    inst = instrument(
        (likert("l", "a"), likert("l2", "a"),
         Item(key="s", type="situational", text="",
              options=(option("p"), option("q", a=3)))),
        scales=("a",),
    )  # fmt: skip
    key = compile_key(inst)
    # l2 missing; l = 1 and s = "p" (0), both at their minimum.
    # mean × K would give (1 + 0)/2 × 3 = 1.5, below the minimum 1 + 1 + 0 = 2.
    # Proration on the answered items' range: POMP 100·(1 - 1)/((5-1) + (3-0)) = 0,
    # raw = min + 0 = 2.
    sc = score_scales(key, answers_to_matrix(key, [{"l": 1, "s": "p"}]), min_share=0.6)
    assert sc.pomp[0, 0] == 0 and sc.raw[0, 0] == 2
    # l = 5, s = "q": answered POMP 100·(8 - 1)/7 = 100 -> raw = max = 5 + 5 + 3 = 13
    sc = score_scales(key, answers_to_matrix(key, [{"l": 5, "s": "q"}]), min_share=0.6)
    assert sc.pomp[0, 0] == 100 and sc.raw[0, 0] == 13


def test_checklist_empty_is_zero_but_unanswered_is_missing():
    inst = instrument(
        (likert("l", "a"),
         Item(key="ck", type="checklist", text="", scale="a",
              options=(Option("e1", "", points=2), Option("e2", "", points=1)))),
        scales=("a",),
    )  # fmt: skip
    key = compile_key(inst)
    sc = score_scales(key, answers_to_matrix(key, [{"l": 3, "ck": []}, {"l": 3}]), min_share=0.5)
    # answered, nothing ticked: 3 + 0 = 3 of range 1..8 -> POMP 100·2/7
    assert sc.raw[0, 0] == 3 and sc.pomp[0, 0] == pytest.approx(200 / 7)
    assert list(sc.answered[:, 0]) == [2, 1]
    # unanswered: only l counts; its POMP (3-1)/4 = 50% stands for the scale
    assert sc.pomp[1, 0] == pytest.approx(50.0)


def test_situational_items_count_only_toward_scales_they_touch(mini_key):
    # s1 touches a and b, s2 touches a and c; leave both unanswered
    answers = dict(FULL)
    del answers["s1"], answers["s2"]
    sc = score_scales(mini_key, answers_to_matrix(mini_key, [answers]), min_share=0.5)
    # a: 3 of 5 answered, b: 3 of 4, c: 3 of 4
    assert list(sc.answered[0]) == [3, 3, 3]


def test_all_missing_is_flagged_not_silent(mini_key):
    sc = score_scales(mini_key, np.full((2, mini_key.n_columns), np.nan))
    assert sc.insufficient.all() and np.isnan(sc.pomp).all()
    assert (sc.answered == 0).all()


def test_scale_without_items_is_always_insufficient():
    inst = instrument((likert("l", "a"),), scales=("a", "empty"))
    sc = score_scales(compile_key(inst), np.array([[3.0]]))
    assert list(sc.insufficient[0]) == [False, True]
    assert sc.pomp[0, 0] == 50 and math.isnan(sc.pomp[0, 1])


def test_wrong_shape_is_an_error(mini_key):
    with pytest.raises(ScoringError, match="columns"):
        score_scales(mini_key, np.ones((2, 3)))
    with pytest.raises(ScoringError, match="no respondents"):
        score_scales(mini_key, np.ones((0, mini_key.n_columns)))


def test_to_dict_and_row_are_json(mini_key):
    m = answers_to_matrix(mini_key, [FULL, {}])
    sc = score_scales(mini_key, m)
    text = json.dumps(sc.to_dict(), allow_nan=False)
    assert '"pomp": [[80.0' in text
    row = sc.row(1)
    assert row["a"] == {"raw": None, "mean": None, "pomp": None, "answered": 0, "n_items": 5,
                        "insufficient": True}  # fmt: skip
    assert sc.column("b") == 1
    with pytest.raises(ScoringError):
        sc.column("zz")


def test_item_pool_is_reverse_keyed(mini_key):
    m = answers_to_matrix(mini_key, [FULL, {"l2": 2, "s1": "x", "m1": []}])
    pool, items = item_pool(mini_key, m, "a")
    assert items == ("l1", "l2", "l3", "s1", "s2")
    # l2 = 1 reversed -> 5; s1 "y" -> a=1; s2 "q" -> a=0
    assert np.array_equal(pool[0], [5, 5, 4, 1, 0])
    assert np.array_equal(pool[1], [np.nan, 4, np.nan, 2, np.nan], equal_nan=True)
    pool, items = item_pool(mini_key, m, "c")
    # r1 3, s2 "q" -> 3, m1 {o1, o3} -> -1, ck {e2} -> 2;   respondent 2: m1 {} -> 0
    assert np.array_equal(pool, [[3, 3, -1, 2], [np.nan, np.nan, 0, np.nan]], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(x=st.integers(1, 7), points=st.sampled_from([5, 7]))
def test_reversing_twice_is_identity(x, points):
    x = min(x, points)
    key = compile_key(likert_instrument({"a": (True,)}, points=points))
    once = item_pool(key, np.array([[float(x)]]), "a")[0][0, 0]
    assert once == points + 1 - x
    twice = item_pool(key, np.array([[once]]), "a")[0][0, 0]
    assert twice == x


def test_pomp_helper():
    assert pomp(15, 3, 18) == pytest.approx(80)
    with pytest.raises(ScoringError):
        pomp(1, 2, 2)


def test_many_blocks_equal_one_block(monkeypatch, mini_key):
    rng = np.random.default_rng(3)
    from tests.scoring.conftest import mini_instrument

    answers = random_answers(mini_instrument(), rng, 50)
    m = answers_to_matrix(mini_key, answers)
    whole = score_scales(mini_key, m)
    monkeypatch.setattr(scales_module, "_BLOCK", 7)
    blocked = score_scales(mini_key, m)
    assert np.array_equal(whole.pomp, blocked.pomp, equal_nan=True)
    assert np.array_equal(whole.answered, blocked.answered)


def _compare(inst, answers, min_share):
    key = compile_key(inst)
    got = score_scales(key, answers_to_matrix(key, answers), min_share=min_share)
    want = reference.scale_scores(inst, answers, min_share=min_share)
    for r, row in enumerate(want):
        for s, scale in enumerate(key.scales):
            w = row[scale]
            assert got.insufficient[r, s] == w["insufficient"]
            assert got.answered[r, s] == w["answered"]
            for field in ("raw", "mean", "pomp"):
                g = getattr(got, field)[r, s]
                if w["insufficient"]:
                    assert math.isnan(g)
                else:
                    assert g == pytest.approx(w[field], abs=1e-9)
    return got


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 25),
    p_missing=st.sampled_from([0.0, 0.1, 0.3, 0.6]),
    min_share=st.sampled_from([0.5, 0.8, 1.0]),
)
# Two situational items score every option -1 on "a": they do not touch it, so their
# constant must not be added to raw (the scorer gave 17, the reference 19).
@example(seed=29896, n=1, p_missing=0.0, min_share=0.5)
def test_vectorised_equals_reference(seed, n, p_missing, min_share):
    rng = np.random.default_rng(seed)
    inst = random_instrument(rng)
    got = _compare(inst, random_answers(inst, rng, n, p_missing), min_share)
    finite = got.pomp[~np.isnan(got.pomp)]
    assert ((finite >= 0) & (finite <= 100)).all()
    ok = ~got.insufficient
    assert (got.raw[ok] >= np.broadcast_to(got.scale_min, got.raw.shape)[ok] - 1e-9).all()
    assert (got.raw[ok] <= np.broadcast_to(got.scale_max, got.raw.shape)[ok] + 1e-9).all()


def test_reference_agrees_on_the_mini_instrument(mini):
    rng = np.random.default_rng(11)
    _compare(mini, random_answers(mini, rng, 200, 0.15), 0.8)


@pytest.mark.parametrize("rows", [1, 3])
def test_input_matrix_is_not_modified(mini_key, rows):
    answers = dict(FULL)
    del answers["s1"]  # a missing choice item: its column is NaN
    m = answers_to_matrix(mini_key, [answers] * rows)
    before = m.copy()
    score_scales(mini_key, m)
    assert np.array_equal(m, before, equal_nan=True)


def test_choice_item_scoring_every_option_alike_adds_nothing():
    # s scores every option -1 on "a": it does not touch "a" (README), so it must not move
    # raw either.  a = l1 4 + m {p, q} (2 - 1) = 5; range 1 + (-1) .. 5 + 2 = 0..7.
    sit = Item(key="s", type="situational", text="", scenario="",
               options=(option("x", a=-1.0), option("y", a=-1.0)))  # fmt: skip
    multi = Item(key="m", type="multi", text="",
                 options=(option("p", a=2.0), option("q", a=-1.0), option("r")))  # fmt: skip
    inst = instrument((likert("l1", "a"), sit, multi), scales=("a",))
    key = compile_key(inst)
    sc = score_scales(key, answers_to_matrix(key, [{"l1": 4, "s": "y", "m": ["p", "q"]}]))
    assert (sc.scale_min[0], sc.scale_max[0], sc.n_items[0]) == (0.0, 7.0, 2)
    assert sc.raw[0, 0] == 5.0 and sc.pomp[0, 0] == pytest.approx(100 * 5 / 7)
    # with l1 missing (1 of 2 answered, min_share .5) the multi item alone stands: POMP of
    # 1 on -1..2 = 200/3; raw = 0 + 7 · 2/3
    half = score_scales(key, answers_to_matrix(key, [{"s": "x", "m": ["p", "q"]}]), 0.5)
    assert half.pomp[0, 0] == pytest.approx(200 / 3) and half.raw[0, 0] == pytest.approx(14 / 3)
