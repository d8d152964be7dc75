"""Internal consistency of a scale and the measurement error of its scores.

All statistics work on an item *pool*: an n × k matrix of one scale's item
contributions, already reverse-keyed (:func:`scoring.scales.item_pool`),
with NaN for a missing answer.

Missing data are handled **pairwise**: every covariance uses the rows where
both items are present (ddof = 1).  This matches ``pingouin.cronbach_alpha``
(``nan_policy='pairwise'``, pandas ``DataFrame.cov``) and R's
``psych::alpha(use='pairwise')``; listwise deletion would throw away a whole
respondent for one skipped item.  Alpha, alpha-if-deleted, the corrected
item-total correlations and omega are all computed from that one pairwise
covariance matrix, so they agree with each other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.special import fdtri

from scoring.errors import ScoringError
from scoring.key import ScoringKey
from scoring.scales import MIN_SHARE, ScaleScores, item_pool, score_scales

#: Fewest respondents behind every covariance for an estimate to be reported.
MIN_RESPONDENTS = 30
#: Reliability assumed when it cannot be estimated (a conventional floor for
#: scales used in selection; flagged with ``is_estimated=False``).
DEFAULT_RELIABILITY = 0.80
#: POMP standard deviation assumed when it cannot be estimated.
DEFAULT_POMP_SD = 15.0
#: Two-sided 90% normal quantile.
Z90 = 1.645

_MAX_ITER = 1000
_TOL = 1e-10


def _as_pool(pool: object) -> np.ndarray:
    x = np.asarray(pool, dtype=float)
    if x.ndim != 2:
        raise ScoringError(f"an item pool must be 2-D (respondents × items), got {x.ndim}-D")
    if x.shape[1] < 2:
        raise ScoringError("internal consistency needs at least two items")
    if x.shape[0] < 2:
        raise ScoringError("internal consistency needs at least two respondents")
    if np.isinf(x).any():
        raise ScoringError("an item pool must not hold infinite values")
    return x


def pairwise_cov(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance matrix (ddof=1) and the count behind each entry.

    Vectorised with three matrix products over the zero-filled, column-centred
    pool (centring first keeps the one-pass formula numerically stable).
    Raises ScoringError when some pair of items shares fewer than two rows.
    """
    x = _as_pool(pool)
    present = ~np.isnan(x)
    m = present.astype(float)
    n_col = m.sum(axis=0)
    if (n_col < 2).any():
        bad = int(np.flatnonzero(n_col < 2)[0])
        raise ScoringError(f"item {bad} of the pool has fewer than two answers")
    centre = np.where(present, x, 0.0).sum(axis=0) / n_col
    x0 = np.where(present, x - centre, 0.0)
    n = m.T @ m
    if (n < 2).any():
        raise ScoringError("some pair of items shares fewer than two respondents")
    s1 = x0.T @ m  # s1[i, j]: sum of item i over rows where i and j are present
    cov = (x0.T @ x0 - s1 * s1.T / n) / (n - 1)
    return cov, n


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if not total > 0:
        raise ScoringError("the sum of the items has no variance")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(pool: np.ndarray) -> float:
    """Cronbach's (1951) alpha: k/(k−1) · (1 − Σ σ²_i / σ²_total), pairwise covariances."""
    cov, _ = pairwise_cov(pool)
    return _alpha_from_cov(cov)


def _deleted_and_item_total(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha without each item, and each item's correlation with the sum of the others."""
    k = cov.shape[0]
    diag = np.diag(cov)
    rows = cov.sum(axis=1)
    total = cov.sum()
    rest_var = total - 2 * rows + diag  # variance of the sum of the other items
    rest_cov = rows - diag  # covariance of the item with that sum
    with np.errstate(divide="ignore", invalid="ignore"):
        item_total = rest_cov / np.sqrt(diag * rest_var)
        if k >= 3:
            deleted = (k - 1) / (k - 2) * (1.0 - (np.trace(cov) - diag) / rest_var)
        else:
            deleted = np.full(k, np.nan)
    bad = ~((diag > 0) & (rest_var > 0))
    item_total[bad] = np.nan
    deleted[rest_var <= 0] = np.nan
    return deleted, item_total


def alpha_if_deleted(pool: np.ndarray) -> np.ndarray:
    """Alpha of the scale without each item in turn (NaN for a two-item scale).

    From the full pairwise covariance matrix: dropping item i removes its
    row and column, so the total variance becomes Σ − 2·row_i + σ²_i.
    """
    cov, _ = pairwise_cov(pool)
    _alpha_from_cov(cov)
    return _deleted_and_item_total(cov)[0]


def corrected_item_total(pool: np.ndarray) -> np.ndarray:
    """Correlation of each item with the sum of the *other* items (corrected item-total).

    cov(x_i, T − x_i) / sqrt(σ²_i · var(T − x_i)), from the pairwise covariance
    matrix; with complete data this is the Pearson correlation.
    """
    cov, _ = pairwise_cov(pool)
    _alpha_from_cov(cov)
    return _deleted_and_item_total(cov)[1]


def one_factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One-factor loadings and uniquenesses of a covariance matrix (raw metric).

    Iterated principal-axis factoring on the correlation matrix: start the
    communalities at the squared multiple correlations (the largest absolute
    correlation of each item when the matrix is singular), put them on the
    diagonal, take the first eigenvector × sqrt(eigenvalue) as loadings,
    recompute communalities as the squared loadings, and repeat until they
    change by less than 1e-10.  At convergence this is the unweighted
    least-squares (minres) solution.  Communalities are clipped to [0, 1]
    (a Heywood case ends at a zero uniqueness).  Loadings are rescaled to
    the covariance metric (λ·σ_i, ψ·σ²_i) and signed so their sum is positive.
    Returns (loadings, uniquenesses, iterations).
    """
    c = np.asarray(cov, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise ScoringError("one_factor needs a square covariance matrix of at least two items")
    sd = np.sqrt(np.diag(c))
    if not (sd > 0).all():
        raise ScoringError("one_factor: an item has no variance")
    r = c / np.outer(sd, sd)
    off = np.abs(r - np.diag(np.diag(r)))
    try:
        inv = np.linalg.inv(r)
        h2 = 1.0 - 1.0 / np.diag(inv)
        if not np.all(np.isfinite(h2)) or (h2 < 0).any() or (h2 > 1).any():
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        h2 = off.max(axis=1)
    h2 = np.clip(h2, 0.0, 1.0)
    loadings = np.sqrt(h2)
    it = 0
    for it in range(1, _MAX_ITER + 1):  # noqa: B007 - reported to the caller
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        w, v = np.linalg.eigh(reduced)
        loadings = v[:, -1] * math.sqrt(max(w[-1], 0.0))
        new = np.clip(loadings**2, 0.0, 1.0)
        done = np.max(np.abs(new - h2)) < _TOL
        h2 = new
        if done:
            break
    loadings = np.sign(loadings) * np.sqrt(h2)
    if loadings.sum() < 0:
        loadings = -loadings
    return loadings * sd, (1.0 - h2) * sd**2, it


def omega_from_cov(cov: np.ndarray) -> float:
    """McDonald's (1999) omega total of the unit-weighted sum: (Σλ)² / ((Σλ)² + Σψ)."""
    lam, psi, _ = one_factor(cov)
    common = lam.sum() ** 2
    if not common + psi.sum() > 0:
        raise ScoringError("omega: the items have no variance")
    return float(common / (common + psi.sum()))


def mcdonald_omega(pool: np.ndarray) -> float:
    """McDonald's omega of an item pool (one-factor model, pairwise covariances)."""
    cov, _ = pairwise_cov(pool)
    return omega_from_cov(cov)


def _opt(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Reliability:
    """Reliability of one scale, and the standard error of measurement it implies.

    ``reliability`` and ``sd`` are the values the SEM uses: the estimated
    alpha and observed POMP SD when ``is_estimated``, otherwise the defaults
    (``reason`` says why).  ``sem`` = sd·sqrt(1 − reliability) on the POMP
    metric; ``band`` = 1.645·sem, the half-width of a 90% band.
    """

    scale: str
    items: tuple[str, ...]
    n_respondents: int  # respondents with at least one answered item
    min_pairwise_n: int  # fewest respondents behind any covariance
    n_items: int
    alpha: float | None
    omega: float | None
    alpha_if_deleted: tuple[float | None, ...]
    item_total: tuple[float | None, ...]
    is_estimated: bool
    reason: str | None
    reliability: float
    sd: float
    sem: float
    band: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["items"] = list(self.items)
        d["alpha_if_deleted"] = list(self.alpha_if_deleted)
        d["item_total"] = list(self.item_total)
        d["notes"] = list(self.notes)
        return d


def _fallback(
    scale: str, items: tuple[str, ...], n_resp: int, min_n: int, reason: str,
    default_reliability: float, default_sd: float, z: float,
) -> Reliability:  # fmt: skip
    sem = default_sd * math.sqrt(1.0 - default_reliability)
    return Reliability(
        scale=scale, items=items, n_respondents=n_resp, min_pairwise_n=min_n,
        n_items=len(items), alpha=None, omega=None,
        alpha_if_deleted=(None,) * len(items), item_total=(None,) * len(items),
        is_estimated=False, reason=reason, reliability=default_reliability,
        sd=default_sd, sem=sem, band=z * sem,
    )  # fmt: skip


def pool_reliability(
    pool: np.ndarray,
    pomp_scores: np.ndarray | None = None,
    *,
    scale: str = "",
    items: tuple[str, ...] | None = None,
    min_respondents: int = MIN_RESPONDENTS,
    default_reliability: float = DEFAULT_RELIABILITY,
    default_sd: float = DEFAULT_POMP_SD,
    z: float = Z90,
) -> Reliability:
    """A flagged :class:`Reliability` for one pool; never raises for degenerate data.

    Estimated when every pair of items shares at least ``min_respondents``
    respondents, the scale has two or more items and every item varies;
    otherwise it reports why and uses the defaults.  ``pomp_scores`` (the
    scale's POMP scores, NaN allowed) give the SD for the SEM; without them
    the default SD is used and a note says so.
    """
    if not 0.0 <= default_reliability < 1.0:
        raise ScoringError("default_reliability must be in [0, 1)")
    x = np.asarray(pool, dtype=float)
    if x.ndim != 2:
        raise ScoringError(f"an item pool must be 2-D (respondents × items), got {x.ndim}-D")
    k = x.shape[1]
    names = tuple(items) if items is not None else tuple(f"item{j + 1}" for j in range(k))
    if len(names) != k:
        raise ScoringError(f"{len(names)} item names for a pool of {k} items")
    present = ~np.isnan(x)
    n_resp = int(present.any(axis=1).sum())
    pm = present.astype(float)
    min_n = int((pm.T @ pm).min()) if k else 0

    def fallback(reason: str) -> Reliability:
        return _fallback(scale, names, n_resp, min_n, reason, default_reliability, default_sd, z)

    if k == 0:
        return fallback("the scale has no items")
    if k == 1:
        return fallback("a single-item scale has no internal consistency")
    if min_n < min_respondents:
        return fallback(
            f"only {min_n} respondent(s) behind some pair of items ({min_respondents} needed)"
        )
    cov, _ = pairwise_cov(x)
    flat = [names[j] for j in np.flatnonzero(~(np.diag(cov) > 0))]
    if flat:
        return fallback(f"no variance in item(s) {', '.join(flat)}")
    if not cov.sum() > 0:
        return fallback("the sum of the items has no variance")
    alpha = _alpha_from_cov(cov)
    deleted, item_total = _deleted_and_item_total(cov)
    notes: list[str] = []
    try:
        omega: float | None = omega_from_cov(cov)
    except (ScoringError, np.linalg.LinAlgError) as exc:
        omega = None
        notes.append(f"omega not estimated: {exc}")
    r = alpha
    if alpha <= 0:
        r = 0.0
        notes.append(f"alpha = {alpha:.3f} ≤ 0: the items do not hang together; SEM uses r = 0")
    sd = default_sd
    if pomp_scores is None:
        notes.append("no scores given: the SEM uses the default SD")
    else:
        p = np.asarray(pomp_scores, dtype=float)
        p = p[~np.isnan(p)]
        if p.size >= 2 and float(np.std(p, ddof=1)) > 0:
            sd = float(np.std(p, ddof=1))
        else:
            notes.append("fewer than two distinct scores: the SEM uses the default SD")
    sem = sd * math.sqrt(1.0 - r)
    return Reliability(
        scale=scale, items=names, n_respondents=n_resp, min_pairwise_n=min_n, n_items=k,
        alpha=alpha, omega=omega,
        alpha_if_deleted=tuple(_opt(v) for v in deleted),
        item_total=tuple(_opt(v) for v in item_total),
        is_estimated=True, reason=None, reliability=r, sd=sd, sem=sem, band=z * sem,
        notes=tuple(notes),
    )  # fmt: skip


def scale_reliability(
    key: ScoringKey,
    matrix: np.ndarray,
    *,
    min_share: float = MIN_SHARE,
    min_respondents: int = MIN_RESPONDENTS,
    default_reliability: float = DEFAULT_RELIABILITY,
    default_sd: float = DEFAULT_POMP_SD,
    z: float = Z90,
) -> dict[str, Reliability]:
    """Reliability of every scale of ``key`` over the respondents in ``matrix``.

    The SD for the SEM is that of the respondents' POMP scores (scales with
    too few answers excluded, see :func:`~scoring.scales.score_scales`).
    """
    scores = score_scales(key, matrix, min_share=min_share)
    out: dict[str, Reliability] = {}
    for s, scale in enumerate(key.scales):
        pool, items = item_pool(key, matrix, scale)
        out[scale] = pool_reliability(
            pool, scores.pomp[:, s], scale=scale, items=items,
            min_respondents=min_respondents, default_reliability=default_reliability,
            default_sd=default_sd, z=z,
        )  # fmt: skip
    return out


@dataclass(frozen=True, eq=False)
class ScoreBand:
    """A confidence band around every POMP score (arrays n × scales, clipped to 0..100)."""

    scales: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    sem: np.ndarray  # (scales,)
    z: float
    is_estimated: np.ndarray  # (scales,) bool: the SEM rests on an estimated reliability

    def to_dict(self) -> dict[str, object]:
        def js(a: np.ndarray) -> list:
            return np.where(np.isnan(a), None, a.astype(object)).tolist()

        return {
            "scales": list(self.scales),
            "low": js(self.low),
            "high": js(self.high),
            "sem": self.sem.tolist(),
            "z": self.z,
            "is_estimated": self.is_estimated.tolist(),
        }


def score_band(
    scores: ScaleScores, reliabilities: Mapping[str, Reliability], z: float = Z90
) -> ScoreBand:
    """POMP ± z·SEM for every score (90% by default); NaN where the score is NaN."""
    missing = [s for s in scores.scales if s not in reliabilities]
    if missing:
        raise ScoringError(f"no reliability for scale(s) {', '.join(missing)}")
    sem = np.array([reliabilities[s].sem for s in scores.scales], dtype=float)
    est = np.array([reliabilities[s].is_estimated for s in scores.scales], dtype=bool)
    half = z * sem
    return ScoreBand(
        scales=scores.scales,
        low=np.clip(scores.pomp - half, 0.0, 100.0),
        high=np.clip(scores.pomp + half, 0.0, 100.0),
        sem=sem,
        z=float(z),
        is_estimated=est,
    )


# --- Intervals and composites (issue #17) ------------------------------------------------------

#: Bootstrap resamples behind :func:`omega_interval` (enough for stable 5th/95th percentiles).
N_BOOT = 1000


def feldt_interval(
    alpha: float | np.ndarray,
    n: int | np.ndarray,
    k: int | np.ndarray,
    confidence: float = 0.90,
) -> tuple[np.ndarray, np.ndarray]:
    """Feldt (1965) confidence interval for Cronbach's alpha (vectorised; arrays broadcast).

    Under the two-way (persons × items) model (1 − ρ)/(1 − α̂) ~ F(n − 1, (n − 1)(k − 1)),
    so with γ = 1 − confidence and F_p the p-quantile of that F distribution:
    lower = 1 − (1 − α̂)·F_{1−γ/2}, upper = 1 − (1 − α̂)·F_{γ/2}.  This is the form of
    ``pingouin.cronbach_alpha(ci=...)``.  Returns (lower, upper) as float arrays (0-d for
    scalar input).  Raises ScoringError for n < 2, k < 2, α̂ > 1 or a confidence outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ScoringError("confidence must be in (0, 1)")
    a = np.asarray(alpha, dtype=float)
    nn = np.asarray(n, dtype=float)
    kk = np.asarray(k, dtype=float)
    if not np.isfinite(a).all() or (a > 1).any():
        raise ScoringError("alpha must be finite and at most 1")
    if (nn < 2).any() or (kk < 2).any():
        raise ScoringError("the Feldt interval needs n ≥ 2 respondents and k ≥ 2 items")
    df1 = nn - 1.0
    df2 = df1 * (kk - 1.0)
    g = 1.0 - confidence
    lower = 1.0 - (1.0 - a) * fdtri(df1, df2, 1.0 - g / 2.0)
    upper = 1.0 - (1.0 - a) * fdtri(df1, df2, g / 2.0)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


@dataclass(frozen=True)
class OmegaInterval:
    """McDonald's omega with a percentile bootstrap interval (resampling respondents)."""

    omega: float
    lower: float
    upper: float
    confidence: float
    n_boot: int  # resamples drawn
    n_valid: int  # resamples in which omega could be computed (the rest are dropped)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _weighted_pairwise_cov(
    x0: np.ndarray, m: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise covariances of B resamples at once; w (B × n) counts how often each row is drawn.

    The same formula as :func:`pairwise_cov` with every sum weighted by the counts (a row drawn
    twice counts twice); the shift by the full-sample means leaves each covariance unchanged.
    """
    xm = x0 * m
    n = np.einsum("br,ri,rj->bij", w, m, m, optimize=True)
    sxx = np.einsum("br,ri,rj->bij", w, xm, xm, optimize=True)
    s1 = np.einsum("br,ri,rj->bij", w, xm, m, optimize=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sxx - s1 * np.swapaxes(s1, 1, 2) / n) / (n - 1)
    return cov, n


def _omega_batch(cov: np.ndarray) -> np.ndarray:
    """:func:`omega_from_cov` for a stack of covariance matrices; NaN where it is undefined.

    The same iterated principal-axis factoring, run on all matrices together (batched
    ``eigh``); only matrices that have not converged are iterated further.
    """
    b, k, _ = cov.shape
    out = np.full(b, np.nan)
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0.0, None))
    ok = np.isfinite(cov).all(axis=(1, 2)) & (sd > 0).all(axis=1)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out
    c, s = cov[idx], sd[idx]
    r = c / (s[:, :, None] * s[:, None, :])
    eye = np.eye(k, dtype=bool)
    off = np.where(eye, 0.0, np.abs(r)).max(axis=2)
    h2 = np.empty_like(off)
    for j in range(idx.size):  # a k × k inverse each: cheap, and mirrors one_factor's fallback
        try:
            with np.errstate(divide="ignore", invalid="ignore"):  # a singular resample
                h = 1.0 - 1.0 / np.diag(np.linalg.inv(r[j]))
            if not np.all(np.isfinite(h)) or (h < 0).any() or (h > 1).any():
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            h = off[j]
        h2[j] = h
    h2 = np.clip(h2, 0.0, 1.0)
    sign = np.ones_like(h2)
    active = np.arange(idx.size)
    for _ in range(_MAX_ITER):
        red = r[active].copy()
        red[:, eye] = h2[active]
        w, v = np.linalg.eigh(red)
        lam = v[:, :, -1] * np.sqrt(np.clip(w[:, -1], 0.0, None))[:, None]
        new = np.clip(lam**2, 0.0, 1.0)
        done = np.max(np.abs(new - h2[active]), axis=1) < _TOL
        h2[active] = new
        sign[active] = np.sign(lam)
        active = active[~done]
        if active.size == 0:
            break
    # one_factor's loadings are sign(λ)·sqrt(h²)·σ; only |Σλ| enters omega.
    lam_sum = np.abs(np.sum(sign * np.sqrt(h2) * s, axis=1))
    psi = np.sum((1.0 - h2) * s**2, axis=1)
    common = lam_sum**2
    with np.errstate(divide="ignore", invalid="ignore"):
        om = common / (common + psi)
    out[idx] = np.where(common + psi > 0, om, np.nan)
    return out


def omega_interval(
    pool: np.ndarray,
    confidence: float = 0.90,
    n_boot: int = N_BOOT,
    rng: np.random.Generator | int | None = None,
) -> OmegaInterval:
    """Percentile bootstrap interval for McDonald's omega, resampling respondents.

    Draws ``n_boot`` (default 1,000) samples of n respondents with replacement, recomputes
    omega exactly as :func:`mcdonald_omega` does (pairwise covariances, iterated principal
    axes) for all of them at once, and takes the γ/2 and 1 − γ/2 quantiles (numpy's linear
    rule).  Resamples in which omega is undefined (an item without variance or a pair with
    fewer than two shared answers) are dropped and counted; fewer than half valid raises.
    ``rng`` defaults to seed 0 so a published interval can be reproduced.
    """
    if not 0.0 < confidence < 1.0:
        raise ScoringError("confidence must be in (0, 1)")
    if int(n_boot) < 100:
        raise ScoringError("omega_interval needs at least 100 bootstrap resamples")
    x = _as_pool(pool)
    omega = mcdonald_omega(x)
    gen = (
        rng
        if isinstance(rng, np.random.Generator)
        else np.random.default_rng(0 if rng is None else rng)
    )
    nr = x.shape[0]
    present = ~np.isnan(x)
    m = present.astype(float)
    centre = np.where(present, x, 0.0).sum(axis=0) / np.maximum(m.sum(axis=0), 1.0)
    x0 = np.where(present, x - centre, 0.0)
    reps = np.empty(int(n_boot))
    # the resample weights (b × n) are the largest array: about 20 million numbers at a time
    chunk = max(1, min(int(n_boot), 20_000_000 // max(nr * x.shape[1], 1)))
    for start in range(0, int(n_boot), chunk):
        b = min(chunk, int(n_boot) - start)
        draws = gen.integers(0, nr, size=(b, nr))
        w = np.zeros((b, nr))
        np.add.at(w, (np.repeat(np.arange(b), nr), draws.ravel()), 1.0)
        cov, n = _weighted_pairwise_cov(x0, m, w)
        cov[(n < 2).any(axis=(1, 2))] = np.nan
        reps[start : start + b] = _omega_batch(cov)
    valid = reps[np.isfinite(reps)]
    if valid.size < 0.5 * n_boot:
        raise ScoringError(
            f"omega could be computed in only {valid.size} of {n_boot} bootstrap resamples"
        )
    g = 1.0 - confidence
    lo, hi = np.quantile(valid, [g / 2.0, 1.0 - g / 2.0])
    return OmegaInterval(
        omega=omega, lower=float(lo), upper=float(hi), confidence=float(confidence),
        n_boot=int(n_boot), n_valid=int(valid.size),
    )  # fmt: skip


def _composite_parts(
    weights: np.ndarray | list[float],
    sds: np.ndarray | list[float],
    reliabilities: np.ndarray | list[float],
    corr: np.ndarray | list[list[float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Error variance Σ w²σ²(1 − r) and total variance w'Σw of each weighting (rows of w)."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    sd = np.asarray(sds, dtype=float)
    rel = np.asarray(reliabilities, dtype=float)
    r = np.asarray(corr, dtype=float)
    m = sd.shape[0] if sd.ndim == 1 else -1
    if sd.ndim != 1 or rel.shape != (m,) or w.ndim != 2 or w.shape[1] != m or r.shape != (m, m):
        raise ScoringError(
            "mosier: weights (… × m), sds (m), reliabilities (m) and corr (m × m) must agree"
        )
    for name, a in (("weights", w), ("sds", sd), ("reliabilities", rel), ("corr", r)):
        if not np.isfinite(a).all():
            raise ScoringError(f"mosier: {name} must be finite")
    if (sd <= 0).any():
        raise ScoringError("mosier: every scale needs a positive SD")
    if ((rel < 0) | (rel > 1)).any():
        raise ScoringError("mosier: reliabilities must be in [0, 1]")
    if not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1.0) or (np.abs(r) > 1).any():
        raise ScoringError("mosier: corr must be a symmetric correlation matrix with unit diagonal")
    cov = r * np.outer(sd, sd)
    total = np.einsum("pi,ij,pj->p", w, cov, w)
    error = (w**2 * sd**2 * (1.0 - rel)).sum(axis=1)
    if not (total > 0).all():
        raise ScoringError("mosier: the composite has no variance (check weights and corr)")
    return error, total


def mosier_reliability(
    weights: np.ndarray | list[float],
    sds: np.ndarray | list[float],
    reliabilities: np.ndarray | list[float],
    corr: np.ndarray | list[list[float]],
) -> float | np.ndarray:
    """Mosier (1943) reliability of a weighted composite C = Σ w_i X_i.

    r_C = 1 − Σ w_i² σ_i² (1 − r_ii) / σ_C², σ_C² = w'Σw with Σ = diag(σ)·R·diag(σ): the
    scales' errors are assumed uncorrelated, so error variances add.  ``weights`` may be one
    weighting (m,) — a float is returned — or several (p × m), one reliability each.
    """
    error, total = _composite_parts(weights, sds, reliabilities, corr)
    out = 1.0 - error / total
    return float(out[0]) if np.ndim(weights) == 1 else out


@dataclass(frozen=True)
class CompositeBand:
    """Measurement error of a weighted composite, for a confidence band around it."""

    reliability: float  # Mosier's reliability
    sd: float  # composite SD the SEM uses
    sem: float  # sd · sqrt(1 − reliability)
    half_width: float  # z · sem
    z: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def composite_band(
    weights: np.ndarray | list[float],
    sds: np.ndarray | list[float],
    reliabilities: np.ndarray | list[float],
    corr: np.ndarray | list[list[float]],
    composite_sd: float | None = None,
    z: float = Z90,
) -> CompositeBand:
    """SEM and band half-width of one weighted composite (the fit score's band).

    SEM = SD_C · sqrt(1 − r_C) with r_C from :func:`mosier_reliability`.  SD_C defaults to the
    model SD sqrt(w'Σw) — then SEM = sqrt(Σ w_i² σ_i² (1 − r_ii)), the scales' error SDs
    combined; pass the observed composite SD as ``composite_sd`` to use that instead.
    """
    if np.ndim(weights) != 1:
        raise ScoringError("composite_band takes one weighting (a 1-D weights vector)")
    if not z > 0:
        raise ScoringError("z must be positive")
    error, total = _composite_parts(weights, sds, reliabilities, corr)
    rel = float(1.0 - error[0] / total[0])
    sd = math.sqrt(float(total[0])) if composite_sd is None else float(composite_sd)
    if not (math.isfinite(sd) and sd > 0):
        raise ScoringError("composite_sd must be a positive number")
    sem = sd * math.sqrt(max(1.0 - rel, 0.0))
    return CompositeBand(reliability=rel, sd=sd, sem=sem, half_width=z * sem, z=float(z))


# --- Evidence a norm group gives every scale (issue #17) ----------------------------------------

#: How a scale's reliability was obtained (``ScaleEvidence.method``).
EVIDENCE_METHODS = ("alpha", "model", "assumed", "single item")


@dataclass(frozen=True)
class ScaleEvidence:
    """A scale's reliability in a norm group, with its interval, and the SEM it implies.

    ``method``: "alpha" (Cronbach's alpha of the items, Feldt interval; omega beside it with
    a bootstrap interval), "model" (the marginal reliability of a model-scored scale,
    1 − mean(SE²)/var(score), bootstrap interval), "assumed" (too few people or no variance:
    the documented default, labelled as assumed) or "single item" (no internal consistency
    can be estimated and no band is drawn: ``sem`` is None).
    """

    scale: str
    method: str
    n: int
    n_items: int
    reliability: float | None
    low: float | None
    high: float | None
    alpha: float | None
    alpha_low: float | None
    alpha_high: float | None
    omega: float | None
    omega_low: float | None
    omega_high: float | None
    sd: float | None
    sem: float | None
    reason: str | None

    @property
    def is_estimated(self) -> bool:
        return self.method in ("alpha", "model")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _sd(values: np.ndarray) -> float | None:
    v = values[~np.isnan(values)]
    return float(v.std(ddof=1)) if v.size >= 2 and v.std() > 0 else None


def _marginal(
    pomp: np.ndarray, se: np.ndarray, scale: str, n_items: int, confidence: float,
    n_boot: int, rng: np.random.Generator,
) -> ScaleEvidence | None:  # fmt: skip
    """Marginal reliability of a model-scored scale, or None when it has no SEs."""
    ok = ~np.isnan(pomp) & ~np.isnan(se)
    if not ok.any():
        return None
    x, e2 = pomp[ok], se[ok] ** 2
    sd = _sd(x)
    if x.size < MIN_RESPONDENTS or sd is None:
        return None
    rel = max(0.0, 1.0 - float(e2.mean()) / sd**2)
    picks = rng.integers(0, x.size, size=(n_boot, x.size))
    boot = 1.0 - e2[picks].mean(axis=1) / x[picks].var(axis=1, ddof=1)
    g = 1.0 - confidence
    lo, hi = np.quantile(np.clip(boot, 0.0, 1.0), [g / 2.0, 1.0 - g / 2.0])
    return ScaleEvidence(
        scale=scale, method="model", n=int(x.size), n_items=n_items, reliability=rel,
        low=float(lo), high=float(hi), alpha=None, alpha_low=None, alpha_high=None,
        omega=None, omega_low=None, omega_high=None, sd=sd,
        sem=float(math.sqrt(float(e2.mean()))), reason=None,
    )  # fmt: skip


def scale_evidence(
    key: ScoringKey,
    matrix: np.ndarray,
    pomp: np.ndarray,
    se: np.ndarray | None = None,
    *,
    confidence: float = 0.90,
    n_boot: int = N_BOOT,
    rng: np.random.Generator | int | None = 0,
    default_reliability: float = DEFAULT_RELIABILITY,
    default_sd: float = DEFAULT_POMP_SD,
) -> dict[str, ScaleEvidence]:
    """Reliability with its interval, SD and SEM of every scale of ``key`` in a norm group.

    ``matrix`` is the group's answer matrix, ``pomp`` its stored POMP scores (n × S) and
    ``se`` their per-person standard errors where the version's model gives one (n × S,
    NaN elsewhere).  A scale with per-person SEs gets the marginal reliability (its SEM is
    the root mean SE²); otherwise Cronbach's alpha with Feldt's interval, and omega with a
    bootstrap interval beside it; a one-item scale gets no reliability and no SEM; a scale
    without enough data gets the documented default, marked "assumed".
    """
    x = np.asarray(pomp, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(key.scales):
        raise ScoringError(f"pomp must be n × {len(key.scales)}, got shape {x.shape}")
    e = np.full(x.shape, np.nan) if se is None else np.asarray(se, dtype=float)
    if e.shape != x.shape:
        raise ScoringError(f"se has shape {e.shape}; pomp has {x.shape}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out: dict[str, ScaleEvidence] = {}
    for s, scale in enumerate(key.scales):
        pool, items = item_pool(key, matrix, scale)
        k = len(items)
        model = _marginal(x[:, s], e[:, s], scale, k, confidence, n_boot, gen)
        if model is not None:
            out[scale] = model
            continue
        sd = _sd(x[:, s])
        n = int((~np.isnan(x[:, s])).sum())
        if k == 1 and np.isnan(e[:, s]).all():
            out[scale] = ScaleEvidence(
                scale=scale, method="single item", n=n, n_items=1, reliability=None,
                low=None, high=None, alpha=None, alpha_low=None, alpha_high=None, omega=None,
                omega_low=None, omega_high=None, sd=sd, sem=None,
                reason="a single item has no internal consistency to estimate, so no band",
            )  # fmt: skip
            continue
        # an item nobody in the group answered differently tells nothing about consistency
        # here: it is left out of alpha (and named) rather than voiding the estimate
        varies = np.array([np.nanstd(pool[:, j]) > 0 for j in range(k)]) if k else np.array([])
        if k > 2 and 2 <= varies.sum() < k:
            still = tuple(name for name, v in zip(items, varies, strict=True) if not v)
            pool, items = pool[:, varies], tuple(i for i, v in zip(items, varies, strict=True) if v)
            k = len(items)
        else:
            still = ()
        r = pool_reliability(pool, x[:, s], scale=scale, items=items)
        if still and r.is_estimated:
            r = replace(
                r, notes=(*r.notes, f"left out, no variance in this group: {', '.join(still)}")
            )
        if not r.is_estimated or r.alpha is None:
            sem = default_sd * math.sqrt(1.0 - default_reliability)
            out[scale] = ScaleEvidence(
                scale=scale, method="assumed", n=n, n_items=k, reliability=default_reliability,
                low=None, high=None, alpha=None, alpha_low=None, alpha_high=None, omega=None,
                omega_low=None, omega_high=None, sd=default_sd, sem=sem,
                reason=f"assumed r = {default_reliability:.2f}, SD = {default_sd:.0f}: "
                f"{r.reason or 'not estimable'}",
            )  # fmt: skip
            continue
        a_lo, a_hi = feldt_interval(r.alpha, r.n_respondents, k, confidence)
        o_lo = o_hi = None
        if r.omega is not None:
            try:
                oi = omega_interval(pool, confidence, n_boot, gen)
                o_lo, o_hi = oi.lower, oi.upper
            except ScoringError:
                pass
        out[scale] = ScaleEvidence(
            scale=scale, method="alpha", n=r.n_respondents, n_items=k,
            reliability=r.reliability, low=max(0.0, float(a_lo)), high=float(a_hi),
            alpha=r.alpha, alpha_low=float(a_lo), alpha_high=float(a_hi), omega=r.omega,
            omega_low=o_lo, omega_high=o_hi, sd=r.sd, sem=r.sem,
            reason="; ".join(r.notes) or None,
        )  # fmt: skip
    return out


def scale_correlations(pomp: np.ndarray) -> np.ndarray:
    """Pearson correlations between scales (S × S), each over the people with both scores
    (pairwise, as the covariances behind alpha); NaN where fewer than three share them or a
    scale does not vary."""
    x = np.asarray(pomp, dtype=float)
    if x.ndim != 2:
        raise ScoringError("pomp must be n × scales")
    present = ~np.isnan(x)
    x0 = np.where(present, x, 0.0)
    p = present.astype(float)
    n = p.T @ p
    sx = x0.T @ p  # Σ x_i over rows where j is present
    sxx = (x0**2).T @ p
    sxy = x0.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / n, sx.T / n
        cov = sxy / n - mx * my
        vx = sxx / n - mx**2
        vy = vx.T
        r = cov / np.sqrt(vx * vy)
    r = np.where((n >= 3) & (vx > 1e-12) & (vy > 1e-12), np.clip(r, -1.0, 1.0), np.nan)
    np.fill_diagonal(r, np.where(np.isnan(np.diag(r)), np.nan, 1.0))
    return r
