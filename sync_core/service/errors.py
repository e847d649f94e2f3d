"""Errors of the use cases, each mapped by the trigger to one HTTP status.

::

    ServiceError
    ├── IntegrationNotFound      404
    ├── InvalidInput             400  (names the field)
    └── Retry                    the queue message is retried (host semantics, R12)
"""

from __future__ import annotations

from ..errors import AnsweredError

__all__ = ["IntegrationNotFound", "InvalidInput", "Retry", "ServiceError"]


class ServiceError(AnsweredError):
    """A use case's refusal or condition."""


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
