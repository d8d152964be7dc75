"""Plain-Python reference implementations for the scoring-B tests.

Deliberately loop-based and written from the formulas, not from the
vectorised code, so a test comparing the two checks the arithmetic twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from questionnaires.model import Instrument, Item, Option, Section


def power_weights(a: Sequence[Sequence[float]], iters: int = 500) -> tuple[list[float], float]:
    """Principal eigenvector by power iteration (sum-normalised) and λ_max = mean((Aw)_i / w_i)."""
    n = len(a)
    w = [1.0 / n] * n
    for _ in range(iters):
        v = [sum(a[i][j] * w[j] for j in range(n)) for i in range(n)]
        s = sum(v)
        w = [x / s for x in v]
    aw = [sum(a[i][j] * w[j] for j in range(n)) for i in range(n)]
    lam = sum(aw[i] / w[i] for i in range(n)) / n
    return w, lam


def fit_loop(
    pomp: Sequence[Sequence[float]],
    scale_keys: Sequence[str],
    scale_cluster: Mapping[str, str],
    weights: Mapping[str, float],
    sem: Sequence[float] | None,
) -> list[tuple[float, float]]:
    """(fit, se) per candidate, one at a time; NaN fit when a weighted cluster is empty."""
    out = []
    for row in pomp:
        fit = 0.0
        var = 0.0
        ok = True
        for c, w in weights.items():
            vals = [
                (row[j], None if sem is None else sem[j])
                for j, k in enumerate(scale_keys)
                if scale_cluster.get(k) == c and not math.isnan(row[j])
            ]
            if not vals:
                if w > 0:
                    ok = False
                continue
            m = len(vals)
            fit += w * sum(v for v, _ in vals) / m
            if sem is not None:
                var += w * w * sum(e * e for _, e in vals) / (m * m)
        out.append(
            (fit if ok else math.nan, math.sqrt(var) if ok and sem is not None else math.nan)
        )
    return out


def rank_loop(values: Sequence[float], dense: bool = False) -> list[int]:
    present = [round(v, 6) for v in values if not math.isnan(v)]
    out = []
    for v in values:
        if math.isnan(v):
            out.append((len(set(present)) if dense else len(present)) + 1)
            continue
        v = round(v, 6)
        higher = {p for p in present if p > v} if dense else [p for p in present if p > v]
        out.append(len(higher) + 1)
    return out


def make_scope_instrument(items: Sequence[Item]) -> Instrument:
    """A minimal board role-scope instrument around the given items."""
    return Instrument(
        key="role_scope",
        version=1,
        title="Role scope",
        audience="board",
        intro="",
        minutes=10,
        scales=(),
        clusters=(),
        sections=(Section("scope", "Scope", tuple(items)),),
        content_hash="test",
    )


def opt(key: str, arch: tuple[float, float, float] = (0, 0, 0), **clusters: float) -> Option:
    names = ("board_strategist", "operating_executive", "influence_leader")
    return Option(
        key=key,
        text=key,
        scores=dict(clusters),
        archetypes={k: v for k, v in zip(names, arch, strict=True) if v},
    )


def sample_var(xs: Sequence[float]) -> float:
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
