"""Faking and careless-responding evidence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from scoring import faking
from scoring.errors import ScoringError
from scoring.faking import (
    overclaiming,
    profile_elevation,
    self_interview_discrepancy,
    unlikely_virtues,
)

nan = np.nan
FOIL = np.array([False] * 6 + [True] * 4)  # six real CX concepts, four foils


def test_cut_offs_pinned():
    assert faking.CLAIM_AT == 4 and faking.FAMILIARITY_MAX == 6
    assert faking.MAX_FALSE_ALARM_RATE == 0.5
    assert faking.MIN_FOILS == 3 and faking.MIN_REAL == 3
    assert faking.MAX_UNLIKELY_VIRTUES == 0.75 and faking.MIN_VIRTUE_ITEMS == 3
    assert faking.MAX_ELEVATION == 0.9 and faking.MIN_ELEVATION_ITEMS == 5
    assert faking.MAX_DISCREPANCY == 15.0 and faking.MIN_SHARED_COMPETENCIES == 3


def test_overclaiming_hand_worked_with_log_linear_correction():
    ratings = np.array([
        [6, 5, 4, 3, 2, 6, 0, 4, 1, 2],   # hits 4/6, foils claimed 1/4
        [6, 6, 6, 6, 6, 6, 4, 4, 0, 1],   # hits 6/6, false alarms 2/4 -> flagged (≥ 0.5)
        [6, 6, 6, 6, 6, 6, 3, 3, 3, 3],   # rating 3 is not a claim
        [6, 6, nan, nan, nan, nan, 6, 6, 6, 6],  # only 2 real answered -> not evaluable
    ], dtype=float)  # fmt: skip
    got = overclaiming(ratings, FOIL)
    assert got.hit_rate[:3] == pytest.approx([4 / 6, 1.0, 1.0])
    assert got.false_alarm_rate[:3] == pytest.approx([0.25, 0.5, 0.0])
    zh, zf = norm.ppf(4.5 / 7), norm.ppf(1.5 / 5)
    assert got.d_prime[0] == pytest.approx(zh - zf)
    assert got.criterion[0] == pytest.approx(-(zh + zf) / 2)
    assert got.d_prime[1] == pytest.approx(norm.ppf(6.5 / 7) - norm.ppf(2.5 / 5))
    assert got.flagged.tolist() == [False, True, False, False]
    assert got.evaluable.tolist() == [True, True, True, False]
    assert np.isnan(got.false_alarm_rate[3]) and np.isnan(got.d_prime[3])
    assert got.n_real.tolist() == [6, 6, 6, 2]
    # just under the cut (1 of 3 foils answered) vs at it
    edge = overclaiming([[6, 6, 6, 4, nan, 0, 0], [6, 6, 6, 4, 4, 0, 0]], [0, 0, 0, 1, 1, 1, 1])
    assert edge.false_alarm_rate.tolist() == [1 / 3, 0.5]
    assert edge.flagged.tolist() == [False, True]


def test_unlikely_virtues_and_elevation_hand_worked():
    uv = unlikely_virtues([[4, 4, 4, 4], [4, 4, 4, 3], [5, nan, nan, 5], [1, 1, 2, 1]])
    assert uv.value[[0, 1, 3]] == pytest.approx([0.75, 11 / 16, 1 / 16])
    assert uv.flagged.tolist() == [True, False, False, False]  # ≥ 0.75 flags
    assert uv.evaluable.tolist() == [True, True, False, True]
    rev = [False, False, False, True, False]
    el = profile_elevation(
        [[5, 5, 5, 1, 5], [5, 5, 5, 5, 5], [4, 5, 5, 1, 5], [5, 5, 5, 1, nan]], 5, rev
    )
    assert el.value[:3] == pytest.approx([1.0, 0.8, 0.95])
    assert el.flagged.tolist() == [True, False, True, False]
    assert not el.evaluable[3]
    # strictly above 0.9: six 5s and four 4s (0.9) are not flagged, seven 5s (0.925) are
    at = profile_elevation([[5, 5, 5, 4, 4, 5, 5, 4, 4, 5], [5, 5, 5, 4, 5, 5, 5, 4, 4, 5]], 5)
    assert at.value == pytest.approx([0.9, 0.925])
    assert at.flagged.tolist() == [False, True]


def test_discrepancy_hand_worked():
    self_s = np.array([[90, 80, 70, nan, 60], [60, 60, 60, 60, 60], [100, 100, nan, nan, nan]])
    inter = np.array([[70, 70, 50, 50, nan], [70, 50, 60, 60, 60], [50, 50, 50, 50, 50]])
    got = self_interview_discrepancy(self_s, inter)
    assert got.value[:2] == pytest.approx([50 / 3, 0.0])
    assert got.n_items.tolist() == [3, 5, 2]
    assert got.flagged.tolist() == [True, False, False]
    assert not got.evaluable[2] and np.isnan(got.value[2])
    exact = self_interview_discrepancy([[65, 65, 65]], [[50, 50, 50]])
    assert exact.value[0] == 15.0 and not exact.flagged[0]  # strictly above 15


def test_invalid_input_raises():
    with pytest.raises(ScoringError, match=r"0\.\.6"):
        overclaiming([[7, 0, 0]], [0, 1, 1])
    with pytest.raises(ScoringError, match="is_foil"):
        overclaiming([[1, 0, 0]], [0, 1])
    with pytest.raises(ScoringError, match=r"1\.\.points"):
        unlikely_virtues([[0, 1, 2]])
    with pytest.raises(ScoringError, match="0-100"):
        self_interview_discrepancy([[101, 50, 50]], [[50, 50, 50]])
    with pytest.raises(ScoringError, match="must match"):
        self_interview_discrepancy([[50, 50]], [[50, 50, 50]])


def test_all_missing_is_not_evaluable_and_not_flagged():
    for ev in (
        overclaiming(np.full((2, 10), nan), FOIL),
        unlikely_virtues(np.full((2, 4), nan)),
        profile_elevation(np.full((2, 8), nan)),
        self_interview_discrepancy(np.full((2, 5), nan), np.full((2, 5), nan)),
    ):
        assert not ev.evaluable.any() and not ev.flagged.any()


def simulate_honest(n: int, seed: int) -> dict[str, np.ndarray]:
    """Honest candidates: know most real concepts, rarely a foil; disagree with unlikely
    virtues; varied Likert self-ratings (some reverse-keyed); self a bit above interview."""
    rng = np.random.default_rng(seed)
    know = rng.normal(4.5, 1.0, (n, 1))
    real = np.clip(np.round(know + rng.normal(0, 1.2, (n, 12))), 0, 6)
    foil = np.clip(np.round(rng.normal(0.8, 1.0, (n, 1)) + rng.normal(0, 1.0, (n, 6))), 0, 6)
    virtues = np.clip(np.round(rng.normal(2.2, 0.5, (n, 1)) + rng.normal(0, 0.8, (n, 8))), 1, 5)
    level = rng.normal(0.0, 0.45, (n, 1))  # person level on the desirable pole
    pos = np.clip(np.round(3.8 + level + rng.normal(0, 0.8, (n, 30))), 1, 5)
    neg = np.clip(np.round(2.2 - level + rng.normal(0, 0.8, (n, 10))), 1, 5)
    true = rng.normal(60, 12, (n, 8))
    self_s = np.clip(true + 4 + rng.normal(0, 8, (n, 8)), 0, 100)
    inter = np.clip(true + rng.normal(0, 8, (n, 8)), 0, 100)
    return {
        "familiarity": np.hstack([real, foil]),
        "virtues": virtues,
        "likert": np.hstack([pos, neg]),
        "self": self_s,
        "interview": inter,
    }


FOIL18 = np.array([False] * 12 + [True] * 6)
REVERSE40 = np.array([False] * 30 + [True] * 10)


def evidence(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "overclaiming": overclaiming(d["familiarity"], FOIL18).flagged,
        "unlikely_virtues": unlikely_virtues(d["virtues"]).flagged,
        "elevation": profile_elevation(d["likert"], 5, REVERSE40).flagged,
        "discrepancy": self_interview_discrepancy(d["self"], d["interview"]).flagged,
    }


def test_honest_respondents_are_flagged_at_most_five_percent_per_index():
    rates = {k: v.mean() for k, v in evidence(simulate_honest(4000, seed=42)).items()}
    assert all(r <= 0.05 for r in rates.values()), rates


def test_desirable_answer_everywhere_is_flagged_by_every_index():
    n = 3
    faker = {
        "familiarity": np.full((n, 18), 6.0),  # claims every concept, foils too
        "virtues": np.full((n, 8), 5.0),  # endorses every unlikely virtue
        "likert": np.hstack([np.full((n, 30), 5.0), np.full((n, 10), 1.0)]),  # desirable pole
        "self": np.full((n, 8), 95.0),
        "interview": np.full((n, 8), 60.0),
    }
    flags = evidence(faker)
    assert all(v.all() for v in flags.values()), flags
