"""Processed inbound event ids, for de-duplication (R9).

A row per (source, event id) in the integration's partition, written insert-only: the
first writer of an id wins, a re-delivery finds the row. Rows carry an expiry (Table
Storage has no TTL): ``retention`` after they were written (``EVENT_ID_RETENTION_DAYS``,
default 7, R19). An expired row is taken over under its ETag, and
:meth:`EventStore.purge_expired`, called by each reconcile pass, removes expired rows in
bounded batches, so the table does not grow without bound.

Event ids and sources are untrusted: they are percent-encoded into the key, and ids too
long for that are hashed (SHA-256) — only compared, never read back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from .errors import StaleEntity
from .keys import encode_part, hashed_part, join_key
from .limits import check_integration_id
from .properties import now, read_datetime
from .table import Table, etag_of

__all__ = ["DEFAULT_EVENT_TTL", "DEFAULT_PURGE_LIMIT", "EventStore"]

DEFAULT_EVENT_TTL = timedelta(days=7)
#: rows one purge deletes at most: 10 transactions of 100, a few seconds of a reconcile pass
DEFAULT_PURGE_LIMIT = 1000
_ATTEMPTS = 3
_BATCH = 100


class EventStore:
    """Remembers which events were already accepted."""

    def __init__(self, table: Table, retention: timedelta = DEFAULT_EVENT_TTL) -> None:
        self._table = table
        #: how long an accepted id is remembered; set from the settings by ``bootstrap``
        self.retention = retention

    def first_time(
        self,
        integration_id: str,
        source: str,
        event_id: str,
        ttl: timedelta | None = None,
    ) -> bool:
        """True exactly once per (source, event id) within ``ttl`` (default: the
        retention); False for a re-delivery."""
        pk = check_integration_id(integration_id)
        ttl = self.retention if ttl is None else ttl
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
                self._table.replace(entity, etag_of(row))
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

    def purge_expired(
        self,
        integration_id: str,
        *,
        at: datetime | None = None,
        limit: int | None = DEFAULT_PURGE_LIMIT,
    ) -> int:
        """Delete up to ``limit`` of the integration's expired rows; returns how many.

        Bounded so one pass never spends long on a backlog (a first purge after months
        of events): the next pass goes on where this one stopped."""
        pk = check_integration_id(integration_id)
        rows = self._table.query(
            "PartitionKey eq @pk and expires_at lt @at",
            {"pk": pk, "at": at or now()},
            select=["PartitionKey", "RowKey"],
            page_size=_BATCH,
        )
        keys = [str(row["RowKey"]) for row in islice(rows, limit)]
        for start in range(0, len(keys), _BATCH):
            self._table.delete_rows(pk, keys[start : start + _BATCH])
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
