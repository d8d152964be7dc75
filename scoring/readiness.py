"""Organisational readiness for a CCO: segment aggregates, index, stage, gaps.

Respondents are anonymous, so the first rule here is disclosure control: no
number describing fewer than ``k`` respondents (default 5) leaves this
module, and no combination of published numbers (totals minus cells, one
release minus an earlier one, margins of another table) can single out a
group of fewer than ``k`` either.  That rule lives in
:mod:`scoring.disclosure`; this module only says which sets it publishes.
The rest turns the eight dimension scores (POMP 0-100) into an index, a
maturity stage capped by the weakest critical dimension, gaps between
levels, and the sponsorship half of the interim-CEO rule.

Statements about other levels (what the board or senior leaders do) may be
answered "don't know": such answers are missing for every score and are
counted, per dimension and per item, in every published cell (and only
there: a count is published over exactly the sets whose n is, so it inherits
their protection).  Whether a dimension may be reported by level is judged by
ICC(1) and ICC(2) with levels as groups; agreement (r_wg(J)) is described
within each level, never over the pooled sample (pooling a board at 83 and a
front line at 30 can still read as "strong agreement"); and a gap between
levels is worded as a difference of perception (:func:`perception_gap`).

The interim-CEO rule of the source articles: the chief executive acts as
interim CCO only when **no candidate is ready yet and** the CEO has the vision
and the courage to carry the title, which the survey reads as *strong*
executive sponsorship (:data:`STRONG_SPONSORSHIP`).  The survey knows nothing
of candidates, so a release only says whether sponsorship is strong
(``ceo_interim``); :mod:`assessor.services.board_brief` adds the candidate
pool.  Weak sponsorship never makes the CEO the answer: winning the CEO and
the board over comes first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scoring.agreement import icc1_icc2
from scoring.disclosure import plan_publication
from scoring.errors import ScoringError

DIMENSIONS: tuple[str, ...] = (
    "education",
    "common_language",
    "demonstrating_value",
    "sponsorship",
    "voice_of_customer",
    "cross_functional",
    "cost_balance",
    "data_transparency",
)
LEVELS: tuple[str, ...] = ("board", "executive", "middle_management", "front_line")
TOP_LEVELS: tuple[str, ...] = ("board", "executive")
#: Dimensions without which a CCO cannot succeed whatever else is in place.
CRITICAL_DIMENSIONS: tuple[str, ...] = ("sponsorship", "voice_of_customer", "cross_functional")
#: (lower bound on the index, stage name) for stages 1..5. The names are those of
#: questionnaires/readiness/narratives.yaml (a test keeps the two in step).
STAGES: tuple[tuple[float, str], ...] = (
    (0.0, "Unaware"),
    (20.0, "Aware"),
    (40.0, "Committed"),
    (60.0, "Mobilised"),
    (80.0, "Customer-led"),
)
DEFAULT_K = 5
#: The allowed range of k for a round (the app asks for a reason below DEFAULT_K).
MIN_K = 3
MAX_K = 10
GAP_THRESHOLD = 15.0
#: Overall executive sponsorship (POMP) from which sponsorship counts as strong: enough
#: backing for the CEO to carry the CCO title as interim (below it, secure sponsorship first).
STRONG_SPONSORSHIP = 60.0
#: Aggregating individual answers to a level is justified when level membership explains a
#: non-trivial share of the variance, ICC(1) > ICC1_MIN, and the level means are reliable,
#: ICC(2) >= ICC2_MIN: the conventional guides of Bliese (2000) and LeBreton & Senter (2008).
ICC1_MIN = 0.05
ICC2_MIN = 0.70
#: Reading of r_wg(J) (LeBreton & Senter 2008, table 3): (lower bound, words); below the
#: last bound, "lack of agreement".
RWG_LABELS: tuple[tuple[float, str], ...] = (
    (0.9, "very strong agreement"),
    (0.7, "strong agreement"),
    (0.5, "moderate agreement"),
    (0.3, "weak agreement"),
)
NO_AGREEMENT = "lack of agreement"
#: From this many points apart a difference of perception is called "much" stronger.
LARGE_GAP = 30.0
#: How a level is named as the subject of a sentence: (name, "sees", "does").
PERCEIVERS: Mapping[str, tuple[str, str, str]] = {
    "board": ("the board", "sees", "does"),
    "executive": ("executives", "see", "do"),
    "middle_management": ("middle managers", "see", "do"),
    "front_line": ("the front line", "sees", "does"),
}
#: The tables produced, by segment keys.
TABLES: Mapping[str, tuple[str, ...]] = {
    "level": ("level",),
    "department": ("department",),
    "region": ("region",),
    "level_department": ("level", "department"),
}


def stage_of(score: ArrayLike) -> np.ndarray:
    """Maturity stage 1..5 for index values (thresholds 0/20/40/60/80)."""
    s = np.asarray(score, dtype=float)
    if np.any(np.isnan(s)):
        raise ScoringError("stage_of needs a score, got NaN")
    bounds = np.array([b for b, _ in STAGES[1:]])
    return np.searchsorted(bounds, s, side="right") + 1


def stage_name(stage: int) -> str:
    return STAGES[int(stage) - 1][1]


def agreement_label(value: float | None) -> str | None:
    """Words for an r_wg(J) value (:data:`RWG_LABELS`); None when there is no value.

    Only meaningful within a group that answers alike for the same reasons (a
    level): over a pooled sample a high value can hide levels far apart.
    """
    if value is None or np.isnan(value):
        return None
    for bound, words in RWG_LABELS:
        if value >= bound:
            return words
    return NO_AGREEMENT


def perception_gap(dimension: str, level_a: str, mean_a: float, level_b: str, mean_b: float) -> str:
    """A difference between two levels, said as a difference of perception.

    "The board sees executive sponsorship as much stronger than the front line
    does (83 against 30)."  The level that scores higher is the subject;
    ``dimension`` is the dimension's display name (``"index"``: the readiness
    index).  Never "agreement" or "resistance": a gap shows that levels see
    the company differently, not that one opposes the other.
    """
    (hi, hi_mean), (lo, lo_mean) = sorted(
        ((level_a, mean_a), (level_b, mean_b)), key=lambda p: -p[1]
    )
    who, sees, _ = PERCEIVERS.get(hi, (f"the {hi} level", "sees", "does"))
    other, _, does = PERCEIVERS.get(lo, (f"the {lo} level", "sees", "does"))
    much = "much " if hi_mean - lo_mean >= LARGE_GAP else ""
    what = (
        f"the organisation as {much}readier for a CCO"
        if dimension == "index"
        else f"{dimension[:1].lower() + dimension[1:]} as {much}stronger"
    )
    text = f"{who} {sees} {what} than {other} {does} ({hi_mean:.0f} against {lo_mean:.0f})."
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class LevelICC:
    """ICC(1) and ICC(2) of one dimension with the published levels as groups.

    ICC(1) is the share of the differences between respondents' scores that goes
    with their level; ICC(2) is the reliability of a level's mean.  Computed only
    over the level cells whose mean of the dimension is published, so it says
    nothing about a hidden group.
    """

    icc1: float
    icc2: float
    levels: int

    @property
    def justified(self) -> bool:
        """Whether reporting the dimension level by level is justified (see ICC1_MIN)."""
        return self.icc1 > ICC1_MIN and self.icc2 >= ICC2_MIN

    @property
    def verdict(self) -> str:
        """One line on what the two values mean for this dimension."""
        if self.icc1 <= ICC1_MIN:
            return "levels hardly differ: the organisation-wide figure describes this dimension"
        if self.icc2 < ICC2_MIN:
            return (
                "levels differ, but their averages are not yet dependable: read the "
                "level figures with care"
            )
        return "levels see this dimension differently, and each level's average is dependable"

    def to_dict(self) -> dict[str, Any]:
        return {"icc1": self.icc1, "icc2": self.icc2, "levels": self.levels}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelICC:
        return cls(float(data["icc1"]), float(data["icc2"]), int(data["levels"]))


def rwg(item_variance: ArrayLike, n_items: ArrayLike, options: int) -> np.ndarray:
    """r_wg(J) of James, Demaree & Wolf (1984) against the uniform null.

    r_wg(J) = J(1 − s̄²/σ²_EU) / (J(1 − s̄²/σ²_EU) + s̄²/σ²_EU), σ²_EU = (A² − 1)/12;
    J = 1 gives 1 − s²/σ²_EU.  When s̄² ≥ σ²_EU (more spread than random
    answering) the value is truncated to 0.  NaN where no variance is known.
    """
    if int(options) < 2:
        raise ScoringError("r_wg needs at least two response options")
    eu = (options**2 - 1) / 12.0
    x = np.asarray(item_variance, dtype=float) / eu
    j = np.asarray(n_items, dtype=float)
    ok = ~np.isnan(x) & (j > 0)
    xs = np.where(ok, x, 0.0)
    num = j * (1.0 - xs)
    den = num + xs
    val = np.where(xs < 1.0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.where(ok, np.clip(val, 0.0, 1.0), np.nan)


@dataclass(frozen=True)
class SegmentCell:
    """A published cell: at least ``k`` respondents; dimension values None if suppressed."""

    segment: Mapping[str, str]
    n: int
    mean: Mapping[str, float | None]
    sd: Mapping[str, float | None]
    rwg: Mapping[str, float | None] | None
    index: float | None
    #: Respondents of the cell who answered "don't know" to at least one item of each
    #: dimension, and to each item offering it; None when the release did not count them.
    dont_know: Mapping[str, int] | None = None
    dont_know_items: Mapping[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "segment": dict(self.segment),
            "n": self.n,
            "mean": dict(self.mean),
            "sd": dict(self.sd),
            "rwg": None if self.rwg is None else dict(self.rwg),
            "index": self.index,
        }
        if self.dont_know is not None:
            out["dont_know"] = dict(self.dont_know)
            out["dont_know_items"] = dict(self.dont_know_items or {})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentCell:
        """Inverse of :meth:`to_dict` (releases are stored as JSON and rendered later;
        those stored before "don't know" existed have no counts)."""
        rwg_ = data["rwg"]
        dk = data.get("dont_know")
        return cls(
            segment=dict(data["segment"]),
            n=int(data["n"]),
            mean=dict(data["mean"]),
            sd=dict(data["sd"]),
            rwg=None if rwg_ is None else dict(rwg_),
            index=data["index"],
            dont_know=None if dk is None else {k: int(v) for k, v in dk.items()},
            dont_know_items=None
            if dk is None
            else {k: int(v) for k, v in (data.get("dont_know_items") or {}).items()},
        )


@dataclass(frozen=True)
class SegmentTable:
    """Published cells and the labels (only) of suppressed ones."""

    by: tuple[str, ...]
    cells: tuple[SegmentCell, ...]
    suppressed: tuple[Mapping[str, str], ...]

    def cell(self, **labels: str) -> SegmentCell | None:
        for c in self.cells:
            if dict(c.segment) == labels:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "cells": [c.to_dict() for c in self.cells],
            "suppressed": [dict(s) for s in self.suppressed],
            "suppressed_count": len(self.suppressed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentTable:
        """Inverse of :meth:`to_dict` (``suppressed_count`` is derived, so ignored)."""
        return cls(
            by=tuple(data["by"]),
            cells=tuple(SegmentCell.from_dict(c) for c in data["cells"]),
            suppressed=tuple(dict(s) for s in data["suppressed"]),
        )


@dataclass(frozen=True)
class LevelGap:
    """A difference between two levels' means at or above the threshold (upper − lower)."""

    dimension: str
    upper: str
    lower: str
    upper_mean: float
    lower_mean: float
    gap: float
    top_vs_front: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelGap:
        """Inverse of :meth:`to_dict`."""
        return cls(**{f: data[f] for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ReadinessResult:
    """Everything the readiness report shows; no value rests on fewer than k respondents.

    What was published is exactly what is here: the overall set (when
    ``overall`` is not None) and the set of every cell in ``tables[*].cells``
    (its ``segment`` labels name it), each with its n; a dimension's mean,
    SD and r_wg were published over the cell's respondents who answered that
    dimension wherever ``mean[dimension]`` is not None.  Suppressed cells
    carry labels only.  :func:`published_sets` turns this back into
    membership sets over the respondents, for the next release's ``earlier``.
    """

    dimensions: tuple[str, ...]
    k: int
    overall: SegmentCell | None
    index: float | None
    stage: int | None
    stage_name: str | None
    uncapped_stage: int | None
    capped_by: str | None
    strongest: str | None
    weakest: str | None
    tables: Mapping[str, SegmentTable]
    gaps: tuple[LevelGap, ...]
    #: Sponsorship half of the interim-CEO rule: True when executive sponsorship is strong
    #: (the CEO could act as interim CCO if no candidate is ready), False when it is not
    #: (secure sponsorship first), None when the release cannot tell.
    ceo_interim: bool | None
    ceo_interim_reasons: tuple[str, ...]
    flags: tuple[str, ...] = field(default_factory=tuple)
    #: Per dimension, ICC(1)/ICC(2) over the published levels (None: not computable);
    #: empty for releases made before it was computed.
    icc: Mapping[str, LevelICC | None] = field(default_factory=dict)

    def within_levels(self, dimension: str) -> list[tuple[str, float | None]]:
        """(level, r_wg) of every published level cell for ``dimension``, top level first."""
        table = self.tables.get("level")
        if table is None:
            return []
        return [
            (c.segment["level"], None if c.rwg is None else c.rwg.get(dimension))
            for c in table.cells
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "k": self.k,
            "overall": None if self.overall is None else self.overall.to_dict(),
            "index": self.index,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "uncapped_stage": self.uncapped_stage,
            "capped_by": self.capped_by,
            "strongest": self.strongest,
            "weakest": self.weakest,
            "tables": {k: t.to_dict() for k, t in self.tables.items()},
            "gaps": [g.to_dict() for g in self.gaps],
            "ceo_interim": self.ceo_interim,
            "ceo_interim_reasons": list(self.ceo_interim_reasons),
            "flags": list(self.flags),
            "icc": {d: None if v is None else v.to_dict() for d, v in self.icc.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadinessResult:
        """Inverse of :meth:`to_dict`: ``from_dict(r.to_dict()).to_dict() == r.to_dict()``."""
        overall = data["overall"]
        cell = None if overall is None else SegmentCell.from_dict(overall)
        interim = interim_sponsorship(cell)
        return cls(
            dimensions=tuple(data["dimensions"]),
            k=int(data["k"]),
            overall=cell,
            index=data["index"],
            stage=data["stage"],
            stage_name=data["stage_name"],
            uncapped_stage=data["uncapped_stage"],
            capped_by=data["capped_by"],
            strongest=data["strongest"],
            weakest=data["weakest"],
            tables={k: SegmentTable.from_dict(t) for k, t in data["tables"].items()},
            gaps=tuple(LevelGap.from_dict(g) for g in data["gaps"]),
            # Recomputed, never read: releases stored before the rule was corrected hold
            # ``ceo_interim`` under the old rule (True when sponsorship was *low*).
            ceo_interim=interim.strong,
            ceo_interim_reasons=interim.reasons,
            flags=tuple(data.get("flags", ())),
            icc={
                d: None if v is None else LevelICC.from_dict(v)
                for d, v in (data.get("icc") or {}).items()
            },
        )


def _moments(codes: np.ndarray, g: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group count of observed values, mean and sample variance (two-pass), NaN-aware."""
    seen = ~np.isnan(x)
    xz = np.where(seen, x, 0.0)
    d = x.shape[1]
    cnt = np.empty((g, d))
    tot = np.empty((g, d))
    for j in range(d):  # columns, not respondents: bincount is the fast group sum
        cnt[:, j] = np.bincount(codes, weights=seen[:, j], minlength=g)
        tot[:, j] = np.bincount(codes, weights=xz[:, j], minlength=g)
    mean = np.where(cnt > 0, tot / np.where(cnt > 0, cnt, 1.0), np.nan)
    dev2 = np.where(seen, xz - np.nan_to_num(mean[codes]), 0.0) ** 2
    ss = np.empty((g, d))
    for j in range(d):
        ss[:, j] = np.bincount(codes, weights=dev2[:, j], minlength=g)
    var = np.where(cnt > 1, ss / np.where(cnt > 1, cnt - 1, 1.0), np.nan)
    return cnt, mean, var


def _weighted_index(means: np.ndarray, weights: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Weighted mean of dimension means over ``used`` dimensions; NaN if any used one is missing."""
    m = means[..., used]
    w = weights[used] / weights[used].sum()
    ok = ~np.isnan(m).any(axis=-1)
    return np.where(ok, np.nan_to_num(m) @ w, np.nan)


def _label_text(segments: Mapping[str, Sequence[str | None]], b: str, n: int) -> np.ndarray:
    """Segment ``b``'s labels as text, "" where not given (None or empty)."""
    arr = np.asarray(segments[b], dtype=object)
    if arr.shape != (n,):
        raise ScoringError(f"segment {b!r} has {arr.shape} labels for {n} respondents")
    return np.where(np.equal(arr, None), "", arr).astype(str)


def _labels(
    segments: Mapping[str, Sequence[str | None]], by: tuple[str, ...], n: int
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Rows with every label present, their cell codes, and each cell's labels."""
    valid = np.ones(n, dtype=bool)
    uniqs: list[np.ndarray] = []
    codes_per: list[np.ndarray] = []
    for b in by:
        text = _label_text(segments, b, n)
        valid &= text != ""
        u, c = np.unique(text, return_inverse=True)
        uniqs.append(u)
        codes_per.append(c.reshape(-1))
    combined = np.zeros(n, dtype=np.int64)
    for u, c in zip(uniqs, codes_per, strict=True):
        combined = combined * len(u) + c
    keys, codes = np.unique(combined[valid], return_inverse=True)
    groups: list[tuple[str, ...]] = []
    for key in keys:
        parts: list[str] = []
        rest = int(key)
        for u in reversed(uniqs):
            rest, r = divmod(rest, len(u))
            parts.append(str(u[r]))
        groups.append(tuple(reversed(parts)))
    return valid, codes.reshape(-1), groups


def _order(groups: list[tuple[str, ...]], by: tuple[str, ...]) -> list[int]:
    def rank(g: tuple[str, ...]) -> tuple[Any, ...]:
        out: list[Any] = []
        for b, v in zip(by, g, strict=True):
            out.append((LEVELS.index(v), "") if b == "level" and v in LEVELS else (len(LEVELS), v))
        return tuple(out)

    return sorted(range(len(groups)), key=lambda i: rank(groups[i]))


class _Stats:
    """Moments of one grouping, plus the suppression mask (cells × (dims + 1), last = n).

    The mask starts as "everything hidden" and is opened by the publication plan.
    """

    def __init__(
        self,
        x: np.ndarray,
        codes: np.ndarray,
        g: int,
        items: np.ndarray | None,
        unknown: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.cnt, self.mean, self.var = _moments(codes, g, x)
        self.rows = np.bincount(codes, minlength=g).astype(float)
        self.item_var = None
        self.item_cnt = None
        if items is not None:
            self.item_cnt, _, self.item_var = _moments(codes, g, items)
        self.sup = np.ones((g, x.shape[1] + 1), dtype=bool)
        #: "don't know" counts per cell: by dimension (g × d) and by item (g × m)
        self.dk_dims: np.ndarray | None = None
        self.dk_items: np.ndarray | None = None
        if unknown is not None:
            by_item, by_dim = unknown
            self.dk_items = _group_counts(codes, g, by_item)
            self.dk_dims = _group_counts(codes, g, by_dim)


def _group_counts(codes: np.ndarray, g: int, flags: np.ndarray) -> np.ndarray:
    """Per group, how many rows have each column's flag set."""
    out = np.zeros((g, flags.shape[1]), dtype=np.int64)
    for j in range(flags.shape[1]):
        out[:, j] = np.bincount(codes, weights=flags[:, j], minlength=g).astype(np.int64)
    return out


def _rwg_table(
    st: _Stats, item_dims: np.ndarray, dims: tuple[str, ...], options: int
) -> np.ndarray:
    assert st.item_var is not None
    out = np.full((st.item_var.shape[0], len(dims)), np.nan)
    for d, name in enumerate(dims):
        cols = np.flatnonzero(item_dims == name)
        if len(cols) == 0:
            continue
        v = st.item_var[:, cols]
        have = ~np.isnan(v)
        j = have.sum(axis=1)
        sbar = np.where(j > 0, np.where(have, v, 0.0).sum(axis=1) / np.where(j > 0, j, 1), np.nan)
        out[:, d] = rwg(sbar, j, options)
    return out


def _cell(
    segment: Mapping[str, str],
    st: _Stats,
    i: int,
    dims: tuple[str, ...],
    rwg_row: np.ndarray | None,
    weights: np.ndarray,
    used: np.ndarray,
    dk_keys: Sequence[str] = (),
) -> SegmentCell:
    hid = st.sup[i, :-1]
    mean = np.where(hid, np.nan, st.mean[i])
    sd = np.where(hid, np.nan, np.sqrt(st.var[i]))

    def f(v: float) -> float | None:
        return None if np.isnan(v) else float(v)

    r = None
    if rwg_row is not None:
        r = {d: f(v) for d, v in zip(dims, np.where(hid, np.nan, rwg_row), strict=True)}
    idx = _weighted_index(mean, weights, used) if used.any() else np.nan
    dk = dk_items = None
    if st.dk_dims is not None and st.dk_items is not None:
        # published over the cell's respondents, like its n: only ever for a published cell
        dk = {d: int(c) for d, c in zip(dims, st.dk_dims[i], strict=True)}
        dk_items = {key: int(c) for key, c in zip(dk_keys, st.dk_items[i], strict=True)}
    return SegmentCell(
        segment=dict(segment),
        n=int(st.rows[i]),
        mean={d: f(v) for d, v in zip(dims, mean, strict=True)},
        sd={d: f(v) for d, v in zip(dims, sd, strict=True)},
        rwg=r,
        index=f(float(idx)),
        dont_know=dk,
        dont_know_items=dk_items,
    )


def _earlier(sets: ArrayLike | None, n: int, what: str) -> np.ndarray:
    """Earlier releases' sets as an e × n boolean matrix (validated)."""
    if sets is None:
        return np.zeros((0, n), dtype=bool)
    a = np.asarray(sets)
    if a.size == 0:
        return np.zeros((0, n), dtype=bool)
    if a.ndim != 2 or a.shape[1] != n:
        raise ScoringError(f"{what} must be a sets × {n} membership matrix, got shape {a.shape}")
    if a.dtype != bool:
        if not np.all((a == 0) | (a == 1)):
            raise ScoringError(f"{what} must be boolean (0/1) membership")
        a = a.astype(bool)
    return a


def _plan(
    stats: Mapping[str, tuple[_Stats, list[tuple[str, ...]]]],
    members: np.ndarray,
    answered: np.ndarray,
    dims: tuple[str, ...],
    k: int,
    earlier: np.ndarray,
    earlier_dims: Mapping[str, np.ndarray],
) -> list[str]:
    """Decide what is published and open the suppression masks in ``stats``; return flags.

    Candidates are the overall set then every cell of every table, in the
    order of ``stats``.  Priority: the overall longest, then one-way tables
    in TABLES order, then two-way tables; within a table larger cells first.
    The counts (n) are one family of sets; each distinct pattern of who
    answered a dimension is another (the cells whose n is published,
    intersected with the answerers).
    """
    names = list(stats)
    listed = list(TABLES)
    order = sorted(names, key=lambda m: (len(TABLES[m]), listed.index(m)) if m else (0, 0))
    tier = np.concatenate([np.full(len(stats[m][1]), len(names) - order.index(m)) for m in names])
    scale = members.shape[1] + 1.0
    flags: list[str] = []

    def plan(fixed: np.ndarray, cand: np.ndarray, tiers: np.ndarray, what: str) -> np.ndarray:
        result = plan_publication(fixed, cand, k, tiers * scale + cand.sum(axis=1))
        if result.fixed_unsafe:
            flags.append(
                f"earlier releases already single out fewer than k = {k} respondents "
                f"({what}): nothing new is published for it"
            )
        if result.inexact:
            flags.append(f"the disclosure check gave up on a hard case ({what}): more is withheld")
        return result.published

    pub_n = plan(earlier, members, tier, "respondent counts")
    live = np.flatnonzero(pub_n)
    pub = np.zeros((len(members), len(dims)), dtype=bool)
    families: dict[bytes, tuple[np.ndarray, np.ndarray, list[int]]] = {}
    for j, d in enumerate(dims):
        mask = answered[:, j]
        fixed = earlier_dims.get(d, earlier) & mask
        fixed = fixed[fixed.sum(axis=1) >= k]  # a smaller one was never published (primary rule)
        key = len(fixed).to_bytes(8, "little") + np.packbits(mask).tobytes()
        key += np.packbits(fixed).tobytes()
        families.setdefault(key, (mask, fixed, []))[2].append(j)
    for mask, fixed, cols in families.values() if len(live) else ():
        if mask.all() and np.array_equal(fixed, earlier):
            ok = np.ones(len(live), dtype=bool)  # the very system just checked for the counts
        else:
            what = "answers to " + ", ".join(dims[c] for c in cols)
            if len(earlier) and any(dims[c] not in earlier_dims for c in cols):
                what += "; earlier means taken as published wherever n was"
            ok = plan(fixed, members[live] & mask, tier[live], what)
        pub[np.ix_(live[ok], cols)] = True

    start = 0
    for name in names:
        st, groups = stats[name]
        stop = start + len(groups)
        st.sup = ~np.column_stack([pub[start:stop], pub_n[start:stop]])
        start = stop
    return flags


@dataclass(frozen=True)
class InterimSponsorship:
    """Whether executive sponsorship is strong enough for the CEO to act as interim CCO."""

    #: True: strong (≥ STRONG_SPONSORSHIP); False: not strong; None: not known.
    strong: bool | None
    sponsorship: float | None
    reasons: tuple[str, ...]


def sponsorship_rule(
    sponsorship: float | None, threshold: float = STRONG_SPONSORSHIP
) -> InterimSponsorship:
    """The sponsorship half of the interim-CEO rule, on an overall sponsorship mean (POMP).

    A boundary score counts as strong.  None (unpublished or never measured)
    leaves the question open: the survey cannot tell whether the CEO has the
    backing, so whoever uses the answer must judge it another way.
    """
    if sponsorship is None or np.isnan(sponsorship):
        return InterimSponsorship(
            None, None, ("executive sponsorship could not be published: the survey cannot tell",)
        )
    value = float(sponsorship)
    if value >= threshold:
        why = f"executive sponsorship {value:.1f} is at least {threshold:g}: strong"
        return InterimSponsorship(True, value, (why,))
    why = f"executive sponsorship {value:.1f} is below {threshold:g}: not strong"
    return InterimSponsorship(False, value, (why,))


def interim_sponsorship(overall: SegmentCell | None) -> InterimSponsorship:
    """:func:`sponsorship_rule` on a release's overall cell (None: too few responses).

    Used both when aggregating and when reading a stored release, so a release
    stored under an older rule is judged by today's rule from its own figures.
    """
    if overall is None:
        return InterimSponsorship(None, None, ("too few responses to judge",))
    return sponsorship_rule(overall.mean.get("sponsorship"))


def aggregate_readiness(
    scores: ArrayLike,
    segments: Mapping[str, Sequence[str | None]],
    dimensions: Sequence[str] = DIMENSIONS,
    k: int = DEFAULT_K,
    item_responses: ArrayLike | None = None,
    item_dimensions: Sequence[str] | None = None,
    response_options: int = 5,
    dimension_weights: Mapping[str, float] | None = None,
    gap_threshold: float = GAP_THRESHOLD,
    critical: Sequence[str] = CRITICAL_DIMENSIONS,
    *,
    earlier: ArrayLike | None = None,
    earlier_means: Mapping[str, ArrayLike] | None = None,
    dont_know: ArrayLike | None = None,
    dont_know_items: Sequence[str] | None = None,
    dont_know_dimensions: Sequence[str] | None = None,
) -> ReadinessResult:
    """Aggregate n respondents' dimension scores (n × d POMP, NaN = missing).

    ``segments`` maps level / department / region to n labels (None = not
    given; such respondents count overall but in no cell of that table).
    Optional raw item responses (n × J on a 1..A scale, with each item's
    dimension) add r_wg per cell.  See scoring/README.md for every rule.

    ``earlier`` (e × n, boolean, over these same n respondents) holds the
    sets whose n earlier releases of the round published (respondents not
    yet in an earlier release are simply not members); nothing published
    now may, together with them, single out fewer than k respondents.
    Their dimension means count as published over the same sets, which is
    conservative; ``earlier_means`` (dimension → sets whose mean of that
    dimension was published) makes it exact.  :func:`published_sets` builds
    both from stored results.

    ``dont_know`` (n × m, boolean) marks the "don't know" answers to the m
    items that offer it (``dont_know_items``, their keys; ``dont_know_dimensions``,
    their dimensions).  Those answers must already be missing in ``scores`` and
    ``item_responses``; here they are counted in every published cell.

    Per dimension, ICC(1) and ICC(2) with levels as groups are computed over
    the level cells whose mean of it is published (``icc``; None with fewer
    than two such levels or identical level means).
    """
    try:
        x = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"readiness scores must be numeric: {exc}") from exc
    dims = tuple(dimensions)
    if x.ndim != 2 or x.shape[1] != len(dims):
        raise ScoringError(f"readiness scores must be n × {len(dims)}, got shape {x.shape}")
    n = x.shape[0]
    if n == 0 or np.all(np.isnan(x)):
        raise ScoringError("no readiness scores to aggregate (no respondents or all missing)")
    if np.any(np.isinf(x)) or np.any((x < 0) | (x > 100)):
        raise ScoringError("readiness scores must be POMP values in [0, 100]")
    if int(k) < 1:
        raise ScoringError("suppression threshold k must be at least 1")
    k = int(k)
    unknown_crit = [c for c in critical if c not in dims]
    if unknown_crit:
        raise ScoringError(f"critical dimensions {unknown_crit} are not among the dimensions")
    if "sponsorship" not in dims:
        raise ScoringError("the dimensions must include 'sponsorship' for the interim-CCO rule")
    if dimension_weights is None:
        weights = np.ones(len(dims))
    else:
        bad = set(dimension_weights) - set(dims)
        if bad:
            raise ScoringError(f"weights for unknown dimensions {sorted(bad)}")
        weights = np.array([float(dimension_weights.get(d, 0.0)) for d in dims])
        if np.any(~np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ScoringError("dimension weights must be non-negative with a positive sum")

    items = None
    item_dims = None
    if item_responses is not None:
        items = np.asarray(item_responses, dtype=float)
        if items.ndim != 2 or items.shape[0] != n:
            raise ScoringError(f"item responses must be n × J with n = {n}, got {items.shape}")
        if item_dimensions is None or len(item_dimensions) != items.shape[1]:
            raise ScoringError("item_dimensions must name the dimension of every item column")
        item_dims = np.asarray(list(item_dimensions), dtype=object)
        ok = ~np.isnan(items)
        if np.any((items[ok] < 1) | (items[ok] > response_options)):
            raise ScoringError(f"item responses must lie in 1..{response_options}")

    unknown = _dont_know(dont_know, dont_know_items, dont_know_dimensions, dims, n)
    dk_keys = tuple(dont_know_items or ()) if unknown is not None else ()

    earlier_sets = _earlier(earlier, n, "earlier")
    earlier_dims = {
        d: _earlier(s, n, f"earlier_means[{d!r}]") for d, s in (earlier_means or {}).items()
    }
    strange = sorted(set(earlier_dims) - set(dims))
    if strange:
        raise ScoringError(f"earlier_means for unknown dimensions {strange}")

    flags: list[str] = []
    ov = _Stats(x, np.zeros(n, dtype=int), 1, items, unknown)
    stats: dict[str, tuple[_Stats, list[tuple[str, ...]]]] = {"": (ov, [()])}
    members: list[np.ndarray] = [np.ones((1, n), dtype=bool)]
    level_rows: tuple[np.ndarray, np.ndarray] | None = None
    for name, by in TABLES.items():
        if not all(b in segments for b in by):
            continue
        valid, codes, groups = _labels(segments, by, n)
        g = len(groups)
        st = _Stats(
            x[valid],
            codes,
            g,
            None if items is None else items[valid],
            None if unknown is None else (unknown[0][valid], unknown[1][valid]),
        )
        stats[name] = (st, groups)
        if name == "level":
            level_rows = (valid, codes)
        cell_members = np.zeros((g, n), dtype=bool)
        cell_members[codes, np.flatnonzero(valid)] = True
        members.append(cell_members)
    plan_flags = _plan(stats, np.vstack(members), ~np.isnan(x), dims, k, earlier_sets, earlier_dims)

    # overall
    used = (ov.cnt[0] > 0) & (weights > 0)
    missing_dims = [d for d, c in zip(dims, ov.cnt[0], strict=True) if c == 0]
    if missing_dims:
        flags.append(f"dimensions without any answer: {missing_dims}")
    ov_rwg = _rwg_table(ov, item_dims, dims, response_options) if items is not None else None
    overall = None
    if not ov.sup[0, -1]:
        overall = _cell(
            {},
            ov,
            0,
            dims,
            None if ov_rwg is None else ov_rwg[0],
            weights,
            used & ~ov.sup[0, :-1],
            dk_keys,
        )
    elif n < k:
        flags.append(f"fewer than k = {k} respondents: every figure is suppressed")
    else:
        flags.append(
            "the overall figures are withheld: with earlier releases they would single out "
            f"fewer than k = {k} respondents"
        )
    flags += plan_flags

    # segment tables
    tables: dict[str, SegmentTable] = {}
    for name, (st, groups) in stats.items():
        if not name:
            continue
        by = TABLES[name]
        rw = _rwg_table(st, item_dims, dims, response_options) if items is not None else None
        cells: list[SegmentCell] = []
        hidden: list[Mapping[str, str]] = []
        for i in _order(groups, by):
            seg = dict(zip(by, groups[i], strict=True))
            if st.sup[i, -1] or st.sup[i, :-1].all():
                hidden.append(seg)
            else:
                row = None if rw is None else rw[i]
                cells.append(_cell(seg, st, i, dims, row, weights, used, dk_keys))
        tables[name] = SegmentTable(by, tuple(cells), tuple(hidden))

    # index, stage, strongest / weakest
    index = stage = uncapped = None
    sname = capped_by = strongest = weakest = None
    means = np.full(len(dims), np.nan)
    if overall is not None:
        means = np.array([np.nan if overall.mean[d] is None else overall.mean[d] for d in dims])
        hidden = [d for d, u, m in zip(dims, used, means, strict=True) if u and np.isnan(m)]
        if hidden:
            flags.append(f"dimensions with fewer than k answers left out of the index: {hidden}")
    avail = used & ~np.isnan(means)
    if avail.any():
        index = float(_weighted_index(means, weights, avail))
        uncapped = int(stage_of(index))
        stage = uncapped
        crit = [(means[dims.index(c)], c) for c in critical if not np.isnan(means[dims.index(c)])]
        if len(crit) < len(critical):
            flags.append("a critical dimension could not be published: the stage cap is partial")
        if crit:
            low, low_name = min(crit)
            cap = int(stage_of(low)) + 1
            if cap < stage:
                stage, capped_by = cap, low_name
        sname = stage_name(stage)
        present = np.flatnonzero(~np.isnan(means))
        strongest = dims[max(present, key=lambda i: (means[i], -i))]
        weakest = dims[min(present, key=lambda i: (means[i], i))]
    elif overall is not None:
        flags.append("no dimension has k answers: no index or stage")

    gaps = _level_gaps(tables.get("level"), dims, gap_threshold)
    icc: dict[str, LevelICC | None] = {}
    if level_rows is not None:
        valid, codes = level_rows
        icc = _level_icc(x[valid], codes, stats["level"][0], dims)

    interim = interim_sponsorship(overall)

    return ReadinessResult(
        dimensions=dims,
        k=k,
        overall=overall,
        index=index,
        stage=stage,
        stage_name=sname,
        uncapped_stage=uncapped,
        capped_by=capped_by,
        strongest=strongest,
        weakest=weakest,
        tables=tables,
        gaps=gaps,
        ceo_interim=interim.strong,
        ceo_interim_reasons=interim.reasons,
        flags=tuple(flags),
        icc=icc,
    )


def _dont_know(
    flags: ArrayLike | None,
    keys: Sequence[str] | None,
    item_dims: Sequence[str] | None,
    dims: tuple[str, ...],
    n: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The "don't know" answers as (n × m by item, n × d by dimension: any item of it)."""
    if flags is None:
        return None
    a = np.asarray(flags)
    if a.ndim != 2 or a.shape[0] != n:
        raise ScoringError(f"dont_know must be n × m with n = {n}, got shape {a.shape}")
    if a.dtype != bool:
        if not np.all((a == 0) | (a == 1)):
            raise ScoringError("dont_know must be boolean (0/1) per respondent and item")
        a = a.astype(bool)
    m = a.shape[1]
    if keys is None or len(keys) != m or item_dims is None or len(item_dims) != m:
        raise ScoringError("dont_know needs the key and the dimension of each of its columns")
    if len(set(keys)) != m:
        raise ScoringError("dont_know item keys must be unique")
    strange = sorted(set(item_dims) - set(dims))
    if strange:
        raise ScoringError(f"dont_know items of unknown dimensions {strange}")
    of_dim = np.array([[d == name for d in dims] for name in item_dims], dtype=bool)
    by_dim = (a.astype(np.int64) @ of_dim.reshape(m, len(dims)).astype(np.int64)) > 0
    return a, by_dim.reshape(n, len(dims))


def _level_icc(
    x: np.ndarray, codes: np.ndarray, st: _Stats, dims: tuple[str, ...]
) -> dict[str, LevelICC | None]:
    """ICC(1)/ICC(2) per dimension over the level cells whose mean of it is published.

    Respondents of a hidden level (or without a score) take no part, so the values are
    a function of published groups alone (their means, SDs and sizes).
    """
    out: dict[str, LevelICC | None] = {}
    for j, d in enumerate(dims):
        shown = ~st.sup[:, j] & ~st.sup[:, -1]
        rows = shown[codes] & ~np.isnan(x[:, j])
        groups = np.unique(codes[rows])
        if len(groups) < 2 or rows.sum() <= len(groups):
            out[d] = None
            continue
        try:
            res = icc1_icc2(x[rows, j], codes[rows])
        except ScoringError:  # identical level means: ICC(2) undefined
            out[d] = None
            continue
        out[d] = LevelICC(float(res.icc1), float(res.icc2), int(res.n_groups))
    return out


def published_sets(
    result: ReadinessResult,
    segments: Mapping[str, Sequence[str | None]],
    included: ArrayLike,
    dimension: str | None = None,
) -> np.ndarray:
    """The sets a stored release published, as membership over today's respondents.

    ``segments`` are the labels of the respondents now being aggregated and
    ``included`` marks those the release covered.  Rows: the overall set if
    published, then each published cell of each table.  With ``dimension``,
    only the sets whose mean of that dimension was published.  Stack the
    rows of every earlier release to get ``earlier`` (or ``earlier_means``).
    """
    inc = np.asarray(included, dtype=bool)
    if inc.ndim != 1:
        raise ScoringError("included must be one flag per respondent")
    n = len(inc)
    rows: list[np.ndarray] = []

    def shown(cell: SegmentCell) -> bool:
        return dimension is None or cell.mean.get(dimension) is not None

    if result.overall is not None and shown(result.overall):
        rows.append(inc.copy())
    labels: dict[str, np.ndarray] = {}
    for table in result.tables.values():
        for cell in table.cells:
            if not shown(cell):
                continue
            member = inc.copy()
            for b in table.by:
                if b not in labels:
                    if b not in segments:
                        raise ScoringError(f"segment {b!r} is needed to rebuild the release")
                    labels[b] = _label_text(segments, b, n)
                member &= labels[b] == cell.segment[b]
            rows.append(member)
    return np.array(rows, dtype=bool).reshape(len(rows), n)


def _level_gaps(
    table: SegmentTable | None, dims: tuple[str, ...], threshold: float
) -> tuple[LevelGap, ...]:
    """Pairs of published levels whose means differ by ≥ threshold, largest first."""
    if table is None:
        return ()
    cells = table.cells  # already in hierarchy order
    out: list[LevelGap] = []
    keys = (*dims, "index")
    for a in range(len(cells)):
        for b in range(a + 1, len(cells)):
            ca, cb = cells[a], cells[b]
            la, lb = ca.segment["level"], cb.segment["level"]
            for d in keys:
                va = ca.index if d == "index" else ca.mean[d]
                vb = cb.index if d == "index" else cb.mean[d]
                if va is None or vb is None or abs(va - vb) < threshold:
                    continue
                out.append(
                    LevelGap(d, la, lb, va, vb, va - vb, la in TOP_LEVELS and lb == "front_line")
                )
    out.sort(key=lambda g: (-abs(g.gap), not g.top_vs_front))
    return tuple(out)


@dataclass(frozen=True)
class RoundComparison:
    """Change from one survey round to the next (after − before), published values only."""

    dimension_change: Mapping[str, float | None]
    index_change: float | None
    stage_before: int | None
    stage_after: int | None
    level_change: Mapping[str, Mapping[str, float | None]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension_change": dict(self.dimension_change),
            "index_change": self.index_change,
            "stage_before": self.stage_before,
            "stage_after": self.stage_after,
            "level_change": {k: dict(v) for k, v in self.level_change.items()},
        }


def compare_rounds(before: ReadinessResult, after: ReadinessResult) -> RoundComparison:
    """Per-dimension, index and per-level change; None wherever either round is suppressed."""
    if before.dimensions != after.dimensions:
        raise ScoringError("rounds measured different dimensions and cannot be compared")
    dims = before.dimensions

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else float(b - a)

    dchange = {
        d: diff(
            None if before.overall is None else before.overall.mean[d],
            None if after.overall is None else after.overall.mean[d],
        )
        for d in dims
    }
    levels: dict[str, dict[str, float | None]] = {}
    tb, ta = before.tables.get("level"), after.tables.get("level")
    if tb is not None and ta is not None:
        for cb in tb.cells:
            ca = ta.cell(**cb.segment)
            if ca is None:
                continue
            ch = {d: diff(cb.mean[d], ca.mean[d]) for d in dims}
            ch["index"] = diff(cb.index, ca.index)
            levels[cb.segment["level"]] = ch
    return RoundComparison(
        dchange, diff(before.index, after.index), before.stage, after.stage, levels
    )
