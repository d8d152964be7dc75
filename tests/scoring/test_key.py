"""compile_key, answers_to_matrix, matrix_to_answers and check_matrix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.model import Item, Option
from scoring import (
    ScoringError,
    answers_to_matrix,
    check_matrix,
    clear_key_cache,
    compile_key,
    matrix_to_answers,
)
from scoring.key import CHOICE, SET, VALUE
from tests.scoring.conftest import (
    instrument,
    likert,
    likert_instrument,
    mini_instrument,
    option,
    random_answers,
    random_instrument,
)

FULL = {
    "l1": 5, "l2": 1, "l3": 4, "l4": 7, "l5": 2, "att": 4, "seg": "board", "txt": "hi",
    "s1": "y", "s2": "q", "m1": ["o1", "o3"], "ck": ["e2"], "r1": 3, "num": 12.0,
}  # fmt: skip


def test_layout_of_the_mini_key(mini_key):
    k = mini_key
    # blocks: value (likert, rating) | choice | set (one column per option) | checks
    assert k.columns == (
        "l1", "l2", "l3", "l4", "l5", "r1", "s1", "s2",
        "m1:o1", "m1:o2", "m1:o3", "ck:e1", "ck:e2", "ck:e3", "att",
    )  # fmt: skip
    assert (k.n_value_cols, k.n_choice_cols, k.n_set_cols) == (6, 2, 6)
    assert k.n_scored == 10 and k.items[-1] == "att"
    assert list(k.item_kind[:10]) == [VALUE] * 6 + [CHOICE] * 2 + [SET] * 2
    # text, segment and numeric questions are not in the key
    assert not {"txt", "seg", "num"} & set(k.items)


def test_items_per_scale_and_range(mini_key):
    k = mini_key
    # a: l1 l2 l3 (1..5 each), s1 (x=2 y=1 z=0 w=0), s2 (p=0 q=0 r=1)
    # b: l4 l5 (1..7 each), s1 (x=0 y=1 z=2 w=0), m1 (o1=1 o2=2: any subset 0..3)
    # c: s2 (p=1 q=3 r=0), m1 (o3=-1: -1..0), ck (1+2+1: 0..4), r1 (1..5)
    assert list(k.n_items) == [5, 4, 4]
    assert list(k.scale_min) == [1 + 1 + 1 + 0 + 0, 1 + 1 + 0 + 0, 0 - 1 + 0 + 1]
    assert list(k.scale_max) == [5 + 5 + 5 + 2 + 1, 7 + 7 + 2 + 3, 3 + 0 + 4 + 5]
    assert k.scale_items("c") == ("r1", "s2", "m1", "ck")


def test_reverse_keying_is_folded_into_weights(mini_key):
    k = mini_key
    # l2 reversed on 5 points: 6 - x  ->  weight -1, constant 6
    i = k.item_index("l2")
    assert k.value_weight[k.item_col[i], 0] == -1 and k.value_const[i, 0] == 6
    # l5 reversed on 7 points: 8 - x
    i = k.item_index("l5")
    assert k.value_weight[k.item_col[i], 1] == -1 and k.value_const[i, 1] == 8
    i = k.item_index("l1")
    assert k.value_weight[k.item_col[i], 0] == 1 and k.value_const[i, 0] == 0


def test_attention_and_pairs(mini_key):
    k = mini_key
    assert k.attention_items == ("att",)
    assert list(k.attention_expected) == [4.0]
    # one normal/reversed pair on a (l1-l2, l3-l2) and one on b (l4-l5)
    pairs = {(k.columns[a], k.columns[b]) for a, b in zip(k.pair_a, k.pair_b, strict=True)}
    assert pairs == {("l1", "l2"), ("l3", "l2"), ("l4", "l5")}


def test_key_is_cached_per_content_hash():
    first = compile_key(mini_instrument())
    assert compile_key(mini_instrument()) is first
    clear_key_cache()
    assert compile_key(mini_instrument()) is not first
    unhashed = likert_instrument({"a": (False, True)})
    assert compile_key(unhashed) is not compile_key(unhashed)


def test_key_arrays_are_read_only(mini_key):
    with pytest.raises(ValueError):
        mini_key.value_weight[0, 0] = 3.0


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ((likert("x", "nope"),), "unknown scale"),
        ((Item(key="s", type="situational", text="", options=(option("p", zz=1),)),),
         "unknown scale"),
        ((likert("att", None, attention="9"),), "out of range"),
        ((likert("att", None, attention="maybe"),), "cannot read"),
        ((Item(key="c", type="choice", text="", attention="nope",
               options=(Option("yes", "Yes"),)),), "not an option"),
        ((Item(key="m", type="multi", text="", attention="a", options=(Option("a", "A"),)),),
         "attention checks must be"),
        ((Item(key="s", type="situational", text="",
               options=(option("p", a=1), option("p", a=2))),), "duplicate option"),
    ],
)  # fmt: skip
def test_compile_rejects_bad_definitions(items, message):
    with pytest.raises(ScoringError, match=message):
        compile_key(instrument(items, scales=("a",)))


def test_attention_expected_may_be_a_label():
    key = compile_key(instrument((likert("x", "a"), likert("att", None, attention="Agree")),
                                 scales=("a",)))  # fmt: skip
    assert list(key.attention_expected) == [4.0]  # "Agree" is the 4th label


def test_answers_to_matrix_hand_example(mini_key):
    m = answers_to_matrix(mini_key, [FULL, {"l1": 2, "m1": [], "ck": None}])
    nan = math.nan
    # l1 l2 l3 l4 l5 r1 | s1 (y = index 1) s2 (q = 1) | m1: o1 o2 o3 | ck: e1 e2 e3 | att
    assert np.array_equal(
        m,
        [[5, 1, 4, 7, 2, 3, 1, 1, 1, 0, 1, 0, 1, 0, 4],
         [2, nan, nan, nan, nan, nan, nan, nan, 0, 0, 0, nan, nan, nan, nan]],
        equal_nan=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"l1": 6}, "'l1'.*outside"),
        ({"l1": 0}, "'l1'.*outside"),
        ({"l1": 2.5}, "'l1'.*whole number"),
        ({"l1": "3"}, "'l1'.*not a number"),
        ({"l1": True}, "'l1'.*not a number"),
        ({"s1": "nope"}, "'s1' has no option 'nope'"),
        ({"s1": 1}, "'s1' has no option 1"),
        ({"m1": "o1"}, "'m1'.*not a list"),
        ({"m1": ["o1", "zz"]}, "'m1' has no option 'zz'"),
        ({"ck": ["e9"]}, "'ck' has no option 'e9'"),
        ({"att": 6}, "'att'.*outside"),
    ],
)
def test_answers_to_matrix_names_the_bad_item(mini_key, answer, message):
    with pytest.raises(ScoringError, match=message):
        answers_to_matrix(mini_key, [{}, answer])


def test_answers_to_matrix_rejects_a_single_mapping(mini_key):
    with pytest.raises(ScoringError, match="sequence of mappings"):
        answers_to_matrix(mini_key, FULL)
    with pytest.raises(ScoringError, match="respondent 1"):
        answers_to_matrix(mini_key, [FULL, ["l1"]])


def test_check_matrix_degenerate_shapes(mini_key):
    with pytest.raises(ScoringError, match="2-D"):
        check_matrix(mini_key, np.ones(15))
    with pytest.raises(ScoringError, match=r"has 14 columns.*needs 15"):
        check_matrix(mini_key, np.ones((3, 14)))
    with pytest.raises(ScoringError, match="no respondents"):
        check_matrix(mini_key, np.ones((0, 15)))


def test_check_matrix_values(mini_key):
    good = answers_to_matrix(mini_key, [FULL])
    bad = good.copy()
    bad[0, 6] = 4  # s1 has options 0..3
    with pytest.raises(ScoringError, match=r"'s1' holds values outside 0\.\.3"):
        check_matrix(mini_key, bad)
    bad = good.copy()
    bad[0, 7] = 0.5  # s2: not an option index
    with pytest.raises(ScoringError, match="'s2' must hold option indices"):
        check_matrix(mini_key, bad)
    bad = good.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ScoringError, match="'l1'"):
        check_matrix(mini_key, bad)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_matrix_round_trip(seed, n):
    rng = np.random.default_rng(seed)
    inst = random_instrument(rng)
    key = compile_key(inst)
    answers = random_answers(inst, rng, n)
    m = answers_to_matrix(key, answers)
    back = matrix_to_answers(key, m)
    assert np.array_equal(answers_to_matrix(key, back), m, equal_nan=True)
    for person, again in zip(answers, back, strict=True):
        given_ = {k: v for k, v in person.items() if v is not None and k in key.items}
        for k, v in given_.items():
            assert sorted(again[k]) == sorted(v) if isinstance(v, list) else again[k] == v


def test_scoring_never_imports_flask_or_sqlalchemy():
    import subprocess
    import sys

    code = (
        "import sys, scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numeric_attention_check():
    inst = instrument(
        (likert("x", "a"),
         Item(key="n", type="numeric", text="type 7", attention="7", minimum=0, maximum=10)),
        scales=("a",),
    )  # fmt: skip
    key = compile_key(inst)
    assert key.attention_items == ("n",) and list(key.attention_expected) == [7.0]
    m = answers_to_matrix(key, [{"x": 3, "n": 7}, {"x": 3, "n": 6.5}])
    assert m[:, key.attention_cols[0]].tolist() == [7.0, 6.5]
    with pytest.raises(ScoringError, match="outside"):
        answers_to_matrix(key, [{"n": 11}])


def test_v2_item_types_get_no_columns_and_their_answers_are_ignored():
    """forced_choice / effectiveness / familiarity are scored by their own modules."""
    from questionnaires.model import Statement

    fc = Item(key="fc", type="forced_choice", text="", statements=(
        Statement("s1", "a", "", 6.0), Statement("s2", "b", "", 6.0),
        Statement("s3", "c", "", 5.5, reverse=True)))  # fmt: skip
    keyed = (Option("p", "P", effectiveness=5.0), Option("q", "Q", effectiveness=2.0))
    eff = Item(key="ef", type="effectiveness", text="", points=6, scales=("a",), options=keyed)
    fam = Item(key="fa", type="familiarity", text="", scale="v", real=False, points=7)
    plain = instrument((likert("x", "a"), likert("y", "b")), scales=("a", "b", "c", "v"))
    mixed = instrument((fc, likert("x", "a"), eff, fam, likert("y", "b")),
                       scales=("a", "b", "c", "v"))  # fmt: skip
    k0, k1 = compile_key(plain), compile_key(mixed)
    assert k1.columns == k0.columns == ("x", "y")
    assert k1.separate_items == ("fc", "ef", "fa") and k0.separate_items == ()
    np.testing.assert_array_equal(k1.n_items, k0.n_items)
    answers = [{"x": 4, "y": 2, "fc": ["s1", "s3"], "ef": {"p": 5}, "fa": 3}]
    np.testing.assert_array_equal(answers_to_matrix(k1, answers), [[4.0, 2.0]])
    with pytest.raises(ScoringError, match="not in the scoring key"):
        k1.item_index("fc")


def test_a_v2_item_type_cannot_be_an_attention_check():
    fam = Item(key="fa", type="familiarity", text="", scale="a", real=True, attention="3")
    with pytest.raises(ScoringError, match="attention checks must be"):
        compile_key(instrument((fam,), scales=("a",)))
