"""Role scope: which CCO archetype the board describes, and what it values.

Each option of the board's role-scope questionnaire carries an archetype
vector (over :data:`ARCHETYPES`) and a cluster-importance vector (``scores``
over the competency clusters).  A member's profile is the sum of the vectors
of the options they chose; shares divide by the total.  With several
members we report each one, the group, how far they agree, and the items
they disagree on most: disagreement among the board is a finding in itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from questionnaires.model import ARCHETYPES, Instrument
from scoring.errors import ScoringError
from scoring.profiles import CLUSTERS, RoleProfile, profile_from_weights

_SCORED_TYPES = ("choice", "multi")


@dataclass(frozen=True)
class RoleScopeKey:
    """The instrument compiled to arrays: one row per (item, option)."""

    instrument: str
    item_keys: tuple[str, ...]
    item_types: tuple[str, ...]
    option_item: np.ndarray  # total_options, index into item_keys
    option_keys: tuple[str, ...]
    archetype_matrix: np.ndarray  # total_options × 3
    cluster_matrix: np.ndarray  # total_options × c
    cluster_keys: tuple[str, ...]


def compile_role_scope(
    instrument: Instrument, cluster_keys: Sequence[str] = CLUSTERS
) -> RoleScopeKey:
    """Stack every scored choice/multi option's vectors; vectors must be non-negative."""
    ckeys = tuple(cluster_keys)
    item_keys: list[str] = []
    item_types: list[str] = []
    opt_item: list[int] = []
    opt_keys: list[str] = []
    arch_rows: list[list[float]] = []
    clus_rows: list[list[float]] = []
    for it in instrument.iter_items():
        if it.type not in _SCORED_TYPES or not it.is_scored:
            continue
        q = len(item_keys)
        item_keys.append(it.key)
        item_types.append(it.type)
        for opt in it.options:
            bad_a = set(opt.archetypes) - set(ARCHETYPES)
            bad_c = set(opt.scores) - set(ckeys)
            if bad_a or bad_c:
                raise ScoringError(
                    f"item {it.key!r} option {opt.key!r} names unknown archetypes {sorted(bad_a)} "
                    f"or clusters {sorted(bad_c)}"
                )
            a = [float(opt.archetypes.get(k, 0.0)) for k in ARCHETYPES]
            c = [float(opt.scores.get(k, 0.0)) for k in ckeys]
            if min(a + c) < 0 or not np.all(np.isfinite(a + c)):
                raise ScoringError(
                    f"item {it.key!r} option {opt.key!r} has a negative or non-finite weight; "
                    "shares need non-negative vectors"
                )
            opt_item.append(q)
            opt_keys.append(opt.key)
            arch_rows.append(a)
            clus_rows.append(c)
    if not item_keys:
        raise ScoringError(f"instrument {instrument.key!r} has no scored choice/multi items")
    return RoleScopeKey(
        instrument=instrument.key,
        item_keys=tuple(item_keys),
        item_types=tuple(item_types),
        option_item=np.array(opt_item, dtype=int),
        option_keys=tuple(opt_keys),
        archetype_matrix=np.array(arch_rows).reshape(-1, len(ARCHETYPES)),
        cluster_matrix=np.array(clus_rows).reshape(-1, len(ckeys)),
        cluster_keys=ckeys,
    )


def encode_answers(
    key: RoleScopeKey, answers: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Indicator matrix (members × options) and answered mask (members × items).

    Answers to items that are not scored (text, segment, ...) are ignored;
    an unknown option of a scored item is an error, not a silent zero.
    """
    index = {
        (key.item_keys[q], ok): p
        for p, (q, ok) in enumerate(zip(key.option_item, key.option_keys, strict=True))
    }
    items = {k: q for q, k in enumerate(key.item_keys)}
    x = np.zeros((len(answers), len(key.option_keys)))
    answered = np.zeros((len(answers), len(key.item_keys)), dtype=bool)
    for m, ans in enumerate(answers):
        if not isinstance(ans, Mapping):
            raise ScoringError(f"answers of member {m} must be a mapping item -> value")
        for item_key, value in ans.items():
            q = items.get(item_key)
            if q is None or value is None:
                continue
            if key.item_types[q] == "multi":
                if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
                    raise ScoringError(
                        f"item {item_key!r} is multi: expected a list of option keys"
                    )
                chosen = list(value)
            else:
                if not isinstance(value, str):
                    raise ScoringError(f"item {item_key!r} is choice: expected one option key")
                chosen = [value]
            for opt in chosen:
                p = index.get((item_key, str(opt)))
                if p is None:
                    raise ScoringError(f"item {item_key!r} has no option {opt!r}")
                x[m, p] = 1.0
            answered[m, q] = True
    return x, answered


def _shares(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row shares of non-negative scores; all-zero rows get equal shares and a False flag."""
    total = scores.sum(axis=1, keepdims=True)
    signal = total[:, 0] > 0
    k = scores.shape[1]
    safe = np.where(total > 0, total, 1.0)
    sh = np.where(total > 0, scores / safe, 1.0 / k)
    return sh, signal


def _top(shares: np.ndarray) -> tuple[int, float, bool]:
    order = np.argsort(-shares, kind="stable")
    margin = float(shares[order[0]] - shares[order[1]]) if len(shares) > 1 else 1.0
    return int(order[0]), margin, margin <= 1e-12


def _tv_agreement(shares: np.ndarray) -> float | None:
    """1 − mean pairwise total-variation distance (½ Σ|p − q|); None for < 2 rows."""
    k = shares.shape[0]
    if k < 2:
        return None
    d = 0.5 * np.abs(shares[:, None, :] - shares[None, :, :]).sum(axis=-1)
    iu = np.triu_indices(k, 1)
    return float(1.0 - d[iu].mean())


@dataclass(frozen=True)
class ScopeShares:
    """Archetype and cluster-importance scores and shares for one member or the group."""

    archetype_scores: tuple[float, ...]
    archetype_shares: tuple[float, ...]
    recommended: str
    margin: float
    tie: bool
    cluster_scores: tuple[float, ...]
    cluster_shares: tuple[float, ...]
    has_signal: bool
    has_cluster_signal: bool

    def to_dict(self, cluster_keys: Sequence[str] = CLUSTERS) -> dict[str, Any]:
        return {
            "archetype_scores": dict(zip(ARCHETYPES, self.archetype_scores, strict=True)),
            "archetype_shares": dict(zip(ARCHETYPES, self.archetype_shares, strict=True)),
            "recommended": self.recommended,
            "margin": self.margin,
            "tie": self.tie,
            "cluster_scores": dict(zip(cluster_keys, self.cluster_scores, strict=True)),
            "cluster_shares": dict(zip(cluster_keys, self.cluster_shares, strict=True)),
            "has_signal": self.has_signal,
            "has_cluster_signal": self.has_cluster_signal,
        }


def _scope(
    a_scores: np.ndarray,
    a_sh: np.ndarray,
    a_sig: bool,
    c_scores: np.ndarray,
    c_sh: np.ndarray,
    c_sig: bool,
) -> ScopeShares:
    top, margin, tie = _top(a_sh)
    return ScopeShares(
        archetype_scores=tuple(float(v) for v in a_scores),
        archetype_shares=tuple(float(v) for v in a_sh),
        recommended=ARCHETYPES[top],
        margin=margin,
        tie=tie,
        cluster_scores=tuple(float(v) for v in c_scores),
        cluster_shares=tuple(float(v) for v in c_sh),
        has_signal=bool(a_sig),
        has_cluster_signal=bool(c_sig),
    )


@dataclass(frozen=True)
class RoleScopeResult:
    """Each member's scope, the group's, agreement, and the most disputed items."""

    instrument: str
    cluster_keys: tuple[str, ...]
    members: tuple[ScopeShares, ...]
    group: ScopeShares
    archetype_agreement: float | None
    cluster_agreement: float | None
    item_disagreement: tuple[tuple[str, float], ...]
    flags: tuple[str, ...]

    @property
    def recommended(self) -> str:
        return self.group.recommended

    def to_profile(self, minima: Mapping[str, float] | None = None) -> RoleProfile:
        """A board-derived role profile: the group's cluster shares as weights.

        Falls back to the recommended archetype's default weights when no
        option carried cluster importance.
        """
        if not self.group.has_cluster_signal:
            from scoring.profiles import default_profile

            base = default_profile(self.group.recommended)
            return profile_from_weights(
                base.weights, self.group.recommended, minima, source="board"
            )
        return profile_from_weights(
            dict(zip(self.cluster_keys, self.group.cluster_shares, strict=True)),
            self.group.recommended,
            minima,
            source="board",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "recommended": self.recommended,
            "group": self.group.to_dict(self.cluster_keys),
            "members": [m.to_dict(self.cluster_keys) for m in self.members],
            "archetype_agreement": self.archetype_agreement,
            "cluster_agreement": self.cluster_agreement,
            "item_disagreement": [[k, v] for k, v in self.item_disagreement],
            "flags": list(self.flags),
        }


def _item_disagreement(
    key: RoleScopeKey, x: np.ndarray, answered: np.ndarray
) -> list[tuple[str, float]]:
    """Mean pairwise Jaccard distance of chosen option sets among members who answered.

    For a single-choice item this is the share of member pairs who chose
    differently.  Items answered by fewer than two members are left out.
    """
    out: list[tuple[str, float]] = []
    for q, item_key in enumerate(key.item_keys):
        who = answered[:, q]
        if who.sum() < 2:
            continue
        sel = x[np.ix_(who, key.option_item == q)]
        inter = sel @ sel.T
        size = sel.sum(axis=1)
        union = size[:, None] + size[None, :] - inter
        dist = np.where(union > 0, 1.0 - inter / np.where(union > 0, union, 1.0), 0.0)
        iu = np.triu_indices(sel.shape[0], 1)
        out.append((item_key, float(dist[iu].mean())))
    out.sort(key=lambda kv: -kv[1])  # stable: questionnaire order breaks ties
    return out


def score_role_scope(
    instrument: Instrument | RoleScopeKey, answers: Sequence[Mapping[str, Any]]
) -> RoleScopeResult:
    """Score one or more board members' answers to the role-scope instrument.

    Group shares are the mean of the members' shares (each member counts
    once, however many options they ticked); members whose choices carry no
    archetype weight are flagged and left out of the group mean.  If nobody
    has a signal, the group gets equal shares and the flag ``no_signal``.
    """
    key = instrument if isinstance(instrument, RoleScopeKey) else compile_role_scope(instrument)
    if not answers:
        raise ScoringError("no board member answers to score")
    x, answered = encode_answers(key, answers)
    a_scores = x @ key.archetype_matrix
    c_scores = x @ key.cluster_matrix
    a_sh, a_sig = _shares(a_scores)
    c_sh, c_sig = _shares(c_scores)
    members = tuple(
        _scope(a_scores[m], a_sh[m], a_sig[m], c_scores[m], c_sh[m], c_sig[m])
        for m in range(len(answers))
    )
    flags: list[str] = []
    if not a_sig.all():
        flags.append(
            f"{int((~a_sig).sum())} member(s) without archetype signal left out of the group"
        )
    if a_sig.any():
        g_a = a_sh[a_sig].mean(axis=0)
    else:
        g_a = np.full(len(ARCHETYPES), 1.0 / len(ARCHETYPES))
        flags.append("no_signal")
    if c_sig.any():
        g_c = c_sh[c_sig].mean(axis=0)
    else:
        g_c = np.full(len(key.cluster_keys), 1.0 / len(key.cluster_keys))
        flags.append("no_cluster_signal")
    group = _scope(
        a_scores.sum(axis=0), g_a, bool(a_sig.any()), c_scores.sum(axis=0), g_c, bool(c_sig.any())
    )
    if len(answers) < 2:
        flags.append("single_member")
    return RoleScopeResult(
        instrument=key.instrument,
        cluster_keys=key.cluster_keys,
        members=members,
        group=group,
        archetype_agreement=_tv_agreement(a_sh[a_sig]),
        cluster_agreement=_tv_agreement(c_sh[c_sig]),
        item_disagreement=tuple(_item_disagreement(key, x, answered)),
        flags=tuple(flags),
    )
