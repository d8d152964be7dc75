"""Interpretive bands over POMP scores, and the narrative text for a band.

The narratives mapping (as returned by ``questionnaires.load_narratives``)
has the shape ``{"bands": [{"key", "label", "min", "max"}, ...],
"scales": {scale: {band_key: text}}}``.  It is passed in as a parameter so
that this package never reads files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError

_EPS = 1e-9


def _band_table(bands: Sequence[Mapping[str, object]]) -> tuple[list[str], np.ndarray]:
    """Band keys and lower bounds, after checking the bands tile 0..100 in order."""
    if not bands:
        raise ScoringError("no bands defined")
    keys: list[str] = []
    lows: list[float] = []
    prev_max = 0.0
    for n, b in enumerate(bands):
        try:
            key, lo, hi = str(b["key"]), float(b["min"]), float(b["max"])  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise ScoringError(f"band {n} needs key, min and max: {exc}") from None
        if abs(lo - prev_max) > _EPS or not hi > lo:
            raise ScoringError(
                f"band {key!r} ({lo:g}..{hi:g}) must start where the previous one ends "
                f"({prev_max:g}) and have max > min"
            )
        keys.append(key)
        lows.append(lo)
        prev_max = hi
    if abs(prev_max - 100.0) > _EPS:
        raise ScoringError(f"bands must end at 100, the last ends at {prev_max:g}")
    return keys, np.array(lows)


def band_index(pomp: ArrayLike, bands: Sequence[Mapping[str, object]]) -> np.ndarray:
    """Index of the band of every POMP score (−1 for NaN).

    A score on a boundary belongs to the higher band (70 is 'high' when
    'mid' is 40..70 and 'high' 70..100); 100 belongs to the top band.
    """
    keys, lows = _band_table(bands)
    p = np.asarray(pomp, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (p < -_EPS) | (p > 100.0 + _EPS)
    if bad.any():
        raise ScoringError(f"POMP scores must lie in 0..100, got {p[bad].ravel()[0]!r}")
    idx = np.searchsorted(lows, np.nan_to_num(p), side="right") - 1
    idx = np.clip(idx, 0, len(keys) - 1)
    return np.where(np.isnan(p), -1, idx)


def band_for(pomp: ArrayLike, bands: Sequence[Mapping[str, object]]) -> np.ndarray:
    """Band key of every POMP score (an object array; None where the score is NaN)."""
    keys, _ = _band_table(bands)
    idx = band_index(pomp, bands)
    table = np.array([*keys, None], dtype=object)  # index −1 picks None
    return table[idx]


@dataclass(frozen=True)
class Narrative:
    """The band a score falls in and the text written for that scale and band."""

    scale: str
    pomp: float | None
    band: str | None
    label: str | None
    text: str | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def narrative(scale: str, pomp: float | None, narratives: Mapping[str, object]) -> Narrative:
    """Band key, label and text for one scale's POMP score.

    A missing score (None/NaN, e.g. too few answers) gets a Narrative with
    no band and no text, so a report can say "not enough answers" instead
    of guessing.  A scale or band without text is a content error and
    raises ScoringError naming both.
    """
    bands = narratives.get("bands") if isinstance(narratives, Mapping) else None
    texts = narratives.get("scales") if isinstance(narratives, Mapping) else None
    if not isinstance(bands, Sequence) or not isinstance(texts, Mapping):
        raise ScoringError("narratives need 'bands' (a list) and 'scales' (a mapping)")
    if pomp is None or np.isnan(pomp):
        return Narrative(scale=scale, pomp=None, band=None, label=None, text=None)
    i = int(band_index(float(pomp), bands))
    band = bands[i]
    key = str(band["key"])
    per_scale = texts.get(scale)
    if not isinstance(per_scale, Mapping):
        raise ScoringError(f"no narratives for scale {scale!r}")
    if key not in per_scale:
        raise ScoringError(f"no narrative for scale {scale!r} in band {key!r}")
    return Narrative(
        scale=scale,
        pomp=float(pomp),
        band=key,
        label=str(band.get("label", key)),
        text=str(per_scale[key]),
    )
