"""The role brief: what the board decided, gathered as plain data for the PDF.

Fetch first, then build: :func:`brief_data` reads everything from the
database and the scoring package; :mod:`assessor.reports.role_brief` only
lays it out.

The interim-CEO rule, as the source articles give it: the chief executive
acts as interim CCO only when **no candidate is ready yet and** the CEO has
the vision and the courage to carry the title, read as **strong executive
sponsorship**. Both halves are judged here, in :func:`interim_advice`:

- *No candidate ready*: candidates have been scored and none reaches a good
  fit (``board.GOOD_FIT``, 65) while meeting every must-have. With no
  candidate scored yet the question is open (the role-scope questionnaire
  asks nothing about how long the search will take, so the board's answers
  cannot stand in for the pool).
- *Strong sponsorship*: the sponsorship half of ``scoring.readiness``
  (``sponsorship_rule``: overall sponsorship ≥ ``STRONG_SPONSORSHIP``, 60 of
  100) on the latest released readiness results, recomputed from the stored
  sponsorship mean so releases stored under the old rule read correctly.
  Without a release the survey cannot decide: the brief says what the board
  should judge instead.

Weak sponsorship gives a different recommendation whatever the pool: secure
executive sponsorship before appointing anyone, since an interim CEO (or a
new CCO) would fail without it.
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
from scoring.readiness import STRONG_SPONSORSHIP, InterimSponsorship, sponsorship_rule

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


#: What the interim section can conclude (see the module docstring).
INTERIM_RECOMMENDED = "recommended"  # no candidate ready, strong sponsorship
INTERIM_SECURE_SPONSORSHIP = "secure_sponsorship"  # sponsorship not strong
INTERIM_NOT_NEEDED = "not_needed"  # a candidate is ready
INTERIM_AWAIT_CANDIDATES = "await_candidates"  # strong sponsorship, nobody scored yet
INTERIM_BOARD_TO_JUDGE = "board_to_judge"  # no released readiness results
INTERIM_RULE = (
    "The chief executive acts as interim CCO only when no candidate is ready yet (candidates "
    f"scored, none reaching a good fit of {board.GOOD_FIT:.0f} while meeting every must-have) "
    "and executive sponsorship is strong (the readiness survey's sponsorship score at least "
    f"{STRONG_SPONSORSHIP:.0f} out of 100). Weaker sponsorship must be secured before anyone "
    "is appointed."
)
#: What the board judges when no readiness results were released.
BOARD_TO_JUDGE = (
    "The survey cannot say whether executive sponsorship is strong. The board should judge "
    "it instead: does the chief executive have "
    "a vision for the customer role and the courage to carry both titles in public, and does "
    "the whole board back the role with a seat and a sufficient budget? If so, and no "
    "candidate is ready, the chief executive as interim CCO is the path to take; if not, "
    "winning that backing comes first."
)


@dataclass
class InterimAdvice:
    """The interim section of the brief: a conclusion, why, and what to do."""

    status: str  # one of the INTERIM_* values
    basis: str  # "readiness survey" | "board and candidate pool"
    reasons: list[str]
    headline: str
    advice: str
    rule: str = INTERIM_RULE
    #: the sponsorship half as judged (None: no released readiness results)
    sponsorship: float | None = None

    @property
    def fires(self) -> bool:
        """The brief recommends the chief executive as interim CCO."""
        return self.status == INTERIM_RECOMMENDED


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
    #: kinds of customer in words, members who ticked it (descriptive: no archetype signal)
    customers: list[tuple[str, int]] = field(default_factory=list)
    #: the organisation's values the board named: (name, behaviour, named by)
    values: list[tuple[str, str, list[str]]] = field(default_factory=list)


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
    instrument: questionnaires.Instrument,
    answers: list[dict[str, Any]],
    item_key: str = "functions",
) -> list[tuple[str, int]]:
    """A multi item's options in words with how many members ticked each, most ticked first."""
    item = next(i for i in instrument.items if i.key == item_key)
    counts: Counter[str] = Counter()
    for a in answers:
        for key in a.get(item_key) or []:
            counts[key] += 1
    return [(item.option(k).text, n) for k, n in counts.most_common()]


def _released_sponsorship(engagement: Engagement) -> InterimSponsorship | None:
    """The sponsorship half of the rule on the latest released readiness results (never
    live answers: the board sees only what a release published); None without a release.

    Judged from the stored sponsorship mean, not the stored ``ceo_interim`` flag, which
    releases stored before the rule was corrected hold under the old rule.
    """
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
    overall = result.overall
    if overall is None:
        return sponsorship_rule(None)
    return sponsorship_rule(overall.mean.get("sponsorship"))


def _candidate_ready(engagement: Engagement) -> tuple[bool | None, int]:
    """(Is a candidate ready?, candidates scored). None while nobody has been scored."""
    scored = int((engagement.candidate_counts or {}).get("ranked", 0))
    if not scored:
        return None, 0
    ready = (
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
    return bool(db.session.scalar(select(ready))), scored


def interim_advice(engagement: Engagement, view: board.BoardView | None = None) -> InterimAdvice:
    """Should the chief executive act as interim CCO? See the module docstring for the rule.

    ``view`` is accepted for callers that hold one; the rule no longer reads the board's
    agreement (a split board is settled by the board, not by the CEO taking the title).
    """
    check = _released_sponsorship(engagement)
    ready, scored = _candidate_ready(engagement)
    reasons: list[str] = []
    if ready is None:
        reasons.append("no candidate has been scored yet")
    elif ready:
        reasons.append(
            f"at least one of the {scored} scored candidate(s) reaches a good fit "
            f"({board.GOOD_FIT:.0f}) while meeting every must-have"
        )
    else:
        reasons.append(
            f"none of the {scored} scored candidate(s) reaches a good fit "
            f"({board.GOOD_FIT:.0f}) while meeting every must-have"
        )
    basis = "board and candidate pool" if check is None else "readiness survey"
    strong = None if check is None else check.strong
    if check is not None:
        reasons.extend(check.reasons)
    else:
        reasons.append("no readiness results have been released")
    sponsorship = None if check is None else check.sponsorship

    def advice(status: str, headline: str, text: str) -> InterimAdvice:
        return InterimAdvice(status, basis, reasons, headline, text, sponsorship=sponsorship)

    if strong is False:
        return advice(
            INTERIM_SECURE_SPONSORSHIP,
            "Secure executive sponsorship before appointing",
            "Executive sponsorship is not strong enough yet. Win the chief executive and the "
            "board over first: a named sponsor, a seat and a sufficient budget for the role. "
            "Without that backing a chief executive acting as interim CCO would fail, and so "
            "would a newly appointed CCO.",
        )
    if ready:
        return advice(
            INTERIM_NOT_NEEDED,
            "No interim arrangement is needed",
            "A candidate is ready for the role, so the chief executive need not hold it.",
        )
    if strong is None:
        return advice(
            INTERIM_BOARD_TO_JUDGE,
            "The board must judge the interim option",
            (
                "No readiness results have been released. "
                if check is None
                else "The released readiness results do not publish executive sponsorship. "
            )
            + BOARD_TO_JUDGE
            + (
                " No candidate has been scored yet; revisit once the pool is assessed."
                if ready is None
                else ""
            ),
        )
    if ready is None:
        return advice(
            INTERIM_AWAIT_CANDIDATES,
            "Not needed yet: no candidate has been scored",
            "Executive sponsorship is strong. If the candidates, once assessed, include no one "
            "ready for the role, the chief executive can act as interim CCO.",
        )
    return advice(
        INTERIM_RECOMMENDED,
        "Consider the chief executive as interim CCO",
        "No candidate is ready yet and executive sponsorship is strong. The chief executive "
        "holding the title for a period shows staff, customers and the market how much the "
        "role matters, lets him or her learn first-hand what budget and authority it really "
        "needs, and gives time to train the most promising internal successor, who takes "
        "over once ready. It asks the chief executive to carry both titles in public: take "
        "this path only with the vision for the role and the courage to do so.",
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
        customers=_functions(instrument, view.answers, "customer_types"),
        values=[(v.name, v.behaviour, list(v.named_by)) for v in view.values],
    )
