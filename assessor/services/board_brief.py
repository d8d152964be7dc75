"""The role brief: what the board decided, gathered as plain data for the PDF.

Fetch first, then build: :func:`brief_data` reads everything from the
database and the scoring package; :mod:`assessor.reports.role_brief` only
lays it out.

The interim-CEO rule (when the brief recommends that the chief executive acts
as interim CCO) is, in order of preference:

1. **Readiness survey** — if a readiness round of the engagement has
   released results, the latest release's rule of ``scoring.readiness``
   decides (readiness index or executive sponsorship below 40).
2. **Otherwise** the rule fires when either the board does not agree on the
   kind of role (archetype agreement below 50%, see ``board.LOW_AGREEMENT``),
   or the candidate pool is weak: at least one candidate has been scored and
   none reaches a good fit (65 or more) while meeting every must-have.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, true

import questionnaires
from assessor.extensions import db
from assessor.models import (
    Assignment,
    CandidateStanding,
    Engagement,
    Survey,
    SurveyRelease,
)
from assessor.services import board
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES
from scoring.profiles import CLUSTER_SCALES, CLUSTERS, RoleProfile

#: What each archetype typically holds, in the project's words (domain summary).
ARCHETYPE_SHAPE: dict[str, dict[str, str]] = {
    "board_strategist": {
        "budget": "a budget of its own with a say in company-wide investment",
        "seat": "a full seat on the board",
        "line": "reports to the chief executive and sits on the board",
        "purpose": (
            "aligns the customer strategy with the corporate strategy and shapes the product "
            "and service mix, with the authority to restructure where the customer needs it"
        ),
    },
    "operating_executive": {
        "budget": "the operating budget of the customer-facing units it runs",
        "seat": "a place in the executive committee, the senior operating team",
        "line": "reports to the chief executive or chief operating officer, in the senior "
        "operating team",
        "purpose": (
            "runs every customer touchpoint, usually including the contact centres, gives one "
            "view of the customer across channels and feeds customer insight back to the board"
        ),
    },
    "influence_leader": {
        "budget": "no budget of its own; works through the budgets of other functions",
        "seat": "senior management, with a named executive sponsor",
        "line": "sits in senior management and reports to an executive sponsor",
        "purpose": (
            "brings scattered customer initiatives under one agenda and moves the functions "
            "that own them by influence rather than authority, often across countries"
        ),
    },
}
#: Experience the role asks for, by archetype (added to what every CCO needs).
EXPERIENCE: dict[str, list[str]] = {
    "board_strategist": [
        "Board or executive-committee experience, with a record of shaping strategy",
        "Commercial leadership: sales or channel management, P&L responsibility",
        "Controllership or finance exposure, enough to own the cost side of customer decisions",
    ],
    "operating_executive": [
        "Leading large service operations, including contact centres, inbound and outbound",
        "Building customer measures and dashboards from many channels",
        "Using technology and digital channels to improve service",
    ],
    "influence_leader": [
        "Leading change across functions without line authority",
        "International or global roles, with teams in several countries",
        "Programme leadership that brought separate initiatives together",
    ],
}
COMMON_EXPERIENCE = [
    "Time spent close to customers, for example listening to contact-centre conversations",
    "A reorganisation or turnaround led or closely supported",
]


@dataclass
class MemberSummary:
    name: str
    archetype: str
    archetype_share: float
    cr: float | None
    weights: dict[str, float] | None


@dataclass
class Recommendation:
    """One mandate question: what the board said and what the brief recommends."""

    topic: str
    board_view: str  # e.g. "Operating budget (2 of 3 members)"
    recommended: str
    agrees: bool  # the board's majority matches the archetype's typical shape


@dataclass
class InterimAdvice:
    fires: bool
    basis: str  # "readiness survey" | "board and candidate pool"
    reasons: list[str]
    rule: str


@dataclass
class RoleBriefData:
    """Everything the role brief prints (plain data, JSON-able apart from the date)."""

    client: str
    role_title: str
    organisation: str
    generated_on: date
    invited: int
    completed: int
    member_names: list[str]
    recommended: str
    recommended_name: str
    archetype_shares: dict[str, float]
    margin: float
    tie: bool
    archetype_agreement: float | None
    weight_agreement: float | None
    rationale: str
    functions: list[tuple[str, int]]  # function in words, members who ticked it
    mandate: list[Recommendation]
    weights: dict[str, float]  # cluster → weight of the profile the brief uses
    weights_source: str
    minima: dict[str, float]
    group_cr: float | None
    members: list[MemberSummary]
    agreed: list[str]
    disputed: list[tuple[str, list[tuple[str, str]]]]
    job: dict[str, Any]
    interim: InterimAdvice
    profile_label: str
    #: what ranks the candidates now, in words (a default is never called approved)
    in_use_label: str = ""
    #: the proposal waiting for the board, with its approvals so far, if any
    pending_label: str | None = None
    cluster_names: dict[str, str] = field(default_factory=dict)
    scale_names: dict[str, str] = field(default_factory=dict)


def _profile_for_brief(
    engagement: Engagement, view: board.BoardView, state: board.ProfileState
) -> tuple[RoleProfile, str]:
    """The profile whose weights the brief prints: the board-approved one in use, else
    the proposal waiting for the board, else what the board's answers imply.

    A default profile set at creation is in use but nobody approved it, so the
    brief never presents it as the board's decision.
    """
    current = state.current
    if current is not None and current.status == "approved":
        return RoleProfile.from_dict(current.data), f"Role profile {state.in_use}, in use"
    if state.pending is not None and state.pending_tally is not None:
        return RoleProfile.from_dict(state.pending.data), _pending_label(state)
    return board.profile_from_view(view), "the board's answers (not yet proposed as a profile)"


def _pending_label(state: board.ProfileState) -> str:
    pending, tally = state.pending, state.pending_tally
    assert pending is not None and tally is not None
    name = RoleProfile.from_dict(pending.data).name
    return (
        f"Role profile v{pending.version} ({name}), proposed: waits for the board, "
        f"{tally.approvals} of {tally.needed} approvals"
    )


def _modal(
    instrument: questionnaires.Instrument, answers: list[dict[str, Any]], item_key: str
) -> tuple[str | None, int]:
    counts = Counter(a.get(item_key) for a in answers if a.get(item_key) is not None)
    if not counts:
        return None, 0
    value, n = counts.most_common(1)[0]
    return str(value), n


def _mandate(
    instrument: questionnaires.Instrument, answers: list[dict[str, Any]], archetype: str
) -> list[Recommendation]:
    """Budget, seat and reporting line: the board's majority beside the archetype's shape."""
    shape = ARCHETYPE_SHAPE[archetype]
    out: list[Recommendation] = []
    typical = {
        "budget": {
            "board_strategist": {"strategic"},
            "operating_executive": {"operating"},
            "influence_leader": {"none", "discretionary"},
        },
        "board_seat": {
            "board_strategist": {"board"},
            "operating_executive": {"executive_committee"},
            "influence_leader": {"senior_management"},
        },
        "reporting_line": {
            "board_strategist": {"ceo", "board_chair"},
            "operating_executive": {"ceo", "coo"},
            "influence_leader": {"marketing", "other_executive", "ceo"},
        },
    }
    recommended = {
        "budget": shape["budget"].capitalize() + ".",
        "board_seat": shape["seat"].capitalize() + ".",
        "reporting_line": shape["line"].capitalize() + ".",
    }
    topics = {"budget": "Budget", "board_seat": "Seat", "reporting_line": "Reporting line"}
    for item_key, topic in topics.items():
        value, n = _modal(instrument, answers, item_key)
        if value is None:
            continue
        said = board.answer_text(instrument, item_key, value)
        agrees = value in typical[item_key][archetype]
        text = recommended[item_key]
        if item_key == "reporting_line":
            text = (
                "Report to the chief executive: the role's weight depends on the sponsor."
                if archetype != "influence_leader"
                else "Report to an executive who can open doors across functions; "
                "the chief executive is best."
            )
        if not agrees:
            text += (
                f" The board's majority view ({said.lower()}) differs; settle it before the search."
            )
        out.append(Recommendation(topic, f"{said} ({n} of {len(answers)})", text, agrees))
    return out


def _functions(
    instrument: questionnaires.Instrument, answers: list[dict[str, Any]]
) -> list[tuple[str, int]]:
    item = next(i for i in instrument.items if i.key == "functions")
    counts: Counter[str] = Counter()
    for a in answers:
        for key in a.get("functions") or []:
            counts[key] += 1
    return [(item.option(k).text, n) for k, n in counts.most_common()]


def _readiness_interim(engagement: Engagement) -> InterimAdvice | None:
    """The readiness rule, from the latest released results of the engagement's surveys
    (never from live answers: the board sees only what a release published)."""
    from assessor.services import survey_releases

    release = db.session.scalar(
        select(SurveyRelease)
        .join(Survey, Survey.id == SurveyRelease.survey_id)
        .where(Survey.engagement_id == engagement.id)
        .order_by(Survey.round.desc(), SurveyRelease.number.desc())
        .limit(1)
    )
    if release is None:
        return None
    result = survey_releases.result_of(release)
    if result.ceo_interim is None:
        return None
    return InterimAdvice(
        bool(result.ceo_interim),
        "readiness survey",
        list(result.ceo_interim_reasons),
        "From the readiness survey: recommended when the readiness index or executive "
        "sponsorship is below 40 out of 100.",
    )


def interim_advice(engagement: Engagement, view: board.BoardView) -> InterimAdvice:
    """Should the chief executive act as interim CCO? See the module docstring for the rule."""
    from_survey = _readiness_interim(engagement)
    if from_survey is not None:
        return from_survey
    reasons: list[str] = []
    agreement = view.archetype_agreement
    if view.low_agreement and agreement is not None:
        reasons.append(
            f"the board's agreement on the kind of role is {agreement:.0%}, below "
            f"{board.LOW_AGREEMENT:.0%}"
        )
    scored = int((engagement.candidate_counts or {}).get("ranked", 0))
    strong = (
        select(Assignment.id)
        .join(CandidateStanding, CandidateStanding.assignment_id == Assignment.id)
        .where(
            Assignment.engagement_id == engagement.id,
            Assignment.kind == "candidate",
            Assignment.score >= board.GOOD_FIT,
            CandidateStanding.meets_minima == true(),
        )
        .exists()
    )
    if scored and not db.session.scalar(select(strong)):
        reasons.append(
            f"none of the {scored} scored candidate(s) reaches a good fit "
            f"({board.GOOD_FIT:.0f}) while meeting every must-have"
        )
    return InterimAdvice(
        bool(reasons),
        "board and candidate pool",
        reasons,
        "No readiness survey yet: recommended when the board's agreement on the kind of "
        f"role is below {board.LOW_AGREEMENT:.0%}, or when candidates have been scored and "
        f"none reaches a good fit ({board.GOOD_FIT:.0f}) while meeting every must-have.",
    )


def _job_spec(
    engagement: Engagement, profile: RoleProfile, functions: list[tuple[str, int]], members: int
) -> dict[str, Any]:
    """A draft job specification written from the profile (plain text parts)."""
    archetype = profile.archetype or "operating_executive"
    shape = ARCHETYPE_SHAPE[archetype]
    names = board.cluster_names()
    descriptions = board.cluster_descriptions()
    scale_names = board.scale_names()
    majority = [f for f, n in functions if n * 2 > members]
    minority = [f for f, n in functions if n * 2 <= members]
    order = sorted(CLUSTERS, key=lambda c: -profile.weights.get(c, 0.0))
    competencies = [
        (
            names[c],
            profile.weights.get(c, 0.0),
            descriptions[c],
            [scale_names[s] for s in CLUSTER_SCALES[c]],
        )
        for c in order
    ]
    must = [(scale_names[s], v) for s, v in profile.minima.items()]
    return {
        "title": f"{engagement.role_title}, {engagement.client_name}",
        "purpose": (
            f"The {engagement.role_title} owns {engagement.client_name}'s relationship with its "
            f"customers as a whole and {shape['purpose']}. The role {shape['line']} and holds "
            f"{shape['budget']}."
        ),
        "remit": majority,
        "remit_discussed": minority,
        "competencies": competencies,
        "must_haves": must,
        "experience": EXPERIENCE[archetype] + COMMON_EXPERIENCE,
    }


def brief_data(engagement: Engagement, generated_on: date | None = None) -> RoleBriefData | None:
    """Everything the role brief shows, or None until one board member has submitted."""
    view = board.build_view(engagement)
    if view.scope is None:
        return None
    instrument = questionnaires.latest("role_scope")
    scope = view.scope
    state = board.profile_state(engagement)
    profile, label = _profile_for_brief(engagement, view, state)
    recommended = scope.recommended
    functions = _functions(instrument, view.answers)
    members = []
    for row in view.rows:
        if row.scope is None:
            continue
        shares = row.scope["archetype_shares"]
        top = row.scope["recommended"]
        members.append(
            MemberSummary(
                row.assignment.name or "Member",
                top,
                float(shares[top]),
                row.cr,
                dict(row.ahp["weights"]) if row.ahp else None,
            )
        )
    disputed_keys = {d.key for d in view.disputed_items}
    agreed = []
    if len(view.answers) >= 2:
        for item_key, distance in reversed(scope.item_disagreement):
            if distance == 0 and item_key not in disputed_keys:
                value = view.answers[0].get(item_key)
                item = next(i for i in instrument.items if i.key == item_key)
                agreed.append(f"{item.text} — {board.answer_text(instrument, item_key, value)}")
    disputed: list[tuple[str, list[tuple[str, str]]]] = [
        (d.text, d.choices) for d in view.disputed_items
    ]
    names = board.cluster_names()
    disputed += [
        (f"How {names[p.left]} compares with {names[p.right]}", p.choices)
        for p in view.disputed_pairs
    ]
    organisation = engagement.organisation_id
    from assessor.models import Organisation

    org = db.session.get(Organisation, organisation)
    return RoleBriefData(
        client=engagement.client_name,
        role_title=engagement.role_title,
        organisation=org.name if org else "",
        generated_on=generated_on or datetime.now().date(),
        invited=len(view.rows),
        completed=len(view.completed),
        member_names=[a.name or "Member" for a in view.completed],
        recommended=recommended,
        recommended_name=ARCHETYPE_NAMES[recommended],
        archetype_shares=dict(zip(ARCHETYPES, scope.group.archetype_shares, strict=True)),
        margin=scope.group.margin,
        tie=scope.group.tie,
        archetype_agreement=view.archetype_agreement,
        weight_agreement=view.weight_agreement,
        rationale=board.rationale_of(view),
        functions=functions,
        mandate=_mandate(instrument, view.answers, recommended),
        weights=dict(profile.weights),
        weights_source=label,
        minima=dict(profile.minima),
        group_cr=view.group.cr if view.group else None,
        members=members,
        agreed=agreed[:6],
        disputed=disputed,
        job=_job_spec(engagement, profile, functions, len(view.completed)),
        interim=interim_advice(engagement, view),
        profile_label=label,
        in_use_label=state.in_use,
        pending_label=_pending_label(state) if state.pending is not None else None,
        cluster_names=names,
        scale_names=board.scale_names(),
    )
