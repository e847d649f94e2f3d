"""The screen: what stops an inbound event before any remote call but one (R8, R9).

An unlinked card, the integration's own echo, an event older than one already seen, or a
link whose route no longer exists end here with one delivery; the writer identity is
learned only when the event's author cannot be placed without it.
"""

from __future__ import annotations

from ...rules import IntegrationConfig, Level, route_by_key, screen_inbound
from ..context import SyncContext
from ..messages import InboundMessage
from .event import EventSubject, InboundEvent
from .identity import learn_writer_identity, needs_identity

__all__ = ["route_by_key", "screen"]


def screen(
    ctx: SyncContext, config: IntegrationConfig, message: InboundMessage
) -> InboundEvent | None:
    """The event with its link and route, or None once its skip is recorded."""
    iid, change = message.integration_id, message.change
    stored = ctx.state.links.get_by_work_item(iid, change.work_item_id)
    link = stored.link if stored else None
    identity = config.service_identity
    if identity is None and needs_identity(change, link):
        identity = learn_writer_identity(ctx, iid, config)
    skipped = screen_inbound(change, link=link, service_identity=identity)
    subject: EventSubject = {"event_id": message.event_id, "work_item_id": change.work_item_id}
    if skipped is not None or stored is None:
        assert skipped is not None  # no link is a skip of the rules' own (unlinked)
        ctx.record(
            iid, skipped.level, skipped.message, reason=skipped.reason.value,
            vulnerability_id=link.vulnerability_id if link else None, **subject,
        )  # fmt: skip
        return None
    route = route_by_key(config, stored.link.route_key)
    if route is None:
        ctx.record(
            iid, Level.WARN, f"route {stored.link.route_key} of this card no longer exists",
            reason="no_route", vulnerability_id=stored.link.vulnerability_id, **subject,
        )  # fmt: skip
        return None
    return InboundEvent(ctx, config, iid, change, stored.link, stored.etag, route, subject)
