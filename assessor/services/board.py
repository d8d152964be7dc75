"""The board's side of an engagement: role scope, pairwise priorities, the proposed profile.

Board members answer the role-scope questionnaire through their own link and
then compare the six competency clusters two at a time (AHP).  Their answers
are scored one by one at submission (see :func:`score_board_member`); the
board view pools every completed member (:func:`build_view`) so the board can
see where it agrees, and turns the group's answer into a proposed role profile.
A proposal (the board's, or a recruiter's archetype choice) ranks nobody until
the engagement's board members approve it, up to its quorum (:func:`decide`);
approval makes it current and, in the same transaction, restates every
candidate's stored standing against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from flask import render_template
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import questionnaires
import scoring
from assessor.database import upsert
from assessor.extensions import db
from assessor.models import (
    Answer,
    Assignment,
    Engagement,
    PairwiseJudgement,
    ProfileDecision,
    Result,
    RoleProfileVersion,
    User,
    utcnow,
)
from assessor.services import audit, mail, profiles, standings
from assessor.services import engagements as engagement_service
from assessor.services.errors import NotFoundError, PermissionDeniedError, ServiceError
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES, Instrument
from questionnaires.flow import visible_items, visible_sections
from scoring.ahp import AHPResult, GroupAHPResult, Revision
from scoring.profiles import (
    CLUSTERS,
    SCALES,
    RoleProfile,
    default_profile,
    profile_from_weights,
)
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
#: "default": an archetype's default weights, set when the engagement was created;
#: current (candidates are ranked from the start) but approved by nobody.
PROFILE_STATUSES = ("default", "proposed", "approved", "rejected", "superseded", "withdrawn")
#: What one board member may say about a proposal.
DECISIONS = ("approve", "reject")


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
    #: the organisation's values the completed members named (role scope v2 onward)
    values: list[BoardValue] = field(default_factory=list)

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


#: How many values a member may name (role scope v2: ``value_<n>``, ``value_<n>_behaviour``).
VALUE_SLOTS = 5
VALUE_KEYS: tuple[str, ...] = tuple(
    key for n in range(1, VALUE_SLOTS + 1) for key in (f"value_{n}", f"value_{n}_behaviour")
)


@dataclass(frozen=True)
class BoardValue:
    """One value of the organisation as the board named it, for culture fit."""

    name: str
    behaviour: str
    named_by: tuple[str, ...]


def values_from_answers(named: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BoardValue]:
    """Members' values merged by name (case and spacing ignored), most often named first.

    ``named`` pairs a member's name with their answers. The first member to
    name a value gives its behaviour sentence (or a later one, if the first
    left it empty); ties keep the order in which values were first named.
    """
    merged: dict[str, dict[str, Any]] = {}
    for who, answers in named:
        for n in range(1, VALUE_SLOTS + 1):
            name = " ".join(str(answers.get(f"value_{n}") or "").split())
            if not name:
                continue
            behaviour = " ".join(str(answers.get(f"value_{n}_behaviour") or "").split())
            entry = merged.setdefault(name.casefold(), {"name": name, "behaviour": "", "by": []})
            if not entry["behaviour"]:
                entry["behaviour"] = behaviour
            if who not in entry["by"]:
                entry["by"].append(who)
    order = sorted(merged.values(), key=lambda e: -len(e["by"]))  # stable: first named first
    return [BoardValue(e["name"], e["behaviour"], tuple(e["by"])) for e in order]


def board_values(engagement: Engagement) -> list[BoardValue]:
    """The values the engagement's submitted board members named, without the whole view
    (the interview form needs only these)."""
    stmt = (
        select(Assignment.id, Assignment.name, Answer.item_key, Answer.value)
        .join(Answer, Answer.assignment_id == Assignment.id)
        .where(
            Assignment.engagement_id == engagement.id,
            Assignment.kind == KIND,
            Assignment.submitted_at.is_not(None),
            Answer.item_key.in_(VALUE_KEYS),
        )
        .order_by(Assignment.id)
    )
    by_member: dict[int, tuple[str, dict[str, Any]]] = {}
    for assignment_id, name, item_key, value in db.session.execute(stmt):
        by_member.setdefault(assignment_id, (name or "Member", {}))[1][item_key] = value
    return values_from_answers(list(by_member.values()))


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
        # progress against the version the member was invited with (v1 has no values page)
        own = _member_instrument(a, instrument)
        total = len(
            [
                i
                for s in visible_sections(own, answers[a.id])
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
    values = values_from_answers([(a.name or "Member", answers[a.id]) for a in completed])
    return BoardView(
        engagement,
        rows,
        scope,
        group,
        weight_agreement,
        items,
        pairs,
        done_answers,
        completed,
        values,
    )


def _member_instrument(assignment: Assignment, latest: Instrument) -> Instrument:
    """The role-scope version a member was invited with (the latest if it is that one).

    The group is pooled under the latest version: its items keep v1's keys and
    options, and only drop the customer-type archetype signal the articles
    reject, so every member is weighed by today's rule.
    """
    if assignment.instrument_version == latest.version:
        return latest
    try:
        return questionnaires.load(assignment.instrument_key, assignment.instrument_version)
    except KeyError:
        return latest


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
    return _add_proposal(
        actor,
        engagement,
        profile,
        f"Proposed from {len(view.completed)} board member(s)",
        members=len(view.completed),
    )


def propose_archetype(actor: User, engagement: Engagement, archetype: str) -> RoleProfileVersion:
    """A recruiter's choice of an archetype's default weights, as a proposal.

    It ranks nobody until the engagement's board approves it (issue #15): the
    recruiter may suggest a change, the board's approval governs the ranking.
    """
    if archetype not in ARCHETYPES:
        raise ServiceError("Choose one of the three archetypes.", field="archetype")
    profile = default_profile(archetype)
    current = profiles.current_version(engagement)
    if current is not None and _same_profile(RoleProfile.from_dict(current.data), profile):
        raise ServiceError(
            f"The {profile.name} default weights are already in use (v{current.version}); "
            "choose another archetype to propose a change.",
            field="archetype",
        )
    return _add_proposal(
        actor, engagement, profile, f"Proposed by {actor.name}: {profile.name} default weights"
    )


def _same_profile(a: RoleProfile, b: RoleProfile) -> bool:
    def close(x: Mapping[str, float], y: Mapping[str, float]) -> bool:
        return set(x) == set(y) and all(math.isclose(x[k], y[k], abs_tol=1e-9) for k in x)

    return a.archetype == b.archetype and close(a.weights, b.weights) and close(a.minima, b.minima)


def _add_proposal(
    actor: User, engagement: Engagement, profile: RoleProfile, note: str, **detail: Any
) -> RoleProfileVersion:
    """A new pending version (never current) that supersedes any earlier pending one."""
    _supersede_pending(engagement)
    version = RoleProfileVersion(
        engagement_id=engagement.id,
        version=_next_version_number(engagement),
        data=profile.to_dict(),
        source=profile.source,
        note=note,
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
        source=version.source,
        **detail,
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
            "changed, approved or rejected."
        )


def check_adjustable(version: RoleProfileVersion) -> None:
    """A proposal can change only before any board member decided on it: an approval
    given to other weights must not carry over to the changed ones."""
    _pending(version)
    decided = db.session.scalar(
        select(func.count(ProfileDecision.id)).where(ProfileDecision.version_id == version.id)
    )
    if decided:
        raise ServiceError(
            f"Board members have already decided on proposal v{version.version}, so it can no "
            "longer change; propose again and adjust the new proposal instead."
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

    A proposal has never ranked anyone, so it is changed in place (until a board
    member decides on it); it stays a proposal until the board approves it.
    """
    check_adjustable(version)
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


# ------------------------------------------------------------ approval
def needed_approvals(quorum: int, board_size: int) -> int:
    """Approvals a proposal needs: the engagement's quorum, capped at the board it has now.

    The rule form refuses a quorum above the board's size; if members leave
    later, the quorum shrinks with the board, so a proposal can still be decided.
    """
    return max(1, min(int(quorum), board_size)) if board_size > 0 else max(1, int(quorum))


def quorum_outcome(approvals: int, rejections: int, board_size: int, quorum: int) -> str:
    """'approved', 'rejected' or 'pending': the whole approval rule in one place.

    Approved once ``needed_approvals`` members approved. Rejected once it can
    no longer get there (members − rejections < needed), which for "any one
    board member" (needed 1) is the first rejection. Only decisions of the
    current board members are counted (see :func:`tally`).
    """
    needed = needed_approvals(quorum, board_size)
    if approvals >= needed:
        return "approved"
    if rejections > 0 and (needed == 1 or board_size - rejections < needed):
        return "rejected"
    return "pending"


@dataclass(frozen=True)
class DecisionRow:
    """One member's decision as the pages show it."""

    user_id: int
    name: str
    decision: str
    note: str
    created_at: datetime
    #: False when the member is no longer on the engagement's board (not counted)
    counted: bool


@dataclass(frozen=True)
class Tally:
    """Where a proposal stands with the engagement's board."""

    version: RoleProfileVersion
    quorum: int
    board: list[User]
    decisions: list[DecisionRow]

    @property
    def approvals(self) -> int:
        return sum(1 for d in self.decisions if d.counted and d.decision == "approve")

    @property
    def rejections(self) -> int:
        return sum(1 for d in self.decisions if d.counted and d.decision == "reject")

    @property
    def needed(self) -> int:
        return needed_approvals(self.quorum, len(self.board))

    @property
    def outcome(self) -> str:
        return quorum_outcome(self.approvals, self.rejections, len(self.board), self.quorum)

    @property
    def undecided(self) -> list[User]:
        decided = {d.user_id for d in self.decisions}
        return [u for u in self.board if u.id not in decided]

    def may_decide(self, user: User) -> bool:
        """True for a board member of the engagement who has not decided yet."""
        return self.version.status == "proposed" and any(u.id == user.id for u in self.undecided)


def board_approvers(engagement: Engagement) -> list[User]:
    """The people who approve the engagement's role profile: its enabled board members."""
    return engagement_service.member_users(engagement, "board")


def decisions_of(version_ids: Sequence[int]) -> dict[int, list[tuple[ProfileDecision, str]]]:
    """version id → [(decision, member's name)], oldest first."""
    out: dict[int, list[tuple[ProfileDecision, str]]] = {i: [] for i in version_ids}
    if not version_ids:
        return out
    stmt = (
        select(ProfileDecision, User.name)
        .join(User, User.id == ProfileDecision.user_id)
        .where(ProfileDecision.version_id.in_(list(version_ids)))
        .order_by(ProfileDecision.created_at, ProfileDecision.id)
    )
    for decision, name in db.session.execute(stmt):
        out[decision.version_id].append((decision, name))
    return out


def tally(version: RoleProfileVersion) -> Tally:
    """The proposal's decisions so far, counting only members still on the board.

    A member removed from the engagement (or disabled) no longer approves: their
    earlier decision stays listed but stops counting, as if they had not decided.
    """
    engagement = db.session.get(Engagement, version.engagement_id)
    board = board_approvers(engagement)
    ids = {u.id for u in board}
    rows = [
        DecisionRow(d.user_id, name, d.decision, d.note, d.created_at, d.user_id in ids)
        for d, name in decisions_of([version.id])[version.id]
    ]
    return Tally(version, int(engagement.approval_quorum or 1), board, rows)


@dataclass(frozen=True)
class DecisionResult:
    """What one decision did: the tally after it, and whether it settled the proposal."""

    tally: Tally
    decision: str
    outcome: str  # "approved" (now current), "rejected", or "pending"


def decide(
    actor: User, version: RoleProfileVersion, decision: str, note: str = ""
) -> DecisionResult:
    """One board member approves or rejects a proposal; the quorum rule settles it.

    Only an enabled board member of the engagement decides (administrators and
    recruiters do not: the board's approval governs the ranking), once each. A
    rejection needs a reason, which the proposer and the board read.
    """
    if decision not in DECISIONS:
        raise ServiceError("Approve or reject the proposal.")
    engagement = db.session.get(Engagement, version.engagement_id)
    if not any(u.id == actor.id for u in board_approvers(engagement)):
        raise PermissionDeniedError(
            "Only a board member of this engagement approves or rejects its role profile; "
            "your account is not one, so the proposal is left as it was."
        )
    # One decision at a time per proposal: the count below must see every earlier one.
    db.session.execute(
        select(RoleProfileVersion.id).where(RoleProfileVersion.id == version.id).with_for_update()
    )
    db.session.refresh(version)
    _pending(version)
    note = " ".join((note or "").split())[:500]
    if decision == "reject" and not note:
        raise ServiceError(
            "Say briefly why you reject the proposal; the proposer and the board read it.",
            field="note",
        )
    earlier = db.session.scalar(
        select(ProfileDecision).where(
            ProfileDecision.version_id == version.id, ProfileDecision.user_id == actor.id
        )
    )
    if earlier is not None:
        raise _already(version, earlier)
    row = ProfileDecision(version_id=version.id, user_id=actor.id, decision=decision, note=note)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same member, twice at once
        raise ServiceError(
            f"You have already decided on proposal v{version.version}; each board member "
            "decides once."
        ) from None
    counted = tally(version)
    if decision == "approve":
        audit.record(
            engagement.organisation_id,
            actor.id,
            "profile.approve",
            "engagement",
            engagement.id,
            version=version.version,
            approvals=counted.approvals,
            quorum=counted.needed,
        )
    else:
        audit.record(
            engagement.organisation_id,
            actor.id,
            "profile.reject",
            "engagement",
            engagement.id,
            version=version.version,
            reason=note,
        )
    outcome = counted.outcome
    if outcome == "approved":
        _adopt(actor, engagement, version, counted)
    elif outcome == "rejected":
        version.status = "rejected"
        db.session.flush()
    return DecisionResult(counted, decision, outcome)


def _already(version: RoleProfileVersion, earlier: ProfileDecision) -> ServiceError:
    done = "approved" if earlier.decision == "approve" else "rejected"
    return ServiceError(
        f"You already {done} proposal v{version.version} on "
        f"{earlier.created_at.strftime('%d %b %Y')}; each board member decides once."
    )


def _adopt(
    actor: User, engagement: Engagement, version: RoleProfileVersion, counted: Tally
) -> None:
    """The proposal reached its quorum: it becomes current and every fit is recomputed.

    The earlier versions stay as they were, so a ranking made before can still
    be explained by the version it used.
    """
    db.session.execute(
        update(RoleProfileVersion)
        .where(RoleProfileVersion.engagement_id == engagement.id)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    version.status = "approved"
    version.is_current = True
    version.approved_by_id = actor.id
    version.approved_at = utcnow()
    db.session.flush()
    standings.restate(engagement)
    audit.record(
        engagement.organisation_id,
        actor.id,
        "profile.adopt",
        "engagement",
        engagement.id,
        version=version.version,
        approvals=counted.approvals,
        quorum=counted.needed,
    )


def approve(actor: User, version: RoleProfileVersion) -> RoleProfileVersion:
    """A board member's approval (see :func:`decide`); current once the quorum is reached."""
    decide(actor, version, "approve")
    return version


def reject(actor: User, version: RoleProfileVersion, reason: str) -> RoleProfileVersion:
    """A board member's rejection with its reason (see :func:`decide`)."""
    decide(actor, version, "reject", reason)
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


def set_approval_quorum(actor: User, engagement: Engagement, quorum: int) -> Engagement:
    """Who approves the role profile: any one board member (1) or a quorum of N.

    Staff set it; not while a proposal waits, so the rule cannot change under
    a decision in progress. N may not exceed the engagement's board members.
    """
    if actor.role not in ("recruiter", "admin"):
        raise PermissionDeniedError("Only the firm's recruiters and administrators set this.")
    pending = proposal(engagement)
    if pending is not None:
        raise ServiceError(
            f"Proposal v{pending.version} waits for the board; change who approves once it is "
            "approved, rejected or withdrawn, so the rule does not change under a decision "
            "in progress.",
            field="quorum",
        )
    size = len(board_approvers(engagement))
    if quorum < 1:
        raise ServiceError("At least one board member must approve.", field="quorum")
    if quorum > 1 and quorum > size:
        raise ServiceError(
            f"This engagement has {size} board member{'s' if size != 1 else ''} who can approve; "
            f"a quorum of {quorum} could never be reached. Add board members first, or "
            "choose a smaller quorum.",
            field="quorum",
        )
    before = int(engagement.approval_quorum or 1)
    if before == quorum:
        return engagement
    engagement.approval_quorum = quorum
    db.session.flush()
    audit.record(
        engagement.organisation_id,
        actor.id,
        "profile.approval_rule",
        "engagement",
        engagement.id,
        quorum=quorum,
        before=before,
    )
    return engagement


def rule_text(quorum: int) -> str:
    """The approval rule in words."""
    return "any one board member" if quorum <= 1 else f"a quorum of {quorum} board members"


# ------------------------------------------------------------ notices
def notify(actor: User, version: RoleProfileVersion, event: str, link: str, **context: Any) -> int:
    """E-mail the people a profile event concerns (never the actor); the number sent.

    ``event``: "propose" tells the board members; "decision" (one member's
    decision, the proposal still open), "adopted" and "rejected" tell the
    proposer, the board members and the engagement's recruiters. Nothing is
    sent when e-mail is not configured; SMTP failures are logged, not raised.
    """
    if not mail.is_configured():
        return 0
    engagement = db.session.get(Engagement, version.engagement_id)
    board = board_approvers(engagement)
    people: list[User] = list(board)
    if event != "propose":
        proposer = db.session.get(User, version.created_by_id) if version.created_by_id else None
        if proposer is not None and proposer.is_enabled:
            people.append(proposer)
        people += engagement_service.member_users(engagement, "recruiter")
    seen: set[int] = {actor.id}
    recipients = []
    for person in people:
        if person.id not in seen:
            seen.add(person.id)
            recipients.append(person)
    if not recipients:
        return 0
    profile = RoleProfile.from_dict(version.data)
    counted = tally(version)
    subjects = {
        "propose": f"Role profile v{version.version} waits for the board's approval",
        "decision": f"{actor.name} decided on role profile v{version.version}",
        "adopted": f"Role profile v{version.version} is approved and ranks the candidates",
        "rejected": f"Role profile v{version.version} was rejected",
    }
    subject = f"{engagement.client_name} · {engagement.role_title}: {subjects[event]}"
    body = render_template(
        "email/profile_notice.txt",
        event=event,
        actor=actor,
        engagement=engagement,
        version=version,
        profile=profile,
        tally=counted,
        rule=rule_text(counted.needed),
        link=link,
        **context,
    )
    return mail.send_profile_notice(recipients, subject, body)


# ------------------------------------------------------------ the state
@dataclass(frozen=True)
class ProfileState:
    """The profile in use and the proposal waiting, as every page describes them."""

    current: RoleProfileVersion | None
    current_profile: RoleProfile | None
    in_use: str
    pending: RoleProfileVersion | None
    pending_profile: RoleProfile | None
    pending_tally: Tally | None


def version_text(version: RoleProfileVersion, approved_by: str | None = None) -> str:
    """One version in words, never calling a default 'approved'."""
    profile = RoleProfile.from_dict(version.data)
    if version.status == "default":
        name = ARCHETYPE_NAMES.get(profile.archetype or "", profile.name)
        when = (
            "set at creation"
            if version.version == 1
            else f"set on {version.created_at.strftime('%d %b %Y')}"
        )
        return f"v{version.version} {name} default weights, {when}; not approved by the board"
    if version.status == "approved" and version.approved_at is not None:
        who = approved_by or "a board member"
        return (
            f"v{version.version} {profile.name} — approved by {who} on "
            f"{version.approved_at.strftime('%d %b %Y')}"
        )
    return f"v{version.version} {profile.name} ({version.status})"


def profile_state(engagement: Engagement) -> ProfileState:
    """What ranks the candidates now, and what waits for the board."""
    current = profiles.current_version(engagement)
    approver = None
    if current is not None and current.approved_by_id:
        user = db.session.get(User, current.approved_by_id)
        approver = user.name if user else None
    pending = proposal(engagement)
    return ProfileState(
        current,
        RoleProfile.from_dict(current.data) if current else None,
        version_text(current, approver) if current else "no role profile yet",
        pending,
        RoleProfile.from_dict(pending.data) if pending else None,
        tally(pending) if pending else None,
    )


@dataclass
class HistoryRow:
    version: RoleProfileVersion
    profile: RoleProfile
    created_by: str | None
    approved_by: str | None
    decisions: list[tuple[ProfileDecision, str]] = field(default_factory=list)

    @property
    def approved_at(self) -> datetime | None:
        return self.version.approved_at

    @property
    def text(self) -> str:
        return version_text(self.version, self.approved_by)


def history(engagement: Engagement) -> list[HistoryRow]:
    """Every profile version, newest first, with who proposed it and who decided."""
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
    decided = decisions_of([v.id for v in versions])
    return [
        HistoryRow(
            v,
            RoleProfile.from_dict(v.data),
            names.get(v.created_by_id) if v.created_by_id else None,
            names.get(v.approved_by_id) if v.approved_by_id else None,
            decided[v.id],
        )
        for v in versions
    ]
