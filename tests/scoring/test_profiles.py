"""Role profiles: defaults, validation, round trips."""

from __future__ import annotations

import json

import pytest

from questionnaires.model import ARCHETYPES
from scoring.errors import ScoringError
from scoring.profiles import (
    CLUSTER_SCALES,
    CLUSTERS,
    FUNDAMENTAL_FLOOR,
    FUNDAMENTALS,
    SCALE_CLUSTER,
    SCALES,
    RoleProfile,
    default_profile,
    profile_from_weights,
)


def test_fixed_names():
    assert CLUSTERS == (
        "customer_focus",
        "insight_technology",
        "influence_collaboration",
        "strategy_commerce",
        "execution_change",
        "learning_experience",
    )
    assert len(SCALES) == 15 and len(set(SCALES)) == 15
    assert SCALE_CLUSTER["advocacy_fiscal"] == "customer_focus"
    assert CLUSTER_SCALES["execution_change"] == ("action", "change_leadership")


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_defaults_are_valid(archetype):
    p = default_profile(archetype)
    assert sum(p.weights.values()) == pytest.approx(1.0)
    assert set(p.weights) == set(CLUSTERS)
    assert all(0 <= v <= 100 for v in p.minima.values())
    assert all(p.minima[f] >= FUNDAMENTAL_FLOOR for f in FUNDAMENTALS)
    assert p.source == f"default:{archetype}" and p.archetype == archetype
    assert p.rationale
    assert json.loads(json.dumps(p.to_dict()))["weights"] == p.weights


def test_defaults_emphasise_what_the_domain_says():
    board = default_profile("board_strategist")
    ops = default_profile("operating_executive")
    infl = default_profile("influence_leader")
    # board strategist: strategy/commerce first, then influence; fiscal balance is a must-have
    assert max(board.weights, key=board.weights.get) == "strategy_commerce"
    assert board.weights["influence_collaboration"] > board.weights["insight_technology"]
    assert "advocacy_fiscal" in board.minima
    # operating executive: insight/technology, then customer fundamentals and execution
    top3 = sorted(ops.weights, key=ops.weights.get, reverse=True)[:3]
    assert top3 == ["insight_technology", "customer_focus", "execution_change"]
    assert ops.minima["metrics"] >= 55
    # influence leader: influence/collaboration dominates
    assert infl.weights["influence_collaboration"] == max(infl.weights.values())
    assert infl.weights["influence_collaboration"] >= 0.3
    assert {"influence", "collaboration"} <= set(infl.minima)


def test_weights_are_normalised_and_missing_clusters_are_zero():
    # 2 : 1 : 1 -> 0.5, 0.25, 0.25; the other three clusters get 0.
    p = RoleProfile("x", {"customer_focus": 2, "insight_technology": 1, "execution_change": 1})
    assert p.weights["customer_focus"] == 0.5
    assert p.weights["insight_technology"] == 0.25
    assert p.weights["learning_experience"] == 0.0
    assert list(p.weights) == list(CLUSTERS)
    assert p.weight_vector().sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"customer_focus": -1, "insight_technology": 2}}, ">= 0"),
        ({"weights": {"customer_focus": 0}}, "all zero"),
        ({"weights": {"nope": 1}}, "unknown clusters"),
        ({"weights": {}}, "non-empty"),
        ({"weights": {"customer_focus": float("nan")}}, "finite"),
        ({"weights": {"customer_focus": "a lot"}}, "numbers"),
        ({"weights": {"customer_focus": 1}, "minima": {"empathy": 120}}, r"\[0, 100\]"),
        ({"weights": {"customer_focus": 1}, "minima": {"empathy": -1}}, r"\[0, 100\]"),
        ({"weights": {"customer_focus": 1}, "minima": {"charm": 50}}, "unknown scales"),
        ({"weights": {"customer_focus": 1}, "archetype": "wizard"}, "unknown archetype"),
    ],
)
def test_validation(kwargs, message):
    with pytest.raises(ScoringError, match=message):
        RoleProfile(name="x", **kwargs)


def test_round_trip():
    p = default_profile("influence_leader")
    q = RoleProfile.from_dict(json.loads(json.dumps(p.to_dict())))
    assert q == p
    with pytest.raises(ScoringError, match="weights"):
        RoleProfile.from_dict({"name": "x"})


def test_profile_from_weights_board_derived():
    shares = {"strategy_commerce": 0.5, "customer_focus": 0.3, "influence_collaboration": 0.2}
    p = profile_from_weights(shares, "board_strategist", source="board")
    assert p.source == "board" and p.archetype == "board_strategist"
    assert p.weights["strategy_commerce"] == 0.5
    # the archetype's must-haves are kept unless overridden
    assert p.minima == default_profile("board_strategist").minima
    assert profile_from_weights(shares, "board_strategist", minima={}).minima == {}
    custom = profile_from_weights({"customer_focus": 1})
    assert custom.archetype is None and custom.source == "custom" and custom.minima == {}
    with pytest.raises(ScoringError):
        profile_from_weights(shares, "wizard")
    with pytest.raises(ScoringError):
        default_profile("wizard")
