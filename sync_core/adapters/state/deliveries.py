"""Recent deliveries (R11): everything the integration did, skipped or failed.

Rows of one integration's partition are keyed ``<inverted microseconds>-<random>``, so
the table's natural order is newest first and a time window is a RowKey range. Only the
latest ``cap`` (1,000) are queryable. Recording is one insert and nothing else: the
excess is deleted by ``trim``, which each reconcile pass calls (every 15 minutes), so the
write path pays no query (docs/performance.md). Between trims a partition holds what was
recorded since the last pass on top of the cap; queries never read past the cap.

Table Storage has no "contains", so the text filter runs here, over the rows the server
filter (level, time window) returns.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from sync_core.ports.data import (
    Delivery,
    DeliveryDetails,
    DeliveryPage,
    DeliverySubject,
)
from sync_core.rules.decisions import Level

from .errors import InvalidCursor, StoredDataInvalid
from .limits import check_integration_id
from .properties import now, read_datetime, read_int, to_utc
from .table import MAX_BATCH, Table

__all__ = [
    "DEFAULT_CAP",
    "Delivery",
    "DeliveryDetails",
    "DeliveryPage",
    "DeliveryStore",
    "DeliverySubject",
]

DEFAULT_CAP = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=now().tzinfo)
_INVERT_FROM = 10**19 - 1
_CURSOR = re.compile(r"^\d{19}-[0-9a-f]{12}$")


def _inverted(time: datetime) -> int:
    delta = to_utc(time) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return _INVERT_FROM - micros


def _row_key(time: datetime) -> str:
    return f"{_inverted(time):019d}-{uuid.uuid4().hex[:12]}"


class DeliveryStore:
    """Append and query recent deliveries, keeping the latest ``cap`` per integration."""

    def __init__(self, table: Table, *, cap: int = DEFAULT_CAP) -> None:
        if cap < 1:
            raise ValueError("cap must be positive")
        self._table = table
        self._cap = cap

    def record(self, integration_id: str, delivery: Delivery) -> None:
        pk = check_integration_id(integration_id)
        self._table.insert(self._entity(pk, delivery))

    def record_many(self, integration_id: str, deliveries: Iterable[Delivery]) -> int:
        """Record several deliveries in transactions of 100 (e.g. one per vulnerability of
        a completed assessment, R10); returns how many."""
        pk = check_integration_id(integration_id)
        entities = [self._entity(pk, delivery) for delivery in deliveries]
        for start in range(0, len(entities), MAX_BATCH):
            self._table.transact([("create", e) for e in entities[start : start + MAX_BATCH]])
        return len(entities)

    def query(
        self,
        integration_id: str,
        *,
        level: Level | str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DeliveryPage:
        """A page of deliveries, newest first, filtered by level, time window and text."""
        pk = check_integration_id(integration_id)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        limit = min(limit, self._cap)
        query_filter, parameters = self._filter(pk, level, since, until, cursor)
        oldest_kept = self._oldest_kept(pk)
        if oldest_kept is not None:  # rows past the cap await a trim: not "recent" any more
            query_filter += " and RowKey le @kept"
            parameters["kept"] = oldest_kept
        page_size = min(self._cap, limit + 1) if not text else None
        found: list[tuple[str, Delivery]] = []
        for row in self._table.query(query_filter, parameters, page_size=page_size):
            delivery = self._delivery_of(row)
            if text and not delivery.mentions(text):
                continue
            found.append((str(row["RowKey"]), delivery))
            if len(found) > limit:
                break
        more = len(found) > limit
        items = found[:limit]
        return DeliveryPage(
            items=tuple(d for _, d in items), next_cursor=items[-1][0] if more else None
        )

    def _oldest_kept(self, pk: str) -> str | None:
        """The key of the ``cap``-th newest row, or None while there are fewer: one page of
        keys, read on the admin's path so that recording needs no trim."""
        rows = self._table.query(
            "PartitionKey eq @pk", {"pk": pk}, select=["RowKey"], page_size=min(self._cap, 1000)
        )
        last = None
        for count, row in enumerate(rows, start=1):
            last = str(row["RowKey"])
            if count == self._cap:
                return last
        return None

    def trim(self, integration_id: str) -> int:
        """Delete all but the newest ``cap`` rows; returns how many went. Reads the
        partition's keys (a page per 1,000) and deletes in transactions of 100."""
        pk = check_integration_id(integration_id)
        keys = [
            str(row["RowKey"])
            for row in self._table.query(
                "PartitionKey eq @pk", {"pk": pk}, select=["PartitionKey", "RowKey"]
            )
        ]
        excess = keys[self._cap :]
        for start in range(0, len(excess), MAX_BATCH):
            self._table.delete_rows(pk, excess[start : start + MAX_BATCH])
        return len(excess)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _entity(pk: str, delivery: Delivery) -> dict[str, Any]:
        entity: dict[str, Any] = {"PartitionKey": pk, "RowKey": _row_key(delivery.time)}
        entity.update(
            (k, v.value if isinstance(v, Level) else v)
            for k, v in delivery.model_dump().items()
            if v is not None
        )
        return entity

    @staticmethod
    def _filter(
        pk: str,
        level: Level | str | None,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
    ) -> tuple[str, dict[str, Any]]:
        clauses = ["PartitionKey eq @pk"]
        parameters: dict[str, Any] = {"pk": pk}
        if cursor is not None:
            if not isinstance(cursor, str) or not _CURSOR.match(cursor):
                raise InvalidCursor("cursor is not one this service handed out")
            clauses.append("RowKey gt @after")
            parameters["after"] = cursor
        if until is not None:  # newer rows have smaller keys
            clauses.append("RowKey ge @newest")
            parameters["newest"] = f"{_inverted(until):019d}"
        if since is not None:
            clauses.append("RowKey lt @oldest")
            parameters["oldest"] = f"{_inverted(since):019d}."  # '.' sorts after '-'
        if level is not None:
            clauses.append("level eq @level")
            parameters["level"] = Level(level).value
        return " and ".join(clauses), parameters

    @staticmethod
    def _delivery_of(row: Any) -> Delivery:
        fields = {k: row[k] for k in Delivery.model_fields if k in row}
        fields["time"] = read_datetime(row.get("time"))
        if "work_item_id" in fields:
            fields["work_item_id"] = read_int(fields["work_item_id"])
        try:
            return Delivery.model_validate(fields)
        except ValidationError:
            raise StoredDataInvalid(
                f"delivery row {row.get('RowKey')!r} does not validate"
            ) from None
