"""Plain-Python reference implementations, written to be obviously correct.

They walk the Instrument dataclasses and the answer dicts directly, one
respondent at a time, and share no code with ``scoring/`` beyond the model
types, so agreement between the two is real evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from questionnaires.model import Instrument, Item

NAN = float("nan")


def _item_contributions(item: Item, answer: object) -> dict[str, float] | None:
    """Contribution of one answered item to each scale it touches; None if missing."""
    if answer is None:
        return None
    if item.type in ("likert", "rating"):
        points = item.points or (max(a.level for a in item.anchors) if item.anchors else 5)
        value = float(answer)
        if item.reverse and item.type == "likert":
            value = points + 1 - value
        return {item.scale: value}
    if item.type == "checklist":
        total = 0.0
        for option in item.options:
            if option.key in answer:
                total += 1.0 if option.points is None else option.points
        return {item.scale: total}
    if item.type in ("situational", "choice"):
        chosen = [option for option in item.options if option.key == answer]
    else:  # multi
        chosen = [option for option in item.options if option.key in answer]
    out: dict[str, float] = {}
    for scale in touched_scales(item):
        out[scale] = sum(option.scores.get(scale, 0.0) for option in chosen)
    return out


def touched_scales(item: Item) -> list[str]:
    """Scales an item counts toward: its own scale, or any scale an option scores non-zero."""
    if item.type in ("likert", "rating", "checklist"):
        return [item.scale]
    found: list[str] = []
    for option in item.options:
        for scale, value in option.scores.items():
            if value != 0 and scale not in found:
                found.append(scale)
    return found


def scored_items(instrument: Instrument) -> list[Item]:
    return [it for it in instrument.iter_items() if it.is_scored and it.type != "numeric"]


def scale_range(instrument: Instrument, scale: str) -> tuple[float, float]:
    """Lowest and highest possible raw score by enumerating each item's extremes."""
    low = high = 0.0
    for item in scored_items(instrument):
        if scale not in touched_scales(item):
            continue
        if item.type in ("likert", "rating"):
            points = item.points or (max(a.level for a in item.anchors) if item.anchors else 5)
            low += 1
            high += points
        elif item.type == "checklist":
            values = [1.0 if o.points is None else o.points for o in item.options]
            low += sum(v for v in values if v < 0)
            high += sum(v for v in values if v > 0)
        elif item.type == "multi":
            values = [o.scores.get(scale, 0.0) for o in item.options]
            low += sum(v for v in values if v < 0)
            high += sum(v for v in values if v > 0)
        else:
            values = [o.scores.get(scale, 0.0) for o in item.options]
            low += min(values)
            high += max(values)
    return low, high


def scale_scores(
    instrument: Instrument, answers: Sequence[Mapping[str, object]], min_share: float = 0.8
) -> list[dict[str, dict[str, float | int | bool]]]:
    """Per respondent, per scale: raw, mean, pomp, answered, insufficient."""
    items = scored_items(instrument)
    results = []
    for person in answers:
        sums = {s: 0.0 for s in instrument.scale_keys}
        answered = {s: 0 for s in instrument.scale_keys}
        n_items = {s: 0 for s in instrument.scale_keys}
        for item in items:
            for scale in touched_scales(item):
                n_items[scale] += 1
            contributions = _item_contributions(item, person.get(item.key))
            if contributions is None:
                continue
            for scale, value in contributions.items():
                sums[scale] += value
                answered[scale] += 1
        row = {}
        for scale in instrument.scale_keys:
            k = n_items[scale]
            a = answered[scale]
            enough = k > 0 and a > 0 and a / k >= min_share - 1e-12
            if enough:
                mean = sums[scale] / a
                raw = mean * k
                low, high = scale_range(instrument, scale)
                pomp = 100 * (raw - low) / (high - low)
            else:
                mean = raw = pomp = NAN
            row[scale] = {
                "raw": raw,
                "mean": mean,
                "pomp": pomp,
                "answered": a,
                "insufficient": not enough,
            }
        results.append(row)
    return results


# -- reliability ---------------------------------------------------------------


def pairwise_cov(pool: Sequence[Sequence[float]]) -> list[list[float]]:
    """Covariance of every pair of columns over the rows where both are present (ddof=1)."""
    k = len(pool[0])
    out = [[NAN] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            pairs = [
                (row[i], row[j])
                for row in pool
                if not math.isnan(row[i]) and not math.isnan(row[j])
            ]
            n = len(pairs)
            if n < 2:
                continue
            mi = sum(p[0] for p in pairs) / n
            mj = sum(p[1] for p in pairs) / n
            out[i][j] = sum((a - mi) * (b - mj) for a, b in pairs) / (n - 1)
    return out


def cronbach_alpha(pool: Sequence[Sequence[float]]) -> float:
    """k/(k-1) · (1 − Σ var_i / Σ_ij cov_ij), pairwise covariances."""
    cov = pairwise_cov(pool)
    k = len(cov)
    trace = sum(cov[i][i] for i in range(k))
    total = sum(sum(row) for row in cov)
    return k / (k - 1) * (1 - trace / total)


# -- norms ---------------------------------------------------------------------


def percentile_rank(value: float, norm: Sequence[float]) -> float:
    """100 · (count below + half the ties) / N."""
    norm = [x for x in norm if not math.isnan(x)]
    below = sum(1 for x in norm if x < value)
    ties = sum(1 for x in norm if x == value)
    return 100 * (below + ties / 2) / len(norm)


# -- response quality ------------------------------------------------------------


def longest_run(values: Sequence[float]) -> int:
    """Longest stretch of identical consecutive answers; a missing answer breaks it."""
    best = 0
    current = 0
    previous = None
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            current = 0
            previous = None
            continue
        current = current + 1 if v == previous else 1
        previous = v
        best = max(best, current)
    return best
