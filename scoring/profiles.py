"""Role profiles: what a particular CCO role asks of a candidate.

A profile is a set of cluster weights (compensatory: strength in one
cluster offsets weakness in another) plus must-have minima on single scales
(non-compensatory: no amount of strength elsewhere makes up for them).
Profiles come from an archetype default, from the board's role-scope
answers or AHP judgements, or are written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from questionnaires.model import ARCHETYPE_NAMES, ARCHETYPES
from scoring.errors import ScoringError

#: Candidate competency clusters and the scales in each (fixed product names).
CLUSTER_SCALES: Mapping[str, tuple[str, ...]] = {
    "customer_focus": ("empathy", "service", "advocacy_fiscal"),
    "insight_technology": ("metrics", "technology"),
    "influence_collaboration": ("influence", "collaboration", "rallying"),
    "strategy_commerce": ("foresight", "business_acumen", "pragmatism"),
    "execution_change": ("action", "change_leadership"),
    "learning_experience": ("curiosity", "experience"),
}
CLUSTERS: tuple[str, ...] = tuple(CLUSTER_SCALES)
SCALES: tuple[str, ...] = tuple(s for scales in CLUSTER_SCALES.values() for s in scales)
#: scale key -> cluster key
SCALE_CLUSTER: Mapping[str, str] = {s: c for c, ss in CLUSTER_SCALES.items() for s in ss}
#: The three competencies the domain calls fundamental for every CCO.
FUNDAMENTALS: tuple[str, ...] = ("empathy", "service", "metrics")
#: Floor on the fundamentals applied by every default profile (POMP).
FUNDAMENTAL_FLOOR = 40.0

_DEFAULTS: Mapping[str, tuple[Mapping[str, float], Mapping[str, float], str]] = {
    "board_strategist": (
        {
            "strategy_commerce": 0.30,
            "influence_collaboration": 0.22,
            "customer_focus": 0.18,
            "insight_technology": 0.10,
            "execution_change": 0.10,
            "learning_experience": 0.10,
        },
        {
            "foresight": 55.0,
            "business_acumen": 55.0,
            "advocacy_fiscal": 50.0,
            "influence": 50.0,
        },
        "Sits on the board, holds a budget and aligns customer strategy with corporate "
        "strategy, so strategic and commercial judgement weighs most, then influence at "
        "board level; customer focus carries the fiscal-balance scale (advocacy balanced "
        "with cost ownership), which is a must-have next to foresight and business acumen.",
    ),
    "operating_executive": (
        {
            "insight_technology": 0.28,
            "customer_focus": 0.25,
            "execution_change": 0.22,
            "influence_collaboration": 0.10,
            "strategy_commerce": 0.08,
            "learning_experience": 0.07,
        },
        {
            "metrics": 55.0,
            "service": 55.0,
            "empathy": 50.0,
            "action": 50.0,
        },
        "Owns the touchpoints and contact centres on an operating budget and feeds insight "
        "back to the board, so metrics, analytics and technology weigh most, then the "
        "customer fundamentals (empathy, service) and execution; the fundamentals and "
        "action orientation are must-haves.",
    ),
    "influence_leader": (
        {
            "influence_collaboration": 0.35,
            "customer_focus": 0.20,
            "execution_change": 0.13,
            "strategy_commerce": 0.12,
            "insight_technology": 0.10,
            "learning_experience": 0.10,
        },
        {
            "influence": 55.0,
            "collaboration": 55.0,
            "empathy": 50.0,
        },
        "Has no budget of its own and must gather customer initiatives across functions and "
        "countries by influence alone, so influencing without authority, collaboration and "
        "rallying weigh most; influence and collaboration are must-haves.",
    ),
}


def _clean_weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(weights, Mapping) or not weights:
        raise ScoringError("cluster weights must be a non-empty mapping of cluster -> weight")
    unknown = sorted(set(weights) - set(CLUSTERS))
    if unknown:
        raise ScoringError(f"unknown clusters in weights: {unknown}; known: {list(CLUSTERS)}")
    try:
        w = np.array([float(weights.get(c, 0.0)) for c in CLUSTERS])
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"cluster weights must be numbers: {exc}") from exc
    if not np.all(np.isfinite(w)):
        raise ScoringError("cluster weights must be finite")
    if np.any(w < 0):
        bad = [c for c, x in zip(CLUSTERS, w, strict=True) if x < 0]
        raise ScoringError(f"cluster weights must be >= 0; negative for {bad}")
    total = w.sum()
    if total <= 0:
        raise ScoringError("cluster weights are all zero; at least one must be positive")
    w = w / total
    return {c: float(x) for c, x in zip(CLUSTERS, w, strict=True)}


def _clean_minima(minima: Mapping[str, float] | None) -> dict[str, float]:
    if not minima:
        return {}
    unknown = sorted(set(minima) - set(SCALES))
    if unknown:
        raise ScoringError(f"unknown scales in minima: {unknown}")
    out: dict[str, float] = {}
    for s in SCALES:  # canonical order
        if s in minima:
            try:
                v = float(minima[s])
            except (TypeError, ValueError) as exc:
                raise ScoringError(f"minimum for {s!r} is not a number") from exc
            if not np.isfinite(v) or v < 0 or v > 100:
                raise ScoringError(f"minimum for {s!r} must lie in [0, 100] (POMP), got {v}")
            out[s] = v
    return out


@dataclass(frozen=True)
class RoleProfile:
    """Cluster weights (normalised to sum 1) and must-have minima per scale (POMP 0-100).

    Construction validates and normalises: weights must be >= 0 over known
    clusters with a positive sum; minima must name known scales and lie in
    [0, 100].
    """

    name: str
    weights: Mapping[str, float]
    minima: Mapping[str, float] = field(default_factory=dict)
    archetype: str | None = None
    source: str = "custom"
    rationale: str = ""

    def __post_init__(self) -> None:
        if self.archetype is not None and self.archetype not in ARCHETYPES:
            raise ScoringError(f"unknown archetype {self.archetype!r}; known: {list(ARCHETYPES)}")
        object.__setattr__(self, "weights", _clean_weights(self.weights))
        object.__setattr__(self, "minima", _clean_minima(self.minima))

    def weight_vector(self, clusters: tuple[str, ...] = CLUSTERS) -> np.ndarray:
        """Weights in ``clusters`` order (0 for clusters the profile does not name)."""
        return np.array([self.weights.get(c, 0.0) for c in clusters])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "archetype": self.archetype,
            "source": self.source,
            "weights": dict(self.weights),
            "minima": dict(self.minima),
            "rationale": self.rationale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoleProfile:
        """Inverse of :meth:`to_dict`; validation errors are ScoringError."""
        if not isinstance(data, Mapping) or "weights" not in data:
            raise ScoringError("a role profile needs at least 'weights'")
        return cls(
            name=str(data.get("name") or "Custom profile"),
            weights=data["weights"],
            minima=data.get("minima") or {},
            archetype=data.get("archetype"),
            source=str(data.get("source") or "custom"),
            rationale=str(data.get("rationale") or ""),
        )


def default_profile(archetype: str) -> RoleProfile:
    """The documented default profile of an archetype (weights and minima in README-b)."""
    if archetype not in _DEFAULTS:
        raise ScoringError(f"unknown archetype {archetype!r}; known: {list(ARCHETYPES)}")
    weights, minima, why = _DEFAULTS[archetype]
    merged = {f: FUNDAMENTAL_FLOOR for f in FUNDAMENTALS}
    merged.update(minima)
    return RoleProfile(
        name=ARCHETYPE_NAMES[archetype],
        weights=weights,
        minima=merged,
        archetype=archetype,
        source=f"default:{archetype}",
        rationale=why,
    )


def profile_from_weights(
    cluster_weights: Mapping[str, float],
    archetype: str | None = None,
    minima: Mapping[str, float] | None = None,
    name: str | None = None,
    source: str = "custom",
) -> RoleProfile:
    """A profile from given weights (e.g. the board's role-scope or AHP result).

    With ``minima`` None and an archetype given, the archetype's default
    minima are kept: the board sets the emphasis, the archetype's must-haves
    still apply.  Pass ``{}`` for no minima.
    """
    if minima is None:
        minima = dict(default_profile(archetype).minima) if archetype else {}
    if name is None:
        name = (
            f"{ARCHETYPE_NAMES[archetype]} ({source})"
            if archetype in ARCHETYPE_NAMES
            else ("Custom profile")
        )
    return RoleProfile(
        name=name, weights=cluster_weights, minima=minima, archetype=archetype, source=source
    )
