"""Demo data, so a new user sees a working firm at once. Loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from assessor.models import User
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
