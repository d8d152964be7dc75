"""Engagements: one CCO role at one client, owned by one organisation."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Assignment, Engagement, User
from assessor.services import audit, profiles
from assessor.services.errors import ServiceError
from assessor.services.tenancy import get_owned, scoped


def create_engagement(
    actor: User,
    client_name: str,
    role_title: str,
    notes: str = "",
    archetype: str = "operating_executive",
) -> Engagement:
    """A new engagement with the archetype's default role profile as version 1."""
    client_name = (client_name or "").strip()
    role_title = (role_title or "").strip()
    if not client_name:
        raise ServiceError("Name the client company.", field="client_name")
    if not role_title:
        raise ServiceError("Give the role a title.", field="role_title")
    engagement = Engagement(
        organisation_id=actor.organisation_id,
        client_name=client_name,
        role_title=role_title,
        notes=(notes or "").strip(),
        created_by_id=actor.id,
    )
    db.session.add(engagement)
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "engagement.create", "engagement", engagement.id)
    profiles.set_archetype(actor, engagement, archetype)
    return engagement


def get_engagement(organisation_id: int, engagement_id: object) -> Engagement:
    return get_owned(Engagement, engagement_id, organisation_id)


def list_engagements(organisation_id: int) -> list[tuple[Engagement, int]]:
    """The organisation's engagements with their participant counts, newest first."""
    counts = (
        select(Assignment.engagement_id, func.count(Assignment.id).label("n"))
        .group_by(Assignment.engagement_id)
        .subquery()
    )
    stmt = (
        scoped(Engagement, organisation_id)
        .add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.engagement_id == Engagement.id)
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    return [(row[0], int(row[1])) for row in db.session.execute(stmt)]
