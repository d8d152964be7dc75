"""Organisations and staff accounts: creation, authentication, listing."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from assessor.extensions import db
from assessor.models import ROLES, Organisation, User, utcnow
from assessor.services import audit
from assessor.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 10
#: Checked against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


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
) -> User:
    """Add a staff account to ``organisation``; every rule broken is a ServiceError."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise ServiceError("The user needs a name.", field="name")
    if role not in ROLES:
        raise ServiceError(
            f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.", field="role"
        )
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise ServiceError(f"A user with the e-mail {email} already exists.", field="email")
    user = User(
        organisation=organisation,
        email=email,
        name=name,
        role=role,
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
