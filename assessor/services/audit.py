"""Recording sensitive actions in the audit trail, and reading it back as sentences.

Events are written by :func:`record` (and :func:`record_after_response` for
pages and downloads); each is placed in its engagement here, from its object,
so that no call site has to. :func:`search` reads a page of the trail as plain
sentences ("Rita Recruiter invited Maria Lindqvist to the assessment").
Reading the trail is deliberately not itself audited: it would bury the
sensitive actions under page views of the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, Client, Engagement, Survey, User
from assessor.services.errors import PermissionDeniedError, ServiceError

#: Rows on one page of the trail; one more is read to know whether a next page exists.
PAGE_SIZE = 50

#: Beyond these a page number or an id is certainly wrong (and would overflow the column).
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1

#: Action name → the sentence after the actor's name, past tense. A tuple lists
#: variants, the first whose fields are all in the event's detail is used (older
#: events may lack a field newer ones carry). ``{subject}`` is the object: a
#: candidate's name (never once erased), a survey round, a user, a client.
#: ``action:object_type`` overrides the plain entry for that kind of object.
ACTIONS: dict[str, str | tuple[str, ...]] = {
    # engagements and access
    "engagement.create": "created the engagement {engagement}",
    "engagement.member_add": (
        "gave {name} ({role}) access to the engagement {engagement}",
        "gave someone access to the engagement {engagement}",
    ),
    "engagement.member_remove": (
        "removed {name} ({role}) from the engagement {engagement}",
        "removed someone from the engagement {engagement}",
    ),
    "engagement.assessment_version": (
        "gave new invitations version {version} of the candidate assessment",
        "changed the version of the candidate assessment new invitations get",
    ),
    "engagement.interview_weight": (
        "set the weight of interviews to {percent}% of the final score",
        "changed the weight of interviews in the final score",
    ),
    "client.create": ("added {subject} as a client", "added a client"),
    "engagement.norm_group": (
        "chose norm group {number} for assessment version {version}",
        "set the norm group to follow the newest for assessment version {version}",
        "changed the norm group candidates are compared with",
    ),
    "norms.build": (
        "built norm group {number} of assessment version {version} from {n} candidates",
        "built a norm group",
    ),
    # candidates
    "invitation.create": "invited {subject} to the assessment",
    "invitation.import": (
        "imported {count} invitations from a CSV file",
        "imported invitations from a CSV file",
    ),
    "invitation.extend": (
        "extended the link of {subject} by {days} days",
        "extended the link of {subject}",
    ),
    "invitation.revoke": "revoked the link of {subject}",
    "invitation.reissue": "issued a new link to {subject}",
    "invitation.invitation": "sent the invitation to {subject} again",
    "invitation.reminder": "sent a reminder to {subject}",
    "candidate.view": "viewed the profile of {subject}",
    "candidate.shortlist": "shortlisted {subject}",
    "candidate.reject": "rejected {subject}",
    "candidate.hire": "marked {subject} as hired",
    "candidate.reopen": "moved {subject} back to the completed candidates",
    "candidate.erase": "erased the personal data of a candidate",
    "candidate.export_personal_data": "downloaded the personal data held on {subject}",
    "retention.purge": (
        "deleted {count} unanswered invitations whose links expired over "
        "{older_than_days} days ago",
        "deleted unanswered invitations whose links had expired",
    ),
    # interviews
    "interview.record": (
        "recorded {interviewer}'s interview of {subject}",
        "recorded an interview of {subject}",
    ),
    # role profile
    "profile.set": (
        "set the role profile to version {version} ({source})",
        "set the role profile",
    ),
    "profile.propose": (
        "proposed version {version} of the role profile for the board's approval",
        "proposed a role profile for the board's approval",
    ),
    "profile.adjust": (
        "adjusted the proposed version {version} of the role profile",
        "adjusted the proposed role profile",
    ),
    "profile.approve": (
        "approved version {version} of the role profile (approval {approvals} of the "
        "{quorum} needed)",
        "approved version {version} of the role profile",
        "approved the role profile",
    ),
    "profile.reject": (
        "rejected version {version} of the role profile: {reason}",
        "rejected version {version} of the role profile",
        "rejected the proposed role profile",
    ),
    "profile.adopt": (
        "put version {version} of the role profile into use after {approvals} of "
        "{quorum} required approvals",
        "put version {version} of the role profile into use",
        "put the approved role profile into use",
    ),
    "profile.withdraw": (
        "withdrew the proposed version {version} of the role profile",
        "withdrew the proposed role profile",
    ),
    "profile.approval_rule": (
        "required {quorum} board approvals before a role profile is used",
        "changed how many board approvals a role profile needs",
    ),
    # readiness surveys
    "survey.open": "opened {subject}",
    "survey.update": "changed the settings of {subject}",
    "survey.close": "closed {subject}",
    "survey.reopen": "reopened {subject}",
    "survey.rotate_links": "replaced the collection links of {subject}",
    "survey.breakdowns_on": "turned on breakdowns by level, department and region for {subject}",
    "survey.breakdowns_off": "turned off breakdowns by level, department and region for {subject}",
    "survey.release": (
        "released results of {subject} (release {release}, {responses} responses)",
        "released results of {subject}",
    ),
    "survey.results": "viewed the results of {subject}",
    "survey.invitations.add": (
        "added {count} people to the invitation list of {subject}",
        "added people to the invitation list of {subject}",
    ),
    "survey.invitations.send": (
        "sent {count} invitations to {subject}",
        "sent invitations to {subject}",
    ),
    "survey.invitations.print": (
        "printed {count} invitation letters for {subject}",
        "printed invitation letters for {subject}",
    ),
    # exports and downloads
    "export.csv": "downloaded {subject} as a CSV file",
    "export.csv:engagement": "downloaded the candidate list of {engagement} as a CSV file",
    "export.json": "downloaded {subject} as a JSON file",
    "export.json:assignment": "downloaded the profile of {subject} as a JSON file",
    "export.json:survey": "downloaded the results of {subject} as a JSON file",
    "export.pdf": "downloaded {subject} as a PDF",
    "export.pdf:assignment": "downloaded the PDF profile of {subject}",
    "export.pdf:survey": "downloaded the PDF report of {subject}",
    "export.role_brief": "downloaded the role brief of {engagement}",
    # user accounts
    "user.create": (
        "created the account of {subject} ({role})",
        "created the account of {subject}",
    ),
    "user.disable": "disabled the account of {subject}",
    "user.enable": "re-enabled the account of {subject}",
    "user.client": (
        "made {subject} one of the people of the client {client}",
        "changed the client {subject} belongs to",
    ),
    "user.password_change": "changed their password",
    "user.password_reset_request": "asked for a password reset link for {subject}",
    "user.password_reset": "set a new password with a reset link",
}

#: Who did it when no signed-in person did (a job, a CLI command, an anonymous visitor).
NO_ACTOR = {"user.password_reset_request": "Someone"}
SYSTEM = "The system"

#: "What" filter: group key → label and the actions it covers (by name prefix, or exactly).
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "candidates": (
        "Candidates",
        ("invitation.", "candidate.", "retention.", "engagement.assessment_version"),
    ),
    "interviews": ("Interviews", ("interview.", "engagement.interview_weight")),
    "profile": ("Role profile", ("profile.",)),
    "surveys": ("Readiness surveys", ("survey.",)),
    "people": ("People & access", ("user.", "client.", "engagement.")),
    "exports": ("Exports & downloads", ("export.", "candidate.export_personal_data")),
    "norms": ("Norm groups", ("norms.", "engagement.norm_group")),
}


def group_of(action: str) -> str | None:
    """The "what" group of an action: an exact name wins over a prefix, a longer
    prefix over a shorter one."""
    best: tuple[int, str] | None = None
    for key, (_label, patterns) in GROUPS.items():
        for pattern in patterns:
            exact = pattern == action
            if exact or (pattern.endswith(".") and action.startswith(pattern)):
                rank = 1000 if exact else len(pattern)
                if best is None or rank > best[0]:
                    best = (rank, key)
    return best[1] if best else None


def actions_in(group: str) -> list[str]:
    """The known action names of a group (what the filter asks the database for)."""
    names = {name.split(":")[0] for name in ACTIONS}
    return sorted(name for name in names if group_of(name) == group)


# ----------------------------------------------------------------- writing


def engagement_of(object_type: str, object_id: int | None) -> int | None:
    """The engagement an event's object belongs to (None for firm-wide objects).

    Usually no query: the object was just loaded in this session.
    """
    if object_id is None:
        return None
    if object_type == "engagement":
        return object_id
    model = {"assignment": Assignment, "survey": Survey}.get(object_type)
    if model is None:
        return None
    found = db.session.get(model, object_id)
    return found.engagement_id if found is not None else None


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
        engagement_id=engagement_of(object_type, object_id),
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
            # placed now, while the object is loaded in this request's session
            "engagement_id": engagement_of(object_type, object_id),
            "detail": detail,
        }
    )


def take_kept() -> list[dict[str, Any]]:
    """The events kept by :func:`record_after_response`, no longer kept."""
    kept: list[dict[str, Any]] = db.session.info.pop(_KEPT, [])
    return kept


def write(events: list[dict[str, Any]]) -> None:
    """Add events taken with :func:`take_kept` to the current transaction."""
    for event in events:
        if "engagement_id" not in event:
            event["engagement_id"] = engagement_of(event["object_type"], event.get("object_id"))
    db.session.add_all(AuditEvent(**event) for event in events)
    db.session.flush()


# ----------------------------------------------------------------- reading


@dataclass
class AuditRow:
    """One event as a person reads it; ``link`` is (endpoint, values) or None."""

    event_id: int
    when: datetime
    actor: str
    sentence: str
    action: str
    group: str | None
    engagement: str | None
    engagement_link: tuple[str, dict[str, Any]] | None
    link: tuple[str, dict[str, Any]] | None
    link_label: str | None


@dataclass
class AuditPage:
    """One page of rows, newest first; ``has_more`` says whether older ones follow."""

    rows: list[AuditRow]
    page: int
    has_more: bool


def search(
    user: User,
    engagement: Engagement | None = None,
    actor_id: int | None = None,
    action_group: str | None = None,
    since: date | None = None,
    until: date | None = None,
    candidate_id: int | None = None,
    page: int = 1,
) -> AuditPage:
    """One page of the trail, newest first, as sentences with links.

    Always limited to the user's firm; without ``engagement`` only an admin
    may read it (the firm-wide log), with one only that engagement's events.
    ``since``/``until`` are whole days in UTC, both included. Reads
    ``PAGE_SIZE + 1`` rows off the (organisation, created_at) or engagement
    index plus at most five look-ups of the objects on the page, however
    long the trail. Not audited itself, on purpose (see the module).
    """
    if engagement is None and user.role != "admin":
        raise PermissionDeniedError("Only an administrator may read the firm's whole audit log.")
    if engagement is not None and engagement.organisation_id != user.organisation_id:
        raise PermissionDeniedError("This engagement belongs to another firm.")
    if not 1 <= page <= MAX_PAGE:
        raise ServiceError(f"Pages are numbered from 1 to {MAX_PAGE}.", field="page")
    for name, value in (("who", actor_id), ("candidate", candidate_id)):
        if value is not None and not 1 <= value <= MAX_ID:
            raise ServiceError("No such person or candidate.", field=name)
    if action_group is not None and action_group not in GROUPS:
        raise ServiceError(f"Unknown kind of action '{action_group}'.", field="what")
    if since is not None and until is not None and since > until:
        raise ServiceError("The 'from' date is after the 'to' date.", field="until")

    stmt = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.organisation_id == user.organisation_id)
    )
    if engagement is not None:
        stmt = stmt.where(AuditEvent.engagement_id == engagement.id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action_group is not None:
        stmt = stmt.where(AuditEvent.action.in_(actions_in(action_group)))
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= _start_of(since))
    if until is not None and until < date.max:
        stmt = stmt.where(AuditEvent.created_at < _start_of(until + timedelta(days=1)))
    if candidate_id is not None:
        stmt = stmt.where(
            AuditEvent.object_type == "assignment", AuditEvent.object_id == candidate_id
        )
    stmt = (
        stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    found = [(event, name) for event, name in db.session.execute(stmt)]
    events = found[:PAGE_SIZE]
    rows = _describe(user, events)
    return AuditPage(rows=rows, page=page, has_more=len(found) > PAGE_SIZE)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ids(events: Iterable[AuditEvent], object_type: str) -> set[int]:
    return {e.object_id for e in events if e.object_type == object_type and e.object_id}


def _load(model: Any, ids: set[int], organisation_id: int) -> dict[int, Any]:
    if not ids:
        return {}
    stmt = select(model).where(model.id.in_(ids), model.organisation_id == organisation_id)
    return {obj.id: obj for obj in db.session.scalars(stmt)}


def _describe(viewer: User, events: list[tuple[AuditEvent, str | None]]) -> list[AuditRow]:
    """The page's events as rows: one query per kind of object on the page."""
    plain = [e for e, _ in events]
    org = viewer.organisation_id
    assignments = _load(Assignment, _ids(plain, "assignment"), org)
    surveys = _load(Survey, _ids(plain, "survey"), org)
    users = _load(User, _ids(plain, "user"), org)
    clients = _load(Client, _ids(plain, "client"), org)
    engagements = _load(Engagement, {e.engagement_id for e in plain if e.engagement_id}, org)
    rows = []
    for event, actor_name in events:
        engagement = engagements.get(event.engagement_id or 0)
        title = f"{engagement.client_name}: {engagement.role_title}" if engagement else None
        subject, link, label = _subject(viewer, event, assignments, surveys, users, clients)
        if event.actor_id is None:
            actor = NO_ACTOR.get(event.action, SYSTEM)
        else:
            actor = actor_name or "A deleted user"
        rows.append(
            AuditRow(
                event_id=event.id,
                when=event.created_at,
                actor=actor,
                sentence=f"{actor} {describe(event, subject, title)}",
                action=event.action,
                group=group_of(event.action),
                engagement=title,
                engagement_link=(
                    ("main.engagement_detail", {"engagement_id": engagement.id})
                    if engagement and _may_open(viewer, "main.engagement_detail")
                    else None
                ),
                link=link,
                link_label=label,
            )
        )
    return rows


def _subject(
    viewer: User,
    event: AuditEvent,
    assignments: dict[int, Assignment],
    surveys: dict[int, Survey],
    users: dict[int, User],
    clients: dict[int, Client],
) -> tuple[str, tuple[str, dict[str, Any]] | None, str | None]:
    """What the event was about, in words, and where to look at it.

    An erased or deleted participant is never named: the tombstone holds no
    name, and nothing else is asked for one.
    """
    key = event.object_id or 0
    if event.object_type == "assignment":
        assignment = assignments.get(key)
        if assignment is None:
            return "a participant no longer on record", None, None
        if assignment.erased_at is not None or not assignment.name:
            return f"an erased {_kind(assignment.kind)}", None, None
        subject = assignment.name
        if assignment.kind == "candidate" and _may_open(viewer, "recruiter.candidate"):
            values = {"engagement_id": assignment.engagement_id, "assignment_id": assignment.id}
            return subject, ("recruiter.candidate", values), "Candidate"
        return subject, None, None
    if event.object_type == "survey":
        survey = surveys.get(key)
        if survey is None:
            return "a readiness survey round no longer on record", None, None
        subject = f"readiness round {survey.round} ({survey.title})"
        if _may_open(viewer, "consultant.survey"):
            values = {"engagement_id": survey.engagement_id, "survey_id": survey.id}
            return subject, ("consultant.survey", values), f"Round {survey.round}"
        return subject, None, None
    if event.object_type == "user":
        person = users.get(key)
        subject = person.name if person is not None else "a deleted user"
        if viewer.role == "admin":
            return subject, ("admin.users", {}), "Users"
        return subject, None, None
    if event.object_type == "client":
        client = clients.get(key)
        subject = client.name if client is not None else "a client no longer on record"
        if viewer.role == "admin":
            return subject, ("admin.clients", {}), "Clients"
        return subject, None, None
    if event.object_type == "engagement":
        return "the engagement", None, None
    return "", None, None


def _kind(kind: str) -> str:
    """How an erased participant is called: their kind, never who they were."""
    known = ("candidate", "board_member", "interviewer")
    return kind.replace("_", " ") if kind in known else "participant"


def _may_open(viewer: User, endpoint: str) -> bool:
    """Whether the viewer's role opens ``endpoint`` (its ``role_required`` roles)."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "allowed_roles", None)
    return view is not None and (roles is None or viewer.role in roles)


class _Missing(KeyError):
    pass


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise _Missing(key)


def describe(event: AuditEvent, subject: str, engagement: str | None = None) -> str:
    """The sentence after the actor's name for one event.

    Only the fields a template names are taken from the detail, so nothing
    else it holds is ever shown; an unknown action still reads as words.
    """
    detail = event.detail if isinstance(event.detail, dict) else {}
    fields = _Fields({k: _plain(v) for k, v in detail.items() if k not in ("subject",)})
    fields["subject"] = subject or "an object no longer on record"
    fields["engagement"] = engagement or "an engagement no longer on record"
    templates = ACTIONS.get(f"{event.action}:{event.object_type}") or ACTIONS.get(event.action)
    if isinstance(templates, str):
        templates = (templates,)
    for template in templates or ():
        try:
            return template.format_map(fields)
        except (_Missing, IndexError, ValueError, AttributeError):
            continue
    words = event.action.replace(".", " ").replace("_", " ").strip() or "an action"
    about = f" concerning {subject}" if subject else ""
    return f"recorded an action described as “{words}”{about}"


def _plain(value: Any) -> str:
    """A detail value as text; nested structures are not spelled out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, str)):
        return str(value)
    return "(details)"


# ----------------------------------------------------------------- filter choices


def people(user: User, engagement: Engagement | None = None) -> list[tuple[int, str]]:
    """Whom the "who" filter offers: the firm's users, or on one engagement those who
    acted on it (one indexed query either way)."""
    stmt = select(User.id, User.name).where(User.organisation_id == user.organisation_id)
    if engagement is not None:
        acted = select(AuditEvent.actor_id).where(AuditEvent.engagement_id == engagement.id)
        stmt = stmt.where(User.id.in_(acted.distinct()))
    return [(row.id, row.name) for row in db.session.execute(stmt.order_by(User.name, User.id))]


def engagements_of(user: User) -> list[tuple[int, str]]:
    """The firm's engagements for the engagement filter (admins only use it)."""
    stmt = (
        select(Engagement)
        .where(Engagement.organisation_id == user.organisation_id)
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    return [(e.id, f"{e.client_name}: {e.role_title}") for e in db.session.scalars(stmt)]


def candidates_of(engagement: Engagement) -> list[tuple[int, str]]:
    """The engagement's candidates for the candidate filter; an erased one by number only."""
    stmt = (
        select(Assignment.id, Assignment.name, Assignment.erased_at)
        .where(Assignment.engagement_id == engagement.id, Assignment.kind == "candidate")
        .order_by(Assignment.name, Assignment.id)
    )
    return [
        (
            row.id,
            row.name if row.erased_at is None and row.name else f"Erased candidate no. {row.id}",
        )
        for row in db.session.execute(stmt)
    ]
