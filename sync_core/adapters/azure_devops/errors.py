"""The Azure DevOps client's errors, so callers can catch at the level they mean.

::

    AzureDevOpsError                 anything the client could not do
    ├── TransientError               timeout, dropped connection, 408/429/5xx after the retries;
    │                                carries ``retry_after`` and ``may_have_succeeded``
    ├── ConfigurationError           400/401/403/404 and other 4xx: fix the setup, do not retry
    │   │                            blindly (R14); carries Azure DevOps' ``message``,
    │   │                            ``type_key`` and ``status``
    │   └── AuthenticationError      401, a 203, a redirect or an HTML sign-in page (R15)
    ├── RevisionConflict             412 on ``test /rev``: re-read the item, decide again
    └── WorkItemNotFound             404 for a work item (deleted, or never there: R6)

No error ever carries a credential: messages come from Azure DevOps' answer body or
from this module, never from request headers.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "AzureDevOpsError",
    "ConfigurationError",
    "RevisionConflict",
    "TransientError",
    "WorkItemNotFound",
]


class AzureDevOpsError(Exception):
    """Base of every error the client raises; ``message`` is safe to record."""

    def __init__(
        self, message: str, *, status: int | None = None, type_key: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type_key = type_key

    def __str__(self) -> str:
        parts = [self.message]
        if self.type_key:
            parts.append(f"[{self.type_key}]")
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        return " ".join(parts)


class TransientError(AzureDevOpsError):
    """Worth trying again later: the service was busy, slow or unreachable.

    ``may_have_succeeded`` is true when a non-idempotent request (a create) may have
    been applied before the answer was lost, so the caller must look before retrying (R1).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type_key: str | None = None,
        retry_after: float | None = None,
        may_have_succeeded: bool = False,
    ) -> None:
        super().__init__(message, status=status, type_key=type_key)
        self.retry_after = retry_after
        self.may_have_succeeded = may_have_succeeded


class ConfigurationError(AzureDevOpsError):
    """Azure DevOps refused the request as made: a name, a permission or a field is wrong."""


class AuthenticationError(ConfigurationError):
    """The credentials were not accepted (a 401, or a sign-in page instead of data)."""


class RevisionConflict(AzureDevOpsError):
    """Someone changed the work item since the revision the caller read (HTTP 412)."""

    def __init__(self, message: str, *, work_item_id: int, expected_rev: int | None) -> None:
        super().__init__(message, status=412)
        self.work_item_id = work_item_id
        self.expected_rev = expected_rev


class WorkItemNotFound(AzureDevOpsError):
    """The work item does not exist (any more), or this identity cannot read it."""

    def __init__(self, message: str, *, work_item_id: int, type_key: str | None = None) -> None:
        super().__init__(message, status=404, type_key=type_key)
        self.work_item_id = work_item_id
