"""The firm's clients: the companies its engagements and client users belong to."""

from __future__ import annotations

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Client, Engagement, User
from assessor.services import audit
from assessor.services.accounts import ensure_single_line
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
    """The firm's client of this name, in any letter case."""
    stmt = scoped(Client, organisation_id).where(
        func.lower(Client.name) == (name or "").strip().lower()
    )
    return db.session.scalar(stmt)


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
