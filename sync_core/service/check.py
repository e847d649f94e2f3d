"""Check connection (R16): every thing the integration relies on, item by item.

Authentication, the organization, each route's project, team, board and work item type,
every mapped state and column, the lane, the route's area and iteration paths (they exist;
the team's board shows the area), the route's fit as a whole (the pure ``route_problems``)
and the two service-hook subscriptions per project. Read-only: it never
creates a subscription. A route whose items all pass is resumed if it was paused (R14),
and a passing authentication clears "needs re-authorization".

Reasons are Azure DevOps' own messages or ours; a subscription's URL is never quoted (its
query holds the webhook token).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..ports import (
    AuthenticationError,
    AzureDevOpsError,
    Boards,
    Project,
    Subscription,
)
from ..rules import IntegrationConfig, Level, Route, board_layout_from, route_problems
from .check_conviso import conviso_items
from .context import SyncContext
from .intake import load_integration
from .refused import resume
from .route_findings import PathFinding, route_field_findings, route_path_findings

__all__ = [
    "ASSIGNEE_HOOK_FIELD",
    "HOOK_FIELDS",
    "PathFinding",
    "check_integration",
    "hook_fields",
    "route_field_findings",
    "route_path_findings",
]

log = logging.getLogger(__name__)

#: The seed's two manual hooks: "Work item updated" filtered on Board Column, and on State.
HOOK_FIELDS = ("System.BoardColumn", "System.State")
#: R23: a third hook for projects whose routes sync assignees. The ``changedFields``
#: filter of ``workitem.updated`` sends only "work items with the specified field(s)
#: changed" (hooks 7.1 ``eventtypes/GET__hooks_publishers__publisherId__eventTypes.json``),
#: so the State and Board Column hooks stay silent for a reassignment alone; a list of
#: several fields in one filter is not documented (research/azure-devops.md §3.1), hence a
#: subscription of its own. Events of one revision reported by several hooks are one
#: change (the intake keys them on the revision).
ASSIGNEE_HOOK_FIELD = "System.AssignedTo"


def hook_fields(config: IntegrationConfig, project: str) -> tuple[str, ...]:
    """The ``changedFields`` of the hooks a routed project needs (R17, R23)."""
    syncs = any(
        r.assignees == "sync" and r.project.lower() == project.lower() for r in config.routes
    )
    return (*HOOK_FIELDS, ASSIGNEE_HOOK_FIELD) if syncs else HOOK_FIELDS


_USABLE = "enabled"
#: A refusal names at most this many of the team's areas.
T = TypeVar("T")


@dataclass
class _Report:
    items: list[dict[str, Any]] = field(default_factory=list)
    #: route key -> whether every item of that route passed
    routes: dict[str, bool] = field(default_factory=dict)

    def add(self, item: str, ok: bool, reason: str, route: Route | None = None) -> bool:
        self.items.append({"item": item, "ok": ok, "reason": reason})
        if route is not None:
            self.routes[route.key] = self.routes.get(route.key, True) and ok
        return ok

    @property
    def ok(self) -> bool:
        return all(i["ok"] for i in self.items)


def _ask(call: Callable[[], T]) -> tuple[T | None, str]:
    """Run one read; (value, "") or (None, why it failed in Azure DevOps' words)."""
    try:
        return call(), ""
    except AzureDevOpsError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"Azure DevOps did not answer ({type(exc).__name__})"


def _named(names: Iterable[str], wanted: str) -> bool:
    return wanted.lower() in {n.lower() for n in names}


def check_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """The R16 report: ``{"ok": bool, "items": [{"item", "ok", "reason"}, ...]}``."""
    config = load_integration(ctx, integration_id)
    report = _Report()
    try:
        boards = ctx.boards_for(integration_id, config)
    except AzureDevOpsError as exc:
        report.add("authentication", False, str(exc))
        return _finish(ctx, integration_id, config, report, authenticated=False)
    try:
        who = boards.check_connection()
    except AzureDevOpsError as exc:
        if exc.status == 404 and not isinstance(exc, AuthenticationError):
            report.add("authentication", False, "not checked: the organization was not found")
            report.add("organization", False, str(exc))
        else:
            report.add("authentication", False, str(exc))
        return _finish(ctx, integration_id, config, report, authenticated=False)
    except OSError as exc:
        report.add("authentication", False, f"Azure DevOps did not answer ({type(exc).__name__})")
        return _finish(ctx, integration_id, config, report, authenticated=False)
    report.add("authentication", True, f"authenticated as {who.name or who.id or 'unknown'}")
    projects, why = _ask(boards.list_projects)
    if projects is None:
        report.add("organization", False, why)
        return _finish(ctx, integration_id, config, report, authenticated=True)
    report.add("organization", True, f"{config.organization}: {len(projects)} project(s) visible")
    by_name = {p.name.lower(): p for p in projects}
    for route in config.routes:
        _check_route(report, boards, route, by_name)
    _check_hooks(report, boards, integration_id, config, by_name)
    return _finish(ctx, integration_id, config, report, authenticated=True)


def _check_route(
    report: _Report, boards: Boards, route: Route, projects: dict[str, Project]
) -> None:
    p, t, b, wit = route.project, route.team, route.board, route.work_item_type
    missing = f"project '{p}' is not in the organization (or not visible)"
    if not _exists(report, f"project:{p}", p.lower() in projects, missing, route):
        return
    teams, why = _ask(lambda: boards.list_teams(p))
    found = teams is not None and _named((x.name for x in teams), t)
    missing = why or f"team '{t}' is not in project '{p}'"
    if not _exists(report, f"team:{p}/{t}", found, missing, route):
        return
    _check_paths(report, boards, route)
    board, why = _ask(lambda: boards.get_board(p, t, b))
    _exists(report, f"board:{p}/{t}/{b}", board is not None, why, route)
    states, why = _ask(lambda: boards.work_item_type_states(p, wit))
    _exists(report, f"work_item_type:{p}/{wit}", states is not None, why, route)
    if board is None or states is None:
        return
    _check_fields(report, boards, route)
    layout = board_layout_from(board, states)
    targets = route.status_map.values()
    for state in sorted({target.state for target in targets if target.state}):
        missing = f"state '{state}' does not exist for '{wit}'"
        _exists(report, f"state:{p}/{wit}/{state}", state in layout.states, missing, route)
    for column in sorted({target.column for target in targets if target.column}):
        there = layout.column(column) is not None
        missing = f"column '{column}' is not on board '{b}'"
        _exists(report, f"column:{p}/{t}/{b}/{column}", there, missing, route)
    if route.lane is not None:
        missing = f"lane '{route.lane}' is not on board '{b}'"
        _exists(
            report, f"lane:{p}/{t}/{b}/{route.lane}", route.lane in layout.lanes, missing, route
        )
    problems = route_problems(route, layout)
    report.add(f"route:{route.key}", not problems, "; ".join(problems) or "fits its board", route)


def _check_paths(report: _Report, boards: Boards, route: Route) -> None:
    """One item per named path, and one for whether the team shows the area."""
    findings, why = _ask(lambda: route_path_findings(boards, route))
    if findings is None:
        for name in ("area_path", "iteration_path"):
            path = getattr(route, name)
            if path is not None:
                report.add(f"{name}:{route.project}/{path}", False, why, route)
        return
    for finding in findings:
        report.add(finding.item, finding.ok, finding.reason, route)


def _check_fields(report: _Report, boards: Boards, route: Route) -> None:
    """One item per field the route names, and one per problem (R16, R21)."""
    findings, why = _ask(lambda: route_field_findings(boards, route))
    if findings is None:
        report.add(f"fields:{route.project}/{route.work_item_type}", False, why, route)
        return
    for finding in findings:
        report.add(finding.item, finding.ok, finding.reason, route)


def _exists(report: _Report, item: str, there: bool, missing: str, route: Route) -> bool:
    return report.add(item, there, "exists" if there else missing, route)


def _hook_path(integration_id: str) -> str:
    return f"/integrations/{integration_id}/boards-webhook"


def _ours(subscription: Subscription, integration_id: str) -> bool:
    url = subscription.consumer_inputs.get("url") or ""
    return urlsplit(url).path.rstrip("/").endswith(_hook_path(integration_id))


def _check_hooks(
    report: _Report,
    boards: Boards,
    integration_id: str,
    config: IntegrationConfig,
    projects: dict[str, Project],
) -> None:
    """Per routed project: a "Work item updated" hook to our URL for each of its
    ``hook_fields`` (State, Board Column, and Assigned To where a route syncs assignees)."""
    found, why = _ask(lambda: boards.list_subscriptions(event_type="workitem.updated"))
    names = sorted({r.project for r in config.routes if r.project.lower() in projects})
    if found is None:
        for name in names:
            report.add(f"service_hooks:{name}", False, f"cannot list subscriptions: {why}")
        return
    ours = [s for s in found if _ours(s, integration_id)]
    for name in names:
        project_id = projects[name.lower()].id
        for hook_field in hook_fields(config, name):
            candidates = [
                s
                for s in ours
                if (s.publisher_inputs.get("projectId") or "").lower() == project_id.lower()
                and (s.publisher_inputs.get("changedFields") or "") in (hook_field, "")
            ]
            item = f"service_hooks:{name}/{hook_field}"
            if not candidates:
                why = f"no 'Work item updated' subscription on {hook_field} sends to this URL"
                report.add(item, False, f"{why} ({_hook_path(integration_id)})")
                continue
            best = next((s for s in candidates if s.status == _USABLE), candidates[0])
            ok = best.status == _USABLE
            report.add(item, ok, f"subscription {best.id} is {best.status or 'unknown'}")


def _finish(
    ctx: SyncContext,
    integration_id: str,
    config: IntegrationConfig,
    report: _Report,
    *,
    authenticated: bool,
) -> dict[str, Any]:
    """Resume what the check proved healthy, and send the work refused on it meanwhile
    back to the queue (R14); check Conviso too (R16); record the outcome (R11)."""
    report.items.extend(conviso_items(ctx, integration_id, config))
    if authenticated:
        healthy = [r.key for r in config.routes if report.routes.get(r.key)]

        def heal(status: Any) -> Any:
            for key in healthy:
                status = status.resume(key)
            return status.model_copy(
                update={"needs_reauthorization": False, "reauthorization_reason": None}
            )

        before = ctx.state.integrations.get_status(integration_id)
        if before.needs_reauthorization or set(before.paused_routes) & set(healthy):
            ctx.state.integrations.update_status(integration_id, heal)
        waiting = ctx.state.refused.counts(integration_id)
        for key in healthy:
            ctx.paused.discard((integration_id, key))
            if waiting.get(key):
                resume(ctx, integration_id, key, why="check connection passed")
    failed = sum(1 for i in report.items if not i["ok"])
    level = Level.INFO if report.ok else Level.WARN
    ctx.record(
        integration_id,
        level,
        f"check connection: {len(report.items) - failed} passed, {failed} failed",
        reason="check",
    )
    return {"ok": report.ok, "items": report.items}
