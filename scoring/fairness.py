"""Adverse impact of a cut score: selection rates, impact ratios, four-fifths rule.

Uniform Guidelines on Employee Selection Procedures (1978), 29 CFR 1607.4(D):
a selection rate for any group below four-fifths (80 %) of the rate of the
group with the highest rate is generally regarded as evidence of adverse
impact; differences resting on small numbers may not be.  So very small
groups are still reported, but apart, and are not judged by the ratio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    excluded_missing: int
    flags: tuple[str, ...]

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
            "flags": list(self.flags),
            "source": "Uniform Guidelines on Employee Selection Procedures (1978) §4D",
        }


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
    scoring-rate variant) counts scores strictly above the pool median.  Rows
    with a missing score or group are excluded and counted.  Groups under
    ``small_share`` of the pool are reported in ``small_groups`` with their
    rate and ratio but no adverse flag; the reference group is the
    highest-rate group among the others.
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
    missing_group = np.equal(g, None) | (np.where(np.equal(g, None), "", g).astype(str) == "")
    keep = ~np.isnan(s) & ~missing_group
    excluded = int((~keep).sum())
    s, g = s[keep], g[keep].astype(str)
    n = len(s)
    if n == 0:
        raise ScoringError("no scored candidates with a group to compare")
    if method == "cut":
        if cut is None or not np.isfinite(cut):
            raise ScoringError("method 'cut' needs a finite cut score")
        used_cut = float(cut)
        sel = s >= used_cut
    else:
        used_cut = float(np.median(s))
        sel = s > used_cut
    labels, codes = np.unique(g, return_inverse=True)
    codes = codes.reshape(-1)
    counts = np.bincount(codes, minlength=len(labels))
    chosen = np.bincount(codes, weights=sel.astype(float), minlength=len(labels))
    rates = chosen / counts
    small = counts < small_share * n
    flags: list[str] = []
    if excluded:
        flags.append(f"{excluded} row(s) without a score or group excluded")
    big = ~small
    if big.sum() < 2:
        flags.append("fewer than two groups large enough to compare")
    ref_rate = float(rates[big].max()) if big.any() else 0.0
    ref_idx = int(np.flatnonzero(big)[np.argmax(rates[big])]) if big.any() else None
    if ref_rate <= 0:
        flags.append("no one in the compared groups was selected: impact ratios undefined")
        ratios = np.full(len(labels), np.nan)
        ref_idx = None
    else:
        ratios = rates / ref_rate
    if sel.sum() == 0:
        flags.append("no one selected")
    if sel.all():
        flags.append("everyone selected")

    out_big: list[GroupRate] = []
    out_small: list[GroupRate] = []
    for i, label in enumerate(labels):
        ratio = None if np.isnan(ratios[i]) else float(ratios[i])
        adverse = None if (small[i] or ratio is None) else bool(ratio < threshold)
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
