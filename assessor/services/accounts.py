"""Organisations and staff accounts: creation, authentication, sessions, passwords."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from assessor.extensions import db
from assessor.models import CLIENT_ROLES, ROLES, Client, Organisation, User, utcnow
from assessor.services import audit
from assessor.services.errors import ServiceError
from assessor.services.tenancy import get_owned

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
#: zxcvbn's score (0-4) a password needs: 3 means "safely unguessable" by its estimate.
MIN_PASSWORD_SCORE = 3
#: zxcvbn refuses longer input; a password whose first 72 characters are strong is strong.
_ZXCVBN_MAX_LENGTH = 72
#: A reset link signs (user id, session version, password fingerprint) under this purpose only.
RESET_SALT = "assessor.password-reset.v1"
RESET_MAX_AGE_SECONDS = 3600
PASSWORDS_DIFFER = "The two new passwords differ. Type the same one twice."
#: Checked against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")
#: What ends a line for ``str.splitlines`` (CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS): names
#: go into e-mail headers (an invitation's or a reset link's To), where such a character
#: could start a header of its own.
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def ensure_single_line(text: str, field: str = "name", what: str = "the name") -> None:
    """Refuse a line break inside a name at input, before it can reach a mail header
    (a CR or LF there would add headers of its own)."""
    if not LINE_BREAKS.isdisjoint(text):
        raise ServiceError(f"Enter {what} on one line (no line breaks).", field=field)


def normalise_email(email: str) -> str:
    """A syntactically valid, lower-cased address; ServiceError says what is wrong."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError(f"Invalid e-mail address: {exc}", field="email") from None
    return result.normalized.lower()


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "org"


def create_organisation(name: str, slug: str | None = None) -> Organisation:
    name = (name or "").strip()
    if not name:
        raise ServiceError("The organisation needs a name.", field="name")
    ensure_single_line(name)  # the From of every invitation the firm sends
    slug = slug or slugify(name)
    if db.session.scalar(select(Organisation).where(Organisation.slug == slug)) is not None:
        raise ServiceError(f"An organisation with the short name '{slug}' already exists.")
    org = Organisation(name=name, slug=slug)
    db.session.add(org)
    db.session.flush()
    return org


def find_organisation(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def create_user(
    organisation: Organisation,
    email: str,
    name: str,
    role: str,
    password: str,
    actor: User | None = None,
    client: Client | None = None,
) -> User:
    """Add an account to ``organisation``; every rule broken is a ServiceError.

    A board member or viewer belongs to one of the firm's clients (``client``);
    the firm's own staff belong to none.
    """
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise ServiceError("The user needs a name.", field="name")
    ensure_single_line(name)
    if role not in ROLES:
        raise ServiceError(
            f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.", field="role"
        )
    if role in CLIENT_ROLES and client is None:
        raise ServiceError(
            f"A {role} belongs to one of the firm's clients: choose the client.", field="client"
        )
    if role not in CLIENT_ROLES and client is not None:
        raise ServiceError(
            f"A {role} is one of the firm's own staff: leave the client empty.", field="client"
        )
    if client is not None and client.organisation_id != organisation.id:
        raise ServiceError("Choose one of the firm's clients.", field="client")
    check_password_policy(password, email, name)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise ServiceError(f"A user with the e-mail {email} already exists.", field="email")
    user = User(
        organisation=organisation,
        email=email,
        name=name,
        role=role,
        client_id=client.id if client else None,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        organisation.id, actor.id if actor else None, "user.create", "user", user.id, role=role
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with these credentials, or None (never says which part was wrong)."""
    try:
        email = normalise_email(email)
    except ServiceError:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_enabled:
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


#: Every staff page shows the user's organisation: one query loads both.
_USER_WITH_ORGANISATION = (
    select(User).options(joinedload(User.organisation)).where(User.id == bindparam("user_id"))
)


def get_user(user_id: int) -> User | None:
    return db.session.scalars(_USER_WITH_ORGANISATION, {"user_id": user_id}).first()


def list_users(organisation_id: int) -> list[User]:
    stmt = select(User).where(User.organisation_id == organisation_id).order_by(User.name)
    return list(db.session.scalars(stmt))


def load_session_user(session_id: str) -> User | None:
    """The user a session's "<id>:<version>" names, or None when the version is outdated.

    Raising ``session_version`` therefore ends every session of the user, wherever it is.
    """
    user_id, _, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    user = get_user(int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session and pending reset link of ``user`` (logout, new password, disabling)."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def check_password_policy(password: str, email: str = "", name: str = "") -> None:
    """Refuse short and guessable passwords (zxcvbn: common passwords, words, patterns).

    The user's e-mail and name count as guessable too. ServiceError says why.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(
            f"The password must have at most {MAX_PASSWORD_LENGTH} characters.", field="password"
        )
    email, name = (email or "").lower(), (name or "").lower()
    hints = [email, name, email.partition("@")[0]]
    hints += [part for part in re.split(r"[^\w]+", f"{email} {name}") if len(part) > 2]
    result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=hints)
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = (result["feedback"].get("warning") or "").rstrip(".")
        reason = f" ({warning[:1].lower()}{warning[1:]})" if warning else ""
        raise ServiceError(
            f"This password is too easy to guess{reason}. Choose a longer phrase of "
            "several unrelated words, or a password manager's random password.",
            field="password",
        )


def _set_password(user: User, password: str) -> None:
    check_password_policy(password, user.email, user.name)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """The signed-in user's new password; every other session of theirs ends."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError("Your current password is not correct.", field="current_password")
    if (new or "") != (confirm or ""):
        raise ServiceError(PASSWORDS_DIFFER, field="confirm")
    if check_password_hash(user.password_hash, new or ""):
        raise ServiceError("Choose a password different from the current one.", field="password")
    _set_password(user, new)
    audit.record(user.organisation_id, user.id, "user.password_change", "user", user.id)


def set_enabled(actor: User, user_id: object, enabled: bool) -> User:
    """An admin disables (ending the person's sessions at once) or re-enables a user."""
    user = get_owned(User, user_id, actor.organisation_id)
    if user.id == actor.id and not enabled:
        raise ServiceError("You cannot disable your own account; ask another admin.")
    if user.is_enabled != enabled:
        user.is_enabled = enabled
        end_sessions(user)
        action = "user.enable" if enabled else "user.disable"
        audit.record(actor.organisation_id, actor.id, action, "user", user.id)
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """A digest of the stored hash: the link changes with the password, yet shows none of it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    """A reset link's token; using it (new password, new session version) spends it."""
    return _reset_serializer().dumps([user.id, user.session_version, _password_fingerprint(user)])


def request_password_reset(email: str, send: Callable[[User, str], object]) -> None:
    """E-mail a reset link through ``send(user, token)`` when the address is an enabled account.

    The caller answers the same either way; unknown or malformed addresses walk
    the same steps with no user, so nothing tells which addresses exist.
    """
    try:
        address = normalise_email(email)
    except ServiceError:
        address = ""
    user = db.session.scalar(select(User).where(User.email == address))
    if user is not None and user.is_enabled:
        send(user, reset_token(user))
        audit.record(user.organisation_id, None, "user.password_reset_request", "user", user.id)


def resolve_reset_token(token: str) -> User:
    """The user a reset link is for; ServiceError when expired, used or not valid."""
    max_age = int(current_app.config.get("PASSWORD_RESET_MAX_AGE", RESET_MAX_AGE_SECONDS))
    try:
        user_id, version, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ServiceError(
            "This reset link has expired (links last one hour). Ask for a new one."
        ) from None
    except (BadSignature, ValueError, TypeError):
        raise ServiceError(
            "This reset link is not valid. Check that it was copied whole, or ask for a new one."
        ) from None
    user = get_user(user_id) if isinstance(user_id, int) else None
    if (
        user is None
        or not user.is_enabled
        or user.session_version != version
        or not secrets.compare_digest(str(fingerprint), _password_fingerprint(user))
    ):
        raise ServiceError("This reset link was already used or replaced. Ask for a new one.")
    return user


def reset_password(token: str, new: str, confirm: str) -> User:
    """Set the password through a reset link, which is spent by it; every session ends."""
    user = resolve_reset_token(token)
    if (new or "") != (confirm or ""):
        raise ServiceError(PASSWORDS_DIFFER, field="confirm")
    _set_password(user, new)
    audit.record(user.organisation_id, user.id, "user.password_reset", "user", user.id)
    return user
