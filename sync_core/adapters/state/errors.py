"""The state layer's errors: defined in the ports' one tree, re-exported here.

See :mod:`sync_core.ports.errors` for the tree. ``InvalidKey``, ``EntityTooLarge`` and
``InvalidCursor`` are ``ValueError`` s too: bad input, answered 400/413, never a 500.
Azurite accepts several things Azure refuses (oversized entities, some bad keys), so these
checks run in code before every call instead of trusting the emulator to fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from sync_core.ports.errors import (
    EntityTooLarge,
    InvalidCursor,
    InvalidKey,
    SecretsKeyError,
    StaleEntity,
    StateConfigurationError,
    StateError,
    StorageUnavailable,
    StoredDataInvalid,
)

__all__ = [
    "EntityTooLarge",
    "InvalidCursor",
    "InvalidKey",
    "SecretsKeyError",
    "StaleEntity",
    "StateConfigurationError",
    "StateError",
    "StorageUnavailable",
    "StoredDataInvalid",
    "storage_call",
]

#: answers of a storage service that is there but cannot serve now
BUSY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@contextmanager
def storage_call(what: str) -> Iterator[None]:
    """Translate azure-core's "storage is not there" errors into :class:`StorageUnavailable`
    at the boundary, so the service sorts them by the one tree (``except StateError``) and
    never by azure-core's classes. ``what`` names the table or queue, never a value.

    Storage refusing the app's credentials (no token, 401, 403) is a
    :class:`StateConfigurationError`: an operator's fix. The SDK's answers the callers handle
    (404, 409, 412) and any other refusal pass through unchanged: the first are sorted by
    the adapter itself, the rest are defects of ours."""
    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise StorageUnavailable(f"{what}: storage did not answer ({type(exc).__name__})") from exc
    except ClientAuthenticationError as exc:  # no token (managed identity), or 401/403
        raise StateConfigurationError(
            f"{what}: storage refused the app's credentials: check SYNC_STORAGE and the "
            "identity's storage roles"
        ) from exc
    except HttpResponseError as exc:
        if exc.status_code in BUSY_STATUSES:
            raise StorageUnavailable(f"{what}: storage answered {exc.status_code}") from exc
        if exc.status_code in (401, 403):
            raise StateConfigurationError(
                f"{what}: storage refused the app's credentials ({exc.status_code}): check "
                "SYNC_STORAGE and the identity's storage roles"
            ) from exc
        raise
