"""Demo data, so a new user sees a working firm at once. Loading twice changes nothing."""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assessor.models import CLIENT_ROLES, Engagement, User
from assessor.services import accounts, clients, engagements, standings
from questionnaires import Instrument, Item
from questionnaires.flow import condition_holds

DEMO_ORG_SLUG = "demo"
DEMO_PASSWORD = "cco-demo-walkthrough"
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin@demo.example", "Alex Admin", "admin"),
    ("recruiter@demo.example", "Rita Recruiter", "recruiter"),
    ("consultant@demo.example", "Chloé Consultant", "consultant"),
    ("board@demo.example", "Bruno Board", "board"),
    ("viewer@demo.example", "Vera Viewer", "viewer"),
)
DEMO_CLIENT = "Halden Utilities"


@dataclass
class DemoSummary:
    organisation: str
    created: bool
    accounts: list[tuple[str, str]] = field(default_factory=list)


def load_demo() -> DemoSummary:
    """Create the demo firm, one user per role and one engagement, unless present."""
    accounts_list = [(email, role) for email, _name, role in DEMO_USERS]
    existing = accounts.find_organisation(DEMO_ORG_SLUG)
    if existing is not None:
        return DemoSummary(existing.name, created=False, accounts=accounts_list)
    org = accounts.create_organisation("Northbridge Executive Search (demo)", DEMO_ORG_SLUG)
    users: dict[str, User] = {}
    for email, name, role in DEMO_USERS:
        client = None
        if role in CLIENT_ROLES:
            client = clients.client_for(org.id, DEMO_CLIENT, users["admin"])
        users[role] = accounts.create_user(org, email, name, role, DEMO_PASSWORD, client=client)
    engagement = engagements.create_engagement(
        users["recruiter"],
        DEMO_CLIENT,
        "Chief Customer Officer",
        "Regional energy retailer, 2.1 million households and 40,000 business accounts. "
        "The board wants one executive to own the customer relationship end to end.",
    )
    for role in ("consultant", "board", "viewer"):
        engagements.add_member(users["recruiter"], engagement, users[role].id)
    marlow = engagements.create_engagement(
        users["recruiter"],
        "Marlow Rail",
        "Chief Customer Officer",
        "Intercity rail operator, piloting version 2 of the assessment (forced choice with "
        "faking checks). Halden's people never see it.",
    )
    _pilot_candidates(users["recruiter"], marlow)
    _demo_candidates(users["recruiter"], engagement)
    from assessor.demo.archive import load_archive

    load_archive(users)  # earlier searches, and the norm groups built from them
    from assessor.demo.board import load_board_demo

    load_board_demo(users, engagement)
    from assessor.demo.readiness import load_readiness_demo

    load_readiness_demo(users, engagement)
    return DemoSummary(org.name, created=True, accounts=accounts_list)


#: Name and trait levels (0–1) of the demo candidates: a varied, realistic pool.
DEMO_CANDIDATES: tuple[tuple[str, dict[str, float]], ...] = (
    (
        "Maria Lindqvist",
        {
            "_base": 0.65,
            "empathy": 0.85,
            "service": 0.9,
            "metrics": 0.8,
            "technology": 0.75,
            "action": 0.8,
            "change_leadership": 0.7,
        },
    ),
    (
        "Tomás Ortega",
        {
            "_base": 0.6,
            "foresight": 0.9,
            "business_acumen": 0.85,
            "advocacy_fiscal": 0.8,
            "influence": 0.8,
            "pragmatism": 0.75,
        },
    ),
    (
        "Σοφία Παπαδοπούλου",
        {"_base": 0.55, "influence": 0.9, "collaboration": 0.9, "rallying": 0.85, "empathy": 0.75},
    ),
    (
        "Дмитрий Иванов",
        {"_base": 0.5, "metrics": 0.9, "technology": 0.9, "empathy": 0.35, "collaboration": 0.4},
    ),
    (
        "Aisha Bello",
        {"_base": 0.6, "service": 0.8, "empathy": 0.8, "action": 0.75, "experience": 0.8},
    ),
    ("Jonas Weber", {"_base": 0.42, "business_acumen": 0.7, "pragmatism": 0.7, "curiosity": 0.6}),
    (
        "Priya Raman",
        {
            "_base": 0.6,
            "curiosity": 0.9,
            "foresight": 0.8,
            "change_leadership": 0.8,
            "metrics": 0.7,
        },
    ),
    (
        "Łukasz Nowak",
        {"_base": 0.33, "empathy": 0.3, "service": 0.35, "metrics": 0.4, "action": 0.6},
    ),
    ("Chloé Martin", {"_base": 0.52, "rallying": 0.8, "change_leadership": 0.85, "influence": 0.7}),
    (
        "Kenji Sato",
        {"_base": 0.55, "technology": 0.85, "metrics": 0.75, "action": 0.7, "service": 0.7},
    ),
    (
        "Ingrid Hansen",
        {"_base": 0.5, "advocacy_fiscal": 0.85, "business_acumen": 0.8, "service": 0.7},
    ),
    (
        "Oluwaseun Adeyemi",
        {"_base": 0.48, "empathy": 0.7, "collaboration": 0.7, "curiosity": 0.7, "service": 0.65},
    ),
)
DEMO_PENDING: tuple[tuple[str, int], ...] = (("Elena Rossi", 3), ("Sam Taylor", 0))


def _demo_candidates(recruiter: User, engagement: Engagement) -> None:
    """A dozen completed candidates (answered page by page, then scored) and two pending."""
    from assessor.services import invitations, responses, results

    rng = np.random.default_rng(2026)
    for name, trait in DEMO_CANDIDATES:
        email = _demo_email(name)
        assignment = invitations.invite(recruiter, engagement, name, email)
        instrument = responses.instrument_of(assignment)
        answers = synthetic_answers(instrument, rng, {k: v for k, v in trait.items()})
        _answer_pages(assignment, instrument, answers, rng, pages=None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
    for name, pages in DEMO_PENDING:
        assignment = invitations.invite(recruiter, engagement, name, _demo_email(name))
        if pages:
            instrument = responses.instrument_of(assignment)
            answers = synthetic_answers(instrument, rng)
            _answer_pages(assignment, instrument, answers, rng, pages=pages)


#: Candidates of the pilot engagement, who take version 2 of the assessment.
PILOT_CANDIDATES: tuple[tuple[str, dict[str, float]], ...] = (
    ("Nora Quist", {"_base": 0.7, "influence": 0.85, "change_leadership": 0.8}),
    ("Felix Adeyemi", {"_base": 0.55, "metrics": 0.8, "technology": 0.8}),
    ("Marta Ruiz", {"_base": 0.45, "service": 0.75, "empathy": 0.8}),
)


def _pilot_candidates(recruiter: User, engagement: Engagement) -> None:
    """The Marlow Rail engagement gives new invitations version 2; three have answered."""
    from assessor.services import candidates, invitations, responses, results

    candidates.set_assessment_version(recruiter, engagement, 2)
    rng = np.random.default_rng(2027)
    for name, trait in PILOT_CANDIDATES:
        assignment = invitations.invite(recruiter, engagement, name, _demo_email(name))
        instrument = responses.instrument_of(assignment)
        answers = synthetic_answers(instrument, rng, trait)
        _answer_pages(assignment, instrument, answers, rng, pages=None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)


def _demo_email(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower().replace("ł", "l"))
    ascii_name = "".join(c for c in folded if c.isascii() and (c.isalnum() or c == " "))
    slug = ".".join(ascii_name.split()) or f"candidate.{zlib.crc32(name.encode()):08x}"
    return f"{slug}@candidates.example"


def _answer_pages(
    assignment: Any,
    instrument: Instrument,
    answers: dict[str, Any],
    rng: np.random.Generator,
    pages: int | None,
) -> None:
    from assessor.services import responses

    # most candidates also agree to the anonymous use of their scores for norms
    responses.consent(assignment, norms=assignment.id % 7 != 0)
    for number, section in enumerate(instrument.sections):
        if pages is not None and number >= pages:
            break
        raw = {
            item.key: (
                [str(v) for v in answers[item.key]]
                if isinstance(answers.get(item.key), list)
                else answers.get(item.key)
            )
            for item in section.items
        }
        seconds = float(len(section.items) * rng.uniform(6, 14))
        responses.save_page(assignment, section, raw, seconds, strict=True)


def synthetic_answers(
    instrument: Instrument,
    rng: np.random.Generator,
    trait: dict[str, float] | None = None,
    noise: float = 0.12,
) -> dict[str, Any]:
    """A plausible, complete set of answers from a person with the given trait levels.

    ``trait`` maps scale keys to a level in [0, 1] (``trait["_base"]``, else 0.5,
    where absent). Used
    for the demo pool, and by tests and benchmarks that need realistic data.
    """
    trait = trait or {}
    answers: dict[str, Any] = {}
    for section in instrument.sections:
        if not condition_holds(section.condition, answers):
            continue
        for item in section.items:
            if not condition_holds(item.condition, answers):
                continue
            value = _synthetic_value(item, rng, trait, noise)
            if value is not None:
                answers[item.key] = value
    return answers


#: The validity scale of virtues nearly nobody has: honest people mostly disagree.
HONEST_RARELY = "unlikely_virtues"


def _synthetic_v2_value(
    item: Item, rng: np.random.Generator, trait: dict[str, float], noise: float
) -> Any:
    """Answers to the v2 item types from trait levels: a block ranks its statements by
    trait (reversed statements by its opposite) plus noise; a situation is rated near
    the expert key, less precisely the weaker the person; real concepts are known in
    proportion to the base level, invented ones hardly ever claimed."""
    base = trait.get("_base", 0.5)
    if item.type == "forced_choice":
        utility = np.array(
            [
                (1 - trait.get(st.scale, base)) if st.reverse else trait.get(st.scale, base)
                for st in item.statements
            ]
        ) + rng.normal(0, noise * 2, len(item.statements))
        order = np.argsort(-utility)
        return [item.statements[int(order[0])].key, item.statements[int(order[-1])].key]
    if item.type == "effectiveness":
        level = float(np.mean([trait.get(s, base) for s in item.scales] or [base]))
        points = item.points or len(item.labels)
        spread = 0.4 + 2.0 * (1 - level)
        return {
            o.key: int(np.clip(round((o.effectiveness or 1) + rng.normal(0, spread)), 1, points))
            for o in item.options
        }
    top = len(item.labels) - 1
    known = base + rng.normal(0, noise) if item.real else rng.normal(0.05, 0.08)
    return int(np.clip(round(top * known), 0, top))


def _synthetic_value(
    item: Item, rng: np.random.Generator, trait: dict[str, float], noise: float
) -> Any:
    if item.attention is not None:
        return int(item.attention) if item.attention.isdigit() else item.attention
    level = trait.get(item.scale or "", trait.get("_base", 0.5))
    if item.scale == HONEST_RARELY and item.scale not in trait:
        level = 0.2  # almost nobody can truthfully claim these virtues
    if item.type in ("forced_choice", "effectiveness", "familiarity"):
        return _synthetic_v2_value(item, rng, trait, noise)
    if item.type in ("likert", "rating"):
        points = item.points or 5
        latent = float(np.clip(level + rng.normal(0, noise), 0, 1))
        value = round(1 + (points - 1) * latent)
        return points + 1 - value if item.reverse else value
    if item.type == "situational":
        utility = np.array(
            [sum(trait.get(s, 0.5) * w for s, w in o.scores.items()) for o in item.options]
        )
        utility = utility + rng.normal(0, noise * 3, len(utility))
        return item.options[int(np.argmax(utility))].key
    if item.type == "choice":
        return item.options[int(rng.integers(len(item.options)))].key
    if item.type == "multi":
        chosen = [o.key for o in item.options if rng.random() < 0.4]
        return chosen or [item.options[0].key]
    if item.type == "checklist":
        chosen = [o.key for o in item.options if (o.points or 0) > 0 and rng.random() < level]
        if chosen:
            return chosen
        empty = [o.key for o in item.options if not o.points]
        return empty[:1] or [item.options[0].key]
    if item.type == "numeric":
        low = item.minimum if item.minimum is not None else 0
        high = item.maximum if item.maximum is not None else low + 100
        return int(low + (high - low) * rng.random() * 0.5)
    if item.type == "text" and item.required:  # e.g. the first value of role scope v2
        return f"Synthetic answer {int(rng.integers(1000))}"
    return None


def add_scored_candidates(engagement: Any, n: int, seed: int = 1) -> None:
    """Bulk-insert ``n`` completed, scored candidates (8 distinct answer patterns).

    For load and scale checks (benchmarks, query-count tests): a pool of
    thousands in seconds, bypassing the page-by-page flow.
    """
    from sqlalchemy import select

    import questionnaires
    from assessor.demo.archive import insert_scored
    from assessor.extensions import db
    from assessor.models import Assignment, utcnow
    from assessor.services.results import score_candidate

    instrument = questionnaires.latest("cco_candidate")
    rng = np.random.default_rng(seed)
    patterns = [
        score_candidate(instrument, synthetic_answers(instrument, rng, {"_base": level}), {})
        for level in np.linspace(0.3, 0.8, 8)
    ]
    now = utcnow()
    start = db.session.scalar(select(Assignment.id).order_by(Assignment.id.desc()).limit(1)) or 0
    rows = [
        {
            "name": f"Bench Candidate {start + i}",
            "email": f"bench{start + i}@example.com",
            "status": "completed",
            "token_nonce": f"{start + i:032x}",
            "expires_at": now,
            "submitted_at": now,
            "created_at": now,
        }
        for i in range(n)
    ]
    insert_scored(engagement, instrument, rows, [patterns[k % len(patterns)] for k in range(n)])
    standings.rebuild(engagement)
    db.session.commit()
