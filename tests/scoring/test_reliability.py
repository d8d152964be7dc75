"""Cronbach's alpha, omega, item statistics, SEM and score bands."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import (
    ScoringError,
    alpha_if_deleted,
    compile_key,
    corrected_item_total,
    cronbach_alpha,
    mcdonald_omega,
    omega_from_cov,
    one_factor,
    pairwise_cov,
    pool_reliability,
    scale_reliability,
    score_band,
    score_scales,
)
from scoring.reliability import DEFAULT_POMP_SD, DEFAULT_RELIABILITY
from tests.scoring import reference
from tests.scoring.conftest import likert_instrument

HAND = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5]], dtype=float)


def test_alpha_hand_worked():
    # item variances (ddof 1): 5/3, 4.75/3, 5/3; totals 5, 8, 10, 14 -> variance 42.75/3
    expected = 3 / 2 * (1 - (5 / 3 + 4.75 / 3 + 5 / 3) / (42.75 / 3))
    assert cronbach_alpha(HAND) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.982456, abs=1e-6)


def test_alpha_if_deleted_and_item_total_hand_worked():
    # without item 3: variances 5/3, 4.75/3; totals 3, 5, 6, 9 -> variance 18.75/3
    deleted = alpha_if_deleted(HAND)
    assert deleted[2] == pytest.approx(2 * (1 - (5 / 3 + 4.75 / 3) / (18.75 / 3)), abs=1e-12)
    for j in range(3):
        rest = np.delete(HAND, j, axis=1)
        assert deleted[j] == pytest.approx(cronbach_alpha(rest), abs=1e-12)
        # corrected item-total: Pearson r of the item with the sum of the others
        r = np.corrcoef(HAND[:, j], rest.sum(axis=1))[0, 1]
        assert corrected_item_total(HAND)[j] == pytest.approx(r, abs=1e-12)


def test_two_item_scale_has_no_alpha_if_deleted():
    assert np.isnan(alpha_if_deleted(HAND[:, :2])).all()


def test_pairwise_cov_matches_reference_and_pandas():
    x = HAND.copy()
    x[0, 1] = np.nan
    x[2, 0] = np.nan
    cov, n = pairwise_cov(x)
    assert np.allclose(cov, reference.pairwise_cov(x.tolist()), atol=1e-12)
    assert np.allclose(cov, pd.DataFrame(x).cov().to_numpy(), atol=1e-12)
    # item 1 and 2 share rows 2 and 4 only (rows 1 and 3 have a gap)
    assert n[0, 1] == 2 and n[0, 0] == 3


def _pingouin_alpha(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pingouin.cronbach_alpha(pd.DataFrame(x))[0])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 40),
    k=st.integers(2, 6),
    p_missing=st.sampled_from([0.0, 0.1, 0.25]),
)
def test_alpha_equals_pingouin(seed, n, k, p_missing):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = np.clip(np.rint(3 + common + rng.normal(size=(n, k))), 1, 5)
    x[rng.random(x.shape) < p_missing] = np.nan
    present = (~np.isnan(x)).astype(float)
    assume((present.T @ present).min() >= 2)
    cov = pd.DataFrame(x).cov().to_numpy()
    assume(np.isfinite(cov).all() and cov.sum() > 1e-9)
    ours = cronbach_alpha(x)
    assert ours == pytest.approx(_pingouin_alpha(x), abs=1e-9)
    assert ours == pytest.approx(reference.cronbach_alpha(x.tolist()), abs=1e-9)


def test_omega_recovers_a_known_one_factor_model():
    # population covariance of a congeneric model on the raw metric
    lam = np.array([0.8, 0.7, 0.6, 0.5])  # standardised loadings
    sd = np.sqrt([1.0, 2.0, 3.0, 4.0])
    loadings = lam * sd
    uniq = (1 - lam**2) * sd**2
    cov = np.outer(loadings, loadings) + np.diag(uniq)
    got_l, got_u, _ = one_factor(cov)
    assert np.allclose(got_l, loadings, atol=1e-6)
    assert np.allclose(got_u, uniq, atol=1e-6)
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + uniq.sum())
    assert omega_from_cov(cov) == pytest.approx(expected, abs=1e-8)


def test_omega_equals_alpha_for_tau_equivalent_items():
    # equal loadings and equal uniquenesses: alpha = omega exactly (population)
    cov = np.full((5, 5), 0.49) + np.diag([0.51] * 5)
    alpha = 5 / 4 * (1 - 5.0 / cov.sum())
    assert omega_from_cov(cov) == pytest.approx(alpha, abs=1e-8)


def test_omega_on_sampled_data_is_close_to_alpha():
    rng = np.random.default_rng(5)
    f = rng.normal(size=(2000, 1))
    x = 0.7 * f + 0.7 * rng.normal(size=(2000, 6))
    assert mcdonald_omega(x) == pytest.approx(cronbach_alpha(x), abs=0.01)


def test_degenerate_pools_raise():
    with pytest.raises(ScoringError, match="two items"):
        cronbach_alpha(HAND[:, :1])
    with pytest.raises(ScoringError, match="two respondents"):
        cronbach_alpha(HAND[:1])
    with pytest.raises(ScoringError, match="no variance"):
        cronbach_alpha(np.ones((5, 3)))
    with pytest.raises(ScoringError, match="fewer than two answers"):
        cronbach_alpha(np.array([[1, 2], [np.nan, 3], [np.nan, 4.0]]))
    with pytest.raises(ScoringError, match="2-D"):
        cronbach_alpha(np.ones(4))
    with pytest.raises(ScoringError, match="no variance"):
        one_factor(np.diag([1.0, 0.0]))


def _sample(n: int, k: int = 5, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    return np.clip(np.rint(3 + f + 0.8 * rng.normal(size=(n, k))), 1, 5)


def test_pool_reliability_estimated_with_sem():
    x = _sample(200)
    scores = 100 * (x.sum(axis=1) - 5) / 20
    rel = pool_reliability(x, scores, scale="a")
    assert rel.is_estimated and rel.reason is None
    assert rel.alpha == pytest.approx(cronbach_alpha(x))
    assert rel.reliability == rel.alpha
    assert rel.sd == pytest.approx(np.std(scores, ddof=1))
    # SEM = SD · sqrt(1 - r); the 90% band is ±1.645 SEM
    assert rel.sem == pytest.approx(rel.sd * math.sqrt(1 - rel.alpha))
    assert rel.band == pytest.approx(1.645 * rel.sem)
    assert len(rel.alpha_if_deleted) == len(rel.item_total) == 5
    json.dumps(rel.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("pool", "reason"),
    [
        (_sample(29), "only 29 respondent"),
        (_sample(1), "only 1 respondent"),
        (_sample(100, k=1), "single-item"),
        (np.hstack([_sample(100, k=2), np.full((100, 1), 3.0)]), "no variance in item"),
        (np.full((100, 3), np.nan), "only 0 respondent"),
        (np.zeros((50, 0)), "no items"),
    ],
)
def test_pool_reliability_falls_back_with_a_reason(pool, reason):
    rel = pool_reliability(pool, scale="a")
    assert not rel.is_estimated and reason in rel.reason
    assert rel.alpha is None and rel.omega is None
    # documented defaults: r = 0.80, SD = 15 POMP points -> SEM = 15·sqrt(0.2)
    assert rel.reliability == DEFAULT_RELIABILITY == 0.80
    assert rel.sd == DEFAULT_POMP_SD == 15.0
    assert rel.sem == pytest.approx(15 * math.sqrt(0.2))
    assert not math.isnan(rel.band)


def test_negative_alpha_is_noted_and_sem_uses_zero():
    rng = np.random.default_rng(2)
    a = rng.normal(size=300)
    x = np.column_stack([a, -a + 0.3 * rng.normal(size=300), rng.normal(size=300)])
    rel = pool_reliability(x, np.full(300, 50.0) + rng.normal(size=300))
    assert rel.is_estimated and rel.alpha < 0 and rel.reliability == 0.0
    assert any("do not hang together" in note for note in rel.notes)
    assert rel.sem == pytest.approx(rel.sd)


def test_scale_reliability_and_bands():
    key = compile_key(likert_instrument({"a": (False, True, False, False), "b": (False, True)}))
    x = _sample(120, k=6, seed=4)
    x[:, [1, 5]] = 6 - x[:, [1, 5]]  # answers to reversed items run the other way
    x[::10, 0] = np.nan
    rel = scale_reliability(key, x)
    assert set(rel) == {"a", "b"}
    assert rel["a"].is_estimated and rel["a"].items == ("a1", "a2", "a3", "a4")
    pool = x[:, :4].copy()
    pool[:, 1] = 6 - pool[:, 1]  # the key reverse-keys a2
    assert rel["a"].alpha == pytest.approx(_pingouin_alpha(pool), abs=1e-9)
    scores = score_scales(key, x)
    band = score_band(scores, rel)
    half = 1.645 * rel["a"].sem
    ok = ~np.isnan(scores.pomp[:, 0])
    expected_low = np.clip(scores.pomp[ok, 0] - half, 0, 100)
    assert np.allclose(band.low[ok, 0], expected_low)
    assert (band.low[ok] <= scores.pomp[ok]).all() and (band.high[ok] >= scores.pomp[ok]).all()
    json.dumps(band.to_dict(), allow_nan=False)
    # five respondents: flagged, defaults used
    small = scale_reliability(key, x[1:6])
    assert not small["a"].is_estimated and "5 respondent" in small["a"].reason


def test_score_band_hand_worked():
    key = compile_key(likert_instrument({"a": (False, False)}))
    scores = score_scales(key, np.array([[3.0, 3.0], [1.0, 1.0], [5, 5]]))
    # POMP 50, 0, 100; default SEM = 15·sqrt(0.2) = 6.708; 1.645 × 6.708 = 11.035
    rel = scale_reliability(key, np.array([[3.0, 3.0], [1.0, 1.0], [5, 5]]))
    band = score_band(scores, rel)
    half = 1.645 * 15 * math.sqrt(0.2)
    assert band.low[:, 0] == pytest.approx([50 - half, 0, 100 - half])
    assert band.high[:, 0] == pytest.approx([50 + half, half, 100])
    assert not band.is_estimated[0]
    with pytest.raises(ScoringError, match="no reliability for scale"):
        score_band(scores, {})


# --- Feldt and bootstrap intervals, Mosier composites (issue #17) ------------------------------

from scipy import stats  # noqa: E402

from scoring.reliability import (  # noqa: E402
    composite_band,
    feldt_interval,
    mosier_reliability,
    omega_interval,
)


def test_feldt_interval_hand_computed():
    a, n, k, g = 0.8, 100, 10, 0.10
    lo, hi = feldt_interval(a, n, k, confidence=0.90)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    assert lo == pytest.approx(1 - (1 - a) * stats.f.ppf(1 - g / 2, df1, df2), abs=1e-12)
    assert hi == pytest.approx(1 - (1 - a) * stats.f.ppf(g / 2, df1, df2), abs=1e-12)
    assert lo < a < hi
    # vectorised: a wider interval for fewer respondents
    lo2, hi2 = feldt_interval(np.array([0.8, 0.8]), np.array([30, 300]), 10)
    assert hi2[0] - lo2[0] > hi2[1] - lo2[1]


def test_feldt_interval_matches_pingouin():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(120, 1)) + rng.normal(size=(120, 6))
    alpha, ci = pingouin.cronbach_alpha(pd.DataFrame(x), ci=0.95)
    assert cronbach_alpha(x) == pytest.approx(alpha, abs=1e-12)
    lo, hi = feldt_interval(alpha, 120, 6, confidence=0.95)
    assert (float(lo), float(hi)) == pytest.approx(tuple(ci), abs=5e-4)  # pingouin rounds to 3


def test_feldt_interval_rejects_degenerate():
    with pytest.raises(ScoringError):
        feldt_interval(0.8, 1, 5)
    with pytest.raises(ScoringError):
        feldt_interval(1.2, 50, 5)
    with pytest.raises(ScoringError):
        feldt_interval(0.8, 50, 5, confidence=1.0)


def _factor_pool(n: int, seed: int, missing: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = np.round(3 + f * np.linspace(0.5, 1.2, 6) + rng.normal(size=(n, 6)))
    x[rng.random(x.shape) < missing] = np.nan
    return x


def test_omega_interval_batched_omega_equals_scalar_omega():
    from scoring.reliability import _omega_batch, _weighted_pairwise_cov

    x = _factor_pool(150, 3, missing=0.05)
    rng = np.random.default_rng(11)
    draws = rng.integers(0, 150, size=(4, 150))
    w = np.zeros((4, 150))
    for b in range(4):
        np.add.at(w[b], draws[b], 1.0)
    present = ~np.isnan(x)
    x0 = np.where(present, x - np.nanmean(x, axis=0), 0.0)
    cov, _ = _weighted_pairwise_cov(x0, present.astype(float), w)
    om = _omega_batch(cov)
    for b in range(4):
        assert cov[b] == pytest.approx(pairwise_cov(x[draws[b]])[0], abs=1e-12)
        assert om[b] == pytest.approx(mcdonald_omega(x[draws[b]]), abs=1e-10)


def test_omega_interval_brackets_omega_and_is_reproducible():
    x = _factor_pool(200, 5, missing=0.03)
    res = omega_interval(x, confidence=0.90, n_boot=300, rng=1)
    assert res.omega == pytest.approx(mcdonald_omega(x), abs=1e-12)
    assert res.lower < res.omega < res.upper
    assert res.n_valid == 300
    assert omega_interval(x, n_boot=300, rng=1) == res
    wide = omega_interval(x[:60], n_boot=300, rng=1)
    assert wide.upper - wide.lower > res.upper - res.lower


def test_omega_interval_rejects_degenerate():
    with pytest.raises(ScoringError):
        omega_interval(np.ones((50, 4)), n_boot=200)
    with pytest.raises(ScoringError):
        omega_interval(_factor_pool(50, 1), n_boot=10)


MOSIER_W = np.array([0.5, 0.3, 0.2])
MOSIER_SD = np.array([10.0, 15.0, 20.0])
MOSIER_R = np.array([0.8, 0.7, 0.9])
MOSIER_C = np.array([[1.0, 0.3, 0.2], [0.3, 1.0, 0.4], [0.2, 0.4, 1.0]])


def test_mosier_hand_computed():
    # w_i σ_i = 5, 4.5, 4; error = 25·0.2 + 20.25·0.3 + 16·0.1 = 12.675
    # σ_C² = 25 + 20.25 + 16 + 2(5·4.5·0.3 + 5·4·0.2 + 4.5·4·0.4) = 61.25 + 2·17.95 = 97.15
    expected = 1 - 12.675 / 97.15
    assert mosier_reliability(MOSIER_W, MOSIER_SD, MOSIER_R, MOSIER_C) == pytest.approx(
        expected, abs=1e-12
    )
    band = composite_band(MOSIER_W, MOSIER_SD, MOSIER_R, MOSIER_C)
    assert band.reliability == pytest.approx(expected, abs=1e-12)
    assert band.sd == pytest.approx(math.sqrt(97.15), abs=1e-12)
    assert band.sem == pytest.approx(math.sqrt(12.675), abs=1e-12)
    assert band.half_width == pytest.approx(1.645 * math.sqrt(12.675), abs=1e-12)
    observed = composite_band(MOSIER_W, MOSIER_SD, MOSIER_R, MOSIER_C, composite_sd=12.0)
    assert observed.sem == pytest.approx(12.0 * math.sqrt(12.675 / 97.15), abs=1e-12)


def test_mosier_single_scale_and_positive_intercorrelations():
    assert mosier_reliability([2.0], [7.0], [0.83], [[1.0]]) == pytest.approx(0.83, abs=1e-12)
    rels = [
        mosier_reliability(MOSIER_W, MOSIER_SD, MOSIER_R, (1 - rho) * np.eye(3) + rho)
        for rho in (0.0, 0.2, 0.5, 0.8)
    ]
    assert np.all(np.diff(rels) > 0)
    # several weightings at once
    many = mosier_reliability(np.vstack([MOSIER_W, [1, 0, 0]]), MOSIER_SD, MOSIER_R, MOSIER_C)
    assert many[1] == pytest.approx(0.8, abs=1e-12)


def test_mosier_rejects_degenerate():
    with pytest.raises(ScoringError):
        mosier_reliability([0.0, 0.0], [1.0, 1.0], [0.8, 0.8], np.eye(2))
    with pytest.raises(ScoringError):
        mosier_reliability([1.0, 1.0], [1.0, 1.0], [0.8, 1.2], np.eye(2))
    with pytest.raises(ScoringError):
        mosier_reliability([1.0, 1.0], [1.0, 1.0], [0.8, 0.8], [[1.0, 0.5], [0.4, 1.0]])


def test_scale_evidence_methods_and_intervals():
    from scoring.reliability import EVIDENCE_METHODS, scale_evidence

    key = compile_key(
        likert_instrument({"a": (False, True, False, False), "b": (False,), "c": (False, False)})
    )
    x = _sample(120, k=7, seed=4)
    x[:, 1] = 6 - x[:, 1]
    x[:, 5:] = 3.0  # c never varies: its reliability cannot be estimated
    pomp = score_scales(key, x).pomp
    ev = scale_evidence(key, x, pomp, n_boot=200)
    assert EVIDENCE_METHODS == ("alpha", "model", "assumed", "single item")
    a = ev["a"]
    assert a.method == "alpha" and a.is_estimated and a.n == 120 and a.n_items == 4
    lo, hi = feldt_interval(a.alpha, 120, 4, 0.90)
    assert (a.alpha_low, a.alpha_high) == pytest.approx((float(lo), float(hi)))
    assert a.alpha_low < a.alpha < a.alpha_high
    assert a.omega_low is not None and a.omega_low <= a.omega_high
    assert a.sem == pytest.approx(a.sd * math.sqrt(1 - a.alpha))
    # one item: no reliability, no SEM, no band, and the reason says so
    b = ev["b"]
    assert b.method == "single item" and b.sem is None and b.reliability is None
    assert "single item" in b.reason
    # no variance: the documented default, labelled as assumed
    c = ev["c"]
    assert c.method == "assumed" and not c.is_estimated
    assert c.reliability == DEFAULT_RELIABILITY and c.sd == DEFAULT_POMP_SD
    assert "assumed" in c.reason
    json.dumps({k: v.to_dict() for k, v in ev.items()}, allow_nan=False)


def test_scale_evidence_model_based_scales_use_marginal_reliability():
    from scoring.reliability import scale_evidence

    key = compile_key(likert_instrument({"a": (False, False)}))
    rng = np.random.default_rng(3)
    pomp = rng.normal(50, 15, size=(200, 1))
    se = np.full((200, 1), 6.0)
    x = _sample(200, k=2, seed=1)
    ev = scale_evidence(key, x, pomp, se, n_boot=300)["a"]
    want = 1 - 36 / pomp[:, 0].var(ddof=1)
    assert ev.method == "model" and ev.reliability == pytest.approx(want)
    assert ev.sem == pytest.approx(6.0) and ev.low < want < ev.high
    # fewer than 30 people with an SE: not estimated from the model
    few = scale_evidence(key, x[:20], pomp[:20], se[:20], n_boot=300)["a"]
    assert few.method != "model"


def test_scale_correlations_are_pairwise_pearson():
    from scoring.reliability import scale_correlations

    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 4))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 3] = np.where(np.isnan(x[:, 3]), np.nan, 1.0)  # no variance
    r = scale_correlations(x)
    want = pd.DataFrame(x[:, :3]).corr().to_numpy()
    assert np.allclose(r[:3, :3], want)
    assert np.isnan(r[3]).all() and np.isnan(r[:, 3]).all()


def test_scale_evidence_leaves_out_items_that_never_vary_and_says_so():
    from scoring.reliability import scale_evidence

    key = compile_key(likert_instrument({"a": (False, False, False, False)}))
    x = _sample(150, k=4, seed=7)
    x[:, 3] = 2.0  # everybody gave the same answer to a4
    ev = scale_evidence(key, x, score_scales(key, x).pomp, n_boot=200)["a"]
    assert ev.method == "alpha" and ev.n_items == 3
    assert ev.alpha == pytest.approx(_pingouin_alpha(x[:, :3]), abs=1e-9)
    assert "no variance in this group: a4" in ev.reason
