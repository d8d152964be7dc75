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
    """Scales an item counts toward.

    likert/rating/checklist: their own scale; multi: any scale an option
    scores non-zero; situational/choice: any scale the options score
    differently (an option without the scale scores it 0).
    """
    if item.type in ("likert", "rating", "checklist"):
        return [item.scale]
    found: list[str] = []
    for option in item.options:
        for scale in option.scores:
            if scale in found:
                continue
            values = [o.scores.get(scale, 0.0) for o in item.options]
            if item.type == "multi" and any(v != 0 for v in values):
                found.append(scale)
            if item.type != "multi" and max(values) > min(values):
                found.append(scale)
    return found


def item_range(item: Item, scale: str) -> tuple[float, float]:
    """Lowest and highest contribution an item can make to a scale."""
    if item.type in ("likert", "rating"):
        points = item.points or (max(a.level for a in item.anchors) if item.anchors else 5)
        return 1.0, float(points)
    if item.type == "checklist":
        values = [1.0 if o.points is None else o.points for o in item.options]
    else:
        values = [o.scores.get(scale, 0.0) for o in item.options]
    if item.type in ("checklist", "multi"):  # any subset, including none
        return sum(v for v in values if v < 0), sum(v for v in values if v > 0)
    return min(values), max(values)


def scored_items(instrument: Instrument) -> list[Item]:
    return [it for it in instrument.iter_items() if it.is_scored and it.type != "numeric"]


def scale_range(instrument: Instrument, scale: str) -> tuple[float, float]:
    """Lowest and highest possible raw score: the sums of the items' extremes."""
    low = high = 0.0
    for item in scored_items(instrument):
        if scale in touched_scales(item):
            item_low, item_high = item_range(item, scale)
            low += item_low
            high += item_high
    return low, high


def scale_scores(
    instrument: Instrument, answers: Sequence[Mapping[str, object]], min_share: float = 0.8
) -> list[dict[str, dict[str, float | int | bool]]]:
    """Per respondent, per scale: raw, mean, pomp, answered, insufficient.

    Proration: the POMP of the answered items (their sum against the sum of
    their own extremes) stands for the whole scale.  Which items touch which
    scale, and their ranges, are worked out once before the respondent loop.
    """
    plan = {}  # scale -> list of (item, item_low, item_high)
    for scale in instrument.scale_keys:
        plan[scale] = [
            (item, *item_range(item, scale))
            for item in scored_items(instrument)
            if scale in touched_scales(item)
        ]
    ranges = {scale: scale_range(instrument, scale) for scale in instrument.scale_keys}
    results = []
    for person in answers:
        row = {}
        for scale in instrument.scale_keys:
            k = len(plan[scale])
            answered = 0
            total = answered_low = answered_high = 0.0
            for item, item_low, item_high in plan[scale]:
                contributions = _item_contributions(item, person.get(item.key))
                if contributions is None:
                    continue
                answered += 1
                total += contributions[scale]
                answered_low += item_low
                answered_high += item_high
            enough = k > 0 and answered > 0 and answered / k >= min_share - 1e-12
            if enough:
                pomp = 100 * (total - answered_low) / (answered_high - answered_low)
                low, high = ranges[scale]
                raw = low + pomp / 100 * (high - low)
                mean = raw / k
            else:
                mean = raw = pomp = NAN
            row[scale] = {
                "raw": raw,
                "mean": mean,
                "pomp": pomp,
                "answered": answered,
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
