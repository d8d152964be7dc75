"""Adverse impact of a cut score: selection rates, impact ratios, four-fifths rule.

Uniform Guidelines on Employee Selection Procedures (1978), 29 CFR 1607.4(D):
a selection rate for any group below four-fifths (80 %) of the rate of the
group with the highest rate is generally regarded as evidence of adverse
impact; differences resting on small numbers may not be.  So very small
groups are still reported, but apart, and are not judged by the ratio.

The four-fifths comparison is made on the integer counts (exact rational
arithmetic): in floats 32/100 ÷ 40/100 is 0.7999999999999999, which would
call a ratio of exactly 0.8 adverse.  Missing group labels (None, NaN,
``pd.NA``, "") are not a group: those rows are counted as ``unknown``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError

FOUR_FIFTHS = 0.8
SMALL_GROUP_SHARE = 0.02
METHODS = ("cut", "median")


@dataclass(frozen=True)
class GroupRate:
    """Selection figures of one group."""

    group: str
    n: int
    selected: int
    rate: float
    impact_ratio: float | None  # rate / reference rate; None when the reference rate is 0
    adverse: bool | None  # ratio < 0.8; None when not evaluated (small group or no reference)
    small: bool
    is_reference: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AdverseImpactResult:
    """Rates for every group; small groups are listed apart, never dropped."""

    method: str
    cut: float
    n_pool: int
    n_selected: int
    groups: tuple[GroupRate, ...]
    small_groups: tuple[GroupRate, ...]
    reference_group: str | None
    threshold: float
    excluded_missing: int  # rows without a score or a group label
    flags: tuple[str, ...]
    unknown: int = 0  # scored rows whose group label is missing (not a group)
    unknown_selected: int = 0  # of those, selected (they count toward the median)

    @property
    def any_adverse(self) -> bool:
        return any(g.adverse for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "cut": self.cut,
            "n_pool": self.n_pool,
            "n_selected": self.n_selected,
            "groups": [g.to_dict() for g in self.groups],
            "small_groups": [g.to_dict() for g in self.small_groups],
            "reference_group": self.reference_group,
            "threshold": self.threshold,
            "any_adverse": self.any_adverse,
            "excluded_missing": self.excluded_missing,
            "unknown": self.unknown,
            "unknown_selected": self.unknown_selected,
            "flags": list(self.flags),
            "source": "Uniform Guidelines on Employee Selection Procedures (1978) §4D",
        }


def is_unknown_label(label: object) -> bool:
    """True for a missing group label: None, NaN, ``pd.NA``/``NaT`` or an empty string.

    Checked without importing pandas; ``str(nan)`` would otherwise become a
    group called "nan".
    """
    if label is None:
        return True
    if type(label).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(label, float | np.floating):
        return math.isnan(label)
    if isinstance(label, str | np.str_):
        return label == ""
    return False


def _unknown_mask(groups: np.ndarray) -> np.ndarray:
    return np.fromiter((is_unknown_label(x) for x in groups), dtype=bool, count=len(groups))


def _exact(threshold: float | Fraction) -> Fraction:
    """The threshold as written (0.8 -> 4/5), not the binary float's expansion."""
    if isinstance(threshold, Fraction):
        return threshold
    return Fraction(repr(float(threshold)))


def is_adverse(
    selected: int, n: int, ref_selected: int, ref_n: int, threshold: float | Fraction = FOUR_FIFTHS
) -> bool:
    """(selected/n) / (ref_selected/ref_n) < threshold, decided on the integers.

    Cross-multiplied, so a ratio of exactly the threshold (e.g. 32/100
    against 40/100) is never adverse through float rounding.
    """
    if n <= 0 or ref_n <= 0 or ref_selected <= 0:
        raise ScoringError("is_adverse needs non-empty groups and a reference rate above 0")
    t = _exact(threshold)
    return selected * ref_n * t.denominator < t.numerator * ref_selected * n


def intersectional_groups(
    *columns: Sequence[object] | ArrayLike, sep: str = " × "
) -> list[str | None]:
    """Combined categories (e.g. sex × race/ethnicity) from two or more label columns.

    A row missing its label in any column has no intersectional category
    (None, counted as unknown by :func:`adverse_impact`): guessing one part
    would put the person in a group they may not belong to.
    """
    if len(columns) < 2:
        raise ScoringError("intersectional groups need at least two label columns")
    cols = [np.asarray(c, dtype=object).reshape(-1) for c in columns]
    if len({len(c) for c in cols}) != 1:
        raise ScoringError(f"label columns differ in length: {[len(c) for c in cols]}")
    return [
        None if any(is_unknown_label(x) for x in row) else sep.join(str(x) for x in row)
        for row in zip(*cols, strict=True)
    ]


def adverse_impact(
    scores: ArrayLike,
    groups: Sequence[str | None] | ArrayLike,
    cut: float | None = None,
    method: str = "cut",
    threshold: float = FOUR_FIFTHS,
    small_share: float = SMALL_GROUP_SHARE,
) -> AdverseImpactResult:
    """Selection rate per group and impact ratio against the highest-rate group.

    ``method='cut'`` selects scores ≥ ``cut``; ``method='median'`` (the
    scoring-rate variant of NYC Local Law 144) counts scores strictly above
    the median of the FULL sample — every scored row, labelled or not, since
    the rules define the scoring rate against the sample's median score.
    Rows with a missing score are excluded; rows with a missing group label
    (None, NaN, ``pd.NA``, "") are excluded from the groups and counted in
    ``unknown``.  Groups under ``small_share`` of the labelled pool are
    reported in ``small_groups`` with their rate and ratio but no adverse
    flag; the reference group is the highest-rate group among the others.
    Rates are compared exactly on the counts (a ratio of exactly
    ``threshold`` is not adverse).
    """
    if method not in METHODS:
        raise ScoringError(f"unknown method {method!r}; use one of {METHODS}")
    s = np.asarray(scores, dtype=float)
    g = np.asarray(groups, dtype=object)
    if s.ndim != 1 or g.shape != s.shape:
        raise ScoringError(
            f"scores and groups must be 1-d of equal length, got {s.shape} and {g.shape}"
        )
    if not 0 < threshold <= 1:
        raise ScoringError("threshold must lie in (0, 1]")
    scored = ~np.isnan(s)
    unknown = _unknown_mask(g)
    if method == "cut":
        if cut is None or not np.isfinite(cut):
            raise ScoringError("method 'cut' needs a finite cut score")
        used_cut = float(cut)
        sel_all = s >= used_cut
    else:
        if not scored.any():
            raise ScoringError("no scored candidates with a group to compare")
        used_cut = float(np.median(s[scored]))  # the full sample, labelled or not
        sel_all = s > used_cut
    keep = scored & ~unknown
    n_unknown = int((scored & unknown).sum())
    unknown_selected = int((scored & unknown & sel_all).sum())
    excluded = int((~keep).sum())
    sel, g = sel_all[keep], g[keep]
    n = int(keep.sum())
    if n == 0:
        raise ScoringError("no scored candidates with a group to compare")
    labels, codes = np.unique(g.astype(str), return_inverse=True)
    codes = codes.reshape(-1)
    counts = np.bincount(codes, minlength=len(labels))
    chosen = np.bincount(codes, weights=sel, minlength=len(labels)).astype(np.int64)
    rates = chosen / counts
    small = counts < small_share * n
    flags: list[str] = []
    if excluded:
        flags.append(f"{excluded} row(s) without a score or group excluded")
    if n_unknown:
        flags.append(
            f"{n_unknown} scored row(s) with an unknown group ({unknown_selected} selected)"
        )
    big = ~small
    if big.sum() < 2:
        flags.append("fewer than two groups large enough to compare")
    # Reference: the highest rate among the compared groups, found on exact fractions.
    exact = [Fraction(int(c), int(k)) for c, k in zip(chosen, counts, strict=True)]
    ref_idx = max(np.flatnonzero(big).tolist(), key=lambda i: exact[i], default=None)
    if ref_idx is None or exact[ref_idx] == 0:
        flags.append("no one in the compared groups was selected: impact ratios undefined")
        ref_idx = None
    if sel.sum() == 0:
        flags.append("no one selected")
    if sel.all():
        flags.append("everyone selected")

    out_big: list[GroupRate] = []
    out_small: list[GroupRate] = []
    for i, label in enumerate(labels):
        if ref_idx is None:
            ratio = adverse = None
        else:
            ratio = float(exact[i] / exact[ref_idx])  # correctly rounded: 4/5 -> 0.8
            adverse = None
            if not small[i]:
                adverse = is_adverse(
                    int(chosen[i]), int(counts[i]), int(chosen[ref_idx]), int(counts[ref_idx]),
                    threshold,
                )  # fmt: skip
        row = GroupRate(
            str(label),
            int(counts[i]),
            int(chosen[i]),
            float(rates[i]),
            ratio,
            adverse,
            bool(small[i]),
            i == ref_idx,
        )
        (out_small if small[i] else out_big).append(row)
    return AdverseImpactResult(
        method=method,
        cut=used_cut,
        n_pool=n,
        n_selected=int(sel.sum()),
        groups=tuple(out_big),
        small_groups=tuple(out_small),
        reference_group=None if ref_idx is None else str(labels[ref_idx]),
        threshold=threshold,
        excluded_missing=excluded,
        flags=tuple(flags),
        unknown=n_unknown,
        unknown_selected=unknown_selected,
    )


def adverse_impact_by(
    scores: ArrayLike,
    group_vars: Mapping[str, Sequence[str | None]],
    cut: float | None = None,
    method: str = "cut",
    threshold: float = FOUR_FIFTHS,
    small_share: float = SMALL_GROUP_SHARE,
) -> dict[str, AdverseImpactResult]:
    """:func:`adverse_impact` for several grouping variables (e.g. gender, ethnicity)."""
    return {
        name: adverse_impact(scores, labels, cut, method, threshold, small_share)
        for name, labels in group_vars.items()
    }
