"""Leases: at most one holder of a named job per integration (e.g. one reconcile run).

A lease is a row with an owner and an expiry. Taking a free or expired lease, or renewing
one's own, is an ETag-guarded write, so two instances racing for it get one winner. A
holder that dies simply lets the lease expire.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import Any

from .errors import StaleEntity
from .keys import encode_part, join_key
from .limits import check_integration_id
from .properties import now, read_datetime
from .table import Table, etag_of

__all__ = ["LeaseStore"]


class LeaseStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def acquire(self, integration_id: str, name: str, owner: str, ttl: timedelta) -> bool:
        """True if ``owner`` now holds the lease for ``ttl`` (new, expired, or its own)."""
        pk = check_integration_id(integration_id)
        rk = self._key(name)
        entity = self._entity(pk, rk, owner, ttl)
        if self._table.insert(entity) is not None:
            return True
        row = self._table.get(pk, rk)
        if row is None:
            return self._table.insert(entity) is not None
        expires = read_datetime(row.get("expires_at"))
        if row.get("owner") != owner and expires is not None and expires > now():
            return False
        try:
            self._table.replace(entity, etag_of(row))
        except StaleEntity:
            return False
        return True

    def held(self, integration_id: str, name: str) -> bool:
        """Whether someone holds the lease now (a read, for refusing early; ``acquire``
        remains the only way to take it)."""
        row = self._table.get(check_integration_id(integration_id), self._key(name))
        expires = None if row is None else read_datetime(row.get("expires_at"))
        return expires is not None and expires > now()

    def release(self, integration_id: str, name: str, owner: str) -> None:
        """Give the lease up if ``owner`` holds it; someone else's lease is left alone."""
        pk = check_integration_id(integration_id)
        rk = self._key(name)
        row = self._table.get(pk, rk)
        if row is None or row.get("owner") != owner:
            return
        # Stale: taken over after expiring, no longer ours to release.
        with suppress(StaleEntity):
            self._table.delete(pk, rk, etag=etag_of(row))

    @staticmethod
    def _key(name: str) -> str:
        return join_key(encode_part(name))

    @staticmethod
    def _entity(pk: str, rk: str, owner: str, ttl: timedelta) -> dict[str, Any]:
        taken = now()
        return {
            "PartitionKey": pk,
            "RowKey": rk,
            "owner": owner,
            "acquired_at": taken,
            "expires_at": taken + ttl,
        }
