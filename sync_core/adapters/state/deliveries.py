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
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
MAX_MESSAGE_CHARS = 4000
_MAX_FIELD_CHARS = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=now().tzinfo)
_INVERT_FROM = 10**19 - 1
_CURSOR = re.compile(r"^\d{19}-[0-9a-f]{12}$")
_TEXT_FIELDS = ("message", "vulnerability_id", "work_item_id", "event_id", "reason", "route_key")


def _clip(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


class DeliveryDetails(TypedDict, total=False):
    """What a line may say besides its time, level and message: ``Delivery``'s other fields,
    for the ``record(..., **details)`` helpers, so a misspelt key fails the type check."""

    vulnerability_id: str | None
    work_item_id: int | None
    event_id: str | None
    reason: str | None
    route_key: str | None
    queue: str | None
    message_id: str | None


class DeliverySubject(TypedDict, total=False):
    """What a line is about, gathered once and passed to several ``record`` calls that each
    add their own reason: kept apart from ``DeliveryDetails`` so the type checker can tell
    the two sets of keywords never overlap."""

    event_id: str | None
    vulnerability_id: str | None
    work_item_id: int | None


class Delivery(BaseModel):
    """One recorded outcome. Long texts are clipped: recording must never fail on size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime = Field(default_factory=now)
    level: Level
    message: str
    vulnerability_id: str | None = None
    work_item_id: int | None = None
    event_id: str | None = None
    #: a SkipReason value, or an error code (e.g. Azure DevOps' own)
    reason: str | None = None
    route_key: str | None = None
    #: set for poison messages (R12), so the admin can replay them
    queue: str | None = None
    message_id: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return to_utc(value)

    @field_validator("message")
    @classmethod
    def _clip_message(cls, value: str) -> str:
        return _clip(value, MAX_MESSAGE_CHARS) or ""

    @field_validator("vulnerability_id", "event_id", "reason", "route_key", "queue", "message_id")
    @classmethod
    def _clip_field(cls, value: str | None) -> str | None:
        return _clip(value, _MAX_FIELD_CHARS)

    def mentions(self, text: str) -> bool:
        needle = text.casefold()
        return any(
            needle in str(value).casefold()
            for value in (getattr(self, name) for name in _TEXT_FIELDS)
            if value is not None
        )


class DeliveryPage(BaseModel):
    """Deliveries newest first; pass ``next_cursor`` back for the next page (None: no more)."""

    model_config = ConfigDict(frozen=True)

    items: tuple[Delivery, ...]
    next_cursor: str | None = None


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
