"""rows_to_matrix: stored answer rows scattered into the matrix equal answers_to_matrix."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import questionnaires
from scoring import ScoringError, answers_to_matrix, compile_key, rows_to_matrix

from .conftest import random_answers, random_instrument


def to_rows(
    answers: list[dict[str, object]], rng: np.random.Generator | None = None
) -> tuple[np.ndarray, list[str], list[object]]:
    """The answer table's rows (respondent, item, value) of ``answers``, shuffled if ``rng``."""
    rows = [(r, k, v) for r, a in enumerate(answers) for k, v in a.items()]
    if rng is not None:
        rows = [rows[j] for j in rng.permutation(len(rows))]
    return (
        np.array([r for r, _, _ in rows], dtype=np.int64),
        [k for _, k, _ in rows],
        [v for _, _, v in rows],
    )


def both(key, answers, rng=None):
    resp, items, values = to_rows(answers, rng)
    want = answers_to_matrix(key, answers)
    got = rows_to_matrix(key, resp, items, values, len(answers))
    text = rows_to_matrix(
        key, resp, items, [json.dumps(v) for v in values], len(answers), json_text=True
    )
    return want, got, text


def assert_same_error(key, answers):
    with pytest.raises(Exception) as want:
        answers_to_matrix(key, answers)
    resp, items, values = to_rows(answers, np.random.default_rng(3))
    with pytest.raises(type(want.value)) as got:
        rows_to_matrix(key, resp, items, values, len(answers))
    assert str(got.value) == str(want.value)


SHIPPED = [("cco_candidate", 1), ("cco_candidate", 2), ("readiness", 1), ("role_scope", 1)]


@pytest.mark.parametrize(("name", "version"), SHIPPED)
def test_equal_to_answers_to_matrix_on_shipped_instruments(name, version):
    inst = questionnaires.load(name, version)
    key = compile_key(inst)
    rng = np.random.default_rng(11)
    answers = random_answers(inst, rng, 400, p_missing=0.15)
    # answers to items the key ignores (text, segment, v2's separate items) ride along
    for a in answers[::3]:
        for it in inst.iter_items():
            if it.key not in key.items:
                a[it.key] = "free text" if it.type == "text" else ["x", "y"]
    want, got, text = both(key, answers, rng)
    assert np.isnan(want).any() and not np.isnan(want).all()
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(text, want, equal_nan=True)


def test_hand_example_and_missing_answers(mini_key):
    answers = [
        {"l1": 5, "s1": "y", "m1": ["o1", "o3"], "ck": [], "num": 12.5, "att": 4, "seg": "board"},
        {"l1": None, "s1": None, "m1": None, "ck": None, "r1": math.nan, "txt": "hello"},
        {},
    ]
    want, got, text = both(mini_key, answers)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(text, want, equal_nan=True)
    c = mini_key.item_col[mini_key.item_index("m1")]
    assert list(got[0, c : c + 3]) == [1, 0, 1]
    ck = mini_key.item_col[mini_key.item_index("ck")]
    assert list(got[0, ck : ck + 3]) == [0, 0, 0]  # answered, nothing ticked
    assert np.isnan(got[1:]).all()  # unanswered set items: NaN in all their columns


def test_odd_value_types_go_through_the_per_value_code(mini_key):
    answers = [{"l1": np.int64(3), "l2": 4.0, "r1": np.float64(2), "m1": ("o2",), "ck": {"e1"}}]
    resp, items, values = to_rows(answers)
    got = rows_to_matrix(mini_key, resp, items, values, 1)
    assert np.array_equal(got, answers_to_matrix(mini_key, answers), equal_nan=True)
    assert not np.isnan(got[0, mini_key.item_col[mini_key.item_index("ck")]])


@pytest.mark.parametrize(
    "answer",
    [
        {"l1": 6},
        {"l1": 0},
        {"l1": 2.5},
        {"l1": "3"},
        {"l1": True},
        {"l1": math.inf},
        {"att": 2.5},
        {"s2": -math.inf},
        {"s1": "nope"},
        {"s1": 1},
        {"s1": ["x"]},
        {"m1": "o1"},
        {"m1": {"o1": 1}},
        {"m1": ["o1", "zz"]},
        {"m1": ["o1", None]},
        {"ck": ["e9"]},
        {"ck": [["e1"]]},
        {"att": 6},
    ],
)
def test_same_error_as_answers_to_matrix(mini_key, answer):
    assert_same_error(mini_key, [{"l1": 2}, answer, {"s1": "x"}])


def test_first_error_in_item_then_respondent_order(mini_key):
    answers = [{"s1": "bad0"}, {"l1": 9, "s2": "bad1"}, {"l1": 7}, {"m1": ["nope"]}]
    assert_same_error(mini_key, answers)  # item l1 (value block) of respondent 1 comes first
    with pytest.raises(ScoringError, match=r"'l1'.*9"):
        rows_to_matrix(mini_key, np.array([2, 1, 0]), ["l1", "l1", "s1"], [7, 9, "bad0"], 3)


def test_empty_input_and_ignored_rows(mini_key):
    empty = rows_to_matrix(mini_key, np.array([], dtype=int), [], [], 4)
    assert empty.shape == (4, mini_key.n_columns) and np.isnan(empty).all()
    assert rows_to_matrix(mini_key, np.array([], dtype=int), [], [], 0).shape == (0, 15)
    ignored = rows_to_matrix(mini_key, np.array([0, 1]), ["txt", "seg"], ["hi", "board"], 2)
    assert np.isnan(ignored).all()


def test_bad_row_shapes(mini_key):
    with pytest.raises(ScoringError, match="same length"):
        rows_to_matrix(mini_key, np.array([0, 1]), ["l1"], [1], 2)
    with pytest.raises(ScoringError, match=r"0\.\.1"):
        rows_to_matrix(mini_key, np.array([2]), ["l1"], [1], 2)
    with pytest.raises(ScoringError, match=r"0\.\.1"):
        rows_to_matrix(mini_key, np.array([-1]), ["l1"], [1], 2)
    with pytest.raises(ScoringError, match="integers"):
        rows_to_matrix(mini_key, np.array([0.5]), ["l1"], [1], 2)
    with pytest.raises(ScoringError, match="respondent 1 has more than one answer to item 'l1'"):
        rows_to_matrix(mini_key, np.array([1, 0, 1]), ["l1", "l1", "l1"], [1, 2, 3], 2)
    with pytest.raises(ScoringError, match="not valid JSON"):
        rows_to_matrix(mini_key, np.array([0]), ["l1"], ["{"], 1, json_text=True)
    with pytest.raises(ScoringError, match="not valid JSON"):
        rows_to_matrix(mini_key, np.array([0, 0]), ["l1", "l2"], ["1,2", "3"], 1, json_text=True)


def test_json_text_reads_sql_null_as_missing(mini_key):
    got = rows_to_matrix(mini_key, np.array([0, 0]), ["l1", "s1"], [None, '"y"'], 1, json_text=True)
    want = answers_to_matrix(mini_key, [{"s1": "y"}])
    assert np.array_equal(got, want, equal_nan=True)


ODD = st.sampled_from([None, math.nan, 0, 3, 99, 2.5, True, "x", "o1", "zz", [], ["e1"], ["?"]])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 25),
    p_missing=st.floats(0.0, 1.0),
    odd=st.lists(st.tuples(st.integers(0, 24), ODD), max_size=3),
)
def test_property_agrees_with_answers_to_matrix(seed, n, p_missing, odd):
    rng = np.random.default_rng(seed)
    inst = random_instrument(rng)
    key = compile_key(inst)
    answers = random_answers(inst, rng, n, p_missing=p_missing)
    keys = [it.key for it in inst.iter_items()]
    for r, v in odd:  # occasionally a wrong value: both must raise the same error
        answers[r % n][keys[int(rng.integers(len(keys)))]] = v
    try:
        want = answers_to_matrix(key, answers)
    except Exception as exc:  # the other must raise the very same
        resp, items, values = to_rows(answers, rng)
        with pytest.raises(type(exc)) as got:
            rows_to_matrix(key, resp, items, values, n)
        assert str(got.value) == str(exc)
        return
    resp, items, values = to_rows(answers, rng)
    assert np.array_equal(rows_to_matrix(key, resp, items, values, n), want, equal_nan=True)


def test_json_text_takes_sqlite_numbers_as_decoded(mini_key):
    """SQLite's NUMERIC affinity returns a JSON column's ``3`` as an int, its lists as text."""
    got = rows_to_matrix(
        mini_key, np.array([0, 0, 0, 1]), ["l1", "r1", "m1", "l1"], [3, 2.0, '["o2"]', "4"], 2,
        json_text=True,
    )  # fmt: skip
    want = answers_to_matrix(mini_key, [{"l1": 3, "r1": 2.0, "m1": ["o2"]}, {"l1": 4}])
    assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("value", [math.inf, -math.inf, 2.5, "3"])
def test_unbounded_numeric_check(value):
    """A numeric attention check without bounds takes any finite float; inf is an error."""
    from questionnaires.model import Item

    from .conftest import instrument, likert

    key = compile_key(
        instrument((likert("x", "a"), Item(key="n", type="numeric", text="n", attention="3")),
                   scales=("a",))
    )  # fmt: skip
    answers = [{"n": 1e9, "x": 2}, {"n": value}]
    if isinstance(value, float) and math.isfinite(value):
        want, got, text = both(key, answers)
        assert np.array_equal(got, want, equal_nan=True) and got[1, 1] == value
        assert np.array_equal(text, want, equal_nan=True)
    else:
        assert_same_error(key, answers)
