"""The board's side of an engagement: role scope, pairwise priorities, the proposed profile.

Board members answer the role-scope questionnaire through their own link and
then compare the six competency clusters two at a time (AHP).  Their answers
are scored one by one at submission (see :func:`score_board_member`); the
board view pools every completed member (:func:`build_view`) so the board can
see where it agrees, and turns the group's answer into a proposed role profile
that a board user approves.  Approval makes the profile current and, in the
same transaction, restates every candidate's stored standing against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import func, select, update

import questionnaires
import scoring
from assessor.database import upsert
from assessor.extensions import db
from assessor.models import (
    Answer,
    Assignment,
    Engagement,
    PairwiseJudgement,
    Result,
    RoleProfileVersion,
    User,
    utcnow,
)
from assessor.services import audit, standings
from assessor.services.errors import NotFoundError, PermissionDeniedError, ServiceError
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES, Instrument
from questionnaires.flow import visible_items, visible_sections
from scoring.ahp import AHPResult, GroupAHPResult, Revision
from scoring.profiles import CLUSTERS, SCALES, RoleProfile, profile_from_weights
from scoring.rolescope import RoleScopeResult

KIND = "board_member"
#: Every unordered pair of clusters, in the order the page asks them.
PAIRS: tuple[tuple[str, str], ...] = tuple(
    (CLUSTERS[i], CLUSTERS[j]) for i in range(len(CLUSTERS)) for j in range(i + 1, len(CLUSTERS))
)
#: The radio values of one comparison, left end to right end: "9" = left much more
#: important, "1" = equal, "-9" = right much more important.
STEPS: tuple[int, ...] = (9, 8, 7, 6, 5, 4, 3, 2, 1, -2, -3, -4, -5, -6, -7, -8, -9)
#: Words for the odd points of Saaty's scale (even points lie between them).
INTENSITY_WORDS: Mapping[int, str] = {
    1: "equally important",
    2: "equally to moderately more important",
    3: "moderately more important",
    4: "moderately to strongly more important",
    5: "strongly more important",
    6: "strongly to very strongly more important",
    7: "very strongly more important",
    8: "very strongly to extremely more important",
    9: "extremely more important",
}
#: Below this archetype agreement the board is said to disagree on the kind of role.
LOW_AGREEMENT = 0.5
#: A candidate at or above this fit (the "good fit" band) counts as a real prospect.
GOOD_FIT = 65.0
PROFILE_STATUSES = ("proposed", "approved", "superseded", "withdrawn")


# ---------------------------------------------------------------- vocabulary
@cache
def cluster_names() -> dict[str, str]:
    """Cluster key → name, as the candidate instrument names them (one vocabulary)."""
    instrument = questionnaires.latest("cco_candidate")
    return {c.key: c.name for c in instrument.clusters}


@cache
def cluster_descriptions() -> dict[str, str]:
    instrument = questionnaires.latest("cco_candidate")
    return {c.key: c.description for c in instrument.clusters}


@cache
def scale_names() -> dict[str, str]:
    instrument = questionnaires.latest("cco_candidate")
    return {s: instrument.scale(s).name for s in SCALES}


def pair_field(left: str, right: str) -> str:
    """The form name of one comparison (stable, so a half-filled page reloads)."""
    return f"p_{left}__{right}"


def step_of(value: float) -> int:
    """The radio step of a stored judgement (9 … 1 … -9)."""
    if value >= 1:
        return round(value)
    return -round(1 / value)


def value_of(step: int) -> float:
    """The stored judgement (1/9 … 9) of a radio step."""
    return float(step) if step >= 1 else 1.0 / -step


def describe(left: str, right: str, value: float) -> str:
    """A judgement in words: 'Customer focus is strongly more important than …'."""
    names = cluster_names()
    step = step_of(value)
    if step == 1:
        return f"{names[left]} and {names[right]} are equally important (1)"
    first, second = (left, right) if step > 1 else (right, left)
    return f"{names[first]} is {INTENSITY_WORDS[abs(step)]} than {names[second]} ({abs(step)})"


# ------------------------------------------------------------ judgements
@dataclass
class PrioritiesSave:
    """What a post of the priorities page did: errors per pair field, or saved."""

    errors: dict[str, str] = field(default_factory=dict)
    saved: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_step(raw: object) -> int | None:
    """A submitted radio value as a step; None when not answered; ServiceError otherwise."""
    if raw is None:
        return None
    text = str(raw).strip()
    if text == "":
        return None
    try:
        step = int(text)
    except ValueError:
        raise ServiceError("Choose one of the points between the two names.") from None
    if step not in STEPS:
        raise ServiceError(
            "Choose a point from 9 (left much more important) through 1 (equal) to 9 "
            "(right much more important)."
        )
    return step


def judgements_of(assignment: Assignment) -> dict[tuple[str, str], float]:
    """(left, right) → value of one member's stored judgements."""
    stmt = select(
        PairwiseJudgement.left_key, PairwiseJudgement.right_key, PairwiseJudgement.value
    ).where(PairwiseJudgement.assignment_id == assignment.id)
    return {(left, right): float(value) for left, right, value in db.session.execute(stmt)}


def save_judgements(
    assignment: Assignment, form_data: Mapping[str, object], *, strict: bool
) -> PrioritiesSave:
    """Validate and upsert the comparisons posted; valid ones are kept even if others fail.

    With ``strict`` every pair must be answered (the member asked to check
    their answers); otherwise gaps are allowed (save and finish later).
    """
    if assignment.submitted_at is not None:
        raise ServiceError("These answers have already been submitted.")
    result = PrioritiesSave()
    existing = {
        (j.left_key, j.right_key): j
        for j in db.session.scalars(
            select(PairwiseJudgement).where(PairwiseJudgement.assignment_id == assignment.id)
        )
    }
    now = utcnow()
    changed: list[dict[str, object]] = []
    for left, right in PAIRS:
        name = pair_field(left, right)
        try:
            step = parse_step(form_data.get(name))
        except ServiceError as exc:
            result.errors[name] = exc.message
            continue
        row = existing.get((left, right))
        if step is None:
            if strict and row is None:
                result.errors[name] = "Compare this pair to continue."
            continue
        value = value_of(step)
        if row is None or not math.isclose(row.value, value):
            changed.append(
                {
                    "assignment_id": assignment.id,
                    "left_key": left,
                    "right_key": right,
                    "value": value,
                    "answered_at": now,
                }
            )
        result.saved += 1
    # An upsert, so a second tab saving the same comparisons cannot trip the unique key.
    upsert(
        db.session,
        PairwiseJudgement,
        changed,
        ("assignment_id", "left_key", "right_key"),
        {"value": "value", "answered_at": "answered_at"},
    )
    if assignment.started_at is None:
        assignment.started_at = now
    if assignment.status == "invited":
        assignment.status = "in_progress"
    db.session.flush()
    db.session.expire_all()
    return result


def priorities_complete(assignment: Assignment) -> bool:
    """True when every pair has been compared (consistency is advice, not a gate)."""
    count = db.session.scalar(
        select(func.count(PairwiseJudgement.id)).where(
            PairwiseJudgement.assignment_id == assignment.id
        )
    )
    return int(count or 0) >= len(PAIRS)


def has_judgements(assignment: Assignment) -> bool:
    return (
        db.session.scalar(
            select(PairwiseJudgement.id)
            .where(PairwiseJudgement.assignment_id == assignment.id)
            .limit(1)
        )
        is not None
    )


def matrix_of(judgements: Mapping[tuple[str, str], float]) -> np.ndarray:
    return scoring.ahp.matrix_from_judgements(CLUSTERS, judgements)


@dataclass(frozen=True)
class Consistency:
    """A complete set of judgements analysed: weights, CR, and the pair worth a second look."""

    ahp: AHPResult
    revision: Revision | None

    @property
    def cr(self) -> float:
        return self.ahp.cr

    @property
    def is_consistent(self) -> bool:
        return self.ahp.is_consistent

    def revision_field(self) -> str | None:
        if self.revision is None or self.is_consistent:
            return None
        return pair_field(self.revision.key_i, self.revision.key_j)

    def revision_text(self) -> str | None:
        """Advice on the one judgement to revisit, in words, or None when consistent."""
        r = self.revision
        if r is None or self.is_consistent:
            return None
        return (
            f"You said: {describe(r.key_i, r.key_j, r.current)}. Your other answers "
            f"suggest: {describe(r.key_i, r.key_j, r.suggested)}. Changing this one answer "
            f"would bring the consistency ratio from {r.cr_before:.2f} to {r.cr_after:.2f}."
        )


def consistency_of(judgements: Mapping[tuple[str, str], float]) -> Consistency | None:
    """AHP weights and revision advice, or None while pairs are missing."""
    if len(judgements) < len(PAIRS):
        return None
    matrix = matrix_of(judgements)
    return Consistency(scoring.analyse(matrix, CLUSTERS), scoring.best_revision(matrix, CLUSTERS))


def score_board_member(
    instrument: Instrument, answers: Mapping[str, Any], judgements: Mapping[tuple[str, str], float]
) -> dict[str, Any]:
    """Everything stored for one submitted board member: role scope and AHP priorities."""
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [dict(answers)])
    scales = scoring.score_scales(key, matrix).row(0)
    scope = scoring.score_role_scope(instrument, [dict(answers)])
    data: dict[str, Any] = {
        "kind": "board",
        "scales": scales,
        "matrix": [None if np.isnan(v) else float(v) for v in matrix[0]],
        "role_scope": scope.members[0].to_dict(scope.cluster_keys),
        "ahp": None,
        "revision": None,
        "judgements": [[left, right, value] for (left, right), value in judgements.items()],
    }
    analysed = consistency_of(judgements)
    if analysed is not None:
        data["ahp"] = analysed.ahp.to_dict()
        data["revision"] = analysed.revision.to_dict() if analysed.revision else None
    return data


# --------------------------------------------------------------- members
def members(engagement: Engagement) -> list[Assignment]:
    """The engagement's board members, in invitation order."""
    stmt = (
        select(Assignment)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == KIND)
        .order_by(Assignment.created_at, Assignment.id)
    )
    return list(db.session.scalars(stmt))


def get_member(engagement: Engagement, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.engagement_id != engagement.id
        or assignment.organisation_id != engagement.organisation_id
        or assignment.kind != KIND
    ):
        raise NotFoundError("No such board member in this engagement.")
    return assignment


@dataclass
class MemberRow:
    """One member as the board view lists them."""

    assignment: Assignment
    answered: int
    total: int
    judged: int
    scope: dict[str, Any] | None = None
    ahp: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        return self.assignment.status

    @property
    def cr(self) -> float | None:
        return None if self.ahp is None else float(self.ahp["cr"])


@dataclass
class DisputedItem:
    key: str
    text: str
    distance: float
    choices: list[tuple[str, str]]  # (member name, answer in words)


@dataclass
class DisputedPair:
    left: str
    right: str
    spread: float  # largest gap between two members, in Saaty steps of log scale
    choices: list[tuple[str, str]]


@dataclass
class BoardView:
    """Everything the board page, the profile proposal and the role brief need."""

    engagement: Engagement
    rows: list[MemberRow]
    scope: RoleScopeResult | None
    group: GroupAHPResult | None
    weight_agreement: float | None
    disputed_items: list[DisputedItem]
    disputed_pairs: list[DisputedPair]
    answers: list[dict[str, Any]]  # completed members' answers, row-aligned with completed
    completed: list[Assignment]

    @property
    def counts(self) -> dict[str, int]:
        out = {"invited": 0, "in_progress": 0, "completed": 0, "revoked": 0}
        for row in self.rows:
            out[row.status] = out.get(row.status, 0) + 1
        return out

    @property
    def archetype_agreement(self) -> float | None:
        return None if self.scope is None else self.scope.archetype_agreement

    @property
    def group_weights(self) -> dict[str, float] | None:
        if self.group is None:
            return None
        return dict(zip(self.group.keys, self.group.weights, strict=True))

    @property
    def recommended(self) -> str | None:
        return None if self.scope is None else self.scope.recommended

    @property
    def low_agreement(self) -> bool:
        """The board does not yet agree on the kind of role (a finding in itself)."""
        agreement = self.archetype_agreement
        return agreement is not None and agreement < LOW_AGREEMENT


def _tv_agreement(shares: np.ndarray) -> float | None:
    """1 − mean pairwise total-variation distance, the measure rolescope uses for archetypes,
    applied to AHP weights so both agreement figures read the same way."""
    if shares.shape[0] < 2:
        return None
    d = 0.5 * np.abs(shares[:, None, :] - shares[None, :, :]).sum(axis=-1)
    iu = np.triu_indices(shares.shape[0], 1)
    return float(1.0 - d[iu].mean())


def _answers_by_member(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {i: {} for i in ids}
    if not ids:
        return out
    stmt = select(Answer.assignment_id, Answer.item_key, Answer.value).where(
        Answer.assignment_id.in_(list(ids))
    )
    for assignment_id, item_key, value in db.session.execute(stmt):
        out[assignment_id][item_key] = value
    return out


def _judgements_by_member(ids: Sequence[int]) -> dict[int, dict[tuple[str, str], float]]:
    out: dict[int, dict[tuple[str, str], float]] = {i: {} for i in ids}
    if not ids:
        return out
    stmt = select(
        PairwiseJudgement.assignment_id,
        PairwiseJudgement.left_key,
        PairwiseJudgement.right_key,
        PairwiseJudgement.value,
    ).where(PairwiseJudgement.assignment_id.in_(list(ids)))
    for assignment_id, left, right, value in db.session.execute(stmt):
        out[assignment_id][(left, right)] = float(value)
    return out


def answer_text(instrument: Instrument, item_key: str, value: Any) -> str:
    """A stored answer in the words the member saw."""
    item = next((i for i in instrument.items if i.key == item_key), None)
    if item is None or value is None:
        return "—"
    if isinstance(value, list):
        return "; ".join(item.option(v).text for v in value) or "—"
    if item.options:
        return item.option(str(value)).text
    return str(value)


def build_view(engagement: Engagement) -> BoardView:
    """Pool the board: members' progress, each completed member's scope and priorities,
    the group's (mean shares; AHP by geometric mean of judgements), and the disputes."""
    assignments = members(engagement)
    instrument = questionnaires.latest("role_scope")
    ids = [a.id for a in assignments]
    answers = _answers_by_member(ids)
    judgements = _judgements_by_member(ids)
    results = {
        assignment_id: data
        for assignment_id, data in db.session.execute(
            select(Result.assignment_id, Result.data).where(Result.assignment_id.in_(ids))
        )
    }
    rows: list[MemberRow] = []
    completed: list[Assignment] = []
    for a in assignments:
        total = len(
            [
                i
                for s in visible_sections(instrument, answers[a.id])
                for i in visible_items(s, answers[a.id])
            ]
        )
        answered = sum(1 for v in answers[a.id].values() if v not in (None, ""))
        data = results.get(a.id) if a.submitted_at is not None else None
        rows.append(
            MemberRow(
                a,
                min(answered, total),
                total,
                len(judgements[a.id]),
                scope=(data or {}).get("role_scope"),
                ahp=(data or {}).get("ahp"),
            )
        )
        if a.submitted_at is not None:
            completed.append(a)
    done_answers = [answers[a.id] for a in completed]
    scope = scoring.score_role_scope(instrument, done_answers) if done_answers else None
    complete_judges = [a for a in completed if len(judgements[a.id]) == len(PAIRS)]
    group = None
    weight_agreement = None
    pairs: list[DisputedPair] = []
    if complete_judges:
        stack = np.array([matrix_of(judgements[a.id]) for a in complete_judges])
        group = scoring.group_ahp(stack, CLUSTERS)
        weight_agreement = _tv_agreement(np.array([m.weights for m in group.members]))
        pairs = _disputed_pairs(complete_judges, judgements)
    items: list[DisputedItem] = []
    if scope is not None and len(completed) >= 2:
        for item_key, distance in scope.item_disagreement[:3]:
            if distance <= 0:
                continue
            item = next(i for i in instrument.items if i.key == item_key)
            items.append(
                DisputedItem(
                    item_key,
                    item.text,
                    distance,
                    [
                        (
                            a.name or "Member",
                            answer_text(instrument, item_key, answers[a.id].get(item_key)),
                        )
                        for a in completed
                    ],
                )
            )
    return BoardView(
        engagement, rows, scope, group, weight_agreement, items, pairs, done_answers, completed
    )


def _disputed_pairs(
    judges: Sequence[Assignment], judgements: Mapping[int, Mapping[tuple[str, str], float]]
) -> list[DisputedPair]:
    """The comparisons members answered furthest apart (at least 4 steps), widest first."""
    if len(judges) < 2:
        return []
    out: list[DisputedPair] = []
    for left, right in PAIRS:
        steps = [_signed_position(judgements[a.id][(left, right)]) for a in judges]
        spread = max(steps) - min(steps)
        if spread >= 4:
            out.append(
                DisputedPair(
                    left,
                    right,
                    float(spread),
                    [
                        (a.name or "Member", describe(left, right, judgements[a.id][(left, right)]))
                        for a in judges
                    ],
                )
            )
    out.sort(key=lambda p: -p.spread)
    return out[:3]


def _signed_position(value: float) -> int:
    """Position on the 17-point line: 9 at the left end, 1 in the middle is 0, -8 at the right."""
    step = step_of(value)
    return step - 1 if step >= 1 else step + 1


# -------------------------------------------------------------- profiles
def proposal(engagement: Engagement) -> RoleProfileVersion | None:
    """The board's pending proposal, if any (at most one is pending at a time)."""
    stmt = (
        select(RoleProfileVersion)
        .where(
            RoleProfileVersion.engagement_id == engagement.id,
            RoleProfileVersion.status == "proposed",
        )
        .order_by(RoleProfileVersion.version.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def get_version(engagement: Engagement, version_id: object) -> RoleProfileVersion:
    try:
        key = int(str(version_id))
    except ValueError:
        raise NotFoundError("No such role profile version.") from None
    version = db.session.get(RoleProfileVersion, key)
    if version is None or version.engagement_id != engagement.id:
        raise NotFoundError("No such role profile version.")
    return version


def _next_version_number(engagement: Engagement) -> int:
    latest = db.session.scalar(
        select(func.max(RoleProfileVersion.version)).where(
            RoleProfileVersion.engagement_id == engagement.id
        )
    )
    return int(latest or 0) + 1


def rationale_of(view: BoardView) -> str:
    """Why the board's profile looks as it does, in one paragraph (plain text)."""
    scope = view.scope
    if scope is None:
        return ""
    names = ARCHETYPE_NAMES
    shares = dict(zip(ARCHETYPES, scope.group.archetype_shares, strict=True))
    ranked = sorted(shares, key=lambda a: -shares[a])
    parts = [
        f"{len(view.completed)} board member{'s' if len(view.completed) != 1 else ''} "
        "answered the role-scope questionnaire. "
        f"Their answers point to the {names[ranked[0]]} ({shares[ranked[0]]:.0%} of the "
        f"archetype signal), {scope.group.margin * 100:.0f} points ahead of the "
        f"{names[ranked[1]]} ({shares[ranked[1]]:.0%})."
    ]
    if view.archetype_agreement is not None:
        parts.append(f"Agreement on the kind of role is {view.archetype_agreement:.0%}.")
    if view.group is not None:
        weights = view.group_weights or {}
        top = sorted(weights, key=lambda c: -weights[c])[:2]
        cn = cluster_names()
        cr = view.group.cr
        parts.append(
            f"The cluster weights come from the members' pairwise comparisons, pooled by "
            f"geometric mean: {cn[top[0]]} ({weights[top[0]]:.0%}) and {cn[top[1]]} "
            f"({weights[top[1]]:.0%}) weigh most"
            + (f"; the pooled judgements have a consistency ratio of {cr:.2f}." if cr else ".")
        )
    else:
        parts.append(
            "No member completed the pairwise comparisons, so the weights follow the "
            "importance implied by the role-scope answers."
        )
    parts.append("The archetype's must-have minima apply unless the board changes them.")
    return " ".join(parts)


def profile_from_view(view: BoardView) -> RoleProfile:
    """The role profile the board's answers imply: archetype, AHP weights, default minima."""
    if view.scope is None:
        raise ServiceError(
            "No board member has submitted yet; a profile needs at least one completed member."
        )
    archetype = view.scope.recommended
    if view.group is not None:
        weights = view.group_weights or {}
    else:
        weights = view.scope.to_profile().weights
    profile = profile_from_weights(
        weights, archetype, None, name=f"{ARCHETYPE_NAMES[archetype]} (board)", source="board"
    )
    return RoleProfile(
        name=profile.name,
        weights=profile.weights,
        minima=profile.minima,
        archetype=archetype,
        source="board",
        rationale=rationale_of(view),
    )


def propose(actor: User, engagement: Engagement) -> RoleProfileVersion:
    """Turn the board's pooled answers into a proposed profile version (not yet used).

    An earlier pending proposal is superseded: only one waits for approval.
    """
    view = build_view(engagement)
    profile = profile_from_view(view)
    _supersede_pending(engagement)
    version = RoleProfileVersion(
        engagement_id=engagement.id,
        version=_next_version_number(engagement),
        data=profile.to_dict(),
        source="board",
        note=f"Proposed from {len(view.completed)} board member(s)",
        status="proposed",
        is_current=False,
        created_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        engagement.organisation_id,
        actor.id,
        "profile.propose",
        "engagement",
        engagement.id,
        version=version.version,
        members=len(view.completed),
    )
    return version


def _supersede_pending(engagement: Engagement) -> None:
    db.session.execute(
        update(RoleProfileVersion)
        .where(
            RoleProfileVersion.engagement_id == engagement.id,
            RoleProfileVersion.status == "proposed",
        )
        .values(status="superseded")
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def _pending(version: RoleProfileVersion) -> None:
    if version.status != "proposed":
        raise ServiceError(
            f"Version {version.version} is {version.status}; only a proposed profile can be "
            "changed or approved."
        )


def adjust(
    actor: User,
    version: RoleProfileVersion,
    weights_percent: Mapping[str, float],
    minima: Mapping[str, float | None],
    archetype: str,
    note: str = "",
) -> RoleProfileVersion:
    """Change a pending proposal's weights (percent, must total 100) and minima.

    A proposal has never ranked anyone, so it is changed in place; once
    approved it is frozen like every other version.
    """
    _pending(version)
    if archetype not in ARCHETYPES:
        raise ServiceError("Choose one of the three archetypes.", field="archetype")
    cleaned: dict[str, float] = {}
    for cluster in CLUSTERS:
        value = weights_percent.get(cluster)
        if value is None or not math.isfinite(float(value)) or not 0 <= float(value) <= 100:
            raise ServiceError(
                f"Give {cluster_names()[cluster]} a weight from 0 to 100 percent.",
                field=f"w_{cluster}",
            )
        cleaned[cluster] = float(value)
    total = sum(cleaned.values())
    if abs(total - 100) > 0.5:
        raise ServiceError(
            f"The weights add up to {total:g}%; make them add up to 100%.", field="weights"
        )
    kept_minima: dict[str, float] = {}
    for scale, value in minima.items():
        if value is None:
            continue
        if scale not in SCALES or not 0 <= float(value) <= 100:
            raise ServiceError(
                f"A must-have minimum for {scale_names().get(scale, scale)} must lie "
                "from 0 to 100.",
                field=f"min_{scale}",
            )
        kept_minima[scale] = float(value)
    old = RoleProfile.from_dict(version.data)
    profile = RoleProfile(
        name=f"{ARCHETYPE_NAMES[archetype]} (board)",
        weights={c: v / 100 for c, v in cleaned.items()},
        minima=kept_minima,
        archetype=archetype,
        source="board",
        rationale=old.rationale,
    )
    version.data = profile.to_dict()
    note = " ".join((note or "").split())[:500]
    version.note = f"Adjusted by {actor.name}" + (f": {note}" if note else "")
    db.session.flush()
    if version.is_current:  # a proposal moves no candidate until it is approved
        standings.restate(db.session.get(Engagement, version.engagement_id))
    audit.record(
        actor.organisation_id,
        actor.id,
        "profile.adjust",
        "engagement",
        version.engagement_id,
        version=version.version,
        before={"weights": dict(old.weights), "minima": dict(old.minima)},
        after={"weights": dict(profile.weights), "minima": dict(profile.minima)},
    )
    return version


def approve(actor: User, version: RoleProfileVersion) -> RoleProfileVersion:
    """A board user approves the proposal: it becomes current and every fit is recomputed.

    The earlier versions stay as they were, so a ranking made before can
    still be explained by the version it used.
    """
    if actor.role not in ("board", "admin"):
        raise PermissionDeniedError("Only a board member or an administrator may approve.")
    _pending(version)
    db.session.execute(
        update(RoleProfileVersion)
        .where(RoleProfileVersion.engagement_id == version.engagement_id)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    version.status = "approved"
    version.is_current = True
    version.approved_by_id = actor.id
    version.approved_at = utcnow()
    db.session.flush()
    standings.restate(db.session.get(Engagement, version.engagement_id))
    audit.record(
        actor.organisation_id,
        actor.id,
        "profile.approve",
        "engagement",
        version.engagement_id,
        version=version.version,
    )
    return version


def withdraw(actor: User, version: RoleProfileVersion) -> RoleProfileVersion:
    """Drop a pending proposal without using it (it stays in the history)."""
    _pending(version)
    version.status = "withdrawn"
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "profile.withdraw",
        "engagement",
        version.engagement_id,
        version=version.version,
    )
    return version


@dataclass
class HistoryRow:
    version: RoleProfileVersion
    profile: RoleProfile
    created_by: str | None
    approved_by: str | None

    @property
    def approved_at(self) -> datetime | None:
        return self.version.approved_at


def history(engagement: Engagement) -> list[HistoryRow]:
    """Every profile version, newest first, with who proposed and who approved it."""
    versions = list(
        db.session.scalars(
            select(RoleProfileVersion)
            .where(RoleProfileVersion.engagement_id == engagement.id)
            .order_by(RoleProfileVersion.version.desc())
        )
    )
    user_ids = {v.created_by_id for v in versions} | {v.approved_by_id for v in versions}
    user_ids.discard(None)
    names = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    return [
        HistoryRow(
            v,
            RoleProfile.from_dict(v.data),
            names.get(v.created_by_id) if v.created_by_id else None,
            names.get(v.approved_by_id) if v.approved_by_id else None,
        )
        for v in versions
    ]
