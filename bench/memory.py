"""Resident memory of one app process over N events (10,000 in the full run).

The app runs alone in a child process — ``function_app`` in the development host, its
two queue workers, and the HTTP client that posts the events — so the figure is the
app's own: Azurite is a Node process and both emulators stay in the parent (the Boards
emulator keeps a record of every request, which would otherwise count as ours).

Each event is a signed status change of one of ``vulnerabilities`` linked cards,
alternating IN_PROGRESS / IDENTIFIED with a newer ``updatedAt`` each time, so every
event is a real write through the whole path. Events go in rounds of one per
vulnerability, each round drained before the next (so none is stale by arrival order).
Resident set size (``VmRSS``) is read after a warm-up (a tenth as many events again,
in whole rounds: clients, caches, pools and the interpreter's own arenas all built) and
at the end, so the growth is over exactly ``events`` events after the warm-up.
"""

from __future__ import annotations

import gc
import json
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .stack import ROOT_DIR, Stack, queues_idle, signed_event, wait_until

__all__ = ["measure_memory"]

_WARM_UP_SHARE = 0.1


def _rss_kib() -> int:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure_memory(stack: Stack, *, events: int, vulnerabilities: int = 50) -> dict[str, Any]:
    """Run the child; returns its RSS figures and the Azure DevOps writes it caused."""
    from tests.harness import Sync, example_config

    stack.boards.reset()
    stack.conviso.reset()
    seeder = Sync(None, stack.boards, stack.conviso, None)  # type: ignore[arg-type]
    issues = [seeder.seed() for _ in range(vulnerabilities)]
    spec = {
        "connection_string": stack.azurite.connection_string,
        "boards_url": stack.boards.url,
        "conviso_url": stack.conviso.url,
        "config": example_config(stack.boards),
        "snapshots": [seeder.snapshot(i) for i in issues],
        "events": events,
    }
    answer = subprocess.run(
        [sys.executable, "-m", "bench.memory"], input=json.dumps(spec), cwd=ROOT_DIR,
        capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    if answer.returncode != 0:
        raise RuntimeError(f"the memory run failed: {answer.stderr[-3000:]}")
    figures = json.loads(answer.stdout.strip().splitlines()[-1])
    writes = [
        r for r in stack.boards.requests
        if r.method in ("POST", "PATCH") and "/_apis/wit/workitems" in r.path and r.status == 200
    ]  # fmt: skip
    return {**figures, "azure_devops_writes": len(writes), "vulnerabilities": vulnerabilities}


def _events(snapshots: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    """Rounds of one snapshot per vulnerability, status alternating, each one newer. The
    first round is IDENTIFIED, as a new vulnerability is: one create each (a card created
    straight into IN_PROGRESS would be two requests, the create and its move, R5)."""
    base = datetime.now(UTC)
    rounds, made = [], 0
    while made < count:
        n = len(rounds)
        status = "IDENTIFIED" if n % 2 == 0 else "IN_PROGRESS"
        at = (base + timedelta(seconds=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        take = snapshots[: count - made]
        rounds.append([{**s, "status": status, "updatedAt": at} for s in take])
        made += len(take)
    return rounds


def _child() -> int:
    """Inside the child: the app, the events, the two RSS readings (JSON on stdout)."""
    import httpx

    from tests.harness import running_app

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    spec = json.loads(sys.stdin.read())
    azurite = SimpleNamespace(connection_string=spec["connection_string"])
    boards = SimpleNamespace(url=spec["boards_url"])
    conviso = SimpleNamespace(url=spec["conviso_url"])
    per_round = len(spec["snapshots"])
    warm_up = max(1, round(spec["events"] * _WARM_UP_SHARE / per_round))  # whole rounds
    rounds = _events(spec["snapshots"], spec["events"] + warm_up * per_round)
    readings: dict[str, int] = {"start_kib": _rss_kib()}
    with (
        running_app(azurite, boards, conviso) as host,  # type: ignore[arg-type]
        httpx.Client(base_url=f"{host.url}/api", timeout=30) as api,
    ):
        answer = api.put("/integrations/bench-memory", json=spec["config"])
        assert answer.status_code in (200, 201), answer.text
        for n, batch in enumerate(rounds):
            for snapshot in batch:
                body, headers = signed_event(snapshot)
                posted = api.post(
                    "/integrations/bench-memory/conviso-events", content=body, headers=headers
                )
                assert posted.status_code == 202, posted.text
            wait_until(lambda: queues_idle(spec["connection_string"]), timeout=60)
            if n + 1 == warm_up:
                readings["warm_kib"] = _rss_kib()
        readings["end_kib"] = _rss_kib()
    growth = readings["end_kib"] - readings["warm_kib"]
    warm_up_events = sum(len(r) for r in rounds[:warm_up])
    print(
        json.dumps(
            {
                "events": sum(len(r) for r in rounds) - warm_up_events,
                "warm_up_events": warm_up_events,
                **readings,
                "growth_mib": round(growth / 1024, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
