"""Tenant scoping: every lookup of a tenant-owned object goes through here."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select

from assessor import MAX_DATABASE_ID
from assessor.extensions import db
from assessor.services.errors import NotFoundError

T = TypeVar("T")


def scoped(model: type[T], organisation_id: int) -> Select[tuple[T]]:
    """A SELECT of ``model`` limited to one organisation's rows."""
    return select(model).where(model.organisation_id == organisation_id)  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _owned_statement(model: type[T]) -> Select[tuple[T]]:
    """One object of one organisation, built once per model (staff pages run it on every view)."""
    return select(model).where(
        model.organisation_id == bindparam("owned_organisation"),  # type: ignore[attr-defined]
        model.id == bindparam("owned_id"),  # type: ignore[attr-defined]
    )


def database_id(object_id: Any, what: str) -> int:
    """``object_id`` as a key the database can hold; NotFoundError ("No such <what>.")
    for anything else, before PostgreSQL could refuse an out-of-range INTEGER with a 500."""
    try:
        key = int(object_id)
    except (TypeError, ValueError, OverflowError):
        raise NotFoundError(f"No such {what}.") from None
    if not -MAX_DATABASE_ID - 1 <= key <= MAX_DATABASE_ID:
        raise NotFoundError(f"No such {what}.")
    return key


def get_owned(model: type[T], object_id: Any, organisation_id: int) -> T:
    """The object if it exists and belongs to the organisation; NotFoundError otherwise.

    Another firm's object answers exactly like a missing one, so ids leak nothing.
    An id outside the INTEGER range is missing too (:func:`database_id`).
    """
    params = {
        "owned_id": database_id(object_id, model.__name__.lower()),
        "owned_organisation": organisation_id,
    }
    obj = db.session.scalar(_owned_statement(model), params)
    if obj is None:
        raise NotFoundError(f"No such {model.__name__.lower()}.")
    return obj
