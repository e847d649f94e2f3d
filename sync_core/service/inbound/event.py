"""The event value: one person's change to a linked card, once screened and routed.

Every step after the screen takes it, so none passes the integration, the link, its ETag,
the route and the event's subject along by hand, and every delivery about the event names
the same event, card, vulnerability and route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from ...rules import BoardChange, IntegrationConfig, Level, Link, Route, Skip
from ..context import SyncContext

__all__ = ["EventSubject", "InboundEvent"]


class EventSubject(TypedDict):
    """The event and the card every line about an inbound event names (the keywords of
    ``SyncContext.record`` that no call passes itself)."""

    event_id: str | None
    work_item_id: int | None


@dataclass(frozen=True)
class InboundEvent:
    """A change to a linked card, past the screen: its link (as read, with its ETag) and
    the route the card is on."""

    ctx: SyncContext
    config: IntegrationConfig
    integration_id: str
    change: BoardChange
    link: Link
    etag: str
    route: Route
    subject: EventSubject

    def record(self, level: Level, message: str, *, reason: str) -> None:
        """One delivery about this event (R11), naming its vulnerability and route."""
        self.ctx.record(
            self.integration_id, level, message, reason=reason,
            vulnerability_id=self.link.vulnerability_id, route_key=self.route.key,
            **self.subject,
        )  # fmt: skip

    def record_skip(self, skip: Skip) -> None:
        """A step the rules declined, said as they said it."""
        self.record(skip.level, skip.message, reason=skip.reason.value)
