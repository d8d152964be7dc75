"""Business operations. They flush, never commit: the request or CLI boundary commits."""

from assessor.services.errors import NotFoundError, ServiceError

__all__ = ["NotFoundError", "ServiceError"]
