"""Requests and storage operations per event, counted, never timed.

Azure DevOps requests come from the Boards emulator's own record of every request it
answered; Conviso requests from the Conviso emulator's; Table and Queue operations from
the app's ``StateStore.operation_counts`` (one tally shared by every store). The events go
through the whole deployed path: signed webhook → 202 → queue → worker → emulator, and
the emulator's service hooks bring the echo of each write back through the Boards webhook.

Phases, each on vulnerabilities already linked unless it says otherwise:

- ``new``: an identified vulnerability becomes a card (layout already cached);
- ``status_change``: IDENTIFIED → IN_PROGRESS, no hooks subscribed (the outbound event alone);
- ``no_op``: the same status again under a new event id (the card is already there);
- ``status_change_with_echo``: IN_PROGRESS → IDENTIFIED with both hooks subscribed; the
  echo's own cost is this phase minus ``status_change``, per hook delivery.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sync_core import bootstrap
from tests.harness import Sync

from .stack import settle, signed_event, wait_until

__all__ = ["Phase", "measure_counts"]

_TABLE_KINDS = ("reads", "inserts", "updates", "deletes", "queries", "transactions")


@dataclass
class Phase:
    """What one kind of event cost, in total and per event."""

    name: str
    events: int
    azure_devops: dict[str, int] = field(default_factory=dict)
    conviso_requests: int = 0
    storage: dict[str, int] = field(default_factory=dict)

    @property
    def azure_devops_total(self) -> int:
        return sum(self.azure_devops.values())

    @property
    def table_total(self) -> int:
        return sum(self.storage.get(kind, 0) for kind in _TABLE_KINDS)

    def per_event(self, value: float) -> float:
        return round(value / max(1, self.events), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "azure_devops_per_event": self.per_event(self.azure_devops_total),
            "conviso_per_event": self.per_event(self.conviso_requests),
            "table_ops_per_event": self.per_event(self.table_total),
            "table_ops_per_event_by_kind": {
                kind: self.per_event(self.storage.get(kind, 0)) for kind in _TABLE_KINDS
            },
        }


def _kind(method: str, path: str) -> str:
    if method == "POST" and "/_apis/wit/workitems/$" in path:
        return "create"
    if method == "PATCH":
        return "update"
    if path.endswith("/wiql"):
        return "wiql"
    return f"{method.lower()} (read)" if method == "GET" else method.lower()


class _Meter:
    """Clears the emulators' records and takes the storage tally before a phase."""

    def __init__(self, sync: Sync, connection_string: str) -> None:
        self.sync, self.connection_string = sync, connection_string
        self.counts = bootstrap.context().state.operation_counts

    def run(self, name: str, events: int, act: Any) -> Phase:
        settle(self.sync, self.connection_string)
        self.sync.boards.clear_requests()
        self.sync.conviso.clear_records()
        before = self.counts.snapshot()
        act()
        settle(self.sync, self.connection_string)
        after = self.counts.snapshot()
        phase = Phase(name, events)
        for request in self.sync.boards.requests:
            key = _kind(request.method, request.path)
            phase.azure_devops[key] = phase.azure_devops.get(key, 0) + 1
        phase.conviso_requests = len(self.sync.conviso.requests)
        phase.storage = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        return phase


def _post_all(sync: Sync, snapshots: list[dict[str, Any]]) -> None:
    for snapshot in snapshots:
        body, headers = signed_event(snapshot)
        answer = sync.api.post(
            f"/integrations/{sync.id}/conviso-events", content=body, headers=headers
        )
        assert answer.status_code == 202, answer.text


def _states(sync: Sync, issues: list[str], state: str) -> bool:
    return all(
        (items := sync.work_items_of(i)) and items[0]["fields"]["System.State"] == state
        for i in issues
    )


def _change(sync: Sync, issues: list[str], status: str) -> list[dict[str, Any]]:
    for issue in issues:
        sync.conviso.store.change_status(issue, status, reason="benchmark", source="user")
    return [sync.snapshot(i) for i in issues]


def measure_counts(sync: Sync, connection_string: str, *, events: int) -> dict[str, Any]:
    """Run the four phases over ``events`` vulnerabilities; returns each phase's figures."""
    sync.configure()
    warm = sync.seed()  # builds the clients and caches the board layout: not steady state
    sync.publish(warm)
    wait_until(lambda: sync.work_items_of(warm), timeout=30)
    meter = _Meter(sync, connection_string)
    issues = [sync.seed() for _ in range(events)]
    snapshots = [sync.snapshot(i) for i in issues]
    phases = [meter.run("new", events, lambda: _post_all(sync, snapshots))]
    assert _states(sync, issues, "New"), "every new vulnerability became a card"

    snapshots = _change(sync, issues, "IN_PROGRESS")
    phases.append(meter.run("status_change", events, lambda: _post_all(sync, snapshots)))
    assert _states(sync, issues, "Active")
    phases.append(meter.run("no_op", events, lambda: _post_all(sync, snapshots)))

    sync.subscribe_hooks()
    snapshots = _change(sync, issues, "IDENTIFIED")
    hooks_before = len(sync.boards.deliveries)
    with_echo = meter.run("status_change_with_echo", events, lambda: _post_all(sync, snapshots))
    assert _states(sync, issues, "New")
    hooks = len(sync.boards.deliveries) - hooks_before
    phases.append(with_echo)
    phases.append(_echo(phases[1], with_echo, hooks))
    return {p.name: p.as_dict() for p in phases}


def _echo(alone: Phase, with_echo: Phase, hooks: int) -> Phase:
    """What the hook deliveries cost on their own: the phase with hooks minus the same
    status changes without them (per kind, never below zero)."""
    echo = Phase("echo", hooks)
    echo.conviso_requests = with_echo.conviso_requests - alone.conviso_requests
    for kind, n in with_echo.azure_devops.items():
        if n - alone.azure_devops.get(kind, 0):
            echo.azure_devops[kind] = n - alone.azure_devops.get(kind, 0)
    for kind in set(with_echo.storage) | set(alone.storage):
        echo.storage[kind] = max(0, with_echo.storage.get(kind, 0) - alone.storage.get(kind, 0))
    return echo
