"""Engagements: one CCO role at one client of the firm, and who works on it.

Who may open an engagement is decided here, once: an administrator of the
firm opens all of its engagements, anyone else only those they are a member
of. Another firm's engagement and one the user is not a member of answer the
same NotFoundError, so ids leak nothing.
"""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from assessor.extensions import db
from assessor.models import (
    CLIENT_ROLES,
    PARTICIPANT_KINDS,
    Assignment,
    Client,
    Engagement,
    EngagementMember,
    User,
)
from assessor.services import accounts, audit, clients, profiles
from assessor.services.errors import NotFoundError, ServiceError
from assessor.services.tenancy import database_id, get_owned, scoped


def create_engagement(
    actor: User,
    client_name: str,
    role_title: str,
    notes: str = "",
    archetype: str = "operating_executive",
) -> Engagement:
    """A new engagement for a client (created if new), with the actor as its first
    member and the archetype's default role profile as version 1."""
    client_name = clients.one_line(client_name, "client_name", "the client's name")
    role_title = clients.one_line(role_title, "role_title", "the role title")
    if not client_name:
        raise ServiceError("Name the client company.", field="client_name")
    if not role_title:
        raise ServiceError("Give the role a title.", field="role_title")
    client = clients.client_for(actor.organisation_id, client_name, actor)
    engagement = Engagement(
        organisation_id=actor.organisation_id,
        client=client,
        role_title=role_title,
        notes=(notes or "").strip(),
        created_by_id=actor.id,
    )
    db.session.add(engagement)
    db.session.flush()
    audit.record(actor.organisation_id, actor.id, "engagement.create", "engagement", engagement.id)
    if actor.role != "admin":
        db.session.add(EngagementMember(engagement_id=engagement.id, user_id=actor.id))
        db.session.flush()
    profiles.set_archetype(actor, engagement, archetype)
    return engagement


def _membership(user: User) -> object:
    return exists().where(
        EngagementMember.engagement_id == Engagement.id, EngagementMember.user_id == user.id
    )


def visible(user: User) -> object:
    """The SQL condition on Engagement for what ``user`` may open."""
    if user.role == "admin":
        return Engagement.organisation_id == user.organisation_id
    return (Engagement.organisation_id == user.organisation_id) & _membership(user)


def get_engagement(user: User, engagement_id: object) -> Engagement:
    """The engagement if ``user`` may open it; NotFoundError otherwise (also for
    an engagement of the same firm the user is not a member of)."""
    engagement = get_owned(Engagement, engagement_id, user.organisation_id)
    if user.role != "admin" and not is_member(user, engagement):
        raise NotFoundError("No such engagement.")
    return engagement


def is_member(user: User, engagement: Engagement) -> bool:
    stmt = select(EngagementMember.id).where(
        EngagementMember.engagement_id == engagement.id, EngagementMember.user_id == user.id
    )
    return db.session.scalar(stmt) is not None


def list_engagements(user: User, search: str = "") -> list[tuple[Engagement, int]]:
    """The engagements ``user`` may open with their participant counts, newest first;
    ``search`` keeps those whose client or role title contains it.

    Candidates come from the counts stored with each engagement; the few other
    participants (board members, respondents, interviewers) are counted off the
    listing index, so the page does not read every candidate's row.
    """
    stmt = select(Engagement).join(Engagement.client).where(visible(user))
    words = " ".join((search or "").split())
    if words:
        pattern = (
            "%" + words.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        stmt = stmt.where(
            or_(
                func.lower(Client.name).like(pattern, escape="\\"),
                func.lower(Engagement.role_title).like(pattern, escape="\\"),
            )
        )
    found = list(
        db.session.scalars(stmt.order_by(Engagement.created_at.desc(), Engagement.id.desc()))
    )
    others: dict[int, int] = {}
    if found:
        counted = (
            select(Assignment.engagement_id, func.count())
            .where(
                Assignment.engagement_id.in_([e.id for e in found]),
                Assignment.kind.in_([k for k in PARTICIPANT_KINDS if k != "candidate"]),
            )
            .group_by(Assignment.engagement_id)
        )
        others = {engagement_id: int(n) for engagement_id, n in db.session.execute(counted)}
    return [(e, int((e.candidate_counts or {}).get("all", 0)) + others.get(e.id, 0)) for e in found]


# ------------------------------------------------------------- membership
def members(engagement: Engagement) -> list[tuple[EngagementMember, User]]:
    """The engagement's members, the firm's staff first, then the client's people."""
    stmt = (
        select(EngagementMember, User)
        .join(User, User.id == EngagementMember.user_id)
        .where(EngagementMember.engagement_id == engagement.id)
        .order_by(User.role.in_(CLIENT_ROLES), func.lower(User.name), User.id)
    )
    return [(member, user) for member, user in db.session.execute(stmt)]


def member_users(engagement: Engagement, *roles: str) -> list[User]:
    """Enabled members with one of ``roles`` (e.g. the board members who approve)."""
    stmt = (
        select(User)
        .join(EngagementMember, EngagementMember.user_id == User.id)
        .where(EngagementMember.engagement_id == engagement.id, User.is_enabled)
        .order_by(User.id)
    )
    if roles:
        stmt = stmt.where(User.role.in_(roles))
    return list(db.session.scalars(stmt))


def addable_users(engagement: Engagement) -> list[User]:
    """Who may be added: enabled staff of the firm (administrators see every engagement
    already) and the people of this engagement's client, not yet members."""
    already = select(EngagementMember.user_id).where(
        EngagementMember.engagement_id == engagement.id
    )
    stmt = (
        scoped(User, engagement.organisation_id)
        .where(
            User.is_enabled,
            User.role != "admin",
            User.id.not_in(already),
            or_(User.role.not_in(CLIENT_ROLES), User.client_id == engagement.client_id),
        )
        .order_by(User.role.in_(CLIENT_ROLES), func.lower(User.name))
    )
    return list(db.session.scalars(stmt))


def add_member(actor: User, engagement: Engagement, user_id: object) -> User:
    """Give a person of the firm, or of this engagement's client, access to it."""
    try:
        user = get_owned(User, user_id, engagement.organisation_id)
    except NotFoundError:
        raise ServiceError("Choose a person to add.", field="user_id") from None
    if user.role == "admin":
        raise ServiceError(f"{user.name} is an administrator and sees every engagement.")
    if user.role in CLIENT_ROLES and user.client_id is None:
        raise ServiceError(
            f"{user.name} has no client yet: an administrator sets it under Users first.",
            field="user_id",
        )
    if user.client_id is not None and user.client_id != engagement.client_id:
        raise ServiceError(
            f"{user.name} belongs to another client and cannot join an engagement for "
            f"{engagement.client_name}.",
            field="user_id",
        )
    if not user.is_enabled:
        raise ServiceError(f"{user.name}'s account is disabled.", field="user_id")
    if is_member(user, engagement):
        raise ServiceError(f"{user.name} is already a member.", field="user_id")
    db.session.add(
        EngagementMember(engagement_id=engagement.id, user_id=user.id, added_by_id=actor.id)
    )
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "engagement.member_add",
        "engagement",
        engagement.id,
        user_id=user.id,
        name=user.name,
        role=user.role,
    )
    return user


def remove_member(actor: User, engagement: Engagement, member_id: object) -> User:
    """Take a member off the engagement; their sessions end, so the removal holds
    from their next request on (pages already open show nothing more)."""
    member = db.session.get(EngagementMember, database_id(member_id, "member"))
    if member is None or member.engagement_id != engagement.id:
        raise NotFoundError("No such member.")
    user = db.session.get(User, member.user_id)
    assert user is not None  # the foreign key cascades
    db.session.delete(member)
    accounts.end_sessions(user)
    db.session.flush()
    audit.record(
        actor.organisation_id,
        actor.id,
        "engagement.member_remove",
        "engagement",
        engagement.id,
        user_id=user.id,
        name=user.name,
        role=user.role,
    )
    return user
