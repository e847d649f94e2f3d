"""How long a change made in Conviso, with no event sent, takes to reach its card (R18).

Conviso sends no webhooks of its own, so the poll timer (``conviso_poll_timer``,
``CONVISO_POLL_SCHEDULE``, every minute by default) is what carries such a change. This
runs that timer function in the development host on its schedule — the host's own timer
machinery (``localdev/devhost/timers.py``), not a call made by the benchmark — with the
queue workers on, changes ``changes`` vulnerabilities one after another, spread over
``spread`` seconds so they land at every point of the minute, and times each from the
change to the moment its card shows the new state. The goal: 60 s at the 95th percentile
with the default schedule. ``make test`` runs it with a 2-second schedule and a handful of
changes, and checks that every change arrived (counts, not times).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from localdev.devhost.ncrontab import Schedule

from .stack import Stack, driven_app

__all__ = ["DEFAULT_SCHEDULE", "measure_poll_latency"]

DEFAULT_SCHEDULE = "0 * * * * *"
POLL_TIMER = "conviso_poll_timer"


def _states(boards: Any) -> dict[str, str]:
    """Each tagged card's state, read from the emulator's own store (no request counted)."""
    found: dict[str, str] = {}
    with boards._lock:  # the emulator's lock: a consistent look, as a person's browser has
        for item in boards.store.items.values():
            if item.deleted:
                continue
            for tag in str(item.fields.get("System.Tags", "")).split("; "):
                if tag.startswith("conviso-vuln-"):
                    found[tag.removeprefix("conviso-vuln-")] = str(item.fields["System.State"])
    return found


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure_poll_latency(
    stack: Stack,
    *,
    changes: int,
    schedule: str = DEFAULT_SCHEDULE,
    spread: float = 180.0,
    timeout: float = 300.0,
) -> dict[str, Any]:
    with driven_app(stack) as sync:
        sync.configure()
        issues = [sync.seed() for _ in range(changes)]
        answer = sync.api.post(f"/integrations/{sync.id}/reconcile", timeout=300)
        assert answer.status_code == 200, answer.text
        timer = sync.host.timers[POLL_TIMER]
        timer.schedule, timer.expression = Schedule.parse(schedule), schedule
        stopping = threading.Event()
        timer.start(stopping)
        changed_at: dict[str, float] = {}
        latencies: dict[str, float] = {}
        try:
            started = time.monotonic()
            for n, issue in enumerate(issues):
                due = started + spread * n / max(1, changes)
                while (now := time.monotonic()) < due:
                    _note_arrivals(stack, changed_at, latencies)
                    time.sleep(min(0.1, due - now))
                sync.conviso.store.change_status(
                    issue, "IN_PROGRESS", reason="bench", source="user"
                )
                changed_at[issue] = time.monotonic()
            deadline = time.monotonic() + timeout
            while len(latencies) < changes and time.monotonic() < deadline:
                _note_arrivals(stack, changed_at, latencies)
                time.sleep(0.1)
        finally:
            stopping.set()
            if timer.thread is not None:
                timer.thread.join(timeout=30)
    values = list(latencies.values())
    p95 = _percentile(values, 0.95)
    return {
        "changes": changes,
        "reached": len(values),
        "schedule": schedule,
        "spread_seconds": spread,
        "p50_seconds": None if not values else round(_percentile(values, 0.5) or 0, 2),
        "p95_seconds": None if p95 is None else round(p95, 2),
        "max_seconds": None if not values else round(max(values), 2),
    }


def _note_arrivals(stack: Stack, changed_at: dict[str, float], latencies: dict[str, float]) -> None:
    pending = [i for i in changed_at if i not in latencies]
    if not pending:
        return
    states = _states(stack.boards)
    now = time.monotonic()
    for issue in pending:
        if states.get(issue) == "Active":
            latencies[issue] = now - changed_at[issue]
