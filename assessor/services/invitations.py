"""Inviting participants: signed, expiring, single-purpose links, and their life cycle."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, Engagement, Organisation, User, utcnow
from assessor.services import audit, standings
from assessor.services.accounts import normalise_email
from assessor.services.candidates import ensure_not_erased
from assessor.services.errors import ServiceError
from assessor.services.tenancy import get_owned

#: A link signs only (assignment id, nonce) under this purpose; nothing else accepts it.
LINK_SALT = "assessor.participant-link.v1"
#: No link is honoured longer than this, however often it was extended.
HARD_CAP_DAYS = 366
INSTRUMENT_FOR_KIND = {
    "candidate": "cco_candidate",
    "board_member": "role_scope",
    "respondent": "readiness",
    "interviewer": "interview_kit",
}
MAX_CSV_ROWS = 5000


class LinkError(ServiceError):
    """An invitation link that cannot be used; ``reason`` picks the page shown."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class CsvImportError(ServiceError):
    """Row-level problems of an upload; nothing of it was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported.")
        self.problems = problems


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def link_token(assignment: Assignment) -> str:
    """The token of the participant's link (stable until revoked or re-issued)."""
    return _serializer().dumps([assignment.id, assignment.token_nonce])


def resolve_token(token: str, *, allow_completed: bool = False) -> Assignment:
    """The assignment a link grants access to, or LinkError saying why not."""
    try:
        assignment_id, nonce = _serializer().loads(token, max_age=HARD_CAP_DAYS * 86400)
    except SignatureExpired:
        raise LinkError("expired", "This link has expired.") from None
    except (BadSignature, ValueError, TypeError):
        raise LinkError(
            "invalid", "This link is not valid. Check that it was copied whole."
        ) from None
    assignment = _with_context(assignment_id) if isinstance(assignment_id, int) else None
    if assignment is not None and assignment.erased_at is not None:
        # Erasure is final: no link of an erased record opens, whatever its nonce.
        raise LinkError(
            "revoked",
            "This link no longer works: the answers given through it were erased on request.",
        )
    if assignment is None or not secrets.compare_digest(str(nonce), assignment.token_nonce):
        if assignment is not None and assignment.revoked_at is not None:
            raise LinkError("revoked", "This link was withdrawn by the organisation that sent it.")
        raise LinkError("invalid", "This link is not valid any more. Ask for a new one.")
    withdrawn = assignment.status == "revoked" or (
        # Rejected before finishing: the rejection stands (a re-issued link reopens it).
        assignment.status == "rejected" and assignment.submitted_at is None
    )
    if assignment.revoked_at is not None or withdrawn:
        raise LinkError("revoked", "This link was withdrawn by the organisation that sent it.")
    if assignment.submitted_at is not None and not allow_completed:
        raise LinkError("completed", "This questionnaire has already been submitted. Thank you.")
    if assignment.expires_at <= utcnow() and assignment.submitted_at is None:
        raise LinkError("expired", "This link has expired. Ask the sender for a new one.")
    return assignment


#: Three entities in one row rather than joined eager loading, whose per-query
#: loader set-up cost more than the query itself.
_ASSIGNMENT_WITH_CONTEXT = (
    select(Assignment, Engagement, Organisation)
    .join(Engagement, Engagement.id == Assignment.engagement_id)
    .join(Organisation, Organisation.id == Assignment.organisation_id)
    .where(Assignment.id == bindparam("assignment_id"))
)


def _with_context(assignment_id: int) -> Assignment | None:
    """The assignment with its engagement and its organisation, in one query.

    Every participant page shows who asks; loading them together saves two
    round trips on each of those pages. The two rows are set as the
    assignment's read-only relationships, which also keeps them in the session.
    """
    row = db.session.execute(_ASSIGNMENT_WITH_CONTEXT, {"assignment_id": assignment_id}).first()
    if row is None:
        return None
    assignment, engagement, organisation = row
    set_committed_value(assignment, "engagement", engagement)
    set_committed_value(assignment, "organisation", organisation)
    return assignment


def instrument_for(engagement: Engagement, kind: str) -> questionnaires.Instrument:
    """The instrument a new participant of ``kind`` gets: for candidates the version the
    engagement chose (``Engagement.candidate_version``), else the latest published."""
    key = INSTRUMENT_FOR_KIND[kind]
    if kind == "candidate" and engagement.candidate_version is not None:
        return questionnaires.load(key, engagement.candidate_version)
    return questionnaires.latest(key)


def _new_assignment(
    engagement: Engagement, kind: str, name: str | None, email: str | None, days: int | None
) -> Assignment:
    instrument = instrument_for(engagement, kind)
    max_age = days or current_app.config.get("INVITATION_MAX_AGE_DAYS", 21)
    assignment = Assignment(
        organisation_id=engagement.organisation_id,
        engagement_id=engagement.id,
        kind=kind,
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        instrument_hash=instrument.content_hash,
        name=name,
        email=email,
        status="invited",
        token_nonce=secrets.token_hex(16),
        expires_at=utcnow() + timedelta(days=max_age),
    )
    db.session.add(assignment)
    return assignment


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Enter the candidate's name.", field="name")
    if len(name) > 200:
        raise ServiceError("Keep the name under 200 characters.", field="name")
    return name


def _already_invited(engagement_id: int, kind: str, emails: list[str]) -> set[str]:
    if not emails:
        return set()
    stmt = select(func.lower(Assignment.email)).where(
        Assignment.engagement_id == engagement_id,
        Assignment.kind == kind,
        func.lower(Assignment.email).in_(emails),
    )
    return set(db.session.scalars(stmt))


def invite(
    actor: User, engagement: Engagement, name: str, email: str, kind: str = "candidate"
) -> Assignment:
    """Invite one participant by name and e-mail to the engagement."""
    name = _clean_name(name)
    email = normalise_email(email)
    if _already_invited(engagement.id, kind, [email]):
        raise ServiceError(f"{email} is already invited to this engagement.", field="email")
    assignment = _new_assignment(engagement, kind, name, email, None)
    db.session.flush()
    standings.candidate_changed(assignment)
    audit.record(
        actor.organisation_id, actor.id, "invitation.create", "assignment", assignment.id, kind=kind
    )
    return assignment


def import_csv(
    actor: User, engagement: Engagement, data: bytes, kind: str = "candidate"
) -> list[Assignment]:
    """Invite everyone in a CSV of name and e-mail: all rows, or none with every problem listed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(["The file is not UTF-8 text. Save it as 'CSV UTF-8'."]) from None
    if "\x00" in text:
        raise CsvImportError(["The file is not a CSV text file."])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CsvImportError(
            [f"Row {reader.line_num}: the file could not be read as CSV ({exc})."]
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CsvImportError(
            ["The file is empty. Put a header row 'name,email' and one candidate per row."]
        )
    header = [h.strip().lower().replace("-", "") for h in rows[0]]
    if "name" not in header or "email" not in header:
        raise CsvImportError(
            [
                "Row 1: the header must name the columns 'name' and 'email' "
                f"(found: {', '.join(rows[0]) or 'nothing'})."
            ]
        )
    name_col, email_col = header.index("name"), header.index("email")
    body = rows[1:]
    if not body:
        raise CsvImportError(["The file has a header but no candidates."])
    if len(body) > MAX_CSV_ROWS:
        raise CsvImportError([f"The file has {len(body)} rows; the limit is {MAX_CSV_ROWS}."])
    problems: list[str] = []
    parsed: list[tuple[int, str, str]] = []
    first_row_of: dict[str, int] = {}
    for number, row in enumerate(body, start=2):
        cells = row + [""] * (max(name_col, email_col) + 1 - len(row))
        try:
            name = _clean_name(cells[name_col])
            email = normalise_email(cells[email_col])
        except ServiceError as exc:
            problems.append(f"Row {number}: {exc.message}")
            continue
        if email in first_row_of:
            problems.append(f"Row {number}: {email} appears already in row {first_row_of[email]}.")
            continue
        first_row_of[email] = number
        parsed.append((number, name, email))
    existing = _already_invited(engagement.id, kind, [e for _, _, e in parsed])
    for number, _name, email in parsed:
        if email in existing:
            problems.append(f"Row {number}: {email} is already invited to this engagement.")
    if problems:
        raise CsvImportError(problems)
    created = [_new_assignment(engagement, kind, name, email, None) for _, name, email in parsed]
    db.session.flush()
    if kind == "candidate":
        standings.recount(engagement.id)
    audit.record(
        actor.organisation_id,
        actor.id,
        "invitation.import",
        "engagement",
        engagement.id,
        count=len(created),
    )
    return created


def get_assignment(organisation_id: int, assignment_id: object) -> Assignment:
    return get_owned(Assignment, assignment_id, organisation_id)


def extend(actor: User, assignment: Assignment, days: int) -> Assignment:
    """Give the participant more time; the same link keeps working."""
    if not 1 <= days <= 90:
        raise ServiceError("Extend by 1 to 90 days.", field="days")
    standings.before_changing(assignment)
    ensure_not_erased(assignment)
    if assignment.submitted_at is not None:
        raise ServiceError("This questionnaire is already submitted.")
    if assignment.status == "revoked":
        raise ServiceError("This invitation was revoked; re-issue it instead.")
    base = max(assignment.expires_at, utcnow())
    assignment.expires_at = base + timedelta(days=days)
    db.session.flush()
    standings.candidate_changed(assignment)
    audit.record(
        actor.organisation_id, actor.id, "invitation.extend", "assignment", assignment.id, days=days
    )
    return assignment


def revoke(actor: User, assignment: Assignment) -> Assignment:
    """Withdraw the link at once; answers already given are kept."""
    standings.before_changing(assignment)
    ensure_not_erased(assignment)
    if assignment.submitted_at is not None:
        raise ServiceError("A submitted questionnaire cannot be revoked.")
    assignment.revoked_at = utcnow()
    assignment.status = "revoked"
    db.session.flush()
    standings.candidate_changed(assignment)
    audit.record(actor.organisation_id, actor.id, "invitation.revoke", "assignment", assignment.id)
    return assignment


def reissue(actor: User, assignment: Assignment) -> Assignment:
    """A fresh link (the old one stops working) with a fresh expiry; answers are kept."""
    standings.before_changing(assignment)
    ensure_not_erased(assignment)
    if assignment.submitted_at is not None:
        raise ServiceError("A submitted questionnaire needs no new link.")
    assignment.token_nonce = secrets.token_hex(16)
    assignment.revoked_at = None
    assignment.status = "in_progress" if assignment.started_at else "invited"
    assignment.expires_at = utcnow() + timedelta(
        days=current_app.config.get("INVITATION_MAX_AGE_DAYS", 21)
    )
    db.session.flush()
    standings.candidate_changed(assignment)
    audit.record(actor.organisation_id, actor.id, "invitation.reissue", "assignment", assignment.id)
    return assignment
