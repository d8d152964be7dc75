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
from scoring.fit import (
    INTERVIEW_RATER_RELIABILITY,
    INTERVIEW_RATING_SD,
    INTERVIEW_RATING_SEM,
    compute_fit,
    fit_band,
    interview_to_pomp,
    rank,
)
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


def test_interview_blend_is_per_competency():
    # shares: empathy .25, service .25, metrics .5 (fit 60 for both candidates).
    # Candidate 0 is rated 4 (75) on metrics only: metrics becomes .6·50 + .4·75 = 60, so the
    # score is .25·60 + .25·80 + .5·60 = 65; a rating of empathy alone moves only its quarter.
    nan = np.nan
    ratings = [[nan, nan, 4], [1, nan, nan]]
    r = compute_fit([[60, 80, 50], [60, 80, 50]], KEYS, PROFILE, interview=ratings)
    assert r.score.tolist() == pytest.approx([65, 0.25 * (0.6 * 60 + 0) + 0.25 * 80 + 0.5 * 50])
    assert r.interview.tolist() == pytest.approx([75, 0])  # each one's rated competencies
    assert r.score_source == ("blended", "blended")
    assert r.rank.tolist() == [1, 2]
    # one weak competency is not the whole interview: 1 on empathy costs 6 points, not 24
    assert r.fit[1] - r.score[1] == pytest.approx(0.25 * 0.4 * 60)
    # weight 0 keeps the fit; no rating keeps the fit and says so
    r0 = compute_fit([[60, 80, 50]], KEYS, PROFILE, interview=[[5, 5, 5]], interview_weight=0)
    assert r0.score[0] == 60
    r1 = compute_fit([[60, 80, 50]], KEYS, PROFILE, interview=[[nan, nan, nan]])
    assert r1.score_source == ("test_only",) and r1.score[0] == 60
    assert interview_to_pomp([1, 2, 3, 4, 5]).tolist() == [0, 25, 50, 75, 100]
    with pytest.raises(ScoringError, match=r"1\.\.5"):
        interview_to_pomp([6])
    with pytest.raises(ScoringError, match="shape"):
        compute_fit([[60, 80, 50]], KEYS, PROFILE, interview=[3, 3])


def test_the_score_shown_carries_its_own_band():
    # SEM 10 on every scale; metrics rated by 2 interviewers (SE = 14.4 / sqrt 2)
    iv_se = INTERVIEW_RATING_SEM / math.sqrt(2)
    nan = np.nan
    r = compute_fit(
        [[60, 80, 50]], KEYS, PROFILE, sem=[10, 10, 10],
        interview=[[nan, nan, 5]], interview_se=[[nan, nan, iv_se]],
    )  # fmt: skip
    fit_var = 0.25**2 * 100 + 0.25**2 * 100 + 0.5**2 * 100
    assert r.fit_se[0] == pytest.approx(math.sqrt(fit_var))
    blend_var = 0.25**2 * 100 * 2 + 0.5**2 * (0.6**2 * 100 + 0.4**2 * iv_se**2)
    assert r.score_se[0] == pytest.approx(math.sqrt(blend_var))
    z = 1.6448536269514722
    assert r.score[0] == pytest.approx(0.25 * 60 + 0.25 * 80 + 0.5 * (0.6 * 50 + 0.4 * 100))
    assert r.score_low[0] == pytest.approx(r.score[0] - z * r.score_se[0])
    assert r.score_low[0] <= r.score[0] <= r.score_high[0]
    assert r.score_band == ("good fit",) and r.band == ("partial fit",)
    # the default SE of one rating is the assumed single-rater reliability's
    assert INTERVIEW_RATER_RELIABILITY == 0.67 and INTERVIEW_RATING_SD == 25
    assert math.isclose(INTERVIEW_RATING_SEM, 25 * math.sqrt(0.33))


def test_fit_reliability_is_mosier_with_the_candidates_weights():
    rel = np.array([0.8, 0.7, 0.9])
    sds = np.array([15.0, 10.0, 20.0])
    corr = np.array([[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]])
    nan = np.nan
    r = compute_fit(
        [[60, 80, 50], [60, nan, 50]], KEYS, PROFILE, reliabilities=rel, sds=sds, corr=corr
    )
    w0 = np.array([0.25, 0.25, 0.5])
    w1 = np.array([0.5, 0.0, 0.5])  # service missing: empathy carries customer focus alone
    for i, w in enumerate((w0, w1)):
        cov = corr * np.outer(sds, sds)
        want = 1 - (w**2 * sds**2 * (1 - rel)).sum() / (w @ cov @ w)
        assert r.fit_reliability[i] == pytest.approx(want)
    assert np.isnan(compute_fit([[60, 80, 50]], KEYS, PROFILE).fit_reliability[0])


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
