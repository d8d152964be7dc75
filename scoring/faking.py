"""Faking and careless-responding evidence: overclaiming, unlikely virtues, elevation,
self-versus-interview discrepancy.

Why: a candidate who describes themselves in the desirable direction
everywhere gets high Likert scores and no quality flag (issue #16).  Each
index here is a separate piece of evidence with its own documented cut-off;
a flag prompts a review and never changes a score.  Every function takes
many respondents at once and returns the values, the number of answers
behind them, ``evaluable`` (enough answers to compute the index) and
``flagged`` (evaluable and beyond the cut-off).  A non-evaluable value is
NaN and is never flagged.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from questionnaires.model import Instrument, Item
from scoring.errors import ScoringError
from scoring.scales import json_lists

# overclaiming (familiarity 0..6, Paulhus et al. 2003 format)
FAMILIARITY_MAX = 6
CLAIM_AT = 4  # rating ≥ 4 of 0..6 ("fairly familiar" or more) = claims to know it
MAX_FALSE_ALARM_RATE = 0.5  # flag when half or more of the foils are claimed
MIN_FOILS = 3
MIN_REAL = 3
# unlikely virtues (agreement on the 0-1 metric)
MAX_UNLIKELY_VIRTUES = 0.75  # flag at mean agreement ≥ 0.75 ("agree" on 5 points)
MIN_VIRTUE_ITEMS = 3
# profile elevation (desirable pole, 0-1 metric)
MAX_ELEVATION = 0.9  # flag when the mean exceeds 0.9 (4.6 of 5, 6.4 of 7)
MIN_ELEVATION_ITEMS = 5
# self-versus-interview discrepancy (0-100 both)
MAX_DISCREPANCY = 15.0  # flag when self − interview exceeds 15 points (one POMP SD)
MIN_SHARED_COMPETENCIES = 3


@dataclass(frozen=True, eq=False)
class Overclaiming:
    """Signal detection on familiarity claims; all arrays have length n."""

    hit_rate: np.ndarray  # raw share of real concepts claimed
    false_alarm_rate: np.ndarray  # raw share of foils claimed
    d_prime: np.ndarray  # log-linear corrected
    criterion: np.ndarray  # c, log-linear corrected; negative = liberal claiming
    n_real: np.ndarray
    n_foils: np.ndarray
    evaluable: np.ndarray
    flagged: np.ndarray

    def to_dict(self) -> dict[str, object]:
        return {name: json_lists(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class IndexEvidence:
    """One index per respondent: value, answers behind it, evaluable, flagged."""

    value: np.ndarray
    n_items: np.ndarray
    evaluable: np.ndarray
    flagged: np.ndarray

    def to_dict(self) -> dict[str, object]:
        return {name: json_lists(getattr(self, name)) for name in self.__dataclass_fields__}


def _matrix(name: str, values: ArrayLike) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ScoringError(f"{name} must be a 2-D matrix (respondents × items), got {x.shape}")
    if np.isinf(x).any():
        raise ScoringError(f"{name} must be finite numbers or NaN")
    return x


def overclaiming(
    ratings: ArrayLike,
    is_foil: ArrayLike,
    *,
    claim_at: int = CLAIM_AT,
    max_false_alarm_rate: float = MAX_FALSE_ALARM_RATE,
    max_rating: int = FAMILIARITY_MAX,
) -> Overclaiming:
    """Overclaiming of familiarity with real customer-experience concepts and foils.

    A rating ≥ ``claim_at`` claims the concept.  Hit rate H = claimed real /
    answered real, false-alarm rate F = claimed foils / answered foils.
    d' = z(H') − z(F') and c = −(z(H') + z(F')) / 2 use the log-linear
    correction (Hautus 1995): H' = (hits + 0.5) / (real + 1), F' likewise,
    so they stay finite at 0 and 1.  The flag uses the raw F ≥ 0.5, not c:
    a genuine expert knows every real concept (high H) and so has a liberal
    c without claiming anything that does not exist, while claiming foils is
    the direct evidence of overclaiming.  Evaluable with at least 3 answered
    real concepts and 3 answered foils.
    """
    x = _matrix("ratings", ratings)
    foil = np.asarray(is_foil, dtype=bool)
    if foil.shape != (x.shape[1],):
        raise ScoringError(f"is_foil must flag each of the {x.shape[1]} concepts")
    if not 0 < claim_at <= max_rating:
        raise ScoringError(f"claim_at must be in 1..{max_rating}")
    answered = ~np.isnan(x)
    if (answered & ((x < 0) | (x > max_rating) | (x != np.round(x)))).any():
        raise ScoringError(f"familiarity ratings must be whole numbers 0..{max_rating}")
    claimed = answered & (x >= claim_at)
    n_real = (answered & ~foil).sum(axis=1)
    n_foils = (answered & foil).sum(axis=1)
    hits = (claimed & ~foil).sum(axis=1)
    fas = (claimed & foil).sum(axis=1)
    evaluable = (n_real >= MIN_REAL) & (n_foils >= MIN_FOILS)
    zh = ndtri((hits + 0.5) / (n_real + 1.0))
    zf = ndtri((fas + 0.5) / (n_foils + 1.0))
    nan = np.full(x.shape[0], np.nan)
    h = np.where(evaluable, hits / np.maximum(n_real, 1), nan)
    f = np.where(evaluable, fas / np.maximum(n_foils, 1), nan)
    return Overclaiming(
        hit_rate=h,
        false_alarm_rate=f,
        d_prime=np.where(evaluable, zh - zf, nan),
        criterion=np.where(evaluable, -(zh + zf) / 2.0, nan),
        n_real=n_real.astype(np.intp),
        n_foils=n_foils.astype(np.intp),
        evaluable=evaluable,
        flagged=evaluable & (np.nan_to_num(f) >= max_false_alarm_rate),
    )


def _unit(x: np.ndarray, points: int | ArrayLike, reverse: ArrayLike | None) -> np.ndarray:
    """Answers 1..P on the 0-1 metric, reversed items turned to the desirable pole."""
    p = np.broadcast_to(np.asarray(points), (x.shape[1],))
    if p.dtype.kind not in "iu" or (p < 2).any():
        raise ScoringError("points must be whole numbers ≥ 2")
    answered = ~np.isnan(x)
    if (answered & ((x < 1) | (x > p) | (x != np.round(x)))).any():
        raise ScoringError("answers must be whole numbers 1..points")
    u = (x - 1) / (p - 1)
    if reverse is not None:
        rev = np.asarray(reverse, dtype=bool)
        if rev.shape != (x.shape[1],):
            raise ScoringError(f"reverse must flag each of the {x.shape[1]} items")
        u = np.where(rev, 1 - u, u)
    return u


def _mean_index(u: np.ndarray, min_items: int, cut: float, strict: bool) -> IndexEvidence:
    n_items = (~np.isnan(u)).sum(axis=1)
    evaluable = n_items >= min_items
    total = np.where(np.isnan(u), 0.0, u).sum(axis=1)
    value = np.where(evaluable, total / np.maximum(n_items, 1), np.nan)
    v = np.nan_to_num(value, nan=-np.inf)
    flagged = evaluable & ((v > cut) if strict else (v >= cut))
    return IndexEvidence(value=value, n_items=n_items.astype(np.intp), evaluable=evaluable,
                         flagged=flagged)  # fmt: skip


def unlikely_virtues(
    answers: ArrayLike,
    points: int | ArrayLike = 5,
    *,
    cut: float = MAX_UNLIKELY_VIRTUES,
) -> IndexEvidence:
    """Mean agreement (0-1) with virtues almost nobody can truthfully claim.

    Statements like "I have never been annoyed by a customer" (after the
    unlikely-virtues scales of Tellegen's MPQ and Hough 1998): value = mean
    of (answer − 1) / (P − 1); flagged at ≥ 0.75, i.e. agreeing on average;
    evaluable with at least 3 answers.
    """
    x = _matrix("answers", answers)
    return _mean_index(_unit(x, points, None), MIN_VIRTUE_ITEMS, cut, strict=False)


def profile_elevation(
    answers: ArrayLike,
    points: int | ArrayLike = 5,
    reverse: ArrayLike | None = None,
    *,
    cut: float = MAX_ELEVATION,
) -> IndexEvidence:
    """Mean self-rating on the desirable pole (0-1), flagged above 0.9.

    Raw Likert answers 1..P; ``reverse`` marks negatively keyed items, whose
    desirable pole is the bottom.  Honest candidates average about 0.7 with a
    between-person SD of about 0.1 (3.8 of 5, SD 0.45 points); a mean above
    0.9 (4.6 of 5) is two SDs up and means near-top answers almost everywhere.
    Evaluable with at least 5 answers.
    """
    x = _matrix("answers", answers)
    return _mean_index(_unit(x, points, reverse), MIN_ELEVATION_ITEMS, cut, strict=True)


def self_interview_discrepancy(
    self_scores: ArrayLike,
    interview: ArrayLike,
    *,
    cut: float = MAX_DISCREPANCY,
) -> IndexEvidence:
    """Mean signed difference self − interview (0-100 both) over shared competencies.

    Only competencies with both scores count; evaluable with at least 3.
    Flagged when the mean exceeds 15 points (one SD of the POMP metric):
    the self-description is systematically rosier than what interviewers saw.
    """
    s = _matrix("self_scores", self_scores)
    i = _matrix("interview", interview)
    if s.shape != i.shape:
        raise ScoringError(f"self_scores {s.shape} and interview {i.shape} must match")
    for name, m in (("self_scores", s), ("interview", i)):
        if ((m < 0) | (m > 100)).any():  # NaN compares False
            raise ScoringError(f"{name} must be on the 0-100 metric")
    diff = s - i  # NaN where either is missing
    return _mean_index(diff, MIN_SHARED_COMPETENCIES, cut, strict=True)


__all__ = [
    "IndexEvidence",
    "Overclaiming",
    "elevation_of",
    "familiarity_of",
    "overclaiming",
    "profile_elevation",
    "self_interview_discrepancy",
    "unlikely_virtues",
    "virtues_of",
]


# -- adapters from the instrument definition (assessment v2) ----------------------


def _answer_matrix(
    items: Sequence[Item], answers: Sequence[Mapping[str, object]], low: int, high: Sequence[int]
) -> np.ndarray:
    """n × items of whole answers low..high[j]; NaN = missing; ScoringError names bad ones."""
    out = np.full((len(answers), len(items)), np.nan)
    for j, it in enumerate(items):
        for r, a in enumerate(answers):
            v = a.get(it.key)
            if v is None:
                continue
            if (
                isinstance(v, bool)
                or not isinstance(v, numbers.Real)
                or not math.isfinite(v)
                or v != int(v)
                or not low <= v <= high[j]
            ):
                raise ScoringError(f"item {it.key!r}: answer {v!r} is not a whole {low}..{high[j]}")
            out[r, j] = float(v)
    return out


def _likert_items(instrument: Instrument, validity: bool) -> list[Item]:
    kinds = {s.key: s.is_validity for s in instrument.scales}
    return [
        it
        for it in instrument.iter_items()
        if it.type == "likert"
        and it.attention is None
        and it.segment is None
        and it.scale is not None
        and kinds.get(it.scale) is validity
    ]


def familiarity_of(
    instrument: Instrument, answers: Sequence[Mapping[str, object]]
) -> tuple[np.ndarray, np.ndarray]:
    """(ratings n × concepts on 0..6, is_foil) of the familiarity items, for :func:`overclaiming`.

    A foil is an item with ``real`` False.  No familiarity items: a n × 0 matrix
    (the index is then not evaluable).
    """
    items = [it for it in instrument.iter_items() if it.type == "familiarity"]
    ratings = _answer_matrix(items, answers, 0, [FAMILIARITY_MAX] * len(items))
    return ratings, np.array([it.real is False for it in items], dtype=bool)


def virtues_of(
    instrument: Instrument, answers: Sequence[Mapping[str, object]]
) -> tuple[np.ndarray, np.ndarray]:
    """(answers n × items 1..P, points) of the unlikely-virtues statements.

    These are the likert items of the instrument's *validity* scales (v2: the
    ``unlikely_virtues`` scale), attention checks excluded.
    """
    items = _likert_items(instrument, validity=True)
    points = [int(it.points or 5) for it in items]
    return _answer_matrix(items, answers, 1, points), np.array(points, dtype=np.intp)


def elevation_of(
    instrument: Instrument, answers: Sequence[Mapping[str, object]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(answers n × items 1..P, points, reverse) of the competency self-ratings.

    The likert items of competency scales (attention checks and segment
    questions excluded); ``reverse`` marks the items whose desirable pole is the
    bottom, for :func:`profile_elevation`.
    """
    items = _likert_items(instrument, validity=False)
    points = [int(it.points or 5) for it in items]
    return (
        _answer_matrix(items, answers, 1, points),
        np.array(points, dtype=np.intp),
        np.array([bool(it.reverse) for it in items], dtype=bool),
    )
