"""The one error tree the service knows: what can go wrong beyond its own walls.

The adapters raise these (and only these) for every failure the service is meant to sort;
the service catches them at the level it means and never names an adapter. Defined here so
the adapters (which re-export them under their old names) and the service share one class
per condition, and a fake of a port can raise exactly what the real adapter raises.

::

    Exception
    ├── AzureDevOpsError                 anything the Boards client could not do
    │   ├── TransientError               timeout, dropped connection, 408/429/5xx after the
    │   │   │                            retries; carries ``retry_after`` and
    │   │   │                            ``may_have_succeeded``
    │   │   └── TokenServiceUnavailable  Entra ID did not answer, or answered 5xx
    │   ├── ConfigurationError           400/401/403/404 and other 4xx: fix the setup (R14)
    │   │   └── AuthenticationError      401, a 203, a redirect or a sign-in page (R15)
    │   │       └── ReauthorizationNeeded  no usable OAuth grant: someone must sign in again
    │   ├── RevisionConflict             412 on ``test /rev``: re-read the item, decide again
    │   └── WorkItemNotFound             404 for a work item (deleted, or never there: R6)
    ├── ConvisoError                     anything the Conviso client could not do
    │   ├── ConvisoAuthError             401/403: the API key is wrong, expired or lacks access
    │   ├── ConvisoRequestError          any other 4xx, or an answer that is not GraphQL
    │   ├── ConvisoQueryError            HTTP 200 whose body holds ``errors[]``
    │   │   └── StatusNotPermitted       changeIssueStatus refused the status (R7: a warning)
    │   └── ConvisoUnavailable           429, 408, 5xx, timeouts after bounded retries (R12)
    ├── StateError                       the state (Table Storage, Queues) refused or failed
    │   ├── StateConfigurationError      settings missing or malformed (never echoes a value)
    │   │   └── SecretsKeyError          SECRETS_KEY missing/malformed, or cannot open a secret
    │   ├── StaleEntity                  an ETag-guarded write lost: re-read and decide again
    │   ├── StorageUnavailable           storage did not answer, timed out, or was busy
    │   │                                (408/429/5xx): try again later
    │   ├── StoredDataInvalid            a stored row no longer validates
    │   └── (also ValueError: bad input, answered 400/413, never 500)
    │       ├── InvalidKey               a key Azure would refuse, caught before any call
    │       ├── EntityTooLarge           an entity, property or message over an Azure limit
    │       └── InvalidCursor            a deliveries cursor this store did not hand out
    ├── FlowRejected                     an OAuth callback's ``state`` unknown, expired or used
    └── OAuthNotConfigured               ENTRA_* settings missing (an operator's fix)

No error ever carries a credential: messages come from the services' answer bodies, the
status, the operation name or this code, never from request headers or stored secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rules.vocabulary import ConvisoStatus

__all__ = [
    "AuthenticationError",
    "AzureDevOpsError",
    "ConfigurationError",
    "ConvisoAuthError",
    "ConvisoError",
    "ConvisoQueryError",
    "ConvisoRequestError",
    "ConvisoUnavailable",
    "EntityTooLarge",
    "FlowRejected",
    "InvalidCursor",
    "InvalidKey",
    "OAuthNotConfigured",
    "ReauthorizationNeeded",
    "RevisionConflict",
    "SecretsKeyError",
    "StaleEntity",
    "StateConfigurationError",
    "StateError",
    "StatusNotPermitted",
    "StoredDataInvalid",
    "TokenServiceUnavailable",
    "TransientError",
    "WorkItemNotFound",
]


# ------------------------------------------------------------------ Azure DevOps (Boards)


class AzureDevOpsError(Exception):
    """Base of every error the Boards client raises; ``message`` is safe to record."""

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


# ------------------------------------------------------------------ getting a token (R15)


class ReauthorizationNeeded(AuthenticationError):
    """Someone must sign in again at ``/api/oauth/start?integration=<id>``."""

    def __init__(self, message: str, *, integration_id: str) -> None:
        super().__init__(message, status=401)
        self.integration_id = integration_id


class TokenServiceUnavailable(TransientError):
    """Entra ID (or the managed identity endpoint) could not be reached or was busy."""


class OAuthNotConfigured(Exception):
    """The app settings lack what the OAuth flow needs; the message names the settings."""


class FlowRejected(Exception):
    """A callback's ``state`` is unknown, expired or already used; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the sign-in cannot be completed: {reason}; start again")
        self.reason = reason


# ------------------------------------------------------------------ Conviso


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


# ------------------------------------------------------------------ the state


class StateError(Exception):
    """Base of every error raised by the state layer."""


class StateConfigurationError(StateError):
    """A storage or secrets setting is missing or malformed. Messages name the setting only."""


class SecretsKeyError(StateConfigurationError):
    """``SECRETS_KEY`` is missing, malformed, or does not open what is stored."""


class StaleEntity(StateError):
    """An ETag-guarded write found the row changed (or gone) since it was read.

    The caller re-reads and decides again; this is how two workers racing on one link
    end with exactly one winner.
    """


class StorageUnavailable(StateError):
    """Table or Queue Storage did not answer (connection refused or dropped, a timeout past
    ``STORAGE_LIMITS``) or answered busy (408, 429, 5xx). Nothing to fix: try again.

    Any other refusal of storage's is not translated: it is a defect of ours, and reaches
    the outer boundary (a 500 with its traceback logged, a message retried to poison)."""


class StoredDataInvalid(StateError):
    """A stored row does not validate any more. The message never carries stored values."""


class InvalidKey(StateError, ValueError):
    """A PartitionKey/RowKey (or an id used as one) that Azure Table Storage would refuse."""


class EntityTooLarge(StateError, ValueError):
    """An entity, a property or a queue message is over an Azure Storage limit."""


class InvalidCursor(StateError, ValueError):
    """A deliveries page cursor that is not one this store produced."""
