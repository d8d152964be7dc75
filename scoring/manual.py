"""The numbers of a technical manual for one instrument version, from a sample of results.

A test publisher documents, for each version of an instrument, how its items and scales
behave in the people who took it: item statistics, reliabilities with their uncertainty,
how the scales relate, whether each scale measures one thing, whether groups score
differently or are selected at different rates, whether items work differently for
groups of equal standing (DIF), and the norm tables.  :func:`technical_manual` computes
all of it from the sample's answer matrix and stored scale scores; the PDF, the HTML page
and the admins' item-analysis view all print this one object.

Every statistic has a minimum sample below which it is reported as "not enough data" with
the reason, instead of a number that would change with the next few candidates; the
minimums are the named constants below.  Pure numpy/scipy: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import chdtrc, ndtri

from questionnaires.model import Instrument
from scoring.dif import MHResult, mantel_haenszel_dif, selection_fisher
from scoring.errors import ScoringError
from scoring.fairness import FOUR_FIFTHS, is_adverse, is_unknown_label
from scoring.key import ScoringKey
from scoring.norms import DEFAULT_MIN_NORM_SIZE, NORM_SIZE_FLOOR, distribution, group_standing
from scoring.reliability import (
    MIN_RESPONDENTS,
    Z90,
    ScaleEvidence,
    alpha_if_deleted,
    corrected_item_total,
    cronbach_alpha,
    pairwise_cov,
    scale_correlations,
    scale_evidence,
)
from scoring.scales import item_pool

# --- Minimum sizes and flags ------------------------------------------------------------------

#: Fewest answers behind an item's mean and SD.
MIN_ITEM_N = 10
#: Fewest respondents behind any correlation (item-rest r, alpha-if-deleted, scale
#: intercorrelations): the same floor as a reliability estimate's.
MIN_CORRELATION_N = MIN_RESPONDENTS
#: Fewest respondents for a one-factor model: below about 100, loadings and fit indices
#: move a lot from one sample to the next (MacCallum et al., 1999).
MIN_FACTOR_N = 100
#: Items a one-factor model needs to be testable: with 3 it fits perfectly (df = 0).
MIN_FACTOR_ITEMS = 4
#: Fewest people in each of two groups compared by a mean difference or selection rates.
MIN_GROUP_N = 30
#: Fewest people in each of the reference and focal groups for Mantel-Haenszel DIF.
MIN_DIF_GROUP_N = 100
#: Fewest scores for a norm table (the floor below which no norm group is built).
MIN_NORM_N = NORM_SIZE_FLOOR
#: Below this many scores a norm table is printed but marked provisional.
PROVISIONAL_NORM_N = DEFAULT_MIN_NORM_SIZE
#: An item whose corrected item-total correlation is below this is flagged for review.
LOW_ITEM_REST_R = 0.20
#: Rows of the norm tables: POMP scores in steps of this many points.
NORM_STEP = 5
#: Most matching bands for Mantel-Haenszel DIF (bands of about equal size on the criterion).
DIF_BANDS = 10
#: Confidence of the intervals of d and of the impact ratio.
GROUP_CONFIDENCE = 0.95

FLAG_LOW_R = "low item-rest r"
FLAG_ALPHA_RISES = "alpha rises without it"
FLAG_NO_VARIANCE = "no variance"
NOT_ENOUGH = "not enough data"


def _num(x: object) -> float | None:
    """A plain float, or None for a missing or non-finite value (JSON has no NaN)."""
    if x is None:
        return None
    v = float(x)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None


# --- Result dataclasses -----------------------------------------------------------------------


@dataclass(frozen=True)
class SampleDescription:
    """Who is in the sample: how many, from how many engagements and clients, which roles,
    and over which period (ISO dates)."""

    n: int
    engagements: int = 0
    clients: int = 0
    roles: tuple[tuple[str, int], ...] = ()
    first_completed: str | None = None
    last_completed: str | None = None


@dataclass(frozen=True)
class ItemStat:
    """One item's behaviour within one scale (contributions reverse-keyed)."""

    item: str
    text: str
    item_type: str
    reverse: bool
    n: int
    mean: float | None
    sd: float | None
    item_rest_r: float | None  # corrected item-total correlation
    alpha_if_deleted: float | None
    flags: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class ScaleItems:
    """The item statistics of one scale and the alpha they are compared with."""

    scale: str
    name: str
    alpha: float | None
    items: tuple[ItemStat, ...]
    note: str | None = None


@dataclass(frozen=True)
class ScaleReliability:
    """A scale's reliability in the sample (from :func:`scoring.reliability.scale_evidence`),
    with the mean and SD of its stored scores (None when none are stored, e.g. a validity
    index analysed from its items) and, for a model-scored scale, the mean per-person SE.
    ``n`` is the number of people behind the reliability estimate."""

    scale: str
    name: str
    kind: str
    n: int
    n_items: int
    mean: float | None
    sd: float | None
    method: str
    reliability: float | None
    low: float | None
    high: float | None
    alpha: float | None
    alpha_low: float | None
    alpha_high: float | None
    omega: float | None
    omega_low: float | None
    omega_high: float | None
    sem: float | None
    mean_se: float | None
    reason: str | None


@dataclass(frozen=True)
class Correlations:
    """Pearson correlations between the scales' scores, pairwise; None below the minimum."""

    scales: tuple[str, ...]
    names: tuple[str, ...]
    r: tuple[tuple[float | None, ...], ...]
    n: tuple[tuple[int, ...], ...]
    min_n: int


@dataclass(frozen=True)
class Loading:
    item: str
    loading: float


@dataclass(frozen=True)
class FactorModel:
    """A one-factor model of one scale's items, fitted by maximum likelihood to the items'
    (pairwise) correlation matrix, with its fit figures."""

    scale: str
    name: str
    n: int
    n_items: int
    loadings: tuple[Loading, ...] = ()
    chi2: float | None = None
    df: int | None = None
    p_value: float | None = None
    rmsea: float | None = None
    cfi: float | None = None
    srmr: float | None = None
    heywood: bool = False
    note: str | None = None


@dataclass(frozen=True)
class GroupDifference:
    """Standardised mean difference d of a focal group from the reference group on a scale:
    (mean_focal − mean_reference) / pooled SD, with its confidence interval."""

    scale: str
    focal: str
    reference: str
    n_focal: int
    n_reference: int
    mean_focal: float | None
    mean_reference: float | None
    d: float | None
    low: float | None
    high: float | None
    note: str | None = None


@dataclass(frozen=True)
class ImpactRow:
    """A group's selection rate at the cut, its impact ratio against the highest-rate group
    with the ratio's interval, and Fisher's exact test of the two rates."""

    scale: str
    group: str
    n: int
    selected: int
    rate: float
    is_reference: bool
    impact_ratio: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    adverse: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class DifRow:
    """Mantel-Haenszel DIF of one item between the focal and the reference group."""

    scale: str
    item: str
    focal: str
    reference: str
    n_focal: int
    n_reference: int
    criterion: str
    odds_ratio: float | None = None
    delta: float | None = None
    delta_se: float | None = None
    p_value: float | None = None
    ets_class: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class GroupAnalysis:
    """Everything the manual says about one grouping variable (e.g. sex)."""

    variable: str
    reference: str | None
    counts: tuple[tuple[str, int], ...]
    unknown: int
    cut_rule: str
    differences: tuple[GroupDifference, ...] = ()
    impact: tuple[ImpactRow, ...] = ()
    dif: tuple[DifRow, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NormRow:
    pomp: float
    percentile: float | None
    low: float | None
    high: float | None
    t: float | None
    sten: int | None


@dataclass(frozen=True)
class NormTable:
    """Per scale: each POMP score (in steps of :data:`NORM_STEP`) as a percentile in the
    sample (with the range the score's 90% band spans), a normalised T and a sten."""

    scale: str
    name: str
    n: int
    mean: float | None
    sd: float | None
    provisional: bool
    rows: tuple[NormRow, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Manual:
    """The technical manual's numbers for one instrument version and one sample."""

    instrument: str
    version: int
    title: str
    content_hash: str
    sample: SampleDescription
    items: tuple[ScaleItems, ...]
    reliability: tuple[ScaleReliability, ...]
    correlations: Correlations
    factors: tuple[FactorModel, ...]
    groups: tuple[GroupAnalysis, ...]
    norms: tuple[NormTable, ...]
    not_covered: tuple[str, ...] = ()
    thresholds: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return self.sample.n

    def flagged_items(self) -> list[tuple[str, ItemStat]]:
        """(scale, item) of every item flagged for review."""
        return [(s.scale, i) for s in self.items for i in s.items if i.flags]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (tuples become lists when serialised; NaN never appears)."""
        return asdict(self)


# --- One-factor model by maximum likelihood ---------------------------------------------------

#: Lowest uniqueness allowed (as R's factanal): a Heywood case stops there.
MIN_UNIQUENESS = 0.005


@dataclass(frozen=True)
class FactorFit:
    loadings: np.ndarray  # standardised
    uniquenesses: np.ndarray
    chi2: float
    df: int
    p_value: float | None
    rmsea: float | None
    cfi: float | None
    srmr: float
    heywood: bool


def one_factor_ml(corr: np.ndarray, n: int) -> FactorFit:
    """Maximum-likelihood one-factor model of a correlation matrix, and its fit.

    Minimises F = ln|Σ| + tr(RΣ⁻¹) − ln|R| − p over Σ = λλ' + diag(ψ), ψ ≥ 0.005 (L-BFGS-B
    with the analytic gradient, started at the principal-axis solution).  χ² = (n − 1)·F on
    df = p(p − 3)/2; RMSEA = √(max(χ² − df, 0) / (df·(n − 1))); CFI against the independence
    model (χ²₀ = −(n − 1)·ln|R|, df₀ = p(p − 1)/2); SRMR = root mean square of the residual
    correlations over the p(p + 1)/2 distinct elements.  With p = 3 the model is just
    identified (df = 0): χ² is 0 and RMSEA and the p-value are None.
    """
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    if r.ndim != 2 or r.shape != (p, p) or p < 3:
        raise ScoringError("one_factor_ml needs a square correlation matrix of at least 3 items")
    if n < 2:
        raise ScoringError("one_factor_ml needs at least two respondents")
    sign, logdet_r = np.linalg.slogdet(r)
    if sign <= 0:
        raise ScoringError("the items' correlation matrix is not positive definite")
    w, v = np.linalg.eigh(r)
    start = np.abs(v[:, -1]) * math.sqrt(w[-1]) * 0.9
    x0 = np.concatenate([start, np.clip(1.0 - start**2, MIN_UNIQUENESS, 1.0)])

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        lam, psi = x[:p], x[p:]
        sigma = np.outer(lam, lam) + np.diag(psi)
        s, logdet = np.linalg.slogdet(sigma)
        if s <= 0:
            return 1e10, np.zeros_like(x)
        inv = np.linalg.inv(sigma)
        f = logdet + float(np.trace(r @ inv)) - logdet_r - p
        g = inv - inv @ r @ inv
        return f, np.concatenate([2.0 * g @ lam, np.diag(g)])

    bounds = [(-1.0, 1.0)] * p + [(MIN_UNIQUENESS, 1.0)] * p
    res = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000})  # fmt: skip
    lam, psi = res.x[:p].copy(), res.x[p:].copy()
    if lam.sum() < 0:
        lam = -lam
    f_min = max(float(res.fun), 0.0)
    df = p * (p - 3) // 2
    chi2 = (n - 1) * f_min if df > 0 else 0.0
    chi0 = -(n - 1) * logdet_r
    df0 = p * (p - 1) // 2
    if df > 0:
        p_value: float | None = float(chdtrc(df, chi2))
        rmsea: float | None = math.sqrt(max(chi2 - df, 0.0) / (df * (n - 1)))
    else:
        p_value = rmsea = None
    denom = max(chi0 - df0, chi2 - df, 0.0)
    cfi = 1.0 - max(chi2 - df, 0.0) / denom if denom > 0 else 1.0
    resid = r - (np.outer(lam, lam) + np.diag(psi))
    tri = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(resid[tri] ** 2)))
    return FactorFit(
        loadings=lam, uniquenesses=psi, chi2=float(chi2), df=df, p_value=p_value, rmsea=rmsea,
        cfi=float(cfi) if df > 0 else None, srmr=srmr,
        heywood=bool((psi <= MIN_UNIQUENESS * 1.0001).any()),
    )  # fmt: skip


# --- Effect sizes -----------------------------------------------------------------------------


def cohens_d(
    focal: np.ndarray, reference: np.ndarray, confidence: float = GROUP_CONFIDENCE
) -> tuple[float, float, float]:
    """Cohen's d with the pooled SD, and its normal-approximation interval.

    d = (m_F − m_R) / s_p, s_p² = ((n_F − 1)s_F² + (n_R − 1)s_R²) / (n_F + n_R − 2);
    SE(d) = √((n_F + n_R)/(n_F·n_R) + d²/(2(n_F + n_R))) (Hedges & Olkin, 1985).
    NaN values are dropped.  Raises ScoringError when a group has fewer than two scores or
    the pooled SD is 0.
    """
    a = np.asarray(focal, dtype=float)
    b = np.asarray(reference, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        raise ScoringError("Cohen's d needs at least two scores in each group")
    sp = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    if not sp > 0:
        raise ScoringError("Cohen's d: the scores do not vary")
    d = float((a.mean() - b.mean()) / sp)
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    z = float(ndtri(0.5 + confidence / 2.0))
    return d, d - z * se, d + z * se


# --- The sections -----------------------------------------------------------------------------


def _scale_names(instrument: Instrument) -> dict[str, str]:
    return {s.key: s.name for s in instrument.scales}


def _item_texts(instrument: Instrument) -> dict[str, str]:
    return {it.key: (it.text or it.scenario or it.key) for it in instrument.iter_items()}


def _item_correlations(
    pool: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float | None, np.ndarray, str | None]:
    """Item-rest r and alpha-if-deleted of a scale's items, over the items that vary.

    An item everyone answered alike has no correlation; it is left out of the others'
    rest scores (it adds a constant) and flagged.  Returns (item-rest r, alpha if
    deleted, the alpha they are compared with, the items without variance, a note).
    """
    k = pool.shape[1]
    rest, deleted = np.full(k, np.nan), np.full(k, np.nan)
    cov, _ = pairwise_cov(pool)
    flat = ~(np.diag(cov) > 1e-12)
    used = np.flatnonzero(~flat)
    note = None
    if flat.any():
        note = f"{int(flat.sum())} item(s) without variance left out of the correlations"
    if used.size < 2:
        return rest, deleted, None, flat, "fewer than two items vary: correlations undefined"
    sub = pool[:, used]
    try:
        alpha = cronbach_alpha(sub)
        rest[used] = corrected_item_total(sub)
        if used.size >= 3:
            deleted[used] = alpha_if_deleted(sub)
    except ScoringError as exc:
        return rest, deleted, None, flat, str(exc)
    return rest, deleted, alpha, flat, note


def _item_section(
    instrument: Instrument, key: ScoringKey, matrix: np.ndarray
) -> tuple[ScaleItems, ...]:
    names, texts = _scale_names(instrument), _item_texts(instrument)
    out: list[ScaleItems] = []
    for scale in key.scales:
        pool, items = item_pool(key, matrix, scale)
        k = len(items)
        if k == 0:
            continue
        present = ~np.isnan(pool)
        counts = present.sum(axis=0)
        rest: np.ndarray = np.full(k, np.nan)
        deleted: np.ndarray = np.full(k, np.nan)
        note = None
        alpha = None
        flat = np.zeros(k, dtype=bool)
        if k == 1:
            note = "one item: item-rest correlation and alpha-if-deleted do not apply"
        else:
            pm = present.astype(float)
            min_pair = int((pm.T @ pm).min())
            if min_pair < MIN_CORRELATION_N:
                note = (f"{NOT_ENOUGH}: {min_pair} respondent(s) behind some pair of items, "
                        f"{MIN_CORRELATION_N} needed for correlations")  # fmt: skip
            else:
                rest, deleted, alpha, flat, note = _item_correlations(pool)
        idx = [key.item_index(i) for i in items]
        stats: list[ItemStat] = []
        for j, item in enumerate(items):
            col = pool[present[:, j], j]
            n = int(counts[j])
            enough = n >= MIN_ITEM_N
            mean = _num(col.mean()) if enough else None
            sd = _num(col.std(ddof=1)) if enough and n >= 2 else None
            r_j, d_j = _num(rest[j]), _num(deleted[j])
            flags: list[str] = []
            item_note = None if enough else f"{NOT_ENOUGH}: {n} answer(s), {MIN_ITEM_N} needed"
            if flat[j]:
                flags.append(FLAG_NO_VARIANCE)
            if r_j is not None and r_j < LOW_ITEM_REST_R:
                flags.append(FLAG_LOW_R)
            if d_j is not None and alpha is not None and d_j > alpha:
                flags.append(FLAG_ALPHA_RISES)
            i = idx[j]
            stats.append(ItemStat(
                item=item, text=texts.get(item, item), item_type=key.item_types[i],
                reverse=bool(key.item_reverse[i]), n=n, mean=mean, sd=sd, item_rest_r=r_j,
                alpha_if_deleted=d_j, flags=tuple(flags), note=item_note,
            ))  # fmt: skip
        out.append(ScaleItems(scale=scale, name=names.get(scale, scale), alpha=alpha,
                              items=tuple(stats), note=note))  # fmt: skip
    return tuple(out)


def _reliability_section(
    instrument: Instrument, key: ScoringKey, pomp: np.ndarray, se: np.ndarray | None,
    evidence: Mapping[str, ScaleEvidence],
) -> tuple[ScaleReliability, ...]:  # fmt: skip
    names = _scale_names(instrument)
    kinds = {s.key: s.kind for s in instrument.scales}
    out = []
    for s, scale in enumerate(key.scales):
        ev = evidence[scale]
        col = pomp[:, s]
        col = col[~np.isnan(col)]
        if ev.n_items == 0 and col.size == 0:
            continue  # nothing of it is stored (e.g. an index scored outside the matrix)
        mean_se = None
        if se is not None:
            e = se[:, s]
            e = e[~np.isnan(e)]
            mean_se = _num(e.mean()) if e.size else None
        out.append(ScaleReliability(
            scale=scale, name=names.get(scale, scale), kind=kinds.get(scale, "competency"),
            n=int(ev.n), n_items=ev.n_items,
            mean=_num(col.mean()) if col.size >= MIN_ITEM_N else None,
            sd=_num(col.std(ddof=1)) if col.size >= MIN_ITEM_N else None,
            method=ev.method, reliability=_num(ev.reliability), low=_num(ev.low),
            high=_num(ev.high), alpha=_num(ev.alpha), alpha_low=_num(ev.alpha_low),
            alpha_high=_num(ev.alpha_high), omega=_num(ev.omega), omega_low=_num(ev.omega_low),
            omega_high=_num(ev.omega_high), sem=_num(ev.sem), mean_se=mean_se, reason=ev.reason,
        ))  # fmt: skip
    return tuple(out)


def _correlation_section(
    instrument: Instrument, scales: Sequence[str], pomp: np.ndarray
) -> Correlations:
    names = _scale_names(instrument)
    present = (~np.isnan(pomp)).astype(float)
    counts = (present.T @ present).astype(int)
    r = scale_correlations(pomp) if pomp.shape[1] else np.zeros((0, 0))
    rows = tuple(
        tuple(
            _num(r[i, j]) if counts[i, j] >= MIN_CORRELATION_N else None for j in range(len(scales))
        )
        for i in range(len(scales))
    )
    return Correlations(
        scales=tuple(scales), names=tuple(names.get(s, s) for s in scales), r=rows,
        n=tuple(tuple(int(c) for c in row) for row in counts), min_n=MIN_CORRELATION_N,
    )  # fmt: skip


def _factor_section(
    instrument: Instrument, key: ScoringKey, matrix: np.ndarray
) -> tuple[FactorModel, ...]:
    names = _scale_names(instrument)
    out: list[FactorModel] = []
    for scale in key.scales:
        pool, items = item_pool(key, matrix, scale)
        if len(items) < 2:
            continue
        name = names.get(scale, scale)
        pm = (~np.isnan(pool)).astype(float)
        n = int((pm.T @ pm).min())
        left_out = ""
        if n >= 2:
            cov, _ = pairwise_cov(pool)
            varies = np.diag(cov) > 1e-12
            if not varies.all():
                left_out = (", ".join(i for i, v in zip(items, varies, strict=True) if not v)
                            + " left out: no variance")  # fmt: skip
                pool = pool[:, varies]
                items = tuple(i for i, v in zip(items, varies, strict=True) if v)
        k = len(items)
        if k < MIN_FACTOR_ITEMS:
            why = f"{k} items: a one-factor model needs {MIN_FACTOR_ITEMS} or more to be tested"
            out.append(
                FactorModel(scale, name, n, k, note="; ".join(filter(None, [why, left_out])))
            )
            continue
        if n < MIN_FACTOR_N:
            out.append(FactorModel(scale, name, n, k, note=(
                f"{NOT_ENOUGH}: {n} respondent(s) behind some pair of items, "
                f"{MIN_FACTOR_N} needed"
            )))  # fmt: skip
            continue
        try:
            cov, _ = pairwise_cov(pool)
            sd = np.sqrt(np.diag(cov))
            fit = one_factor_ml(cov / np.outer(sd, sd), n)
        except (ScoringError, np.linalg.LinAlgError) as exc:
            out.append(FactorModel(scale, name, n, k, note=f"model not estimable: {exc}"))
            continue
        heywood = (
            "an item's uniqueness reached its floor (a Heywood case): its loading is "
            "over-estimated" if fit.heywood else ""
        )  # fmt: skip
        out.append(FactorModel(
            scale=scale, name=name, n=n, n_items=k,
            loadings=tuple(Loading(i, float(v)) for i, v in zip(items, fit.loadings, strict=True)),
            chi2=fit.chi2, df=fit.df, p_value=fit.p_value, rmsea=fit.rmsea, cfi=fit.cfi,
            srmr=fit.srmr, heywood=fit.heywood,
            note="; ".join(filter(None, [left_out, heywood])) or None,
        ))  # fmt: skip
    return tuple(out)


def _labels(values: Sequence[object], n: int, name: str) -> np.ndarray:
    if len(values) != n:
        raise ScoringError(f"group labels {name!r}: {len(values)} labels for {n} respondents")
    return np.array([None if is_unknown_label(v) else str(v) for v in values], dtype=object)


def _bands(criterion: np.ndarray, bands: int) -> np.ndarray:
    """Matching strata: the distinct criterion values when there are few, else bands of
    about equal size (quantile edges); NaN stays NaN."""
    ok = ~np.isnan(criterion)
    out = np.full(criterion.shape, np.nan)
    values = np.unique(criterion[ok])
    if values.size <= bands:
        out[ok] = np.searchsorted(values, criterion[ok])
        return out
    edges = np.unique(np.quantile(criterion[ok], np.linspace(0, 1, bands + 1))[1:-1])
    out[ok] = np.searchsorted(edges, criterion[ok], side="right")
    return out


def _dif_for_scale(
    key: ScoringKey, matrix: np.ndarray, scale: str, score: np.ndarray | None,
    keep: np.ndarray, drop: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, str] | None:  # fmt: skip
    """Dichotomised items, their strata and the criterion's name for one scale.

    An item counts as endorsed when its (reverse-keyed) contribution lies above the middle
    of its range.  The criterion is the mean of the scale's other items (the rest score),
    leaving out the items in ``drop`` (those flagged in a first pass, so that a biased item
    does not bias the matching of the others); a scale of fewer than three items is matched
    on its score when ``score`` is given, else not analysed."""
    pool, items = item_pool(key, matrix, scale)
    k = len(items)
    if k == 0:
        return None
    s = key.scale_index(scale)
    idx = [key.item_index(i) for i in items]
    lo = np.array([key.item_min[i, s] for i in idx])
    hi = np.array([key.item_max[i, s] for i in idx])
    mid = (lo + hi) / 2.0
    y = np.where(np.isnan(pool), np.nan, (pool > mid).astype(float))
    if k >= 3:
        present = ~np.isnan(pool)
        if drop is not None:
            present = present & ~drop[None, :]
        own = np.where(present, pool, 0.0)
        total = own.sum(axis=1)[:, None] - own
        others = present.sum(axis=1)[:, None] - present
        with np.errstate(invalid="ignore", divide="ignore"):
            rest = np.where(others > 0, total / others, np.nan)
        criterion = "rest score" if drop is None else "rest score (purified)"
        strata = np.column_stack([_bands(np.where(keep, rest[:, j], np.nan), DIF_BANDS)
                                  for j in range(k)])  # fmt: skip
    elif score is not None:
        criterion = "scale score"
        strata = np.repeat(_bands(np.where(keep, score, np.nan), DIF_BANDS)[:, None], k, axis=1)
    else:
        return None
    y = np.where(np.isnan(strata), np.nan, y)
    return list(items), y, strata, criterion


def _mh(
    prepared: tuple[list[str], np.ndarray, np.ndarray, str], keep: np.ndarray, focal: np.ndarray
) -> tuple[MHResult, list[str], np.ndarray, str]:
    """Mantel-Haenszel DIF of the prepared items between the focal and reference rows."""
    items, y, strata, criterion = prepared
    y = np.where(keep[:, None], y, np.nan)
    strata = np.where(np.isnan(strata), -1.0, strata)
    return mantel_haenszel_dif(y, focal, strata), items, y, criterion


def _group_section(
    instrument: Instrument, key: ScoringKey, matrix: np.ndarray, pomp: np.ndarray,
    name: str, labels: np.ndarray, cut: float | None,
) -> GroupAnalysis:  # fmt: skip
    known = np.array([v is not None for v in labels])
    groups, counts = np.unique(labels[known].astype(str), return_counts=True)
    tally = tuple(sorted(((str(g), int(c)) for g, c in zip(groups, counts, strict=True)),
                         key=lambda t: (-t[1], t[0])))  # fmt: skip
    unknown = int((~known).sum())
    cut_rule = (f"a POMP score of {cut:g} or more" if cut is not None
                else "a score above the sample's median")  # fmt: skip
    notes: list[str] = []
    if len(tally) < 2:
        notes.append(f"only one group recorded for {name}: nothing to compare")
        return GroupAnalysis(name, tally[0][0] if tally else None, tally, unknown, cut_rule,
                             notes=tuple(notes))  # fmt: skip
    reference = tally[0][0]
    ref_mask = labels == reference
    competency = [s for s in instrument.scales if s.kind == "competency"]
    diffs: list[GroupDifference] = []
    impact: list[ImpactRow] = []
    for sc in competency:
        s = key.scale_index(sc.key)
        col = pomp[:, s]
        scored = ~np.isnan(col)
        for g, _n in tally[1:]:
            fm = (labels == g) & scored
            rm = ref_mask & scored
            nf, nr = int(fm.sum()), int(rm.sum())
            base: dict[str, Any] = dict(scale=sc.key, focal=g, reference=reference,
                                        n_focal=nf, n_reference=nr)  # fmt: skip
            if nf < MIN_GROUP_N or nr < MIN_GROUP_N:
                diffs.append(
                    GroupDifference(
                        **base,
                        mean_focal=None,
                        mean_reference=None,
                        d=None,
                        low=None,
                        high=None,
                        note=f"{NOT_ENOUGH}: {MIN_GROUP_N} per group needed",
                    )
                )
                continue
            try:
                d, lo, hi = cohens_d(col[fm], col[rm])
            except ScoringError as exc:
                diffs.append(GroupDifference(**base, mean_focal=_num(col[fm].mean()),
                                             mean_reference=_num(col[rm].mean()), d=None,
                                             low=None, high=None, note=str(exc)))  # fmt: skip
                continue
            diffs.append(GroupDifference(**base, mean_focal=_num(col[fm].mean()),
                                         mean_reference=_num(col[rm].mean()), d=d, low=lo,
                                         high=hi))  # fmt: skip
        impact.extend(_impact_for_scale(sc.key, col, labels, cut))
    dif: list[DifRow] = []
    dif_notes: list[str] = []
    # A scale of fewer than 3 items is matched on its score only when the score also rests
    # on other sources (forced-choice blocks, situations); otherwise the item would be
    # matched on itself.
    other_sources = {
        sc.key for sc in instrument.scales
        if set(sc.sources or {}) - {"ratings", "checklist"}
    }  # fmt: skip
    for g, n_g in tally[1:]:
        if n_g < MIN_DIF_GROUP_N or tally[0][1] < MIN_DIF_GROUP_N:
            dif_notes.append(
                f"DIF {g} against {reference}: {NOT_ENOUGH} "
                f"({n_g} and {tally[0][1]}; {MIN_DIF_GROUP_N} per group needed)"
            )
            continue
        keep = (labels == g) | ref_mask
        focal = labels == g
        for scale in key.scales:
            s = key.scale_index(scale)
            score = pomp[:, s] if scale in other_sources else None
            prepared = _dif_for_scale(key, matrix, scale, score, keep)
            if prepared is None:
                continue
            res, items, y, criterion = _mh(prepared, keep, focal)
            large = np.array([c == "C" for c in res.ets_class])
            flagged = large if large.any() else np.array([c == "B" for c in res.ets_class])
            if criterion == "rest score" and flagged.any() and (~flagged).sum() >= 3:
                # Two-stage purification (Holland & Thayer, 1988): match again without
                # the items flagged in the first pass (the C items, or else the B items).
                again = _dif_for_scale(key, matrix, scale, score, keep, drop=flagged)
                if again is not None:
                    res, items, y, criterion = _mh(again, keep, focal)
            for j, item in enumerate(items):
                ok = ~np.isnan(y[:, j])
                nf, nr = int((ok & focal).sum()), int((ok & ~focal).sum())
                dif.append(DifRow(
                    scale=scale, item=item, focal=g, reference=reference, n_focal=nf,
                    n_reference=nr, criterion=criterion,
                    odds_ratio=_num(res.odds_ratio[j]), delta=_num(res.delta[j]),
                    delta_se=_num(res.delta_se[j]), p_value=_num(res.p_value[j]),
                    ets_class=res.ets_class[j], note=res.reasons[j],
                ))  # fmt: skip
    return GroupAnalysis(
        variable=name, reference=reference, counts=tally, unknown=unknown, cut_rule=cut_rule,
        differences=tuple(diffs), impact=tuple(impact), dif=tuple(dif),
        notes=tuple(notes + dif_notes),
    )  # fmt: skip


def _impact_for_scale(
    scale: str, col: np.ndarray, labels: np.ndarray, cut: float | None
) -> list[ImpactRow]:
    scored = ~np.isnan(col)
    if not scored.any():
        return []
    if cut is None:
        threshold = float(np.median(col[scored]))  # the full sample, labelled or not
        selected = scored & (col > threshold)
    else:
        selected = scored & (col >= cut)
    known = np.array([v is not None for v in labels]) & scored
    groups = sorted({str(v) for v in labels[known]})
    counts = {g: int(((labels == g) & scored).sum()) for g in groups}
    chosen = {g: int(((labels == g) & selected).sum()) for g in groups}
    eligible = [g for g in groups if counts[g] >= MIN_GROUP_N]
    ref = max(eligible, key=lambda g: Fraction(chosen[g], counts[g]), default=None)
    if ref is not None and chosen[ref] == 0:
        ref = None
    rows: list[ImpactRow] = []
    for g in groups:
        base: dict[str, Any] = dict(scale=scale, group=g, n=counts[g], selected=chosen[g],
                                    rate=chosen[g] / counts[g], is_reference=g == ref)  # fmt: skip
        if counts[g] < MIN_GROUP_N:
            rows.append(ImpactRow(**base, note=f"{NOT_ENOUGH}: {MIN_GROUP_N} needed"))
        elif ref is None:
            rows.append(ImpactRow(**base, note="no group large enough had anyone selected"))
        elif g == ref:
            rows.append(ImpactRow(**base, impact_ratio=1.0))
        else:
            test = selection_fisher(chosen[g], counts[g], chosen[ref], counts[ref],
                                    confidence=GROUP_CONFIDENCE)  # fmt: skip
            rows.append(ImpactRow(
                **base, impact_ratio=float(Fraction(chosen[g], counts[g])
                                           / Fraction(chosen[ref], counts[ref])),
                low=_num(test.ratio_low[0]), high=_num(test.ratio_high[0]),
                p_value=_num(test.p_value[0]),
                adverse=is_adverse(chosen[g], counts[g], chosen[ref], counts[ref], FOUR_FIFTHS),
                note="½ added to every cell for the interval" if test.corrected[0] else None,
            ))  # fmt: skip
    return rows


def _norm_section(
    instrument: Instrument, key: ScoringKey, pomp: np.ndarray,
    evidence: Mapping[str, ScaleEvidence],
) -> tuple[NormTable, ...]:  # fmt: skip
    out: list[NormTable] = []
    for sc in instrument.scales:
        if sc.kind != "competency":
            continue
        s = key.scale_index(sc.key)
        col = pomp[:, s]
        col = col[~np.isnan(col)]
        n = int(col.size)
        if n < MIN_NORM_N:
            out.append(
                NormTable(
                    sc.key,
                    sc.name,
                    n,
                    None,
                    None,
                    True,
                    note=f"{NOT_ENOUGH}: {n} score(s), {MIN_NORM_N} needed",
                )
            )
            continue
        values, counts = distribution(col)
        ev = evidence.get(sc.key)
        half = Z90 * ev.sem if ev is not None and ev.sem is not None else 0.0
        lo = math.floor(float(values[0]) / NORM_STEP) * NORM_STEP
        hi = math.ceil(float(values[-1]) / NORM_STEP) * NORM_STEP
        steps = np.arange(lo, hi + NORM_STEP / 2, NORM_STEP, dtype=float)
        st = group_standing(steps, values, counts, half_width=half)
        rows = tuple(
            NormRow(pomp=float(steps[i]), percentile=_num(st.percentile[i]),
                    low=_num(st.low[i]) if half else None,
                    high=_num(st.high[i]) if half else None,
                    t=_num(st.t[i]), sten=None if np.isnan(st.sten[i]) else int(st.sten[i]))
            for i in range(steps.size)
        )  # fmt: skip
        provisional = n < PROVISIONAL_NORM_N
        note = None
        if provisional:
            note = (f"provisional: {n} scores; a norm table is stable from "
                    f"{PROVISIONAL_NORM_N}")  # fmt: skip
        if not half:
            note = "; ".join(filter(None, [note, "no reliability estimate: no percentile range"]))
        out.append(NormTable(sc.key, sc.name, n, _num(col.mean()), _num(col.std(ddof=1)),
                             provisional, rows, note))  # fmt: skip
    return tuple(out)


def _not_covered(instrument: Instrument, key: ScoringKey) -> tuple[str, ...]:
    """What the answer matrix cannot show for this version, said plainly."""
    types = {it.type for it in instrument.iter_items() if it.key in key.separate_items}
    out = []
    if "forced_choice" in types:
        out.append(
            "Forced-choice blocks: item means, item-rest correlations and alpha do not apply. "
            "Choosing the statement most like you makes the others in the block less likely, "
            "so the answers are ipsative, and a block measures three competencies at once. "
            "The blocks are scored by a Thurstonian IRT model, whose per-person standard "
            "errors give the model-based (marginal) reliability reported for each competency."
        )
    if "effectiveness" in types:
        out.append(
            "Situations rated for effectiveness: scored against an expert key by their own "
            "model; their ratings are not part of the stored answer matrix, so no item "
            "statistics are given for them here."
        )
    if "familiarity" in types:
        out.append(
            "Familiarity (overclaiming) items: a validity index that never enters a "
            "competency score; it is not analysed as a scale here."
        )
    return tuple(out)


def technical_manual(
    instrument: Instrument,
    key: ScoringKey,
    matrix: np.ndarray,
    pomp: np.ndarray,
    se: np.ndarray | None = None,
    groups: Mapping[str, Sequence[str | None]] | None = None,
    *,
    description: SampleDescription | None = None,
    cut: float | None = None,
    n_boot: int = 1000,
) -> Manual:
    """Every number of the technical manual of ``instrument`` in the sample given.

    ``matrix`` is the sample's answer matrix (n × ``key.columns``), ``pomp`` its stored
    POMP scores (n × ``key.scales``), ``se`` their per-person SEs where the version's model
    gives one (NaN elsewhere).  ``groups`` maps a grouping variable to one label per row
    (None or "" = not recorded); without it the group sections are empty.  Adverse impact
    is evaluated at ``cut`` (a POMP score) or, by default, at the sample's median.
    """
    m = np.asarray(matrix, dtype=float)
    x = np.asarray(pomp, dtype=float)
    n = x.shape[0] if x.ndim == 2 else -1
    if m.ndim != 2 or m.shape[1] != len(key.columns):
        raise ScoringError(f"matrix must be n × {len(key.columns)}, got {m.shape}")
    if x.ndim != 2 or x.shape != (m.shape[0], len(key.scales)):
        raise ScoringError(f"pomp must be {m.shape[0]} × {len(key.scales)}, got {x.shape}")
    e = None if se is None else np.asarray(se, dtype=float)
    if e is not None and e.shape != x.shape:
        raise ScoringError(f"se has shape {e.shape}; pomp has {x.shape}")
    if e is not None and np.isnan(e).all():
        e = None
    if cut is not None and not (math.isfinite(cut) and 0.0 <= cut <= 100.0):
        raise ScoringError("the cut must be a POMP score between 0 and 100")
    desc = description or SampleDescription(n=n)
    if desc.n != n:
        raise ScoringError(f"the description says {desc.n} people; the sample has {n}")
    evidence = scale_evidence(key, m, x, e, n_boot=n_boot) if n >= 2 else {}
    if len(evidence) != len(key.scales):
        evidence = {
            scale: ScaleEvidence(
                scale=scale,
                method="assumed",
                n=n,
                n_items=int(key.n_items[s]),
                reliability=None,
                low=None,
                high=None,
                alpha=None,
                alpha_low=None,
                alpha_high=None,
                omega=None,
                omega_low=None,
                omega_high=None,
                sd=None,
                sem=None,
                reason=f"{NOT_ENOUGH}: {max(n, 0)} respondent(s)",
            )
            for s, scale in enumerate(key.scales)
        }
    competency = [s.key for s in instrument.scales if s.kind == "competency"]
    comp_cols = [key.scale_index(s) for s in competency]
    group_out: list[GroupAnalysis] = []
    for name, values in (groups or {}).items():
        labels = _labels(values, n, name)
        group_out.append(_group_section(instrument, key, m, x, name, labels, cut))
    return Manual(
        instrument=instrument.key, version=int(instrument.version), title=instrument.title,
        content_hash=instrument.content_hash, sample=desc,
        items=_item_section(instrument, key, m),
        reliability=_reliability_section(instrument, key, x, e, evidence),
        correlations=_correlation_section(instrument, competency, x[:, comp_cols]),
        factors=_factor_section(instrument, key, m),
        groups=tuple(group_out),
        norms=_norm_section(instrument, key, x, evidence),
        not_covered=_not_covered(instrument, key),
        thresholds=THRESHOLDS,
    )  # fmt: skip


#: The minimums and flags in force, printed in the manual's appendix.
THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("Answers for an item's mean and SD", MIN_ITEM_N),
    ("Respondents behind a correlation", MIN_CORRELATION_N),
    ("Respondents for a one-factor model", MIN_FACTOR_N),
    ("Items for a one-factor model", MIN_FACTOR_ITEMS),
    ("People per group for d and selection rates", MIN_GROUP_N),
    ("People per group for DIF", MIN_DIF_GROUP_N),
    ("Scores for a norm table", MIN_NORM_N),
    ("Scores for a norm table that is not provisional", PROVISIONAL_NORM_N),
    ("Item-rest correlation below which an item is flagged", LOW_ITEM_REST_R),
)

__all__ = [
    "DIF_BANDS",
    "LOW_ITEM_REST_R",
    "MIN_CORRELATION_N",
    "MIN_DIF_GROUP_N",
    "MIN_FACTOR_ITEMS",
    "MIN_FACTOR_N",
    "MIN_GROUP_N",
    "MIN_ITEM_N",
    "MIN_NORM_N",
    "NORM_STEP",
    "PROVISIONAL_NORM_N",
    "THRESHOLDS",
    "Correlations",
    "DifRow",
    "FactorFit",
    "FactorModel",
    "GroupAnalysis",
    "GroupDifference",
    "ImpactRow",
    "ItemStat",
    "Manual",
    "NormRow",
    "NormTable",
    "SampleDescription",
    "ScaleItems",
    "ScaleReliability",
    "cohens_d",
    "one_factor_ml",
    "technical_manual",
]
