"""Whether a linked card sits where its Conviso status says it should, from stored data only.

The admin page's Overview counts links "in sync" and "drifted" without asking Azure DevOps
(reading every card would cost one request per 200 links, every time the page opens). So
the comparison is between two things the link itself keeps:

- the **expected** place: the route's ``status_map`` target for the link's
  ``applied_status`` (the Conviso status the sync last applied), or the route's
  ``status_map.VANISHED`` target once the reconcile pass found the vulnerability gone
  (R25);
- the **seen** place: ``link.card``, the card as the sync last saw it, from its own write or
  from the newest inbound service hook.

A link is ``in_sync`` when the seen state equals the target's state (if the target names
one) and the seen column equals the target's column (if it names one); ``drifted`` when
either differs; ``unknown`` when there is nothing to compare (no card seen yet, no status
applied, a route no longer configured, or a status the map does not place, which leaves the
card where a person put it). "Drifted" therefore means "the last thing we saw disagrees with
the map", e.g. a person moved the card to a column whose state stands for another status
and the inbound change was refused or is still queued; it does not see a change Azure
DevOps never told us about (the reconcile pass does).
"""

from __future__ import annotations

from typing import Literal

from .models import IntegrationConfig, Link, Route, StatusTarget
from .routing import route_by_key

__all__ = ["Drift", "drift_of", "expected_target"]

Drift = Literal["in_sync", "drifted", "unknown"]


def expected_target(route: Route, link: Link) -> StatusTarget | None:
    """Where the route's map puts this link's card now, or None when it does not say."""
    if link.vanished_at is not None and route.vanished_target is not None:
        return route.vanished_target
    if link.applied_status is None:
        return None
    return route.status_map.get(link.applied_status)


def drift_of(config: IntegrationConfig, link: Link) -> tuple[Drift, StatusTarget | None]:
    """The link's drift and the target it was compared with (see the module docstring)."""
    route = route_by_key(config, link.route_key)
    if route is None or link.card is None:
        return "unknown", None
    target = expected_target(route, link)
    if target is None:
        return "unknown", None
    state_ok = target.state is None or (link.card.state or "").casefold() == target.state.casefold()
    column_ok = target.column is None or (link.card.column or "").casefold() == (
        target.column.casefold()
    )
    return ("in_sync" if state_ok and column_ok else "drifted"), target
