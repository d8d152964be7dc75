"""Mantel-Haenszel DIF and Fisher's exact test of selection tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from scoring.dif import ets_class, mantel_haenszel_dif, selection_fisher
from scoring.errors import ScoringError


def _dif_data(seed: int, shift: float, n: int = 800):
    rng = np.random.default_rng(seed)
    focal = rng.random(n) < 0.4
    theta = rng.normal(size=n)
    strata = np.clip(np.round(theta * 1.5 + 3), 0, 6).astype(int)
    logit = theta - shift * focal
    item = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return item, focal, strata


def _statsmodels(item, focal, strata):
    tables = []
    for s in np.unique(strata):
        m = strata == s
        ref, foc = m & ~focal, m & focal
        tables.append(
            [
                [np.sum(item[ref] == 1), np.sum(item[ref] == 0)],
                [np.sum(item[foc] == 1), np.sum(item[foc] == 0)],
            ]
        )
    return StratifiedTable(np.asarray(tables, dtype=float).transpose(1, 2, 0))


@pytest.mark.parametrize("seed,shift", [(1, 0.0), (2, 0.6), (3, 1.2)])
def test_mantel_haenszel_matches_statsmodels(seed, shift):
    item, focal, strata = _dif_data(seed, shift)
    ref = _statsmodels(item, focal, strata)
    test = ref.test_null_odds(correction=True)
    res = mantel_haenszel_dif(item, focal, strata)
    assert res.odds_ratio[0] == pytest.approx(ref.oddsratio_pooled, rel=1e-12)
    assert res.log_odds_se[0] == pytest.approx(ref.logodds_pooled_se, rel=1e-12)
    assert res.chi2[0] == pytest.approx(test.statistic, rel=1e-10)
    assert res.p_value[0] == pytest.approx(test.pvalue, rel=1e-8, abs=1e-15)
    assert res.delta[0] == pytest.approx(-2.35 * np.log(ref.oddsratio_pooled), rel=1e-12)
    assert res.estimable[0]


def test_items_vectorised_with_missing_answers():
    item0, focal, strata = _dif_data(4, 0.0)
    item1, _, _ = _dif_data(5, 1.5)
    items = np.column_stack([item0, item1])
    items[::17, 1] = np.nan
    res = mantel_haenszel_dif(items, focal, strata)
    keep = ~np.isnan(items[:, 1])
    alone = mantel_haenszel_dif(items[keep, 1], focal[keep], strata[keep])
    assert res.odds_ratio[1] == pytest.approx(alone.odds_ratio[0], rel=1e-12)
    assert res.odds_ratio[1] > 1  # the item favours the reference group
    assert res.delta[1] < 0


def test_ets_rule():
    cls = ets_class(
        np.array([-0.5, -1.2, 2.0, -1.6, 1.6]),
        np.array([0.1, 0.1, 0.2, 0.5, 0.1]),
        np.array([0.001, 0.001, 0.001, 0.001, 0.2]),
    )
    # |Δ|<1 → A; 1≤|Δ|<1.5 → B; |Δ|≥1.5 and (|Δ|−1)/SE>1.645 → C; not significantly > 1 → B;
    # not significantly ≠ 0 → A
    assert cls.tolist() == ["A", "B", "C", "B", "A"]


def test_unestimable_item_is_flagged():
    focal = np.array([0, 0, 1, 1, 0, 1], dtype=bool)
    strata = np.zeros(6, dtype=int)
    item = np.array([1, 1, 1, 1, 1, 1], dtype=float)
    res = mantel_haenszel_dif(item, focal, strata)
    assert not res.estimable[0] and res.ets_class == (None,) and res.reasons[0]
    with pytest.raises(ScoringError):
        mantel_haenszel_dif(np.array([0, 2, 1.0]), np.array([0, 1, 1], bool), np.zeros(3))


TABLES = [(3, 20, 12, 25), (0, 10, 5, 10), (8, 40, 30, 60), (1, 2, 1, 2), (15, 15, 14, 30)]


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_fisher_matches_scipy(alternative):
    a, nf, c, nr = (np.array(v, dtype=float) for v in zip(*TABLES, strict=True))
    res = selection_fisher(a, nf, c, nr, alternative=alternative)
    for i, (ai, nfi, ci, nri) in enumerate(TABLES):
        table = [[ai, nfi - ai], [ci, nri - ci]]
        ref = stats.fisher_exact(table, alternative=alternative).pvalue
        assert res.p_value[i] == pytest.approx(ref, rel=1e-9, abs=1e-15)


def test_impact_ratio_katz_interval():
    res = selection_fisher(8, 40, 30, 60, confidence=0.95)
    ir = (8 / 40) / (30 / 60)
    se = np.sqrt(1 / 8 - 1 / 40 + 1 / 30 - 1 / 60)
    z = stats.norm.ppf(0.975)
    assert res.impact_ratio[0] == pytest.approx(ir, abs=1e-12)
    assert res.ratio_low[0] == pytest.approx(ir * np.exp(-z * se), abs=1e-12)
    assert res.ratio_high[0] == pytest.approx(ir * np.exp(z * se), abs=1e-12)
    zero = selection_fisher(0, 10, 5, 10)
    assert zero.corrected[0]
    assert zero.impact_ratio[0] == pytest.approx((0.5 / 11) / (5.5 / 11), abs=1e-12)
    with pytest.raises(ScoringError):
        selection_fisher(5, 4, 1, 3)
