"""Engagements: one CCO role at one client, owned by one organisation."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import PARTICIPANT_KINDS, Assignment, Engagement, User
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
    """The organisation's engagements with their participant counts, newest first.

    Candidates come from the counts stored with each engagement; the few other
    participants (board members, respondents, interviewers) are counted off the
    listing index, so the page does not read every candidate's row.
    """
    found = list(
        db.session.scalars(
            scoped(Engagement, organisation_id).order_by(
                Engagement.created_at.desc(), Engagement.id.desc()
            )
        )
    )
    others: dict[int, int] = {}
    if found:
        stmt = (
            select(Assignment.engagement_id, func.count())
            .where(
                Assignment.engagement_id.in_([e.id for e in found]),
                Assignment.kind.in_([k for k in PARTICIPANT_KINDS if k != "candidate"]),
            )
            .group_by(Assignment.engagement_id)
        )
        others = {engagement_id: int(n) for engagement_id, n in db.session.execute(stmt)}
    return [(e, int((e.candidate_counts or {}).get("all", 0)) + others.get(e.id, 0)) for e in found]
