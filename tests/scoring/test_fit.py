"""Candidate fit: hand-worked arithmetic, a loop reference, ranking and degenerate input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring.errors import ScoringError
from scoring.fit import compute_fit, fit_band, interview_to_pomp, rank
from scoring.profiles import SCALE_CLUSTER, SCALES, RoleProfile, default_profile
from tests.scoring.reference_b import fit_loop, rank_loop

KEYS = ("empathy", "service", "metrics")
PROFILE = RoleProfile(
    "two clusters",
    {"customer_focus": 0.5, "insight_technology": 0.5},
    minima={"service": 75, "metrics": 55},
)


def test_hand_worked_fit():
    # customer_focus = mean(empathy 60, service 80) = 70; insight_technology = metrics 50
    # fit = 0.5 * 70 + 0.5 * 50 = 60
    r = compute_fit([[60, 80, 50]], KEYS, PROFILE, sem=[10, 10, 10])
    assert r.cluster_scores[0, 0] == 70 and r.cluster_scores[0, 1] == 50
    assert r.fit[0] == pytest.approx(60)
    # var(cf) = (10² + 10²) / 2² = 50; var(it) = 10² / 1 = 100
    # var(fit) = 0.25 * 50 + 0.25 * 100 = 37.5; SE = 6.1237; z(90 %) = 1.6449
    assert r.fit_se[0] == pytest.approx(math.sqrt(37.5))
    assert r.fit_low[0] == pytest.approx(60 - 1.644854 * math.sqrt(37.5), abs=1e-5)
    assert r.fit_high[0] == pytest.approx(60 + 1.644854 * math.sqrt(37.5), abs=1e-5)
    # minima: service 75 - 80 = -5 (met); metrics 55 - 50 = +5 (shortfall)
    assert r.minima_keys == ("service", "metrics")
    assert r.gaps[0].tolist() == [-5, 5]
    assert r.failed_minima == (("metrics",),)
    assert not r.meets_minima[0]
    assert r.band == ("partial fit",)
    assert r.score_source == ("test_only",) and r.rank.tolist() == [1]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["candidates"][0]["failed_minima"] == ["metrics"]
    assert d["profile"]["name"] == "two clusters"


def test_per_candidate_sem_and_no_sem():
    r = compute_fit([[60, 80, 50], [60, 80, 50]], KEYS, PROFILE, sem=[[10, 10, 10], [0, 0, 0]])
    assert r.fit_se.tolist() == pytest.approx([math.sqrt(37.5), 0.0])
    assert r.fit_low[1] == r.fit_high[1] == 60
    r2 = compute_fit([[60, 80, 50]], KEYS, PROFILE)
    assert np.isnan(r2.fit_se[0])
    assert r2.to_dict()["candidates"][0]["fit_low"] is None


def test_band_is_clipped():
    r = compute_fit([[100, 100, 100]], KEYS, PROFILE, sem=[30, 30, 30])
    assert r.fit_high[0] == 100 and r.fit_low[0] < 100


def test_interview_blend():
    # fit 60 for both; candidate 0 rated 4 -> 25 * 3 = 75 -> 0.6 * 60 + 0.4 * 75 = 66
    r = compute_fit([[60, 80, 50], [60, 80, 50]], KEYS, PROFILE, interview=[4, np.nan])
    assert r.interview[0] == 75 and np.isnan(r.interview[1])
    assert r.score.tolist() == pytest.approx([66, 60])
    assert r.score_source == ("blended", "test_only")
    assert r.rank.tolist() == [1, 2]
    # weight 0 keeps the fit
    r0 = compute_fit([[60, 80, 50]], KEYS, PROFILE, interview=[5], interview_weight=0)
    assert r0.score[0] == 60
    assert interview_to_pomp([1, 2, 3, 4, 5]).tolist() == [0, 25, 50, 75, 100]
    with pytest.raises(ScoringError, match=r"1\.\.5"):
        interview_to_pomp([6])
    with pytest.raises(ScoringError, match="shape"):
        compute_fit([[60, 80, 50]], KEYS, PROFILE, interview=[3, 3])


def test_fit_bands_edges():
    labels = fit_band([0, 49.999, 50, 64.9, 65, 79.99, 80, 100, np.nan]).tolist()
    assert labels == [
        "weak fit", "weak fit", "partial fit", "partial fit",
        "good fit", "good fit", "strong fit", "strong fit", "",
    ]  # fmt: skip


def test_ranking_ties_and_missing():
    v = [70, 80, 70, np.nan, 60, 80.0000000001]
    # competition "1224": 80, 80 -> 1; 70, 70 -> 3; 60 -> 5; missing -> 6
    assert rank(v).tolist() == [3, 1, 3, 6, 5, 1]
    # dense "1223": 80 -> 1, 70 -> 2, 60 -> 3, missing -> 4
    assert rank(v, "dense").tolist() == [2, 1, 2, 4, 3, 1]
    assert rank([np.nan, np.nan]).tolist() == [1, 1]
    with pytest.raises(ScoringError, match="unknown ranking"):
        rank(v, "olympic")


def test_missing_scales():
    # candidate 1 lacks metrics -> insight_technology empty -> fit missing, ranked last
    # candidate 2 lacks empathy -> customer_focus = service alone (80) -> 0.5*80 + 0.5*50 = 65
    x = [[60, 80, 50], [60, 80, np.nan], [np.nan, 80, 50]]
    r = compute_fit(x, KEYS, PROFILE, sem=[10, 10, 10])
    assert np.isnan(r.fit[1]) and np.isnan(r.fit_se[1])
    assert r.fit[2] == pytest.approx(65)
    # var(cf) = 10² / 1; var(fit) = .25 * 100 + .25 * 100 = 50
    assert r.fit_se[2] == pytest.approx(math.sqrt(50))
    assert r.score_source[1] == "missing" and r.band[1] == ""
    assert r.rank.tolist() == [2, 3, 1]
    assert r.unknown_minima[1] == ("metrics",)
    assert not r.meets_minima[1]
    assert json.dumps(r.to_dict())


def test_default_profile_on_all_scales():
    x = np.full((2, 15), 70.0)
    x[1, SCALES.index("metrics")] = 30
    p = default_profile("operating_executive")
    r = compute_fit(x, SCALES, p, sem=np.full(15, 5.0), ids=["ann", "bob"])
    assert r.fit[0] == pytest.approx(70)
    # bob: insight_technology = (30 + 70) / 2 = 50 -> fit = 70 - 0.28 * 20 = 64.4
    assert r.fit[1] == pytest.approx(70 - p.weights["insight_technology"] * 20)
    assert r.failed_minima == ((), ("metrics",))
    assert r.ids == ("ann", "bob")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pomp": [[60, 80]]}, "2 columns"),
        ({"pomp": [[60, 80, 120]]}, r"\[0, 100\]"),
        ({"pomp": [[60, 80, -1]]}, r"\[0, 100\]"),
        ({"pomp": np.zeros((0, 3))}, "no candidates"),
        ({"pomp": np.zeros((2, 3, 1))}, "n × s"),
        ({"sem": [1, 2]}, "sem must have shape"),
        ({"sem": [1, -2, 1]}, "non-negative SEM"),
        ({"ids": ["a", "b"]}, "ids"),
        ({"confidence": 1.5}, "confidence"),
        ({"interview_weight": 2}, "interview_weight"),
        ({"ranking": "x"}, "unknown ranking"),
        ({"pomp": [["a", "b", "c"]]}, "numeric"),
    ],
)
def test_degenerate_input(kwargs, message):
    args = {"pomp": [[60, 80, 50]], "scale_keys": KEYS, "profile": PROFILE} | kwargs
    with pytest.raises(ScoringError, match=message):
        compute_fit(**args)


def test_weighted_cluster_without_scales():
    with pytest.raises(ScoringError, match="no scale maps"):
        compute_fit([[60, 80]], ("empathy", "service"), PROFILE)


def test_one_dimensional_input_is_one_candidate():
    r = compute_fit([60, 80, 50], KEYS, PROFILE)
    assert r.fit.shape == (1,)


scores = arrays(
    float,
    st.tuples(st.integers(1, 8), st.just(15)),
    elements=st.one_of(st.floats(0, 100), st.just(np.nan)),
)


@settings(max_examples=40, deadline=None)
@given(scores, st.sampled_from(["board_strategist", "operating_executive", "influence_leader"]))
def test_fit_matches_loop_reference_and_stays_in_range(x, archetype):
    p = default_profile(archetype)
    sem = np.linspace(2, 9, 15)
    r = compute_fit(x, SCALES, p, sem=sem)
    ref = fit_loop(x.tolist(), SCALES, SCALE_CLUSTER, p.weights, sem.tolist())
    for i, (f, se) in enumerate(ref):
        if math.isnan(f):
            assert np.isnan(r.fit[i])
            assert r.rank[i] == np.sum(~np.isnan(r.fit)) + 1
        else:
            assert r.fit[i] == pytest.approx(f, abs=1e-9)
            assert r.fit_se[i] == pytest.approx(se, abs=1e-9)
            assert 0 <= r.fit[i] <= 100
            assert r.fit_low[i] <= r.fit[i] <= r.fit_high[i]
    assert r.rank.tolist() == rank_loop(r.score.tolist())
    assert rank(r.score, "dense").tolist() == rank_loop(r.score.tolist(), dense=True)
