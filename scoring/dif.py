"""Differential item functioning (Mantel-Haenszel) and exact tests of selection tables.

Mantel & Haenszel (1959); Holland & Thayer (1988), "Differential item performance and the
Mantel-Haenszel procedure", in Wainer & Braun (eds.), *Test validity*, 129–145; the ETS A/B/C
rule as described by Zwick (2012), ETS Research Report RR-12-08.  Vectorised over items and
over tables; undefined results are flagged (``estimable`` False with a reason), never a bare NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, gammaln, ndtri

from scoring.errors import ScoringError

#: ETS delta scale: Δ = −2.35 · ln α_MH (Holland & Thayer, 1988).
ETS_DELTA = -2.35


@dataclass(frozen=True, eq=False)
class MHResult:
    """Mantel-Haenszel DIF statistics per item (arrays of shape (p,))."""

    odds_ratio: np.ndarray  # α_MH; > 1: the item favours the reference group
    log_odds_se: np.ndarray  # Robins-Breslow-Greenland SE of ln α_MH
    chi2: np.ndarray  # MH chi-square with continuity correction, 1 df
    p_value: np.ndarray
    delta: np.ndarray  # ETS MH D-DIF = −2.35 ln α_MH (negative: harder for the focal group)
    delta_se: np.ndarray  # 2.35 · log_odds_se
    ets_class: tuple[str | None, ...]  # "A", "B" or "C"; None when not estimable
    estimable: np.ndarray  # bool
    reasons: tuple[str | None, ...]

    def to_dict(self) -> dict[str, object]:
        def js(a: np.ndarray) -> list:
            return np.where(np.isfinite(a), a, None).astype(object).tolist()

        return {
            "odds_ratio": js(self.odds_ratio),
            "log_odds_se": js(self.log_odds_se),
            "chi2": js(self.chi2),
            "p_value": js(self.p_value),
            "delta": js(self.delta),
            "delta_se": js(self.delta_se),
            "ets_class": list(self.ets_class),
            "estimable": self.estimable.tolist(),
            "reasons": list(self.reasons),
        }


def ets_class(delta: np.ndarray, delta_se: np.ndarray, p_value: np.ndarray, alpha: float = 0.05):
    """ETS category of each Δ (full rule, Zwick 2012).

    A: |Δ| < 1, or Δ not significantly different from 0 (MH chi-square p ≥ alpha);
    C: |Δ| ≥ 1.5 and |Δ| significantly greater than 1 — one-sided z test
    (|Δ| − 1)/SE(Δ) > z_{1−alpha}; B: everything else.
    """
    d = np.abs(np.asarray(delta, dtype=float))
    se = np.asarray(delta_se, dtype=float)
    p = np.asarray(p_value, dtype=float)
    a = (d < 1.0) | (p >= alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (d >= 1.5) & ((d - 1.0) / se > ndtri(1.0 - alpha))
    return np.where(a, "A", np.where(c, "C", "B"))


def mantel_haenszel_dif(
    items: np.ndarray,
    focal: np.ndarray,
    strata: np.ndarray,
    alpha: float = 0.05,
) -> MHResult:
    """Mantel-Haenszel DIF of dichotomised items between a reference and a focal group.

    ``items``: n or n × p of 0/1 (NaN = not answered, left out for that item); ``focal``: n
    booleans (True = focal group); ``strata``: n or n × p matching-score labels (e.g. the total
    score, or the rest score per item).  Per stratum with T ≥ 2 people, A/B = reference
    right/wrong, C/D = focal right/wrong:
    α_MH = Σ(AD/T) / Σ(BC/T);
    χ²_MH = (max(|ΣA − ΣE(A)| − ½, 0))² / ΣVar(A), E(A) = n_R m_1/T,
    Var(A) = n_R n_F m_1 m_0 / (T²(T − 1)), p from χ²(1);
    SE(ln α_MH) by Robins, Breslow & Greenland (1986); Δ = −2.35 ln α_MH; class by
    :func:`ets_class`.  Not estimable (flagged) when either sum of the ratio or ΣVar(A) is 0.
    """
    y = np.asarray(items, dtype=float)
    one = y.ndim == 1
    if one:
        y = y[:, None]
    f = np.asarray(focal)
    s = np.asarray(strata)
    if s.ndim == 1:
        s = np.broadcast_to(s[:, None], y.shape)
    if y.ndim != 2 or f.shape != (y.shape[0],) or s.shape != y.shape:
        raise ScoringError("mantel_haenszel_dif: items (n × p), focal (n), strata (n or n × p)")
    if not np.isin(f, (0, 1, True, False)).all():
        raise ScoringError("focal must be boolean (True = focal group)")
    ok = ~np.isnan(y)
    if not np.isin(y[ok], (0.0, 1.0)).all():
        raise ScoringError("items must be dichotomised to 0/1 (NaN for missing)")
    if not 0.0 < alpha < 0.5:
        raise ScoringError("alpha must be in (0, 0.5)")
    _, code = np.unique(s, return_inverse=True)
    code = code.reshape(y.shape)
    n_s = int(code.max()) + 1
    p = y.shape[1]
    cell = np.arange(p)[None, :] * n_s + code  # (item, stratum) index
    fb = np.broadcast_to(f.astype(bool)[:, None], y.shape)
    right = ok & (y == 1)
    wrong = ok & (y == 0)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=p * n_s).reshape(p, n_s).astype(float)

    a, b = count(right & ~fb), count(wrong & ~fb)
    c, d = count(right & fb), count(wrong & fb)
    t = a + b + c + d
    use = t >= 2
    tt = np.where(use, t, 1.0)
    r_ = np.where(use, a * d / tt, 0.0)
    s_ = np.where(use, b * c / tt, 0.0)
    pp, qq = (a + d) / tt, (b + c) / tt
    rs, ss = r_.sum(axis=1), s_.sum(axis=1)
    n_r, n_f, m1, m0 = a + b, c + d, a + c, b + d
    ea = np.where(use, n_r * m1 / tt, 0.0)
    va = np.where(use, n_r * n_f * m1 * m0 / (tt**2 * np.where(use, tt - 1, 1.0)), 0.0)
    diff = np.where(use, a, 0.0).sum(axis=1) - ea.sum(axis=1)
    vsum = va.sum(axis=1)
    estimable = (rs > 0) & (ss > 0) & (vsum > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(estimable, rs / ss, np.nan)
        var_log = (
            (pp * r_).sum(axis=1) / (2 * rs**2)
            + (pp * s_ + qq * r_).sum(axis=1) / (2 * rs * ss)
            + (qq * s_).sum(axis=1) / (2 * ss**2)
        )
        se = np.where(estimable, np.sqrt(var_log), np.nan)
        chi = np.where(estimable, np.maximum(np.abs(diff) - 0.5, 0.0) ** 2 / vsum, np.nan)
        delta = ETS_DELTA * np.log(odds)
    pv = np.where(estimable, chdtrc(1, np.where(estimable, chi, 0.0)), np.nan)
    dse = -ETS_DELTA * se
    cls = ets_class(delta, dse, pv, alpha)
    reasons: list[str | None] = []
    for j in range(p):
        if estimable[j]:
            reasons.append(None)
        elif vsum[j] <= 0:
            reasons.append("no stratum holds both groups and both answers")
        else:
            side = "reference" if rs[j] == 0 else "focal"
            reasons.append(f"α_MH is {'0' if rs[j] == 0 else 'infinite'}: no {side} advantage "
                           "cell is filled in any stratum")  # fmt: skip

    def out(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float)

    return MHResult(
        odds_ratio=out(odds), log_odds_se=out(se), chi2=out(chi), p_value=out(pv),
        delta=out(delta), delta_se=out(dse),
        ets_class=tuple(str(k) if e else None for k, e in zip(cls, estimable, strict=True)),
        estimable=estimable, reasons=tuple(reasons),
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class SelectionTest:
    """Fisher's exact test and the impact ratio of 2×2 selection tables (arrays (t,))."""

    p_value: np.ndarray
    impact_ratio: np.ndarray  # focal selection rate / reference selection rate
    ratio_low: np.ndarray
    ratio_high: np.ndarray
    corrected: np.ndarray  # bool: ½ added to every cell because a selected count was 0
    confidence: float
    alternative: str

    def to_dict(self) -> dict[str, object]:
        return {
            "p_value": self.p_value.tolist(),
            "impact_ratio": self.impact_ratio.tolist(),
            "ratio_low": self.ratio_low.tolist(),
            "ratio_high": self.ratio_high.tolist(),
            "corrected": self.corrected.tolist(),
            "confidence": self.confidence,
            "alternative": self.alternative,
        }


def _lchoose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def selection_fisher(
    selected_focal: np.ndarray | int,
    n_focal: np.ndarray | int,
    selected_ref: np.ndarray | int,
    n_ref: np.ndarray | int,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> SelectionTest:
    """Fisher's exact test of [[selected_focal, rejected_focal], [selected_ref, rejected_ref]].

    Conditional on the margins the focal selected count is hypergeometric; ``"two-sided"``
    sums the probabilities of all tables no more likely than the observed one (relative
    tolerance 1e-7, as ``scipy.stats.fisher_exact``), ``"less"`` is P(X ≤ observed) (the
    focal group selected less often), ``"greater"`` P(X ≥ observed).  Impact ratio
    IR = (a/n_F)/(c/n_R) with the Katz log interval ln IR ± z·sqrt(1/a − 1/n_F + 1/c − 1/n_R);
    when a or c is 0, ½ is added to every cell (n + 1) and ``corrected`` says so.  Vectorised.
    """
    a, nf, c, nr = (np.atleast_1d(np.asarray(v, dtype=float))
                    for v in (selected_focal, n_focal, selected_ref, n_ref))  # fmt: skip
    a, nf, c, nr = np.broadcast_arrays(a, nf, c, nr)
    for v in (a, nf, c, nr):
        if not np.isfinite(v).all() or (v != np.round(v)).any() or (v < 0).any():
            raise ScoringError("selection counts must be non-negative whole numbers")
    if (a > nf).any() or (c > nr).any() or (nf < 1).any() or (nr < 1).any():
        raise ScoringError("each group needs ≥ 1 person and no more selected than people")
    if alternative not in ("two-sided", "less", "greater"):
        raise ScoringError("alternative must be 'two-sided', 'less' or 'greater'")
    if not 0.0 < confidence < 1.0:
        raise ScoringError("confidence must be in (0, 1)")
    m1, n = a + c, nf + nr
    lo = np.maximum(0.0, m1 - nr)
    hi = np.minimum(nf, m1)
    width = int((hi - lo).max()) + 1
    x = lo[:, None] + np.arange(width)[None, :]
    inside = x <= hi[:, None]
    xs = np.where(inside, x, lo[:, None])
    logp = (_lchoose(nf[:, None], xs) + _lchoose(nr[:, None], m1[:, None] - xs)
            - _lchoose(n, m1)[:, None])  # fmt: skip
    prob = np.where(inside, np.exp(logp), 0.0)
    obs = np.exp(_lchoose(nf, a) + _lchoose(nr, m1 - a) - _lchoose(n, m1))
    if alternative == "less":
        pv = np.where(x <= a[:, None], prob, 0.0).sum(axis=1)
    elif alternative == "greater":
        pv = np.where(x >= a[:, None], prob, 0.0).sum(axis=1)
    else:
        pv = np.where(prob <= obs[:, None] * (1.0 + 1e-7), prob, 0.0).sum(axis=1)
    pv = np.minimum(pv, 1.0)
    corrected = (a == 0) | (c == 0)
    h = np.where(corrected, 0.5, 0.0)
    a2, c2, nf2, nr2 = a + h, c + h, nf + 2 * h, nr + 2 * h
    ratio = (a2 / nf2) / (c2 / nr2)
    z = float(ndtri(0.5 + confidence / 2.0))
    se = np.sqrt(1 / a2 - 1 / nf2 + 1 / c2 - 1 / nr2)
    return SelectionTest(
        p_value=pv, impact_ratio=ratio, ratio_low=ratio * np.exp(-z * se),
        ratio_high=ratio * np.exp(z * se), corrected=corrected, confidence=float(confidence),
        alternative=alternative,
    )  # fmt: skip
