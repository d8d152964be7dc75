"""Role scope: archetype and cluster shares, group, agreement, disputed items."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.model import ARCHETYPES, Item, Option
from scoring.errors import ScoringError
from scoring.rolescope import compile_role_scope, score_role_scope
from tests.scoring.reference_b import make_scope_instrument, opt

ITEMS = (
    Item(
        "budget",
        "choice",
        "What budget will the role hold?",
        options=(
            opt("strategic", (2, 0, 0), strategy_commerce=2),
            opt("operating", (0, 2, 0), insight_technology=2),
            opt("none", (0, 0, 2), influence_collaboration=2),
        ),
    ),
    Item(
        "owns",
        "multi",
        "What will the role own?",
        options=(
            opt("cc", (0, 1, 0), execution_change=1),
            opt("mkt", (1, 0, 1), customer_focus=1),
            opt("board", (1, 0, 0)),
        ),
    ),
    Item("note", "text", "Anything else?"),
    Item("level", "choice", "Your seat", options=(Option("ceo", "CEO"),), segment="level"),
)
INSTRUMENT = make_scope_instrument(ITEMS)
ANSWERS = [
    {"budget": "strategic", "owns": ["mkt", "board"], "note": "free text is ignored"},
    {"budget": "operating", "owns": ["cc"], "level": "ceo"},
    {"budget": "strategic", "owns": []},
]


def test_compile():
    key = compile_role_scope(INSTRUMENT)
    assert key.item_keys == ("budget", "owns")  # text and segment items are not scored
    assert key.archetype_matrix.shape == (6, 3)
    assert key.cluster_matrix.shape == (6, 6)
    assert key.option_keys[3:] == ("cc", "mkt", "board")


def test_hand_worked_board():
    r = score_role_scope(INSTRUMENT, ANSWERS)
    m1, m2, m3 = r.members
    # m1: strategic (2,0,0) + mkt (1,0,1) + board (1,0,0) = (4,0,1) -> shares (.8, 0, .2)
    assert m1.archetype_scores == (4, 0, 1)
    assert m1.archetype_shares == pytest.approx((0.8, 0, 0.2))
    assert m1.recommended == "board_strategist" and m1.margin == pytest.approx(0.6)
    # clusters: strategy_commerce 2, customer_focus 1 -> 2/3, 1/3
    assert dict(zip(r.cluster_keys, m1.cluster_shares, strict=True))["strategy_commerce"] == (
        pytest.approx(2 / 3)
    )
    # m2: operating (0,2,0) + cc (0,1,0) = (0,3,0); m3: strategic only = (2,0,0)
    assert m2.archetype_shares == pytest.approx((0, 1, 0))
    assert m3.archetype_shares == pytest.approx((1, 0, 0))
    # group = mean of shares: (0.8 + 0 + 1)/3 = .6, 1/3, 0.2/3
    assert r.group.archetype_shares == pytest.approx((0.6, 1 / 3, 0.2 / 3))
    assert r.recommended == "board_strategist"
    assert r.group.margin == pytest.approx(0.6 - 1 / 3)
    # TV distances: (m1,m2) = .5(.8+1+.2) = 1; (m1,m3) = .5(.2+0+.2) = .2; (m2,m3) = 1
    # agreement = 1 - 2.2/3
    assert r.archetype_agreement == pytest.approx(1 - 2.2 / 3)
    # budget: 2 of 3 pairs differ; owns: every pair's Jaccard distance is 1
    assert r.item_disagreement == (("owns", 1.0), ("budget", pytest.approx(2 / 3)))
    assert r.flags == ()
    d = json.loads(json.dumps(r.to_dict()))
    assert d["recommended"] == "board_strategist"
    assert d["item_disagreement"][0] == ["owns", 1.0]


def test_board_derived_profile():
    r = score_role_scope(INSTRUMENT, ANSWERS)
    p = r.to_profile()
    assert p.source == "board" and p.archetype == "board_strategist"
    # group cluster shares: m1 (cf 1/3, sc 2/3), m2 (it 2/3, ec 1/3), m3 (sc 1) -> mean
    assert p.weights["strategy_commerce"] == pytest.approx((2 / 3 + 1) / 3)
    assert p.weights["insight_technology"] == pytest.approx(2 / 9)
    assert sum(p.weights.values()) == pytest.approx(1)


def test_single_member_and_no_signal():
    r = score_role_scope(INSTRUMENT, [{"budget": "none"}])
    assert r.recommended == "influence_leader" and r.group.margin == 1.0
    assert r.archetype_agreement is None
    assert "single_member" in r.flags
    assert r.item_disagreement == ()
    # a member who answered nothing scored carries no signal: flagged, equal shares, left out
    r2 = score_role_scope(INSTRUMENT, [{"budget": "none"}, {"note": "hi"}])
    assert r2.members[1].has_signal is False
    assert r2.members[1].archetype_shares == pytest.approx((1 / 3,) * 3)
    assert r2.members[1].tie
    assert r2.group.archetype_shares == pytest.approx((0, 0, 1))
    assert any("without archetype signal" in f for f in r2.flags)
    # nobody: equal shares and no_signal; the profile falls back to the archetype default
    r3 = score_role_scope(INSTRUMENT, [{}, {}])
    assert "no_signal" in r3.flags and "no_cluster_signal" in r3.flags
    assert r3.group.archetype_shares == pytest.approx((1 / 3,) * 3) and r3.group.tie
    assert r3.to_profile().source == "board"


def test_tie_reported():
    r = score_role_scope(INSTRUMENT, [{"owns": ["mkt"]}])
    assert r.group.tie and r.group.margin == 0


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([{"budget": "huge"}], "no option 'huge'"),
        ([{"owns": "cc"}], "list of option keys"),
        ([{"budget": ["strategic"]}], "one option key"),
        (["budget"], "mapping"),
        ([], "no board member"),
    ],
)
def test_bad_answers(answers, message):
    with pytest.raises(ScoringError, match=message):
        score_role_scope(INSTRUMENT, answers)


def test_bad_instruments():
    with pytest.raises(ScoringError, match="no scored"):
        compile_role_scope(make_scope_instrument([Item("note", "text", "x")]))
    neg = Item("q", "choice", "q", options=(opt("a", (-1, 0, 0)),))
    with pytest.raises(ScoringError, match="negative"):
        compile_role_scope(make_scope_instrument([neg]))
    odd = Item("q", "choice", "q", options=(Option("a", "a", scores={"charisma": 1}),))
    with pytest.raises(ScoringError, match="unknown"):
        compile_role_scope(make_scope_instrument([odd]))


member = st.fixed_dictionaries(
    {},
    optional={
        "budget": st.sampled_from(["strategic", "operating", "none"]),
        "owns": st.lists(st.sampled_from(["cc", "mkt", "board"]), unique=True),
    },
)


@settings(max_examples=50, deadline=None)
@given(st.lists(member, min_size=1, max_size=8))
def test_shares_sum_to_one_and_figures_in_range(answers):
    r = score_role_scope(INSTRUMENT, answers)
    for s in (*r.members, r.group):
        assert sum(s.archetype_shares) == pytest.approx(1)
        assert sum(s.cluster_shares) == pytest.approx(1)
        assert all(v >= 0 for v in s.archetype_shares)
        assert s.recommended in ARCHETYPES
        assert 0 <= s.margin <= 1
    for agreement in (r.archetype_agreement, r.cluster_agreement):
        assert agreement is None or -1e-12 <= agreement <= 1 + 1e-12
    values = [v for _, v in r.item_disagreement]
    assert values == sorted(values, reverse=True)
    assert all(0 <= v <= 1 for v in values)
    assert json.dumps(r.to_dict())


@settings(max_examples=25, deadline=None)
@given(member.filter(lambda m: m.get("budget") is not None), st.integers(2, 6))
def test_identical_members_agree_fully(answer, k):
    r = score_role_scope(INSTRUMENT, [answer] * k)
    assert r.archetype_agreement == pytest.approx(1)
    assert all(v == 0 for _, v in r.item_disagreement)
    assert np.allclose(r.group.archetype_shares, r.members[0].archetype_shares)
