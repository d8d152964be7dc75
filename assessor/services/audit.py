"""Recording sensitive actions in the audit trail."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
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


#: Where :func:`record_after_response` keeps events until the request has committed.
_KEPT = "assessor.audit_after_response"


def record_after_response(
    organisation_id: int,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None = None,
    **detail: Any,
) -> None:
    """Keep an audit event of a page or a download, written once the request commits.

    A GET only reads; writing its audit row in the same transaction would
    make it a long write transaction (on SQLite it could even fail at that
    late write). The request boundary writes the kept events in a short
    transaction of their own after the request committed, and refuses to
    send the response if that fails, so nothing goes out unaudited. Outside
    a request (a CLI command, a job) the event joins the current transaction.
    """
    if not has_request_context():
        record(organisation_id, actor_id, action, object_type, object_id, **detail)
        return
    db.session.info.setdefault(_KEPT, []).append(
        {
            "organisation_id": organisation_id,
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "detail": detail,
        }
    )


def take_kept() -> list[dict[str, Any]]:
    """The events kept by :func:`record_after_response`, no longer kept."""
    kept: list[dict[str, Any]] = db.session.info.pop(_KEPT, [])
    return kept


def write(events: list[dict[str, Any]]) -> None:
    """Add events taken with :func:`take_kept` to the current transaction."""
    db.session.add_all(AuditEvent(**event) for event in events)
    db.session.flush()


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
