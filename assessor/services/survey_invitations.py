"""Personal single-use invitations to a readiness survey round.

A round with ``collection == "invitation"`` is answered only through links
sent to a list of people, one link each, so nobody can add responses at will.
Anonymity is kept by what is *not* stored: using a link marks it used and
clears its preset segment in one conditional UPDATE, and the response it
starts carries no reference back (no foreign key, no timestamp written on the
invitation, no audit event naming either). The addresses are deleted when the
round closes (``surveys.close_round``). Staff see only round totals.
"""

from __future__ import annotations

import csv
import re
import secrets
import smtplib
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, null, select, update
from sqlalchemy.orm.attributes import set_committed_value

from assessor.extensions import db
from assessor.models import Assignment, Engagement, Survey, SurveyInvitation, User, utcnow
from assessor.services import audit, mail, surveys
from assessor.services.errors import ServiceError
from assessor.services.surveys import SurveyLinkError
from questionnaires import Instrument

#: An invitation link signs (invitation id, nonce) under this purpose only.
INVITATION_SALT = "assessor.survey-invitation.v1"
#: Columns of an uploaded list, in the order used when there is no header line.
COLUMNS: tuple[str, ...] = ("email", "level", "department", "region")
MAX_PEOPLE = 5000
#: A pasted list longer than this cannot be 5,000 reasonable lines.
MAX_LIST_CHARS = 1_000_000
#: Problems listed in the error message; the rest are counted.
MAX_PROBLEMS_SHOWN = 20

OPEN_ROUND_MESSAGE = (
    "This round collects answers through one open link, so personal invitations are not "
    "available for it. Share the round's link instead, or open a new round that collects "
    "through invitations."
)
USED_MESSAGE = (
    "This invitation link has already been used. If you started the survey with it, open "
    "the link again in the same browser you started in and you will continue where you "
    "stopped (that browser's history also has the survey pages). Each person's link works "
    "only once, so that nobody can answer in someone else's name. If you have not used it "
    "yourself, tell the person who sent it to you."
)
NOT_CONFIGURED_MESSAGE = (
    "E-mail is not set up on this server, so invitations cannot be sent from here. "
    "Open the printable list and hand out or send the links yourself."
)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Invitee:
    """One person of an uploaded list: a normalised address and what the list says of them."""

    line: int
    email: str
    #: Only the segments given in the list (level, department, region) → option key.
    segment: Mapping[str, str]


@dataclass(frozen=True)
class AddReport:
    added: int
    skipped: int

    @property
    def message(self) -> str:
        text = f"{_count(self.added, 'person', 'people')} added to the invitation list."
        if self.skipped:
            were = "was" if self.skipped == 1 else "were"
            text += f" {_count(self.skipped, 'person', 'people')} {were} already invited."
        return text


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    #: Why the first failure happened, in words (None when nothing failed).
    reason: str | None = None

    @property
    def total(self) -> int:
        return self.sent + self.failed

    @property
    def message(self) -> str:
        if not self.total:
            return "Nothing to send: every invitation with an address has been sent or used."
        if not self.failed:
            return f"{_count(self.sent, 'invitation')} sent by e-mail."
        kept = f"{self.sent} went out; the others are" if self.sent else "They are"
        return (
            f"{self.failed} of {self.total} invitations could not be sent ({self.reason}). "
            f"{kept} kept as not sent: send again later, or print the list and hand out "
            "those links yourself."
        )


@dataclass(frozen=True)
class InvitationSummary:
    """Round totals only: never how many of a level or department used their link."""

    invited: int
    used: int
    sent: int
    unsent_with_address: int
    addresses_deleted: bool

    @property
    def unused(self) -> int:
        return self.invited - self.used


@dataclass(frozen=True)
class PrintableInvitation:
    email: str | None
    #: (segment heading, option label) for each segment preset by the list.
    segment: tuple[tuple[str, str], ...]
    link: str


class InvitationListError(ServiceError):
    """Line-level problems of a list; nothing of it was saved."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.shown = problems[:MAX_PROBLEMS_SHOWN]
        self.more = len(problems) - len(self.shown)
        lines = [self.summary, *self.shown]
        if self.more:
            lines.append(f"… and {self.more} more.")
        super().__init__("\n".join(lines), field="entries")

    @property
    def summary(self) -> str:
        return (
            f"Nothing was saved: {_count(len(self.problems), 'problem')} in the list. "
            "Correct the lines below and send the whole list again."
        )


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


# ------------------------------------------------------------ the list


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file; spreadsheets must be saved as CSV UTF-8."""
    if b"\x00" in data:
        raise ServiceError(
            "The file is not a text file. Upload a .csv or .txt file (in a spreadsheet: "
            "Save as › CSV UTF-8).",
            field="upload",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            "The file is not UTF-8 text. In the spreadsheet, save it as 'CSV UTF-8' and upload "
            "it again.",
            field="upload",
        ) from None


def _norm(value: str) -> str:
    """Case, spaces, hyphens and underscores do not matter when matching an option."""
    return " ".join(re.sub(r"[-_]", " ", value.casefold()).split())


def _split(line: str) -> list[str]:
    """One line's cells: tab, then semicolon, then comma separated; quotes as in CSV."""
    delimiter = "\t" if "\t" in line else ";" if ";" in line else ","
    cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    cells = [cell.strip() for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _header(cells: list[str]) -> list[str] | None:
    """The column names if the line is a header line (no address, known column names)."""
    if any("@" in cell for cell in cells):
        return None
    names = [_norm(cell).replace(" ", "").replace("address", "") for cell in cells]
    return names if "email" in names or (names and names[0] in COLUMNS) else None


def _options_text(options: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f'"{label}" ({key})' for key, label in options)


def parse_list(text: str, instrument: Instrument) -> list[Invitee]:
    """The people of a pasted or uploaded list, or every problem with its line number.

    One person per line: ``email[,level[,department[,region]]]``; an optional
    header line names the columns (any order, any case); blank lines are
    ignored; ``;`` or a tab may separate instead of ``,``. A level, department
    or region may be given by its key or its label.
    """
    options = surveys.segment_options(instrument)
    lookup = {
        name: {form: key for key, label in choices for form in (_norm(key), _norm(label))}
        for name, choices in options.items()
    }
    lines = re.split(r"\r\n|\r|\n", (text or "").lstrip("\ufeff"))
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ServiceError(
            "The list is empty. Put one e-mail address per line, optionally followed by level, "
            "department and region.",
            field="entries",
        )
    columns = list(COLUMNS)
    first_cells = _split(numbered[0][1])
    header = _header(first_cells)
    if header is not None:
        number = numbered[0][0]
        numbered = numbered[1:]
        unknown = [
            f'"{cell}"'
            for cell, name in zip(first_cells, header, strict=True)
            if name not in COLUMNS
        ]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if unknown:
            problem = (
                f"Line {number}: unknown column {', '.join(unknown)} in the "
                f"header (use {', '.join(COLUMNS)})."
            )
        elif repeated:
            problem = f"Line {number}: the header names {', '.join(repeated)} more than once."
        elif "email" not in header:
            problem = f'Line {number}: the header has no "email" column.'
        else:
            problem = ""
            columns = header
        if problem:  # every line would be read wrongly: say only this
            raise InvitationListError([problem])
        if not numbered:
            raise ServiceError("The list has a header line but nobody in it.", field="entries")
    if len(numbered) > MAX_PEOPLE:
        raise ServiceError(
            f"The list has {len(numbered):,} people; add at most {MAX_PEOPLE:,} at a time. "
            "Split it into smaller lists and add them one after the other.",
            field="entries",
        )
    problems: list[str] = []
    people: list[Invitee] = []
    first_line_of: dict[str, int] = {}
    for number, line in numbered:
        cells = _split(line)
        if len(cells) > len(columns):
            problems.append(
                f"Line {number}: {len(cells)} values where at most {len(columns)} are expected "
                f"({', '.join(columns)}). Put a label that contains a comma in double quotes, "
                "or use its key."
            )
            continue
        row = dict(zip(columns, cells, strict=False))
        address = row.get("email", "")
        line_problems: list[str] = []
        email = ""
        if not address:
            line_problems.append(f"Line {number}: the e-mail address is missing.")
        else:
            try:
                email = validate_email(address, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                reason = str(exc)
                reason = reason[:1].lower() + reason[1:]
                line_problems.append(
                    f'Line {number}: "{address}" is not an e-mail address ({reason.rstrip(".")}).'
                )
        segment: dict[str, str] = {}
        for name in ("level", "department", "region"):
            value = row.get(name, "")
            if not value:
                continue
            key = lookup.get(name, {}).get(_norm(value))
            if key is None:
                line_problems.append(
                    f'Line {number}: unknown {name} "{value}" (use one of: '
                    f"{_options_text(options.get(name, []))})."
                )
            else:
                segment[name] = key
        if email and not line_problems:
            if email in first_line_of:
                line_problems.append(
                    f"Line {number}: {email} is already on line {first_line_of[email]}."
                )
            else:
                first_line_of[email] = number
        if line_problems:
            problems.extend(line_problems)
            continue
        people.append(Invitee(line=number, email=email, segment=segment))
    if problems:
        raise InvitationListError(problems)
    return people


# ------------------------------------------------------------- the round


def check_invitation_round(survey: Survey) -> None:
    """Invitations exist only for rounds that collect through them."""
    if survey.collection != "invitation":
        raise ServiceError(OPEN_ROUND_MESSAGE)


def _check_open(survey: Survey, doing: str) -> None:
    if not surveys.accepting(survey):
        raise ServiceError(
            f"Round {survey.round} is not taking answers (it is closed or its closing date "
            f"has passed), so {doing}. Reopen the round, or set a later closing date, first."
        )


def add_invitations(actor: User, survey: Survey, invitees: Sequence[Invitee]) -> AddReport:
    """Give each new person a single-use link; people already invited are skipped."""
    check_invitation_round(survey)
    _check_open(survey, "nobody can be invited to it")
    if len(invitees) > MAX_PEOPLE:
        raise ServiceError(f"Add at most {MAX_PEOPLE:,} people at a time.", field="entries")
    known = set(
        db.session.scalars(
            select(SurveyInvitation.email).where(
                SurveyInvitation.survey_id == survey.id, SurveyInvitation.email.is_not(None)
            )
        )
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    skipped = 0
    for person in invitees:
        email = person.email.lower()
        if email in known:
            skipped += 1
            continue
        known.add(email)
        row: dict[str, Any] = {
            "organisation_id": survey.organisation_id,
            "survey_id": survey.id,
            "email": email,
            "nonce": secrets.token_hex(16),
            "is_used": False,
            "created_at": now,
        }
        segment = {k: v for k, v in person.segment.items() if k in surveys.SEGMENTS and v}
        if segment:  # left out otherwise: the column stays SQL NULL, not JSON null
            row["segment"] = segment
        rows.append(row)
    if rows:
        db.session.execute(insert(SurveyInvitation), rows)
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "survey.invitations.add",
        "survey",
        survey.id,
        count=len(rows),
        skipped=skipped,
    )
    return AddReport(added=len(rows), skipped=skipped)


# ----------------------------------------------------------------- links


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(invitation: SurveyInvitation) -> str:
    """The token of one person's link: (invitation id, nonce), signed."""
    return _serializer().dumps([invitation.id, invitation.nonce])


def invitation_link(invitation: SurveyInvitation) -> str:
    """The full address of one person's link, for e-mails and the printable list."""
    return url_for("survey.invitation", token=invitation_token(invitation), _external=True)


def resolve_invitation(token: str) -> tuple[Survey, SurveyInvitation]:
    """The round and invitation a link names, or SurveyLinkError saying why not.

    Whether the round still takes answers, and whether the link was used, is
    for the caller to check after a returning browser has been recognised.
    """
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        payload = None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or not isinstance(payload[1], str)
    ):
        raise SurveyLinkError(
            "invalid", "This invitation link is not valid. Check that it was copied whole."
        )
    invitation = db.session.get(SurveyInvitation, payload[0])
    survey = db.session.get(Survey, invitation.survey_id) if invitation is not None else None
    if (
        invitation is None
        or survey is None
        or survey.organisation_id != invitation.organisation_id
        or survey.collection != "invitation"
        or not secrets.compare_digest(payload[1], invitation.nonce)
    ):
        raise SurveyLinkError(
            "invalid",
            "This invitation link is not valid any more. Ask the person who sent it for help.",
        )
    return survey, invitation


def used_error() -> SurveyLinkError:
    return SurveyLinkError("used", USED_MESSAGE)


def claim(survey: Survey, invitation: SurveyInvitation) -> Assignment:
    """Use the link once and start an anonymous response with the list's segment.

    The conditional UPDATE is the single-use guard on both databases: of two
    requests at the same moment only one changes the row (PostgreSQL makes the
    second wait for the first and re-check; SQLite runs writers one at a time).
    The segment is cleared with it, so afterwards only the response holds it.
    """
    surveys.check_accepting(survey)
    if invitation.survey_id != survey.id:
        raise SurveyLinkError("invalid", "This invitation link is not valid for this survey.")
    preset = dict(invitation.segment or {})
    result = db.session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.id == invitation.id,
            SurveyInvitation.nonce == invitation.nonce,
            SurveyInvitation.is_used.is_(False),
        )
        .values(is_used=True, segment=null())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise used_error()
    set_committed_value(invitation, "is_used", True)
    set_committed_value(invitation, "segment", None)
    return surveys.start_response(survey, preset or None)


# ---------------------------------------------------------------- e-mail


def _describe(exc: BaseException) -> str:
    """A failure of the mail server in words a consultant can pass on to IT."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the mail server did not accept the login"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the address"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "the mail server refused the sender address"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server answered {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return "the mail server reported an error"
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    return "the mail server could not be reached"


#: After these the connection is still usable for the next message.
_PER_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def send_invitations(actor: User, survey: Survey, engagement: Engagement) -> SendReport:
    """E-mail every unused invitation not sent yet; a failed message is left for next time.

    One connection serves the whole batch. A message the server refuses
    costs only that message; a broken connection is opened again once, and
    when that fails too the rest are counted as not sent rather than waiting
    for the server message after message.
    """
    check_invitation_round(survey)
    _check_open(survey, "invitations would only lead to a 'survey closed' page")
    if not mail.is_configured():
        raise ServiceError(NOT_CONFIGURED_MESSAGE)
    pending = list(
        db.session.scalars(
            select(SurveyInvitation)
            .where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.is_used.is_(False),
                SurveyInvitation.sent_at.is_(None),
                SurveyInvitation.email.is_not(None),
            )
            .order_by(SurveyInvitation.id)
        )
    )
    sent = failed = 0
    reason: str | None = None
    connection: smtplib.SMTP | None = None
    try:
        for index, invitation in enumerate(pending):
            fresh = connection is None
            try:
                if connection is None:
                    connection = mail.connect()
                mail.send_survey_invitation(
                    invitation, survey, engagement, invitation_link(invitation), connection
                )
            except (smtplib.SMTPException, OSError) as exc:
                failed += 1
                reason = reason or _describe(exc)
                if isinstance(exc, _PER_MESSAGE_ERRORS):
                    continue
                _close(connection)
                connection = None
                if fresh:  # a new connection failed: the server is not there now
                    failed += len(pending) - index - 1
                    break
                continue
            invitation.sent_at = utcnow()
            sent += 1
    finally:
        _close(connection)
    db.session.flush()
    if failed:
        current_app.logger.warning(
            "%d of %d survey invitations of survey %d not sent: %s",
            failed,
            len(pending),
            survey.id,
            reason,
        )
    audit.record(
        actor.organisation_id,
        actor.id,
        "survey.invitations.send",
        "survey",
        survey.id,
        count=sent,
        failed=failed,
    )
    return SendReport(sent=sent, failed=failed, reason=reason)


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    with suppress(smtplib.SMTPException, OSError):
        connection.quit()
    with suppress(OSError):
        connection.close()


# ------------------------------------------------------------ life cycle


def summary(survey: Survey) -> InvitationSummary:
    """Invited, used and sent, for the round as a whole, in one query."""
    used = func.count().filter(SurveyInvitation.is_used.is_(True))
    stmt = select(
        func.count(),
        used,
        func.count(SurveyInvitation.sent_at),
        func.count().filter(
            SurveyInvitation.is_used.is_(False),
            SurveyInvitation.sent_at.is_(None),
            SurveyInvitation.email.is_not(None),
        ),
        func.count().filter(SurveyInvitation.email.is_(None)),
    ).where(SurveyInvitation.survey_id == survey.id)
    invited, used_n, sent, unsent, without = db.session.execute(stmt).one()
    return InvitationSummary(
        invited=int(invited),
        used=int(used_n),
        sent=int(sent),
        unsent_with_address=int(unsent),
        addresses_deleted=bool(without),
    )


SEGMENT_HEADINGS = {"level": "Level", "department": "Department", "region": "Region"}


Labels = tuple[tuple[str, str], ...]


def _labeller(survey: Survey) -> Callable[[Mapping[str, Any] | None], Labels]:
    options = surveys.segment_options(surveys.instrument_of(survey))
    labels = {name: dict(choices) for name, choices in options.items()}

    def label(preset: Mapping[str, Any] | None) -> Labels:
        preset = preset or {}
        return tuple(
            (SEGMENT_HEADINGS[name], labels.get(name, {}).get(preset[name], str(preset[name])))
            for name in surveys.SEGMENTS
            if preset.get(name)
        )

    return label


def preset_labels(survey: Survey, invitation: SurveyInvitation) -> Labels:
    """(heading, label) of what the list said about the person, for their start page."""
    return _labeller(survey)(invitation.segment)


def printable(survey: Survey) -> list[PrintableInvitation]:
    """The unused invitations with address, preset segment and link, in the order added."""
    label = _labeller(survey)
    stmt = (
        select(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.is_used.is_(False))
        .order_by(SurveyInvitation.id)
    )
    return [
        PrintableInvitation(
            email=invitation.email,
            segment=label(invitation.segment),
            link=invitation_link(invitation),
        )
        for invitation in db.session.scalars(stmt)
    ]
