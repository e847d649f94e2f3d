"""Processed inbound event ids, for de-duplication (R9).

A row per (source, event id) in the integration's partition, written insert-only: the
first writer of an id wins, a re-delivery finds the row. Rows carry an expiry (Table
Storage has no TTL); an expired row is taken over under its ETag, and
:meth:`EventStore.purge_expired` removes old rows in bulk.

Event ids and sources are untrusted: they are percent-encoded into the key, and ids too
long for that are hashed (SHA-256) — only compared, never read back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .errors import StaleEntity
from .keys import encode_part, hashed_part, join_key
from .limits import check_integration_id
from .properties import now, read_datetime
from .table import Table

__all__ = ["DEFAULT_EVENT_TTL", "EventStore"]

DEFAULT_EVENT_TTL = timedelta(days=7)
_ATTEMPTS = 3


class EventStore:
    """Remembers which events were already accepted."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def first_time(
        self,
        integration_id: str,
        source: str,
        event_id: str,
        ttl: timedelta = DEFAULT_EVENT_TTL,
    ) -> bool:
        """True exactly once per (source, event id) within ``ttl``; False for a re-delivery."""
        pk = check_integration_id(integration_id)
        rk = join_key(encode_part(source), hashed_part(event_id))
        for _ in range(_ATTEMPTS):
            entity = self._entity(pk, rk, event_id, ttl)
            if self._table.insert(entity) is not None:
                return True
            row = self._table.get(pk, rk)
            if row is None:
                continue  # purged meanwhile: insert again
            expires = read_datetime(row.get("expires_at"))
            if expires is not None and expires > now():
                return False
            try:
                self._table.replace(entity, row.metadata["etag"])
            except StaleEntity:
                return False  # another delivery of the same id just took it over
            return True
        # Insert and purge kept crossing: a duplicate is harmless (sync is state-based),
        # a lost event is not.
        return True

    def forget(self, integration_id: str, source: str, event_id: str) -> None:
        """Un-mark an event whose enqueue failed, so the sender's retry is accepted (R12)."""
        pk = check_integration_id(integration_id)
        self._table.delete(pk, join_key(encode_part(source), hashed_part(event_id)))

    def purge_expired(self, integration_id: str, *, at: datetime | None = None) -> int:
        """Delete the integration's expired rows; returns how many (for a timer)."""
        pk = check_integration_id(integration_id)
        rows = self._table.query(
            "PartitionKey eq @pk and expires_at lt @at",
            {"pk": pk, "at": at or now()},
            select=["PartitionKey", "RowKey"],
        )
        keys = [str(row["RowKey"]) for row in rows]
        for start in range(0, len(keys), 100):
            self._table.delete_rows(pk, keys[start : start + 100])
        return len(keys)

    @staticmethod
    def _entity(pk: str, rk: str, event_id: str, ttl: timedelta) -> dict[str, Any]:
        seen = now()
        return {
            "PartitionKey": pk,
            "RowKey": rk,
            "event_id": event_id[:1024],  # for people reading the table; the key decides
            "seen_at": seen,
            "expires_at": seen + ttl,
        }
