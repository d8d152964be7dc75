"""Demo data, so a new user sees a working firm at once. Loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assessor.models import User
from questionnaires import Instrument, Item
from questionnaires.flow import condition_holds
from assessor.services import accounts, engagements

DEMO_ORG_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin@demo.example", "Alex Admin", "admin"),
    ("recruiter@demo.example", "Rita Recruiter", "recruiter"),
    ("board@demo.example", "Bruno Board", "board"),
    ("consultant@demo.example", "Chloé Consultant", "consultant"),
)


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
        users[role] = accounts.create_user(org, email, name, role, DEMO_PASSWORD)
    engagements.create_engagement(
        users["recruiter"],
        "Halden Utilities",
        "Chief Customer Officer",
        "Regional energy retailer, 2.1 million households and 40,000 business accounts. "
        "The board wants one executive to own the customer relationship end to end.",
    )
    return DemoSummary(org.name, created=True, accounts=accounts_list)


def synthetic_answers(
    instrument: Instrument, rng: np.random.Generator, trait: dict[str, float] | None = None,
    noise: float = 0.12,
) -> dict[str, Any]:
    """A plausible, complete set of answers from a person with the given trait levels.

    ``trait`` maps scale keys to a level in [0, 1] (0.5 where absent). Used
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


def _synthetic_value(item: Item, rng: np.random.Generator, trait: dict[str, float],
                     noise: float) -> Any:
    if item.attention is not None:
        return int(item.attention) if item.attention.isdigit() else item.attention
    level = trait.get(item.scale or "", 0.5)
    if item.type in ("likert", "rating"):
        points = item.points or 5
        latent = float(np.clip(level + rng.normal(0, noise), 0, 1))
        value = int(round(1 + (points - 1) * latent))
        return points + 1 - value if item.reverse else value
    if item.type == "situational":
        utility = np.array([sum(trait.get(s, 0.5) * w for s, w in o.scores.items())
                            for o in item.options])
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
    return None
