"""Recording sensitive actions in the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from assessor.extensions import db
from assessor.models import AuditEvent, User


def record(
    organisation_id: int,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event to the current transaction."""
    event = AuditEvent(
        organisation_id=organisation_id,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    db.session.add(event)
    db.session.flush()
    return event


def recent(organisation_id: int, limit: int = 200) -> list[tuple[AuditEvent, str | None]]:
    """The organisation's latest events with the actor's name, newest first."""
    stmt = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.organisation_id == organisation_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, name) for event, name in db.session.execute(stmt)]
