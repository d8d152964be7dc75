"""Role profiles of an engagement: versioned, never edited, one current.

Only the version set when an engagement is created goes in directly (an
archetype's default weights, status "default", approved by nobody); every
later change is a proposal the engagement's board approves
(:mod:`assessor.services.board`).
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from assessor.extensions import db
from assessor.models import Engagement, RoleProfileVersion, User
from assessor.services import audit, standings
from assessor.services.errors import ServiceError
from questionnaires import ARCHETYPES
from scoring import ScoringError
from scoring.profiles import RoleProfile, default_profile


def current_version(engagement: Engagement) -> RoleProfileVersion | None:
    stmt = select(RoleProfileVersion).where(
        RoleProfileVersion.engagement_id == engagement.id, RoleProfileVersion.is_current
    )
    return db.session.scalar(stmt)


def current_profile(engagement: Engagement) -> tuple[RoleProfileVersion | None, RoleProfile | None]:
    version = current_version(engagement)
    return version, (RoleProfile.from_dict(version.data) if version else None)


def versions(engagement: Engagement) -> list[RoleProfileVersion]:
    stmt = (
        select(RoleProfileVersion)
        .where(RoleProfileVersion.engagement_id == engagement.id)
        .order_by(RoleProfileVersion.version.desc())
    )
    return list(db.session.scalars(stmt))


def set_profile(
    actor: User | None,
    engagement: Engagement,
    profile: RoleProfile,
    note: str = "",
    status: str = "default",
) -> RoleProfileVersion:
    """Make ``profile`` the engagement's current profile as a new version at once.

    For the engagement's starting profile (and tools that rebuild one): it is
    never recorded as approved, since no board member approved it.
    """
    latest = db.session.scalar(
        select(func.max(RoleProfileVersion.version)).where(
            RoleProfileVersion.engagement_id == engagement.id
        )
    )
    db.session.execute(
        update(RoleProfileVersion)
        .where(RoleProfileVersion.engagement_id == engagement.id)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    version = RoleProfileVersion(
        engagement_id=engagement.id,
        version=(latest or 0) + 1,
        data=profile.to_dict(),
        source=profile.source,
        note=note,
        status=status,
        is_current=True,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    standings.restate(engagement)
    audit.record(
        engagement.organisation_id,
        actor.id if actor else None,
        "profile.set",
        "engagement",
        engagement.id,
        version=version.version,
        source=profile.source,
    )
    return version


def set_archetype(actor: User | None, engagement: Engagement, archetype: str) -> RoleProfileVersion:
    """Use an archetype's documented default weights and minima (status "default")."""
    if archetype not in ARCHETYPES:
        raise ServiceError(f"Unknown archetype '{archetype}'.", field="archetype")
    try:
        profile = default_profile(archetype)
    except ScoringError as exc:
        raise ServiceError(str(exc)) from None
    return set_profile(actor, engagement, profile, note=f"Default profile: {profile.name}")
