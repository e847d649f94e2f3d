"""What can go wrong talking to Conviso, as one small tree callers catch at the level they mean.

::

    ConvisoError
    ├── ConvisoAuthError        401/403: the API key is wrong, expired (a new key expires
    │                           the old one) or lacks access. Not retried; fix the config.
    ├── ConvisoRequestError     any other 4xx, or an answer that is not a GraphQL response.
    │                           Not retried.
    ├── ConvisoQueryError       HTTP 200 whose body holds ``errors[]``; carries Conviso's
    │   │                       own messages (validation, limits, not found, refusals).
    │   └── StatusNotPermitted  changeIssueStatus refused: the status is not in the
    │                           issue's ``permittedStatus`` (e.g. FIX_ACCEPTED, which only
    │                           a scan may set). R7 records it as a warning.
    └── ConvisoUnavailable      429, 408, 5xx, timeouts or refused connections, still
                                failing after bounded retries. Transient: the queue
                                retries the message later (R12).

No error ever carries the API key: messages are built from the status, the operation
name and Conviso's ``errors[].message`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync_core.rules.vocabulary import ConvisoStatus

__all__ = [
    "ConvisoAuthError",
    "ConvisoError",
    "ConvisoQueryError",
    "ConvisoRequestError",
    "ConvisoUnavailable",
    "StatusNotPermitted",
]


class ConvisoError(Exception):
    """Root of every error the Conviso client raises."""


class ConvisoAuthError(ConvisoError):
    """Conviso answered 401 or 403."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ConvisoRequestError(ConvisoError):
    """A 4xx other than 401/403/408/429, or a body that is not a GraphQL response."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ConvisoQueryError(ConvisoError):
    """A 200 whose body holds GraphQL ``errors[]``; ``messages`` are Conviso's own words."""

    def __init__(self, operation: str, messages: Sequence[str]) -> None:
        self.operation = operation
        self.messages: tuple[str, ...] = tuple(messages)
        super().__init__(f"{operation}: {'; '.join(self.messages) or 'unknown GraphQL error'}")


class StatusNotPermitted(ConvisoQueryError):
    """Conviso refused a status the issue does not permit now."""

    def __init__(
        self,
        operation: str,
        messages: Sequence[str],
        *,
        issue_id: str,
        status: ConvisoStatus,
        current: ConvisoStatus | None,
        permitted: Sequence[ConvisoStatus],
    ) -> None:
        super().__init__(operation, messages)
        self.issue_id = issue_id
        self.status = status
        self.current = current
        self.permitted: tuple[ConvisoStatus, ...] = tuple(permitted)


class ConvisoUnavailable(ConvisoError):
    """Retries exhausted on a transient failure (429, 408, 5xx, timeout, connection)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        #: seconds Conviso asked us to wait, when it said so (429/503 ``Retry-After``)
        self.retry_after = retry_after
