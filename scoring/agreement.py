"""Agreement within groups: may individual ratings be averaged into a group score?

ICC(1) and ICC(2) from a one-way random-effects ANOVA (Bliese, 2000, "Within-group
agreement, non-independence, and reliability", in Klein & Kozlowski (eds.), *Multilevel
theory, research, and methods in organizations*, 349–381).  ICC(1) is the share of rating
variance due to group membership (the reliability of one member's rating as a measure of the
group); ICC(2) is the reliability of the group mean.  Vectorised over columns: ``values`` may be
n × p (p variables rated by the same people, one ICC pair per column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import fdtrc

from scoring.errors import ScoringError


@dataclass(frozen=True, eq=False)
class ICCResult:
    """ICC(1), ICC(2) and the ANOVA behind them; arrays of shape (p,) (0-d for 1-D input)."""

    icc1: np.ndarray
    icc2: np.ndarray
    msb: np.ndarray  # mean square between groups, df G − 1
    msw: np.ndarray  # mean square within groups, df N − G
    f: np.ndarray  # MSB / MSW
    p_value: np.ndarray  # upper tail of F(G − 1, N − G)
    k: float  # group size used in ICC(1)
    n_groups: int
    n: int

    def to_dict(self) -> dict[str, object]:
        return {
            "icc1": np.asarray(self.icc1).tolist(),
            "icc2": np.asarray(self.icc2).tolist(),
            "msb": np.asarray(self.msb).tolist(),
            "msw": np.asarray(self.msw).tolist(),
            "f": np.asarray(self.f).tolist(),
            "p_value": np.asarray(self.p_value).tolist(),
            "k": self.k,
            "n_groups": self.n_groups,
            "n": self.n,
        }


def icc1_icc2(
    values: np.ndarray,
    groups: np.ndarray,
    k: Literal["adjusted", "mean"] = "adjusted",
) -> ICCResult:
    """ICC(1) = (MSB − MSW)/(MSB + (k − 1)·MSW) and ICC(2) = (MSB − MSW)/MSB.

    One-way ANOVA of ``values`` (n, or n × p) on the group labels ``groups`` (n).  With equal
    group sizes k is that size.  With unequal sizes ``k="adjusted"`` (default) uses the ANOVA
    coefficient k = (N − Σ n_g²/N)/(G − 1) (the multiplier of the between-group variance in
    E[MSB]; Bliese, 2000, following Bartko, 1976), so ICC(1) is the ANOVA estimator of the
    intraclass correlation; ``k="mean"`` uses N/G as R's ``multilevel::ICC1`` does.  ICC(2)
    does not involve k.  NaN values are not allowed (drop those ratings first).  Raises
    ScoringError for fewer than two groups, no within-group replication (N = G), or a
    column whose group means do not differ at all (MSB = 0: ICC(2) undefined).
    """
    y = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    one = y.ndim == 1
    if one:
        y = y[:, None]
    if y.ndim != 2 or g.ndim != 1 or g.shape[0] != y.shape[0]:
        raise ScoringError("icc1_icc2: values (n or n × p) and groups (n) must agree")
    if not np.isfinite(y).all():
        raise ScoringError("icc1_icc2: values must be finite (drop missing ratings first)")
    if k not in ("adjusted", "mean"):
        raise ScoringError("k must be 'adjusted' or 'mean'")
    _, inv, sizes = np.unique(g, return_inverse=True, return_counts=True)
    n_groups, n = sizes.size, y.shape[0]
    if n_groups < 2:
        raise ScoringError("icc1_icc2 needs at least two groups")
    if n <= n_groups:
        raise ScoringError("icc1_icc2 needs at least one group with two or more members")
    sums = np.zeros((n_groups, y.shape[1]))
    np.add.at(sums, inv, y)
    means = sums / sizes[:, None]
    grand = y.mean(axis=0)
    ssb = (sizes[:, None] * (means - grand) ** 2).sum(axis=0)
    ssw = ((y - means[inv]) ** 2).sum(axis=0)
    df_b, df_w = n_groups - 1, n - n_groups
    msb, msw = ssb / df_b, ssw / df_w
    scale = np.maximum(np.abs(y - grand).max(axis=0), 1.0)
    flat = np.flatnonzero(msb <= 1e-24 * scale**2)
    if flat.size:
        raise ScoringError(
            f"column(s) {', '.join(map(str, flat))}: the group means are identical, "
            "so ICC(2) is undefined"
        )
    kk = (n - float((sizes**2).sum()) / n) / df_b if k == "adjusted" else n / n_groups
    icc1 = (msb - msw) / (msb + (kk - 1.0) * msw)
    icc2 = (msb - msw) / msb
    with np.errstate(divide="ignore"):
        f = np.where(msw > 0, msb / np.where(msw > 0, msw, 1.0), np.inf)
    p = np.where(np.isfinite(f), fdtrc(df_b, df_w, np.where(np.isfinite(f), f, 0.0)), 0.0)

    def out(a: np.ndarray) -> np.ndarray:
        return np.asarray(a[0] if one else a, dtype=float)

    return ICCResult(
        icc1=out(icc1), icc2=out(icc2), msb=out(msb), msw=out(msw), f=out(f), p_value=out(p),
        k=float(kk), n_groups=int(n_groups), n=int(n),
    )  # fmt: skip
