"""The refused-work ledger (R14): what a configuration error refused, kept until it lands.

A 400/401/403/404 from Azure DevOps (or a refused Conviso key) is not retried blindly: the
worker completes the message and pauses the route. Without a ledger that work would be lost
for good — a vulnerability whose create was refused would wait for a backfill. So each
refusal leaves a row: the route, the direction, the subject (a vulnerability id or a work
item id) and the queue message that would apply it again. When the route works again, the
rows are sent back to their queue and deleted (sent before deleted: a crash in between
applies a message twice, which the state-based rules make harmless, never zero times).

One row per subject and direction: a second refusal of the same vulnerability replaces the
first (the newest message wins; outbound ones are re-read from Conviso anyway).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sync_core.ports.data import Direction, RefusedWork

from .keys import encode_part, join_key
from .limits import check_integration_id
from .properties import now
from .table import Table

__all__ = ["RefusedStore", "RefusedWork"]


class RefusedStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def remember(
        self,
        integration_id: str,
        *,
        route_key: str,
        direction: Direction,
        subject: str,
        message: dict[str, Any],
        reason: str,
    ) -> None:
        pk = check_integration_id(integration_id)
        self._table.upsert(
            {
                "PartitionKey": pk,
                "RowKey": self._key(route_key, direction, subject),
                "route_key": route_key,
                "direction": direction,
                "subject": subject,
                "message": json.dumps(message, separators=(",", ":")),
                "reason": reason[:500],
                "refused_at": now(),
            }
        )

    def pending(self, integration_id: str, route_key: str | None = None) -> Iterator[RefusedWork]:
        """The refused work of one route (or every route), oldest key first."""
        pk = check_integration_id(integration_id)
        query, params = "PartitionKey eq @pk", {"pk": pk}
        if route_key is not None:
            query += " and route_key eq @route"
            params["route"] = route_key
        for row in self._table.query(query, params):
            try:
                message = json.loads(str(row.get("message") or "{}"))
            except ValueError:
                message = {}
            yield RefusedWork(
                route_key=str(row.get("route_key") or ""),
                direction="inbound" if row.get("direction") == "inbound" else "outbound",
                subject=str(row.get("subject") or ""),
                message=message if isinstance(message, dict) else {},
                reason=str(row.get("reason") or ""),
                row_key=str(row["RowKey"]),
            )

    def counts(self, integration_id: str) -> dict[str, int]:
        """Route key -> how many pieces of work wait for it (the admin page shows these)."""
        counted: dict[str, int] = {}
        for work in self.pending(integration_id):
            counted[work.route_key] = counted.get(work.route_key, 0) + 1
        return counted

    def forget(self, integration_id: str, row_key: str) -> None:
        self._table.delete(check_integration_id(integration_id), row_key)

    @staticmethod
    def _key(route_key: str, direction: str, subject: str) -> str:
        return join_key(encode_part(route_key), encode_part(direction), encode_part(subject))
