"""The technical manual's numbers, against references and hand computations."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.multivariate.factor import Factor

import questionnaires
from scoring import manual
from scoring.errors import ScoringError
from scoring.key import compile_key
from scoring.norms import percentile_rank
from scoring.reliability import alpha_if_deleted, corrected_item_total, cronbach_alpha
from scoring.scales import item_pool, score_scales
from tests.scoring.conftest import likert_instrument

#: Scale a: 6 items (the third reverse-keyed); b: 5 items; c: one item.
SCALES = {"a": (False, False, True, False, False, False), "b": (False,) * 5, "c": (False,)}


def _instrument():
    return likert_instrument(SCALES, content_hash="manual-test")


def _answers(
    n: int,
    seed: int = 0,
    focal: np.ndarray | None = None,
    dif_item: int | None = None,
    shift: float = 0.0,
    noise_item: int | None = None,
) -> np.ndarray:
    """Likert answers from one latent trait per scale (traits correlated .4).

    With ``focal`` and ``dif_item``, the focal group finds item ``dif_item`` of scale a
    harder to endorse by ``shift`` at the same trait level (DIF); ``noise_item`` of scale
    a is pure noise (a poor item).
    """
    rng = np.random.default_rng(seed)
    cov = np.full((3, 3), 0.4) + 0.6 * np.eye(3)
    theta = rng.multivariate_normal(np.zeros(3), cov, size=n)
    cols = []
    for s, (_scale, flags) in enumerate(SCALES.items()):
        for j, rev in enumerate(flags):
            lat = theta[:, s] * 1.1 + rng.normal(0, 0.8, n)
            if s == 0 and j == noise_item:
                lat = rng.normal(0, 1.4, n)
            if s == 0 and j == dif_item and focal is not None:
                lat = lat - shift * focal
            if rev:
                lat = -lat
            cols.append(np.clip(np.round(3 + lat), 1, 5))
    return np.column_stack(cols).astype(float)


def _build(m: np.ndarray, **kw):
    ins = _instrument()
    key = compile_key(ins)
    pomp = score_scales(key, m).pomp
    return manual.technical_manual(ins, key, m, pomp, n_boot=100, **kw), key, pomp


# --- One-factor model ---------------------------------------------------------------------------


def test_one_factor_ml_matches_statsmodels():
    rng = np.random.default_rng(4)
    n, lam = 400, np.array([0.75, 0.6, 0.5, 0.4, 0.65, 0.3])
    x = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, lam.size)) * np.sqrt(1 - lam**2)
    r = np.corrcoef(x.T)
    fit = manual.one_factor_ml(r, n)
    ref = Factor(corr=r, n_factor=1, method="ml", nobs=n).fit()
    ref_lam = np.abs(ref.loadings.ravel())
    np.testing.assert_allclose(fit.loadings, ref_lam, atol=2e-4)
    np.testing.assert_allclose(fit.uniquenesses, ref.uniqueness, atol=2e-4)
    # Fit figures by hand from the fitted model.
    p = lam.size
    sigma = np.outer(fit.loadings, fit.loadings) + np.diag(fit.uniquenesses)
    f = (np.linalg.slogdet(sigma)[1] + np.trace(r @ np.linalg.inv(sigma))
         - np.linalg.slogdet(r)[1] - p)  # fmt: skip
    chi2 = (n - 1) * f
    df = p * (p - 3) // 2
    assert fit.df == df == 9
    assert fit.chi2 == pytest.approx(chi2, rel=1e-6)
    assert fit.p_value == pytest.approx(stats.chi2.sf(chi2, df), rel=1e-6)
    assert fit.rmsea == pytest.approx(math.sqrt(max(chi2 - df, 0) / (df * (n - 1))), abs=1e-9)
    chi0 = -(n - 1) * np.linalg.slogdet(r)[1]
    df0 = p * (p - 1) // 2
    cfi = 1 - max(chi2 - df, 0) / max(chi0 - df0, chi2 - df, 0)
    assert fit.cfi == pytest.approx(cfi, abs=1e-9)
    resid = r - sigma
    srmr = math.sqrt(np.mean(resid[np.tril_indices(p)] ** 2))
    assert fit.srmr == pytest.approx(srmr, abs=1e-9)


def test_one_factor_ml_recovers_an_exact_model():
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    fit = manual.one_factor_ml(r, 200)
    np.testing.assert_allclose(fit.loadings, lam, atol=1e-5)
    assert fit.chi2 == pytest.approx(0.0, abs=1e-6)
    assert fit.rmsea == 0.0 and fit.cfi == pytest.approx(1.0)
    assert fit.srmr < 1e-5
    assert not fit.heywood


def test_one_factor_ml_refuses_bad_input():
    with pytest.raises(ScoringError):
        manual.one_factor_ml(np.eye(2), 100)
    with pytest.raises(ScoringError):
        manual.one_factor_ml(np.ones((4, 4)), 100)  # singular


# --- Effect sizes and selection ------------------------------------------------------------------


def test_cohens_d_against_a_hand_computation():
    focal = np.array([52.0, 48, 61, 55, 47, 58, np.nan])
    ref = np.array([45.0, 50, 41, 39, 52, 44, 47, 43])
    d, lo, hi = manual.cohens_d(focal, ref)
    # by hand: means 53.5 and 45.125; SDs 5.391 and 4.3895 (ddof 1)
    f, r = focal[:-1], ref
    sp = math.sqrt((5 * np.var(f, ddof=1) + 7 * np.var(r, ddof=1)) / 12)
    assert d == pytest.approx((53.5 - 45.125) / sp, abs=1e-12)
    se = math.sqrt(14 / 48 + d * d / 28)
    assert lo == pytest.approx(d - 1.959963984540054 * se)
    assert hi == pytest.approx(d + 1.959963984540054 * se)
    with pytest.raises(ScoringError):
        manual.cohens_d(np.array([1.0]), ref)


def _groups(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random(n) < 0.5


def test_group_differences_and_impact_match_references():
    n = 300
    focal = _groups(n)
    m = _answers(n, seed=3)
    labels = np.where(focal, "women", "men").astype(object)
    labels[:10] = None  # not recorded: counted, never a group
    man, key, pomp = _build(m, groups={"sex": list(labels)})
    (g,) = man.groups
    assert g.unknown == 10
    assert dict(g.counts) == {"men": int((labels == "men").sum()),
                              "women": int((labels == "women").sum())}  # fmt: skip
    ref = g.reference
    assert ref == max(g.counts, key=lambda c: c[1])[0]
    other = "women" if ref == "men" else "men"
    s = key.scale_index("a")
    d_row = next(d for d in g.differences if d.scale == "a")
    d, lo, hi = manual.cohens_d(pomp[labels == other, s], pomp[labels == ref, s])
    assert (d_row.d, d_row.low, d_row.high) == (d, lo, hi)
    assert d_row.focal == other and d_row.n_focal == int((labels == other).sum())
    # Impact at the median of the full sample (recorded or not), Fisher against scipy.
    col = pomp[:, s]
    selected = col > np.median(col)
    rows = {r.group: r for r in g.impact if r.scale == "a"}
    counts = {k: (int(((labels == k) & selected).sum()), int((labels == k).sum()))
              for k in ("men", "women")}  # fmt: skip
    best = max(counts, key=lambda k: counts[k][0] / counts[k][1])
    low = "women" if best == "men" else "men"
    assert rows[best].is_reference and rows[best].impact_ratio == 1.0
    a, nf = counts[low]
    c, nr = counts[best]
    assert rows[low].impact_ratio == pytest.approx((a / nf) / (c / nr), abs=1e-15)
    _, p = stats.fisher_exact([[a, nf - a], [c, nr - c]])
    assert rows[low].p_value == pytest.approx(p, rel=1e-9)
    assert rows[low].low < rows[low].impact_ratio < rows[low].high
    json.dumps(man.to_dict(), allow_nan=False)


def test_impact_at_a_stated_cut_decides_four_fifths_exactly():
    # 40 of 100 reference and 32 of 100 focal pass: exactly 0.8, which is not adverse.
    labels = np.array(["ref"] * 100 + ["foc"] * 100, dtype=object)
    score = np.concatenate([np.r_[np.full(40, 80.0), np.full(60, 20.0)],
                            np.r_[np.full(32, 80.0), np.full(68, 20.0)]])  # fmt: skip
    rows = {r.group: r for r in manual._impact_for_scale("a", score, labels, 50.0)}
    assert rows["ref"].is_reference
    assert rows["foc"].impact_ratio == 0.8 and rows["foc"].adverse is False
    _, p = stats.fisher_exact([[32, 68], [40, 60]])
    assert rows["foc"].p_value == pytest.approx(p, rel=1e-9)


def test_dif_flags_the_biased_item_and_not_a_fair_one():
    n = 1600
    focal = np.random.default_rng(11).random(n) < 0.4  # the larger group is the reference
    m = _answers(n, seed=12, focal=focal, dif_item=1, shift=1.0)
    labels = np.where(focal, "focal", "reference").astype(object)
    man, _key, _pomp = _build(m, groups={"group": list(labels)})
    (g,) = man.groups
    dif = {r.item: r for r in g.dif if r.scale == "a"}
    assert dif["a2"].focal == "focal" and dif["a2"].reference == "reference"
    assert dif["a2"].ets_class == "C" and dif["a2"].delta < 0  # harder for the focal group
    # the fair items stay negligible once the biased one leaves their matching criterion
    assert all(dif[i].ets_class == "A" for i in ("a1", "a3", "a4", "a5", "a6"))
    assert dif["a2"].criterion == "rest score (purified)"
    assert all(r.ets_class == "A" for r in g.dif if r.scale == "b")
    # without injected DIF nothing is flagged, and no second pass is needed
    man, _key, _pomp = _build(_answers(n, seed=12), groups={"group": list(labels)})
    assert {r.ets_class for r in man.groups[0].dif} == {"A"}
    assert {r.criterion for r in man.groups[0].dif} == {"rest score"}
    # scale c has one item and no other source: it is never matched on itself
    assert not [r for r in g.dif if r.scale == "c"]


def test_sections_stay_empty_without_group_data():
    man, _key, _pomp = _build(_answers(60))
    assert man.groups == ()


def test_group_minimums():
    n = 2 * manual.MIN_GROUP_N - 2
    labels = ["x"] * (manual.MIN_GROUP_N - 1) + ["y"] * (manual.MIN_GROUP_N - 1)
    man, _key, _pomp = _build(_answers(n), groups={"g": labels})
    (g,) = man.groups
    assert all(d.d is None and manual.NOT_ENOUGH in d.note for d in g.differences)
    assert all(r.impact_ratio is None for r in g.impact)
    assert g.dif == () and any("DIF" in note for note in g.notes)
    labels = ["x"] * manual.MIN_GROUP_N + ["y"] * manual.MIN_GROUP_N
    man, _key, _pomp = _build(_answers(len(labels)), groups={"g": labels})
    assert all(d.d is not None for d in man.groups[0].differences)
    with pytest.raises(ScoringError, match="labels"):
        _build(_answers(40), groups={"g": ["x"] * 39})


# --- Items, reliability, correlations, norms -----------------------------------------------------


def test_item_statistics_and_flags():
    m = _answers(400, seed=5, noise_item=4)
    man, key, _pomp = _build(m)
    a = next(s for s in man.items if s.scale == "a")
    pool, _items = item_pool(key, m, "a")
    np.testing.assert_allclose([i.item_rest_r for i in a.items], corrected_item_total(pool))
    np.testing.assert_allclose([i.alpha_if_deleted for i in a.items], alpha_if_deleted(pool))
    assert a.alpha == pytest.approx(cronbach_alpha(pool))
    first = a.items[0]
    assert first.mean == pytest.approx(pool[:, 0].mean())
    assert first.sd == pytest.approx(pool[:, 0].std(ddof=1))
    # the reverse-keyed item is reported turned round
    assert a.items[2].reverse and a.items[2].mean == pytest.approx((6 - m[:, 2]).mean())
    noise = a.items[4]
    assert manual.FLAG_LOW_R in noise.flags and manual.FLAG_ALPHA_RISES in noise.flags
    assert noise.item_rest_r < manual.LOW_ITEM_REST_R < first.item_rest_r
    assert first.flags == ()
    assert [i for _s, i in man.flagged_items()] == [noise]
    c = next(s for s in man.items if s.scale == "c")
    assert c.items[0].item_rest_r is None and "one item" in c.note


def test_an_item_without_variance_is_flagged_and_left_out():
    m = _answers(200, seed=6)
    m[:, 3] = 4.0  # everyone agrees with a4
    man, key, _pomp = _build(m)
    a = next(s for s in man.items if s.scale == "a")
    assert a.items[3].flags == (manual.FLAG_NO_VARIANCE,) and a.items[3].item_rest_r is None
    pool, _items = item_pool(key, m, "a")
    varying = np.delete(pool, 3, axis=1)
    expected = np.insert(corrected_item_total(varying), 3, np.nan)
    got = np.array([np.nan if i.item_rest_r is None else i.item_rest_r for i in a.items])
    np.testing.assert_allclose(got, expected)
    assert a.alpha == pytest.approx(cronbach_alpha(varying)) and "without variance" in a.note
    man, _key, _pomp = _build(np.vstack([m, m]))  # enough people for the factor model
    f = next(f for f in man.factors if f.scale == "a")
    assert "a4" not in [ld.item for ld in f.loadings] and "a4 left out" in f.note


def test_correlation_and_item_minimums():
    n = manual.MIN_CORRELATION_N - 1
    man, _key, _pomp = _build(_answers(n))
    a = next(s for s in man.items if s.scale == "a")
    assert all(i.item_rest_r is None for i in a.items) and manual.NOT_ENOUGH in a.note
    assert all(v is None for row in man.correlations.r for v in row)
    man, _key, pomp = _build(_answers(manual.MIN_CORRELATION_N))
    assert man.correlations.r[0][1] == pytest.approx(np.corrcoef(pomp[:, 0], pomp[:, 1])[0, 1])
    assert man.correlations.r[0][0] == 1.0
    man, _key, _pomp = _build(_answers(manual.MIN_ITEM_N - 1))
    item = man.items[0].items[0]
    assert item.mean is None and manual.NOT_ENOUGH in item.note


def test_factor_models_and_their_minimums():
    man, _key, _pomp = _build(_answers(manual.MIN_FACTOR_N - 1))
    a = next(f for f in man.factors if f.scale == "a")
    assert a.chi2 is None and manual.NOT_ENOUGH in a.note
    assert not [f for f in man.factors if f.scale == "c"]  # one item: no model at all
    man, key, _pomp = _build(_answers(manual.MIN_FACTOR_N + 100, seed=2))
    a = next(f for f in man.factors if f.scale == "a")
    assert a.n == manual.MIN_FACTOR_N + 100 and a.df == 9
    assert [ld.item for ld in a.loadings] == list(key.scale_items("a"))
    assert all(ld.loading > 0.4 for ld in a.loadings)  # reverse item turned round first
    assert a.rmsea is not None and a.srmr < 0.08


def test_reliability_comes_from_scale_evidence():
    man, _key, pomp = _build(_answers(200, seed=9))
    a = next(r for r in man.reliability if r.scale == "a")
    assert a.method == "alpha" and a.low < a.reliability < a.high
    assert a.mean == pytest.approx(np.nanmean(pomp[:, 0]))
    c = next(r for r in man.reliability if r.scale == "c")
    assert c.method == "single item" and c.reliability is None


def test_norm_tables():
    man, _key, pomp = _build(_answers(manual.PROVISIONAL_NORM_N, seed=1))
    t = next(t for t in man.norms if t.scale == "a")
    assert not t.provisional and t.n == manual.PROVISIONAL_NORM_N
    steps = [r.pomp for r in t.rows]
    assert all(b - a == manual.NORM_STEP for a, b in itertools.pairwise(steps))
    assert steps[0] <= np.nanmin(pomp[:, 0]) and steps[-1] >= np.nanmax(pomp[:, 0])
    for r in t.rows:
        assert r.percentile == pytest.approx(float(percentile_rank(r.pomp, pomp[:, 0])))
        assert r.low <= r.percentile <= r.high
    pct = [r.percentile for r in t.rows]
    assert pct == sorted(pct)
    middle = min(t.rows, key=lambda r: abs(r.percentile - 50))
    assert 40 <= middle.t <= 60 and middle.sten in (5, 6)
    man, _key, _pomp = _build(_answers(manual.PROVISIONAL_NORM_N - 1, seed=1))
    assert next(t for t in man.norms if t.scale == "a").provisional
    man, _key, _pomp = _build(_answers(manual.MIN_NORM_N - 1, seed=1))
    t = next(t for t in man.norms if t.scale == "a")
    assert t.rows == () and manual.NOT_ENOUGH in t.note


def test_thresholds_are_stated():
    values = dict(manual.THRESHOLDS)
    assert values["Respondents for a one-factor model"] == manual.MIN_FACTOR_N == 100
    assert values["People per group for DIF"] == manual.MIN_DIF_GROUP_N == 100
    assert values["People per group for d and selection rates"] == manual.MIN_GROUP_N == 30
    assert manual.LOW_ITEM_REST_R == 0.20 and manual.MIN_NORM_N == 30


def test_bad_shapes():
    ins = _instrument()
    key = compile_key(ins)
    m = _answers(40)
    pomp = score_scales(key, m).pomp
    with pytest.raises(ScoringError, match="matrix"):
        manual.technical_manual(ins, key, m[:, :3], pomp)
    with pytest.raises(ScoringError, match="pomp"):
        manual.technical_manual(ins, key, m, pomp[:, :2])
    with pytest.raises(ScoringError, match="cut"):
        manual.technical_manual(ins, key, m, pomp, cut=120.0)
    with pytest.raises(ScoringError, match="description"):
        manual.technical_manual(ins, key, m, pomp, description=manual.SampleDescription(n=3))


def test_version_2_says_what_does_not_apply():
    ins = questionnaires.load("cco_candidate", 2)
    key = compile_key(ins)
    rng = np.random.default_rng(0)
    n = 60
    m = np.full((n, len(key.columns)), np.nan)
    for i in range(key.n_scored):
        c = int(key.item_col[i])
        if key.item_kind[i] == 0:
            m[:, c] = rng.integers(1, int(key.item_points[i]) + 1, n)
        else:
            w = int(key.item_ncols[i])
            m[:, c : c + w] = rng.integers(0, 2, (n, w))
    pomp = np.column_stack([rng.uniform(20, 80, n) for _ in key.scales])
    se = np.full(pomp.shape, np.nan)
    comp = [key.scale_index(s.key) for s in ins.scales if s.kind == "competency"]
    se[:, comp] = 6.0
    validity = [key.scale_index(s.key) for s in ins.scales if s.kind == "validity"]
    pomp[:, validity] = np.nan  # as stored: validity indices are not scale scores
    man = manual.technical_manual(ins, key, m, pomp, se, n_boot=100)
    assert any("Forced-choice" in t and "ipsative" in t for t in man.not_covered)
    shown = {r.scale for r in man.reliability}
    assert "overclaiming" not in shown  # no items in the matrix and no stored score
    uv = next(r for r in man.reliability if r.scale == "unlikely_virtues")
    assert uv.kind == "validity" and uv.n == n and uv.mean is None
    emp = next(r for r in man.reliability if r.scale == "empathy")
    assert emp.method == "model" and emp.mean_se == 6.0
    single = next(s for s in man.items if s.scale == "empathy")
    assert single.items[0].item_rest_r is None and "one item" in single.note
    assert {t.scale for t in man.norms} == {s.key for s in ins.scales if s.kind == "competency"}
    json.dumps(man.to_dict(), allow_nan=False)
