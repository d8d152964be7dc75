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
from dataclasses import asdict, dataclass

import numpy as np

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
