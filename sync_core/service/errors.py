"""Errors of the use cases, each mapped by the trigger to one HTTP status.

::

    ServiceError
    ├── IntegrationNotFound      404
    ├── InvalidInput             400  (names the field)
    └── Retry                    the queue message is retried (host semantics, R12)
"""

from __future__ import annotations

__all__ = ["IntegrationNotFound", "InvalidInput", "Retry", "ServiceError"]


class ServiceError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IntegrationNotFound(ServiceError):
    status = 404
    code = "not_found"


class InvalidInput(ServiceError):
    status = 400
    code = "bad_request"


class Retry(ServiceError):
    """A transient condition: let the queue deliver the message again later."""

    status = 503
    code = "retry"
