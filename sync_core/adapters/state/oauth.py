"""What the OAuth flow keeps between two requests, and the tokens it ends with (R15).

Two kinds of rows in one table:

- **a pending flow**, one per ``/oauth/start``: keyed by a hash of its ``state`` (so a
  table dump does not show the values a callback would need), inserted once, sealed
  (the PKCE verifier and nonce are secrets), expiring after ``FLOW_TTL``. A callback
  *consumes* it with an ETag-guarded write before anything else, so a replayed or
  concurrent callback with the same ``state`` finds it already used;
- **the token cache** of an integration (MSAL's serialized cache, refresh token
  included), sealed with ``SECRETS_KEY`` and replaced under its ETag, so two workers
  refreshing at once never overwrite a newer cache with an older one.

Nothing here logs a value or puts one in an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sync_core.ports.data import PendingFlow, StoredTokenCache
from sync_core.ports.errors import FlowRejected

from .errors import StaleEntity
from .limits import check_integration_id
from .properties import now, read_datetime, read_text, write_text
from .secret_box import SecretBox
from .table import Table, etag_of

__all__ = [
    "FLOW_TTL",
    "FlowRejected",
    "OAuthStore",
    "PendingFlow",
    "StoredTokenCache",
]

logger = logging.getLogger(__name__)

#: A person has this long between /oauth/start and finishing the sign-in.
FLOW_TTL = timedelta(minutes=10)
#: Flows live in one partition no integration id can name (ids never start with '~').
_FLOWS = "~flows"
_CACHE_ROW = "token-cache"
_PURGE_MAX = 100


def _state_key(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


class OAuthStore:
    """Pending sign-in flows and per-integration token caches, sealed at rest."""

    def __init__(self, table: Table, box: SecretBox, *, flow_ttl: timedelta = FLOW_TTL) -> None:
        self._table = table
        self._box = box
        self._ttl = flow_ttl

    # ----------------------------------------------------------------- flows

    def save_flow(self, integration_id: str, state: str, flow: dict[str, Any]) -> datetime:
        """Remember a flow until its callback; returns when it expires."""
        pk = check_integration_id(integration_id)
        expires = now() + self._ttl
        entity: dict[str, Any] = {
            "PartitionKey": _FLOWS,
            "RowKey": _state_key(state),
            "integration_id": pk,
            "expires_at": expires,
            "consumed": False,
        }
        write_text(entity, "flow", self._box.seal(json.dumps(flow)))
        if self._table.insert(entity) is None:  # a 256-bit random state never repeats
            raise StaleEntity("a sign-in flow with this state already exists")
        self._purge_expired()
        return expires

    def consume_flow(self, state: str) -> PendingFlow:
        """The flow for ``state``, marked used first: a second call raises FlowRejected."""
        if not state:
            raise FlowRejected("the state parameter is missing")
        row = self._table.get(_FLOWS, _state_key(state))
        if row is None:
            raise FlowRejected("the state is unknown (it expired and was removed, or never was)")
        if row.get("consumed"):
            raise FlowRejected("the state was already used (a replayed callback)")
        expires = read_datetime(row.get("expires_at"))
        if expires is None or expires <= now():
            self._table.delete(_FLOWS, row["RowKey"])
            raise FlowRejected("the state has expired")
        used = {**dict(row), "consumed": True}
        try:
            self._table.replace(used, etag_of(row))
        except StaleEntity:
            raise FlowRejected("the state was already used (a replayed callback)") from None
        flow = json.loads(self._box.open(read_text(row, "flow")))
        return PendingFlow(integration_id=str(row["integration_id"]), flow=flow)

    def _purge_expired(self) -> None:
        """Sign-ins nobody finished leave rows; each start sweeps a few expired ones."""
        rows = self._table.query(
            "PartitionKey eq @pk and expires_at lt @now",
            {"pk": _FLOWS, "now": now() - self._ttl},
            select=["PartitionKey", "RowKey"],
            page_size=_PURGE_MAX,
        )
        keys = [row["RowKey"] for _, row in zip(range(_PURGE_MAX), rows, strict=False)]
        self._table.delete_rows(_FLOWS, keys)
        if keys:
            logger.info("removed %s expired sign-in flows", len(keys))

    # ------------------------------------------------------------ token cache

    def get_token_cache(self, integration_id: str) -> StoredTokenCache | None:
        row = self._table.get(check_integration_id(integration_id), _CACHE_ROW)
        if row is None:
            return None
        return StoredTokenCache(self._box.open(read_text(row, "cache")), etag_of(row))

    def put_token_cache(
        self, integration_id: str, serialized: str, *, etag: str | None = None
    ) -> str:
        """Store the cache; with ``etag``, only over that version (else StaleEntity)."""
        entity: dict[str, Any] = {
            "PartitionKey": check_integration_id(integration_id),
            "RowKey": _CACHE_ROW,
            "updated_at": now(),
        }
        write_text(entity, "cache", self._box.seal(serialized))
        if etag is None:
            return self._table.upsert(entity)
        return self._table.replace(entity, etag)
