"""The firm's clients: the companies its engagements and client users belong to."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select

from assessor.extensions import db
from assessor.models import CLIENT_ROLES, Client, Engagement, EngagementMember, User
from assessor.services import audit
from assessor.services.accounts import end_sessions, ensure_single_line
from assessor.services.errors import ServiceError
from assessor.services.tenancy import get_owned, scoped


def one_line(value: str | None, field: str, what: str) -> str:
    """``value`` stripped, refused if it holds a line break (names reach mail headers)."""
    text = (value or "").strip()
    ensure_single_line(text, field, what)
    return text


def list_clients(organisation_id: int) -> list[tuple[Client, int, int]]:
    """The firm's clients by name, with their engagements and client users counted."""
    engagements = (
        select(func.count(Engagement.id)).where(Engagement.client_id == Client.id).scalar_subquery()
    )
    people = select(func.count(User.id)).where(User.client_id == Client.id).scalar_subquery()
    stmt = (
        select(Client, engagements, people)
        .where(Client.organisation_id == organisation_id)
        .order_by(func.lower(Client.name))
    )
    return [(client, int(e), int(p)) for client, e, p in db.session.execute(stmt)]


def get_client(organisation_id: int, client_id: object) -> Client:
    return get_owned(Client, client_id, organisation_id)


def find_client(organisation_id: int, name: str) -> Client | None:
    """The firm's client of this name, in any letter case the database folds.

    Both sides are folded by the database (SQLite folds ASCII only, PostgreSQL
    more), so a name stored once is always found again and never inserted twice.
    """
    wanted = (name or "").strip()
    stmt = (
        scoped(Client, organisation_id)
        .where(or_(Client.name == wanted, func.lower(Client.name) == func.lower(wanted)))
        .order_by(Client.name != wanted, Client.id)
    )
    return db.session.scalars(stmt).first()


def create_client(organisation_id: int, name: str, actor: User | None = None) -> Client:
    """A new client of the firm; a name already used is refused."""
    name = one_line(name, "name", "the client's name")
    if not name:
        raise ServiceError("Name the client company.", field="name")
    if len(name) > 200:
        raise ServiceError("Keep the client's name under 200 characters.", field="name")
    if find_client(organisation_id, name) is not None:
        raise ServiceError(f"{name} is already a client.", field="name")
    client = Client(organisation_id=organisation_id, name=name)
    db.session.add(client)
    db.session.flush()
    audit.record(
        organisation_id,
        actor.id if actor else None,
        "client.create",
        "client",
        client.id,
        name=name,
    )
    return client


def client_for(organisation_id: int, name: str, actor: User | None = None) -> Client:
    """The client of this name, created when the firm has none yet (new engagements)."""
    return find_client(organisation_id, name) or create_client(organisation_id, name, actor)


def assign_client(actor: User, user_id: object, client_id: object) -> tuple[User, Client]:
    """Set the client a board member or viewer belongs to (e.g. after an upgrade from
    before clients). Their memberships of other clients' engagements end, and so do
    their sessions, so nothing of another client stays open in a browser."""
    user = get_owned(User, user_id, actor.organisation_id)
    if user.role not in CLIENT_ROLES:
        raise ServiceError(f"{user.name} is one of the firm's staff and has no client.")
    client = get_client(actor.organisation_id, client_id)
    if user.client_id == client.id:
        return user, client
    user.client_id = client.id
    others = select(Engagement.id).where(Engagement.client_id != client.id)
    db.session.execute(
        delete(EngagementMember)
        .where(EngagementMember.user_id == user.id, EngagementMember.engagement_id.in_(others))
        .execution_options(synchronize_session=False)
    )
    end_sessions(user)
    audit.record(
        actor.organisation_id, actor.id, "user.client", "user", user.id, client=client.name
    )
    return user, client
