"""Candidates' rights over their data: a copy on request, erasure, and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, select

from assessor.extensions import db
from assessor.models import (
    Answer,
    Assignment,
    AuditEvent,
    Engagement,
    Interview,
    PageTiming,
    PairwiseJudgement,
    Result,
    User,
    utcnow,
)
from assessor.services import audit, norm_groups, standings
from assessor.services.candidates import ensure_not_erased
from assessor.services.errors import NotFoundError, ServiceError


def export_personal_data(actor: User, assignment: Assignment) -> dict[str, Any]:
    """Everything stored about one participant, as they would receive it."""
    if assignment.erased_at is not None:
        # like the profile's other downloads (``candidate_view.build``): nothing left, 404
        raise NotFoundError("This record was erased; nothing is left to export.")
    engagement = db.session.get(Engagement, assignment.engagement_id)
    answers = db.session.execute(
        select(Answer.section_key, Answer.item_key, Answer.value, Answer.answered_at)
        .where(Answer.assignment_id == assignment.id)
        .order_by(Answer.id)
    ).all()
    timings = db.session.execute(
        select(PageTiming.section_key, PageTiming.seconds).where(
            PageTiming.assignment_id == assignment.id
        )
    ).all()
    result = db.session.scalar(select(Result).where(Result.assignment_id == assignment.id))
    interviews = db.session.scalars(
        select(Interview).where(Interview.assignment_id == assignment.id)
    ).all()
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "assignment", AuditEvent.object_id == assignment.id)
        .order_by(AuditEvent.id)
    ).all()
    audit.record_after_response(
        actor.organisation_id,
        actor.id,
        "candidate.export_personal_data",
        "assignment",
        assignment.id,
    )
    return {
        "participant": {
            "name": assignment.name,
            "email": assignment.email,
            "kind": assignment.kind,
            "status": assignment.status,
            "invited_at": assignment.created_at.isoformat(),
            "consented_at": _iso(assignment.consented_at),
            "agreed_to_norms_at": _iso(assignment.norm_consent_at),
            "started_at": _iso(assignment.started_at),
            "submitted_at": _iso(assignment.submitted_at),
        },
        "engagement": {
            "client": engagement.client_name if engagement else None,
            "role": engagement.role_title if engagement else None,
        },
        "instrument": {
            "key": assignment.instrument_key,
            "version": assignment.instrument_version,
            "content_hash": assignment.instrument_hash,
        },
        "answers": [
            {"section": s, "item": i, "value": v, "answered_at": a.isoformat()}
            for s, i, v, a in answers
        ],
        "seconds_per_page": {s: float(sec) for s, sec in timings},
        "scores": (result.data.get("scales") if result else None),
        "response_quality": (result.data.get("quality") if result else None),
        "interviews": [
            {
                "interviewer": iv.interviewer_name,
                "ratings": iv.ratings,
                "culture": iv.culture or [],
                "notes": iv.notes,
                "at": iv.created_at.isoformat(),
            }
            for iv in interviews
        ],
        "history": [{"action": e.action, "at": e.created_at.isoformat()} for e in events],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def erase(actor: User, assignment: Assignment) -> Assignment:
    """Remove answers, scores, timings and interviews; keep only a tombstone row.

    The tombstone says an erased record existed (for the audit trail and
    counts) and holds no personal data.
    """
    standings.lock(assignment.engagement_id)
    ensure_not_erased(assignment)  # a second erasure is a write on a tombstone too
    for model in (Answer, PageTiming, Result, Interview, PairwiseJudgement):
        db.session.execute(delete(model).where(model.assignment_id == assignment.id))
    assignment.name = None
    assignment.email = None
    assignment.segment = None
    assignment.current_section = None
    assignment.status = "erased"
    assignment.erased_at = utcnow()
    assignment.revoked_at = assignment.revoked_at or assignment.erased_at
    assignment.token_nonce = "erased"
    norm_groups.forget(assignment)
    db.session.flush()
    standings.result_changed(assignment)
    audit.record(actor.organisation_id, actor.id, "candidate.erase", "assignment", assignment.id)
    return assignment


def purge_unanswered(older_than_days: int) -> int:
    """Delete invitations never answered whose link expired more than N days ago."""
    if older_than_days < 0:
        raise ServiceError("The retention period cannot be negative.")
    cutoff = utcnow() - timedelta(days=older_than_days)
    stale = select(Assignment.id, Assignment.organisation_id, Assignment.engagement_id).where(
        Assignment.expires_at < cutoff,
        Assignment.submitted_at.is_(None),
        Assignment.erased_at.is_(None),
        ~exists().where(Answer.assignment_id == Assignment.id),
        ~exists().where(PairwiseJudgement.assignment_id == Assignment.id),
    )
    rows = db.session.execute(stale).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    for model in (PageTiming, Result, Interview):
        db.session.execute(delete(model).where(model.assignment_id.in_(ids)))
    db.session.execute(delete(Assignment).where(Assignment.id.in_(ids)))
    for engagement_id in sorted({r.engagement_id for r in rows}):
        standings.recount(engagement_id)
    per_org: dict[int, int] = {}
    for r in rows:
        per_org[r.organisation_id] = per_org.get(r.organisation_id, 0) + 1
    for organisation_id, count in per_org.items():
        audit.record(
            organisation_id,
            None,
            "retention.purge",
            "assignment",
            None,
            count=count,
            older_than_days=older_than_days,
        )
    db.session.flush()
    return len(ids)
