"""The outbound flow, read top to bottom: load, route, then create the card or apply to it.

``apply_vulnerability`` is the one driving function; each step it calls is named for what
it does, and takes the job value (``job.py``) that carries what every step needs.
"""

from __future__ import annotations

from ...ports import StoredLink
from ...rules import (
    IntegrationConfig,
    Level,
    Link,
    Route,
    Skip,
    needs_asset_tags,
    plan_outbound,
    route_by_key,
    route_for,
)
from ...rules.people import needs_decision_history
from ..context import SyncContext
from ..messages import OutboundMessage
from .existing import apply_to_card
from .first import create_first_card
from .job import Job, Loaded, read_issue

__all__ = ["apply_vulnerability"]


def apply_vulnerability(
    ctx: SyncContext,
    config: IntegrationConfig,
    message: OutboundMessage,
    *,
    claimant: str,
    retried: bool = False,
) -> None:
    """The outbound use case; raises ``Retry`` or an adapter's transient error to retry.

    ``retried``: the queue delivers this message again after a failure, so an earlier
    attempt's write may have landed (its answer lost, or the worker died after it).
    """
    loaded, stored = _load(ctx, config, message, claimant=claimant, retried=retried)
    route = _route(loaded, stored)
    if route is None:
        return
    layout = ctx.layouts.get(loaded.integration_id, route, loaded.boards)
    job = Job.routed(loaded, route, layout)
    if stored is None:
        create_first_card(job)
    else:
        apply_to_card(job, stored.link, stored.etag)


def _load(
    ctx: SyncContext,
    config: IntegrationConfig,
    message: OutboundMessage,
    *,
    claimant: str,
    retried: bool,
) -> tuple[Loaded, StoredLink | None]:
    """The vulnerability (read from Conviso when the message does not carry all the rules
    need) and its link, if it has one."""
    boards = ctx.boards_for(message.integration_id, config)
    vulnerability = message.snapshot
    if vulnerability is None:
        vulnerability = read_issue(ctx, config, message, message.issue_id)
    loaded = Loaded(ctx, config, message, claimant, retried, boards, vulnerability)
    stored = ctx.state.links.get(loaded.integration_id, vulnerability.id)
    if stored is None and needs_asset_tags(config, vulnerability.asset):
        loaded.vulnerability = loaded.current()  # R22: the event did not say the tags
    elif needs_decision_history(vulnerability, stored.link if stored else None):
        # R24: a decision made in Conviso is said naming who and why; an event that does
        # not carry the status history is read (one Conviso request, per decision only)
        loaded.vulnerability = loaded.current()
    return loaded, stored


def _route(loaded: Loaded, stored: StoredLink | None) -> Route | None:
    """The route the snapshot is applied on; None (said) when there is none to apply it on."""
    vulnerability = loaded.vulnerability
    route = route_for(loaded.config, vulnerability.asset)
    if stored is not None:
        # R3: a linked vulnerability keeps its card, on its link's route, in its project;
        # a routing change governs new cards only (and is said once per card).
        return _route_of_card(loaded, stored.link, now_routed=route)
    if route is None:
        decision = plan_outbound(
            vulnerability, config=loaded.config, route=None, layout=None, link=None, card=None
        )
        assert isinstance(decision, Skip)
        loaded.record(
            decision.level, decision.message, vulnerability_id=vulnerability.id,
            work_item_id=None, reason=decision.reason.value, route_key=None,
        )  # fmt: skip
    return route


def _route_of_card(loaded: Loaded, link: Link, *, now_routed: Route | None) -> Route | None:
    """The route a linked card is kept on: its link's, while that route still points at the
    card's project. Otherwise the card is left alone (never recreated elsewhere, never taken
    for deleted) and the change is recorded once per card; ``POST .../reroute`` moves
    existing cards to their new route when an operator asks for it."""
    route = route_by_key(loaded.config, link.route_key)
    asset = loaded.vulnerability.asset
    if route is not None and (link.project is None or link.project == route.project):
        if now_routed is not None and now_routed.key != route.key:
            _say_once(
                loaded, link, f"rerouted:{now_routed.key}",
                f"asset {asset.id} is now routed to {now_routed.key} "
                f"({now_routed.project}); work item #{link.work_item_id} stays on route "
                f"{route.key} ({route.project}): routes govern new cards",
            )  # fmt: skip
        return route
    where = (
        f"route {link.route_key} no longer exists"
        if route is None
        else f"route {route.key} now points at project {route.project}"
    )
    _say_once(
        loaded, link, f"orphaned:{link.route_key}:{route.project if route else ''}",
        f"work item #{link.work_item_id} is in project {link.project or '?'} but {where}: "
        "it is not kept in sync until it is moved (POST .../reroute) or the route restored",
        level=Level.WARN,
    )  # fmt: skip
    return None


def _say_once(
    loaded: Loaded, link: Link, what: str, message: str, *, level: Level = Level.INFO
) -> None:
    """A routing change of one card, said once per card and change (R3)."""
    vulnerability_id = loaded.vulnerability.id
    if loaded.ctx.state.events.first_time(
        loaded.integration_id, "route-change", f"{vulnerability_id}:{what}"
    ):
        loaded.record(
            level, message, vulnerability_id=vulnerability_id,
            work_item_id=link.work_item_id, reason="rerouted", route_key=link.route_key,
        )  # fmt: skip
