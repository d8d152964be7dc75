"""Thurstonian IRT scoring of forced-choice triplets (Brown & Maydeu-Olivares, 2011).

Why forced choice: a candidate who agrees with every desirable Likert
statement scores high on everything.  In a triplet of statements from three
different competencies, matched on social desirability, the candidate can
only say which one is *most* and which *least* like them, so "everything
good" is not an available answer.  Ranks are ipsative; the Thurstonian IRT
model recovers normative (between-person comparable) trait levels from them.

Model.  Statement i measures trait t(i) with loading λ_i (negative for a
negatively keyed statement), mean utility (intercept) μ_i and uniqueness
ψ²_i; its utility is t_i = μ_i + λ_i η_t(i) + ε_i, ε_i ~ N(0, ψ²_i).  A
triplet at positions a < b < c is coded as three binary outcomes (Brown's
coding): y_ab, y_ac, y_bc, with y_ij = 1 when i is preferred to j, and

    P(y_ij = 1 | η) = Φ((μ_i − μ_j + λ_i η_t(i) − λ_j η_t(j)) / √(ψ²_i + ψ²_j)).

Scoring is MAP with prior η ~ N(0, Σ) (identity by default): a vectorised
Newton-Raphson over all respondents at once, with step halving and an
iteration cap, and standard errors from the inverse of the negative Hessian
at the mode (observed information of the binary outcomes plus the prior
precision).  As in the standard MAP scoring of Brown & Maydeu-Olivares, the
local dependence of the three outcomes of one triplet (they share the
statements' errors ε) is ignored for scoring: the outcomes are treated as
conditionally independent given η.  The estimates are consistent; the
information is slightly overstated for triplets (the tests check the 90 %
intervals still cover about 90 % on a realistic design).

Utilities are in the metric where the trait has variance 1 and a statement's
total utility variance is λ² + ψ² = 1, hence the default ψ² = 1 − λ².
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_ndtr, ndtr

from questionnaires.model import Instrument
from scoring.errors import ScoringError

DEFAULT_LOADING = 0.8
DESIRABILITY_MIN = 1.0
DESIRABILITY_MAX = 9.0
DESIRABILITY_CENTER = 5.0  # neutral desirability -> mean utility 0
DESIRABILITY_PER_SD = 2.0  # two rating points = one SD of utility
MAX_ITER = 50
MAX_HALVINGS = 30
TOL = 1e-6  # largest Newton step (θ metric) at convergence
POMP_CENTER = 50.0
POMP_PER_SD = 15.0  # same SD as DEFAULT_POMP_SD in reliability.py

# positions of Brown's three binary outcomes inside a triplet: {0,1}, {0,2}, {1,2}
PAIR_FIRST = np.array([0, 0, 1])
PAIR_SECOND = np.array([1, 2, 2])
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _vector(name: str, values: ArrayLike, n: int | None = None) -> np.ndarray:
    a = np.array(values, dtype=float)
    if a.ndim != 1:
        raise ScoringError(f"{name} must be one value per statement, got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ScoringError(f"{name} has {a.shape[0]} values for {n} statements")
    if not np.isfinite(a).all():
        raise ScoringError(f"{name} must be finite numbers")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ForcedChoiceDesign:
    """Statement parameters and triplets of a forced-choice block set, validated.

    ``uniqueness`` defaults to 1 − λ² (unit total utility variance); pass it
    explicitly when the parameters come from a calibration.
    """

    n_traits: int
    trait: np.ndarray  # (statements,) int trait index
    loading: np.ndarray  # (statements,) λ, negative = negatively keyed
    intercept: np.ndarray  # (statements,) μ
    blocks: np.ndarray  # (blocks, 3) statement indices
    uniqueness: np.ndarray | None = field(default=None)  # (statements,) ψ²

    def __post_init__(self) -> None:
        if int(self.n_traits) != self.n_traits or self.n_traits < 1:
            raise ScoringError(f"n_traits must be a positive integer, got {self.n_traits!r}")
        trait_f = np.asarray(self.trait, dtype=float)
        if trait_f.ndim != 1 or trait_f.size == 0:
            raise ScoringError("trait must give one trait index per statement")
        if not np.isfinite(trait_f).all() or (trait_f != np.round(trait_f)).any():
            raise ScoringError("trait indices must be whole numbers")
        trait = trait_f.astype(np.intp)
        s = trait.shape[0]
        bad = np.flatnonzero((trait < 0) | (trait >= self.n_traits))
        if bad.size:
            raise ScoringError(
                f"statement {bad[0]} has unknown trait index {trait[bad[0]]} "
                f"(n_traits = {self.n_traits})"
            )
        loading = _vector("loading", self.loading, s)
        intercept = _vector("intercept", self.intercept, s)
        if self.uniqueness is None:
            uniq = 1.0 - loading**2
            bad = np.flatnonzero(uniq <= 0)
            if bad.size:
                raise ScoringError(
                    f"statement {bad[0]}: uniqueness ψ² = 1 − λ² = {uniq[bad[0]]:g} must be > 0 "
                    "(|loading| < 1, or pass uniqueness)"
                )
            uniq.setflags(write=False)
        else:
            uniq = _vector("uniqueness", self.uniqueness, s)
            bad = np.flatnonzero(uniq <= 0)
            if bad.size:
                raise ScoringError(
                    f"statement {bad[0]}: uniqueness ψ² = {uniq[bad[0]]:g} must be > 0"
                )
        blocks_f = np.asarray(self.blocks, dtype=float)
        if blocks_f.ndim != 2 or blocks_f.shape[1] != 3 or blocks_f.shape[0] == 0:
            raise ScoringError(
                f"blocks must be (blocks × 3) statement indices, got {blocks_f.shape}"
            )
        if not np.isfinite(blocks_f).all() or (blocks_f != np.round(blocks_f)).any():
            raise ScoringError("block entries must be whole statement indices")
        blocks = blocks_f.astype(np.intp)
        bad = np.flatnonzero(((blocks < 0) | (blocks >= s)).any(axis=1))
        if bad.size:
            raise ScoringError(f"block {bad[0]} names a statement outside 0..{s - 1}")
        srt = np.sort(blocks, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if bad.size:
            raise ScoringError(f"block {bad[0]} repeats a statement: {blocks[bad[0]].tolist()}")
        bt = np.sort(trait[blocks], axis=1)
        bad = np.flatnonzero((bt[:, 1:] == bt[:, :-1]).any(axis=1))
        if bad.size:
            raise ScoringError(
                f"block {bad[0]} has two statements of one trait "
                f"(traits {trait[blocks[bad[0]]].tolist()})"
            )
        unmeasured = np.setdiff1d(np.arange(self.n_traits), trait[blocks.ravel()])
        if unmeasured.size:
            raise ScoringError(f"trait {unmeasured[0]} appears in no block")
        trait.setflags(write=False)
        blocks.setflags(write=False)
        object.__setattr__(self, "n_traits", int(self.n_traits))
        object.__setattr__(self, "trait", trait)
        object.__setattr__(self, "loading", loading)
        object.__setattr__(self, "intercept", intercept)
        object.__setattr__(self, "uniqueness", uniq)
        object.__setattr__(self, "blocks", blocks)

    @property
    def n_blocks(self) -> int:
        return int(self.blocks.shape[0])

    @property
    def n_statements(self) -> int:
        return int(self.trait.shape[0])

    @cached_property
    def pair_design(self) -> tuple[np.ndarray, np.ndarray]:
        """(c, A): z = c + η Aᵀ for the 3·blocks binary outcomes, in block order."""
        first = self.blocks[:, PAIR_FIRST].ravel()
        second = self.blocks[:, PAIR_SECOND].ravel()
        scale = np.sqrt(self.uniqueness[first] + self.uniqueness[second])
        c = (self.intercept[first] - self.intercept[second]) / scale
        a = np.zeros((first.size, self.n_traits))
        rows = np.arange(first.size)
        a[rows, self.trait[first]] += self.loading[first] / scale
        a[rows, self.trait[second]] -= self.loading[second] / scale
        return c, a


def design_from_desirability(
    n_traits: int,
    trait: ArrayLike,
    desirability: ArrayLike,
    negative: ArrayLike,
    blocks: ArrayLike,
    *,
    loading: float = DEFAULT_LOADING,
) -> ForcedChoiceDesign:
    """A-priori parameters from the instrument's fields, before any calibration.

    - loading λ = ±``loading`` (0.8, a typical standardised loading of a good
      personality statement), negative for a negatively keyed statement;
    - uniqueness ψ² = 1 − λ² (0.36), i.e. unit total utility variance;
    - intercept μ = (d − 5) / 2 for a desirability rating d on the 1-9 scale:
      a neutral statement (5) has mean utility 0 and every two rating points
      are one SD of utility, so the scale's ends are μ = ±2.  Desirability
      is what makes a statement generally preferred, which is exactly what
      the intercept captures; ±2 SD keeps the most and least desirable
      statements of an instrument plausible rather than certain choices.
    """
    d = _vector("desirability", desirability)
    if ((d < DESIRABILITY_MIN) | (d > DESIRABILITY_MAX)).any():
        raise ScoringError("desirability ratings must be on the 1-9 scale")
    neg = np.asarray(negative, dtype=bool)
    if neg.shape != d.shape:
        raise ScoringError("negative must flag every statement (same length as desirability)")
    if not 0 < loading < 1:
        raise ScoringError(f"default loading must be in (0, 1), got {loading}")
    lam = np.where(neg, -loading, loading)
    mu = (d - DESIRABILITY_CENTER) / DESIRABILITY_PER_SD
    return ForcedChoiceDesign(
        n_traits=n_traits, trait=np.asarray(trait), loading=lam, intercept=mu, blocks=blocks
    )


def _check_ranks(design: ForcedChoiceDesign, ranks: ArrayLike) -> np.ndarray:
    r = np.asarray(ranks, dtype=float)
    if r.ndim == 2:
        r = r[None]
    if r.ndim != 3 or r.shape[1:] != (design.n_blocks, 3):
        raise ScoringError(
            f"ranks must be (respondents × {design.n_blocks} blocks × 3), got {np.shape(ranks)}"
        )
    miss = np.isnan(r)
    partial = miss.any(axis=2) & ~miss.all(axis=2)
    if partial.any():
        who, blk = np.argwhere(partial)[0]
        raise ScoringError(f"respondent {who}, block {blk}: ranks partly missing")
    ok = (np.sort(np.where(miss, 0, r), axis=2) == [1, 2, 3]).all(axis=2) | miss.all(axis=2)
    if not ok.all():
        who, blk = np.argwhere(~ok)[0]
        raise ScoringError(
            f"respondent {who}, block {blk}: ranks {r[who, blk].tolist()} are not 1, 2, 3"
        )
    return r


def binary_outcomes(design: ForcedChoiceDesign, ranks: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Brown's coding: (y, observed), each respondents × 3·blocks, in block order.

    y = 1 when the first statement of the pair is ranked above the second;
    a missing block makes all three of its outcomes unobserved (y = 0 there).
    """
    r = _check_ranks(design, ranks)
    observed = ~np.isnan(r[:, :, PAIR_FIRST])
    y = r[:, :, PAIR_FIRST] < r[:, :, PAIR_SECOND]  # NaN compares False
    n = r.shape[0]
    return y.reshape(n, -1), observed.reshape(n, -1)


def _precision(design: ForcedChoiceDesign, prior_cov: ArrayLike | None) -> np.ndarray:
    t = design.n_traits
    if prior_cov is None:
        return np.eye(t)
    cov = np.asarray(prior_cov, dtype=float)
    if cov.shape != (t, t) or not np.isfinite(cov).all() or not np.allclose(cov, cov.T):
        raise ScoringError(f"prior_cov must be a symmetric finite {t} × {t} matrix")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise ScoringError("prior_cov must be positive definite") from exc
    return np.linalg.inv(cov)


def _posterior(
    c: np.ndarray,
    a: np.ndarray,
    sign: np.ndarray,
    precision: np.ndarray,
    eta: np.ndarray,
    derivatives: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Log posterior (up to a constant), its gradient and the negative Hessian, per row.

    ``sign`` is +1 / −1 for y = 1 / 0 and 0 for an unobserved outcome, so
    each term is log Φ(sign · z); log_ndtr keeps it finite far in the tails.
    """
    z = c + eta @ a.T
    u = sign * z
    obs = sign != 0
    logp = np.where(obs, log_ndtr(u), 0.0).sum(axis=1)
    value = logp - 0.5 * np.einsum("nt,tu,nu->n", eta, precision, eta)
    if not derivatives:
        return value, None, None
    mills = np.exp(-0.5 * u**2 - _LOG_SQRT_2PI - log_ndtr(u))  # φ(u) / Φ(u)
    grad = (sign * mills) @ a - eta @ precision
    w = np.where(obs, mills * (u + mills), 0.0)  # −d² log Φ(u) / dz² ≥ 0
    neg_hess = np.einsum("np,pt,pu->ntu", w, a, a, optimize=True) + precision
    return value, grad, neg_hess


def log_posterior(
    design: ForcedChoiceDesign,
    ranks: ArrayLike,
    eta: ArrayLike,
    prior_cov: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log posterior of η per respondent (without constants), gradient and −Hessian.

    Exposed so tests can check the derivatives against finite differences.
    """
    y, observed = binary_outcomes(design, ranks)
    e = np.asarray(eta, dtype=float).reshape(y.shape[0], design.n_traits)
    c, a = design.pair_design
    sign = np.where(observed, np.where(y, 1.0, -1.0), 0.0)
    value, grad, neg_hess = _posterior(c, a, sign, _precision(design, prior_cov), e)
    assert grad is not None and neg_hess is not None
    return value, grad, neg_hess


@dataclass(frozen=True, eq=False)
class ThurstonianScores:
    """MAP trait estimates (θ, standard-normal metric) per respondent.

    ``n_blocks`` = 0 means nothing was answered and the estimate is the
    prior (0 with the prior SD): the caller must treat it as missing.
    ``converged`` is False when the iteration cap was hit.
    """

    theta: np.ndarray  # (n, traits)
    se: np.ndarray  # (n, traits)
    n_blocks: np.ndarray  # (n,) blocks answered
    converged: np.ndarray  # (n,) bool
    iterations: np.ndarray  # (n,) Newton steps taken

    def to_dict(self) -> dict[str, object]:
        return {
            "theta": self.theta.tolist(),
            "se": self.se.tolist(),
            "n_blocks": self.n_blocks.tolist(),
            "converged": self.converged.tolist(),
            "iterations": self.iterations.tolist(),
        }


def score(
    design: ForcedChoiceDesign,
    ranks: ArrayLike,
    prior_cov: ArrayLike | None = None,
    *,
    max_iter: int = MAX_ITER,
    tol: float = TOL,
) -> ThurstonianScores:
    """MAP trait estimates and SEs for every respondent at once.

    ``ranks``: respondents × blocks × 3, the rank (1 most like me, 2, 3
    least like me) of the statement at each block position, NaN for an
    unanswered block.  Newton-Raphson from η = 0; a step that lowers the
    log posterior is halved (up to 30 times).  The posterior is strictly
    log-concave (log Φ is concave, the prior is Gaussian), so the mode is
    unique and Newton converges in a handful of steps.
    """
    y, observed = binary_outcomes(design, ranks)
    n, t = y.shape[0], design.n_traits
    c, a = design.pair_design
    precision = _precision(design, prior_cov)
    sign = np.where(observed, np.where(y, 1.0, -1.0), 0.0)
    eta = np.zeros((n, t))
    converged = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.intp)
    active = np.arange(n)
    for _ in range(max_iter):
        if active.size == 0:
            break
        e, sg = eta[active], sign[active]
        value, grad, neg_hess = _posterior(c, a, sg, precision, e)
        assert grad is not None and neg_hess is not None
        delta = np.linalg.solve(neg_hess, grad[..., None])[..., 0]
        step = np.ones(active.size)
        new = e + delta
        new_value = _posterior(c, a, sg, precision, new, derivatives=False)[0]
        for _h in range(MAX_HALVINGS):
            worse = new_value < value - 1e-12 * np.abs(value)
            if not worse.any():
                break
            step[worse] *= 0.5
            new[worse] = e[worse] + step[worse, None] * delta[worse]
            new_value[worse] = _posterior(
                c, a, sg[worse], precision, new[worse], derivatives=False
            )[0]
        eta[active] = new
        iterations[active] += 1
        done = np.abs(step[:, None] * delta).max(axis=1) < tol
        converged[active[done]] = True
        active = active[~done]
    neg_hess = _posterior(c, a, sign, precision, eta)[2]
    assert neg_hess is not None
    cov = np.linalg.inv(neg_hess)
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    n_blocks = observed[:, ::3].sum(axis=1).astype(np.intp)
    return ThurstonianScores(
        theta=eta, se=se, n_blocks=n_blocks, converged=converged, iterations=iterations
    )


def simulate(
    design: ForcedChoiceDesign, true_traits: ArrayLike, rng: np.random.Generator
) -> np.ndarray:
    """Ranks (respondents × blocks × 3) under the model: t = μ + λη + ε, ε ~ N(0, ψ²).

    Each statement's utility is drawn once per respondent and the three
    statements of a block are ranked by it (1 = highest utility).
    """
    eta = np.asarray(true_traits, dtype=float)
    if eta.ndim != 2 or eta.shape[1] != design.n_traits or not np.isfinite(eta).all():
        raise ScoringError(f"true_traits must be finite (respondents × {design.n_traits})")
    n = eta.shape[0]
    b = design.blocks
    eps = rng.standard_normal((n, b.shape[0], 3)) * np.sqrt(design.uniqueness[b])
    util = design.intercept[b] + design.loading[b] * eta[:, design.trait[b]] + eps
    order = np.argsort(-util, axis=2)
    return (np.argsort(order, axis=2) + 1).astype(float)


@dataclass(frozen=True, eq=False)
class PompScores:
    """θ on the product's 0-100 metric; ``clipped`` marks values cut at 0 or 100."""

    score: np.ndarray
    se: np.ndarray
    clipped: np.ndarray


def to_pomp(theta: ArrayLike, se: ArrayLike) -> PompScores:
    """Map θ (standard-normal metric) to 50 + 15·θ clipped to [0, 100], SE to 15·SE.

    Linear, so an interval θ ± z·SE maps exactly onto score ± z·SE' (up to
    the clipping, which only happens beyond ±3.33 SD); the SD of 15 is the
    product's default POMP SD (reliability.DEFAULT_POMP_SD), so the Likert
    and forced-choice scores have comparable spread in the composite.  The
    prior mean (the average candidate of the calibration population) is 50.
    """
    th = np.asarray(theta, dtype=float)
    s = np.asarray(se, dtype=float)
    if th.shape != s.shape:
        raise ScoringError(f"theta {th.shape} and se {s.shape} must have the same shape")
    if not (np.isfinite(th).all() and np.isfinite(s).all()) or (s < 0).any():
        raise ScoringError("theta and se must be finite, se non-negative")
    raw = POMP_CENTER + POMP_PER_SD * th
    clipped = (raw < 0) | (raw > 100)
    return PompScores(score=np.clip(raw, 0.0, 100.0), se=POMP_PER_SD * s, clipped=clipped)


def outcome_probability(design: ForcedChoiceDesign, eta: ArrayLike) -> np.ndarray:
    """P(y = 1 | η) for every binary outcome (respondents × 3·blocks)."""
    c, a = design.pair_design
    return ndtr(c + np.asarray(eta, dtype=float) @ a.T)


__all__ = [
    "ForcedChoiceDesign",
    "PompScores",
    "ThurstonianScores",
    "binary_outcomes",
    "design_from_desirability",
    "design_of",
    "log_posterior",
    "outcome_probability",
    "ranks_of",
    "score",
    "simulate",
    "to_pomp",
]


# -- adapters from the instrument definition (assessment v2) ----------------------


def design_of(
    instrument: Instrument,
) -> tuple[ForcedChoiceDesign, tuple[str, ...], tuple[str, ...]]:
    """(design, trait_keys, item_keys) of the instrument's forced-choice blocks.

    Traits are the competency scales some block measures, in the instrument's
    scale order; statements are numbered block by block in questionnaire order
    (block j holds statements 3j, 3j + 1, 3j + 2 in the item's order), with the
    a-priori parameters of :func:`design_from_desirability` from each
    statement's ``desirability`` and ``reverse``.  Why a function of the
    instrument: the parameters live next to the statements, so the app and the
    tests score exactly the shipped design.
    """
    blocks = [it for it in instrument.iter_items() if it.type == "forced_choice"]
    if not blocks:
        raise ScoringError(f"instrument {instrument.key!r} has no forced-choice blocks")
    measured = {st.scale for it in blocks for st in it.statements}
    known = set(instrument.scale_keys)
    unknown = sorted(measured - known)
    if unknown:
        raise ScoringError(f"forced-choice statements name unknown scale(s) {unknown}")
    traits = tuple(s.key for s in instrument.scales if s.key in measured)
    index = {t: i for i, t in enumerate(traits)}
    statements = []
    for it in blocks:
        if len(it.statements) != 3:
            raise ScoringError(f"block {it.key!r} has {len(it.statements)} statements, not 3")
        statements.extend(it.statements)
    design = design_from_desirability(
        len(traits),
        [index[st.scale] for st in statements],
        [st.desirability for st in statements],
        [st.reverse for st in statements],
        np.arange(len(statements)).reshape(-1, 3),
    )
    return design, traits, tuple(it.key for it in blocks)


def ranks_of(instrument: Instrument, answers: Sequence[Mapping[str, object]]) -> np.ndarray:
    """Stored answers → ranks (respondents × blocks × 3) for :func:`score`.

    A block's answer is ``[most_key, least_key]``: two different statement keys
    of the block; most gets rank 1, least rank 3, the third statement rank 2.
    Anything else — absent, None, a wrong length, an unknown or repeated key —
    leaves the whole block NaN (unanswered), as the brief for the app asks: a
    half-valid ranking carries no usable comparison.  Blocks are in the order of
    :func:`design_of`.
    """
    blocks = [it for it in instrument.iter_items() if it.type == "forced_choice"]
    out = np.full((len(answers), len(blocks), 3), np.nan)
    for j, it in enumerate(blocks):
        pos = {st.key: k for k, st in enumerate(it.statements)}
        for r, a in enumerate(answers):
            v = a.get(it.key)
            if isinstance(v, str | bytes) or not isinstance(v, Sequence) or len(v) != 2:
                continue
            m, le = v[0], v[1]
            most = pos.get(m) if isinstance(m, str) else None
            least = pos.get(le) if isinstance(le, str) else None
            if most is None or least is None or most == least:
                continue
            out[r, j] = 2.0
            out[r, j, most] = 1.0
            out[r, j, least] = 3.0
    return out
