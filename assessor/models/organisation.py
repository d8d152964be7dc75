"""The tenant and its staff accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessor.models.base import Base, utcnow

#: The firm's own staff: they work on engagements for its clients.
STAFF_ROLES: tuple[str, ...] = ("admin", "recruiter", "consultant")
#: People of a client company: board members (who approve the role profile) and
#: viewers (the client's HR or CEO); they see only engagements they are members of.
CLIENT_ROLES: tuple[str, ...] = ("board", "viewer")
ROLES: tuple[str, ...] = STAFF_ROLES + CLIENT_ROLES


class Organisation(Base):
    """A firm using the toolkit: a search firm, a consultancy or a company's HR."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class Client(Base):
    """A company the firm works for; its engagements and its people belong to it."""

    __tablename__ = "client"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, Base):
    """A person who signs in: the firm's staff, or a client's board member or viewer."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: Set for client users (``CLIENT_ROLES``), None for the firm's staff.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Part of every session's user id: raising it ends every session (and reset link) at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts through this
        return self.is_enabled

    def get_id(self) -> str:
        """Id and session version: the user loader refuses a session whose version is old."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_client_user(self) -> bool:
        return self.role in CLIENT_ROLES
