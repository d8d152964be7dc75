"""Errors services raise; the web layer maps them to form errors and 4xx pages."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule was broken by the input; the message is shown to the user as is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(ServiceError):
    """The object does not exist *for this tenant* (another firm's object looks absent)."""


class PermissionDeniedError(ServiceError):
    """The user's role does not allow the operation."""


class ConflictError(ServiceError):
    """The object's state forbids the change (e.g. an erased candidate); answered with 409."""
