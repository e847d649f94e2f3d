"""Run every benchmark in one go and write the table: ``python -m bench`` (``make bench``).

    python -m bench                  # full sizes; writes docs/performance.md and bench/results/
    python -m bench --smoke          # tiny sizes, prints JSON only (what the smoke test runs)
    python -m bench --only memory    # some benchmarks; writes bench/results/<stamp>.json only
    python -m bench --merge bench/results/A.json bench/results/B.json
                                     # one table from parts run separately (later parts win)

Everything runs on 127.0.0.1 (Azurite from node_modules, both emulators) and stops by
itself: at the end, or when ``--deadline`` seconds have passed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .stack import ROOT_DIR, Stack, driven_app, open_stack

RESULTS = ROOT_DIR / "bench" / "results"
DOC = ROOT_DIR / "docs" / "performance.md"


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does; medians are taken over ``runs``."""

    count_events: int
    throughput_events: int
    acceptance_requests: int
    runs: int
    cold_start_runs: int
    memory_events: int
    backfill: int
    profile_events: int
    transport_operations: int
    #: issue 20: the poll's latency (changes, NCRONTAB schedule, seconds they are spread over)
    poll_changes: int
    poll_schedule: str
    poll_spread: float
    quiet_polls: int
    quiet_hooks: int
    stored_events: int
    #: the consumption limit the backfill runs against (budget, window, cost)
    backfill_limit: tuple[float, float, float]


FULL = Sizes(
    count_events=50, throughput_events=200, acceptance_requests=300, runs=5,
    cold_start_runs=9, memory_events=10_000, backfill=10_000, profile_events=300,
    transport_operations=300, poll_changes=100, poll_schedule="0 * * * * *", poll_spread=180.0,
    quiet_polls=20, quiet_hooks=1000, stored_events=10_000, backfill_limit=(200.0, 10.0, 2.0),
)  # fmt: skip
SMOKE = Sizes(
    count_events=3, throughput_events=4, acceptance_requests=4, runs=1,
    cold_start_runs=1, memory_events=20, backfill=12, profile_events=0,
    transport_operations=5, poll_changes=3, poll_schedule="*/2 * * * * *", poll_spread=1.0,
    quiet_polls=2, quiet_hooks=5, stored_events=120, backfill_limit=(8.0, 0.5, 1.0),
)  # fmt: skip


def run_all(stack: Stack, sizes: Sizes, *, only: set[str] | None = None) -> dict[str, Any]:
    """Every figure against one running stack; each benchmark gets a fresh integration
    (and, where it must stop the host's workers, a host of its own)."""
    from .cold_start import measure_cold_start
    from .counts import measure_counts
    from .memory import measure_memory
    from .throughput import measure_acceptance, measure_end_to_end
    from .transport import measure_transport

    cs = stack.azurite.connection_string
    wanted = only or {"counts", "throughput", "latency", "acceptance", "cold_start", "memory",
                      "backfill", "profile", "transport", "poll_latency", "idle",
                      "storage"}  # fmt: skip
    results: dict[str, Any] = {}

    def timed(name: str, work: Any) -> None:
        if name not in wanted:
            return
        started = time.monotonic()
        results[name] = work()
        print(f"{name}: {time.monotonic() - started:.1f} s", file=sys.stderr)

    def on_app(work: Any) -> Any:
        with driven_app(stack) as sync:
            return work(sync)

    timed("counts", lambda: on_app(lambda s: measure_counts(s, cs, events=sizes.count_events)))
    timed("throughput", lambda: on_app(lambda s: measure_end_to_end(
        s, cs, events=sizes.throughput_events, runs=sizes.runs)))  # fmt: skip
    timed("latency", lambda: on_app(lambda s: measure_end_to_end(
        s, cs, events=max(2, sizes.throughput_events // 4), runs=sizes.runs,
        latency=0.1)))  # fmt: skip
    timed("acceptance", lambda: on_app(lambda s: measure_acceptance(
        s, cs, requests=sizes.acceptance_requests, runs=sizes.runs)))  # fmt: skip
    timed("cold_start", lambda: measure_cold_start(runs=sizes.cold_start_runs))
    timed("memory", lambda: measure_memory(stack, events=sizes.memory_events))
    timed("backfill", lambda: _backfill(stack, sizes))
    timed("poll_latency", lambda: _poll_latency(stack, sizes))
    timed("idle", lambda: on_app(lambda s: _idle(s, cs, sizes)))
    timed("storage", lambda: _storage(cs, sizes))
    if sizes.profile_events:
        timed("profile", lambda: on_app(lambda s: _profile(s, sizes.profile_events)))
    timed("transport", lambda: measure_transport(
        cs, operations=sizes.transport_operations, runs=sizes.runs))  # fmt: skip
    return results


def _backfill(stack: Stack, sizes: Sizes) -> dict[str, Any]:
    """Issues 7 and 20 (``bench/backfill.py``): the backfill against the emulated limit."""
    from dataclasses import asdict

    from localdev.boards_emulator import RateLimit

    from .backfill import measure

    budget, window, cost = sizes.backfill_limit
    figures = measure(
        size=sizes.backfill, connection_string=stack.azurite.connection_string,
        boards=stack.boards, conviso=stack.conviso,
        rate_limit=RateLimit(budget=budget, window=window, cost=cost),
    )  # fmt: skip
    stack.boards.reset()
    stack.conviso.reset()
    return asdict(figures)


def _poll_latency(stack: Stack, sizes: Sizes) -> dict[str, Any]:
    from .poll_latency import measure_poll_latency

    return measure_poll_latency(
        stack, changes=sizes.poll_changes, schedule=sizes.poll_schedule, spread=sizes.poll_spread
    )


def _idle(sync: Any, connection_string: str, sizes: Sizes) -> dict[str, Any]:
    from .idle import measure_quiet_hooks, measure_quiet_polls
    from .stack import fresh_driver

    polls = measure_quiet_polls(sync, connection_string, polls=sizes.quiet_polls)
    hooks = measure_quiet_hooks(fresh_driver(sync), connection_string, hooks=sizes.quiet_hooks)
    return {"polls": polls, "hooks": hooks}


def _storage(connection_string: str, sizes: Sizes) -> dict[str, Any]:
    from .idle import measure_event_storage

    return measure_event_storage(connection_string, events_total=sizes.stored_events)


def _profile(sync: Any, events: int) -> dict[str, Any]:
    from .hot_path import profile_hot_path

    RESULTS.mkdir(parents=True, exist_ok=True)
    return profile_hot_path(sync, events=events, out=RESULTS / "profile.txt")


def _deadline(seconds: float) -> threading.Timer:
    def give_up() -> None:
        print(f"deadline of {seconds:.0f} s passed; stopping", file=sys.stderr)
        os._exit(2)  # Azurite is a child process group of ours and dies with the session

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no files written")
    parser.add_argument("--only", nargs="*", help="some benchmarks only (names as in JSON)")
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds before giving up")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="write docs/performance.md from results files of separate parts, "
                             "running nothing")  # fmt: skip
    args = parser.parse_args(argv)
    if args.merge:
        return _merge(args.merge)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per request
    timer = _deadline(args.deadline)
    started = time.monotonic()
    with open_stack() as stack:
        results = run_all(stack, SMOKE if args.smoke else FULL, only=set(args.only or []) or None)
    timer.cancel()
    results["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(results, indent=2))
    if not args.smoke:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=2))
        print(f"wrote bench/results/{stamp}.json", file=sys.stderr)
        if not args.only:
            _write_doc(results, stamp)
    return 0


def _write_doc(results: dict[str, Any], stamp: str) -> None:
    from .report import render

    DOC.write_text(render(results, stamp=stamp, template=DOC))
    print(f"wrote {DOC.relative_to(ROOT_DIR)}", file=sys.stderr)


def _merge(paths: list[str]) -> int:
    """One results file (and the table) from parts run one after another: each part's
    figures are whole (a ratio and its baseline always come from the same part)."""
    from pathlib import Path

    merged: dict[str, Any] = {"parts": [], "seconds": 0.0}
    for path in paths:
        part = json.loads(Path(path).read_text())
        merged["seconds"] = round(merged["seconds"] + part.pop("seconds", 0.0), 1)
        merged["parts"].append({"file": Path(path).name, "benchmarks": sorted(part)})
        merged.update(part)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-merged"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(merged, indent=2))
    _write_doc(merged, stamp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
