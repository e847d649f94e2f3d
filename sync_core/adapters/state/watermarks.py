"""Watermarks for reconcile (R13): "Conviso changes up to here are applied".

A watermark only moves forward, under an ETag, so two reconcile runs overlapping cannot
move it back and skip the changes in between.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sync_core.ports.data import Watermark

from .errors import StaleEntity
from .keys import encode_part, join_key
from .limits import check_integration_id
from .properties import now, read_datetime, to_utc
from .table import Table, etag_of

__all__ = ["Watermark", "WatermarkStore"]


class WatermarkStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, integration_id: str, name: str) -> Watermark:
        row = self._table.get(check_integration_id(integration_id), self._key(name))
        if row is None:
            return Watermark(None, None)
        return Watermark(read_datetime(row.get("value")), etag_of(row))

    def advance(self, integration_id: str, name: str, value: datetime, etag: str | None) -> str:
        """Move the watermark to ``value`` if that is later; the new (or unchanged) ETag.

        ``etag`` is the one :meth:`get` returned (None if there was no watermark). If the
        watermark changed since, StaleEntity: re-read and decide again.
        """
        pk = check_integration_id(integration_id)
        rk = self._key(name)
        entity = {"PartitionKey": pk, "RowKey": rk, "value": to_utc(value), "updated_at": now()}
        if etag is None:
            created = self._table.insert(entity)
            if created is None:
                raise StaleEntity(f"watermark {name!r} was created meanwhile")
            return created
        current = self._table.get(pk, rk)
        if current is None or etag_of(current) != etag:
            raise StaleEntity(f"watermark {name!r} changed since it was read")
        stored = read_datetime(current.get("value"))
        if stored is not None and to_utc(value) <= stored:
            return etag  # never backwards; equal is a no-op
        return self._table.replace(entity, etag)

    def record_run(self, integration_id: str, name: str, report: dict[str, Any]) -> None:
        """What the latest run of ``name`` (e.g. the Conviso poll) did and when: one row,
        overwritten each run, for the admin page and ``/api/health`` (R18)."""
        self._table.upsert(
            {
                "PartitionKey": check_integration_id(integration_id),
                "RowKey": self._key(f"run:{name}"),
                "report": json.dumps(report, separators=(",", ":"), default=str)[:30_000],
                "updated_at": now(),
            }
        )

    def last_run(self, integration_id: str, name: str) -> dict[str, Any] | None:
        row = self._table.get(check_integration_id(integration_id), self._key(f"run:{name}"))
        if row is None:
            return None
        try:
            report = json.loads(str(row.get("report") or "{}"))
        except ValueError:
            return None
        return report if isinstance(report, dict) else None

    @staticmethod
    def _key(name: str) -> str:
        return join_key(encode_part(name))
