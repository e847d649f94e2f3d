"""Backfill benchmark: N Conviso vulnerabilities onto a new integration's board (R13).

Everything runs on 127.0.0.1 (Azurite from node_modules, the Azure Boards and Conviso
emulators) and stops by itself: at the end, or when ``--deadline`` seconds have passed.
It measures what the issue asks for: the duration, the Azure DevOps requests per
vulnerability (from the emulator's own record of requests, 429 answers included), and
duplicates (work items sharing one ``conviso-vuln-<id>`` tag), plus the writes of a
second reconcile (there must be none).

Azure DevOps' limits are exercised, not assumed. By default a few creates are answered
``429`` with ``Retry-After`` and a few answers carry ``X-RateLimit-Delay`` (the client
honours both). With ``rate_limit`` (issue 20; ``--rate-limit``) the Boards emulator
charges every request against Azure DevOps' consumption limit instead (200 TSTUs per
identity in a sliding window, compressed from 5 minutes to a few seconds: see
``localdev/boards_emulator/ratelimit.py`` and docs/performance.md), and the figures add the
time that limit itself allows for the requests made, the ratio of the wall time to it,
the requests refused, and the progress notes an operator could read during the run.

    .venv/bin/python -m bench.backfill --size 10000 --rate-limit
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

from cryptography.fernet import Fernet

from localdev.boards_emulator import BoardsEmulator, RateLimit
from localdev.conviso_emulator import ConvisoEmulator

COMPANY = "77"
CONVISO_KEY = "bench-conviso-key"
#: Azure DevOps' limit as the benchmark runs it: the documented 200 TSTUs, 2 TSTUs a
#: request (peers see throttling after about 100 creates), and the 5-minute window
#: compressed 30 times to 10 s (delays up to 1 s for the documented 30 s): 10 requests a
#: second, well under what the app does unthrottled here (20-50), so the limit is what
#: the wall time measures. At real scale the same limit is 1 request per 3 s.
BENCH_RATE_LIMIT = RateLimit(budget=200, window=10.0, cost=2.0)
#: The share of each kind of vulnerability in the seeded company.
MIX = (("IDENTIFIED", "HIGH", 80), ("IN_PROGRESS", "MEDIUM", 10), ("IDENTIFIED", "LOW", 5),
       ("DRAFT", "HIGH", 5))  # fmt: skip


@dataclass
class Figures:
    size: int
    seconds: float
    expected_cards: int
    cards: int
    duplicates: int
    missing: int
    azure_devops_requests: int
    requests_per_vulnerability: float
    #: the same requests over the vulnerabilities that become cards (a tenth of the mix
    #: is below the severity policy or a draft, and costs Azure DevOps nothing)
    requests_per_card: float
    requests_by_kind: dict[str, int]
    throttled_answers: int
    second_run_writes: int
    report: dict[str, Any]
    #: with the emulated consumption limit (None without)
    limit: dict[str, Any] | None = None


def _config(boards: BoardsEmulator, api_key: str) -> dict[str, Any]:
    return {
        "organization": boards.organization,
        "auth": {"mode": "pat", "pat": boards.pat},
        "conviso": {"company_id": COMPANY, "api_key": api_key},
        "webhook": {"token": "bench-token"},
        "severity_policy": ["MEDIUM", "HIGH", "CRITICAL"],
        "severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1},
        "routes": [
            {
                "default": True, "project": "Fabrikam", "team": "Fabrikam Team",
                "board": "Issues", "work_item_type": "Bug",
                "status_map": {"IDENTIFIED": {"state": "New"}, "IN_PROGRESS": {"state": "Active"}},
            }
        ],
    }  # fmt: skip


def _seed(conviso: ConvisoEmulator, size: int) -> int:
    """Seed ``size`` issues in the mix; returns how many should become cards."""
    conviso.store.add_company("Fabrikam", id=COMPANY)
    conviso.store.add_asset(COMPANY, "payments-api", id="9")
    kinds = [(status, severity) for status, severity, share in MIX for _ in range(share)]
    expected = 0
    for n in range(size):
        status, severity = kinds[n % len(kinds)]
        conviso.store.seed_issue(asset_id="9", status=status, severity=severity, title=f"V{n}")
        expected += status != "DRAFT" and severity != "LOW"
    return expected


def _kind(method: str, path: str) -> str:
    if method == "POST" and "/_apis/wit/workitems/$" in path:
        return "create"
    if method == "PATCH":
        return "update"
    if path.endswith("/wiql"):
        return "wiql"
    if path.endswith("/workitemsbatch"):
        return "batch"
    return "read"


def _writes(boards: BoardsEmulator) -> int:
    return sum(1 for r in boards.requests if _kind(r.method, r.path) in ("create", "update"))


def _cards(boards: BoardsEmulator) -> Counter[str]:
    tags: Counter[str] = Counter()
    for item in boards.store.items.values():
        if item.deleted:
            continue
        for tag in str(item.fields.get("System.Tags", "")).split("; "):
            if tag.startswith("conviso-vuln-"):
                tags[tag] += 1
    return tags


def measure(
    *,
    size: int,
    connection_string: str,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    workers: int = 4,
    throttle: bool = True,
    rate_limit: RateLimit | None = None,
) -> Figures:
    """One backfill of ``size`` vulnerabilities against running emulators (reset first).

    ``rate_limit``: the emulator enforces Azure DevOps' consumption limit (and no fault is
    injected); the figures then say how close to the limit the backfill ran."""
    from sync_core.adapters.state import state_from_settings
    from sync_core.bootstrap import build_context
    from sync_core.rules import IntegrationConfig
    from sync_core.service.reconcile import reconcile

    boards.reset()
    conviso.reset()
    settings = {
        "SYNC_STORAGE": connection_string,
        "SECRETS_KEY": Fernet.generate_key().decode(),
        "AZURE_DEVOPS_BASE_URL": boards.url,
        "CONVISO_API_URL": conviso.url,
    }
    prefix = "bench" + uuid.uuid4().hex[:10]
    ctx = build_context(settings, state=state_from_settings(settings, table_prefix=prefix))
    iid = "bench-" + uuid.uuid4().hex[:8]
    ctx.state.integrations.put(
        iid, IntegrationConfig.model_validate(_config(boards, conviso.api_key))
    )
    expected = _seed(conviso, size)
    if rate_limit is not None:
        boards.set_rate_limit(rate_limit)
    elif throttle:  # Azure DevOps' limits, as its headers say them (research §4)
        boards.inject_status(429, times=3, retry_after=0.2, method="POST", path="/$Bug")
        boards.inject_headers({"X-RateLimit-Delay": "0.050"}, times=5, method="POST")
    watcher = _ProgressWatcher(ctx, iid)
    started = time.monotonic()
    with watcher:
        report = reconcile(
            ctx, iid, backfill=True, workers=workers, progress_every=progress_every(size)
        )
    seconds = time.monotonic() - started
    recorded = boards.requests
    kinds = Counter(_kind(r.method, r.path) for r in recorded)
    throttled = sum(1 for r in recorded if r.status == 429)
    limit = None if rate_limit is None else _limit_figures(rate_limit, recorded, seconds, watcher)
    boards.set_rate_limit(None)
    boards.clear_faults()
    boards.clear_requests()
    reconcile(ctx, iid)
    second_writes = _writes(boards)
    cards = _cards(boards)
    return Figures(
        size=size,
        seconds=round(seconds, 2),
        expected_cards=expected,
        cards=sum(cards.values()),
        duplicates=sum(n - 1 for n in cards.values() if n > 1),
        missing=expected - len(cards),
        azure_devops_requests=len(recorded),
        requests_per_vulnerability=round(len(recorded) / max(1, size), 4),
        requests_per_card=round(len(recorded) / max(1, expected), 4),
        requests_by_kind=dict(kinds),
        throttled_answers=throttled,
        second_run_writes=second_writes,
        report=report,
        limit=limit,
    )


def progress_every(size: int) -> int:
    """About twenty progress notes a run (500 for 10,000, the app's default)."""
    return max(1, min(500, size // 20))


def limit_seconds(limit: RateLimit, charged: float) -> float:
    """The least time ``charged`` TSTUs can take under the limit: any window of ``window``
    seconds holds at most ``budget``, so ``k`` budgets need ``k - 1`` windows between the
    first and the last request (the first budget is spent at once)."""
    return max(0, math.ceil(charged / limit.budget) - 1) * limit.window


def _limit_figures(
    limit: RateLimit, recorded: list[Any], seconds: float, watcher: _ProgressWatcher
) -> dict[str, Any]:
    charged = sum(limit.cost_of(r.method) for r in recorded if r.status != 429)
    allowed = limit_seconds(limit, charged)
    refused = sum(1 for r in recorded if r.status == 429)
    return {
        "budget_tstu": limit.budget,
        "window_seconds": limit.window,
        "cost_tstu": limit.cost,
        "compression": round(300 / limit.window, 1),
        "charged_tstu": charged,
        "limit_seconds": allowed,
        "ratio": round(seconds / allowed, 3) if allowed else None,
        "refused": refused,
        "refused_per_1000": round(1000 * refused / max(1, len(recorded)), 3),
        "delayed": sum(1 for r in recorded if r.throttle_delay > 0),
        "progress_notes_during_run": watcher.seen,
        "last_progress_note": watcher.last,
    }


class _ProgressWatcher:
    """Reads the integration's deliveries while the backfill runs, as an operator's
    browser would: the progress notes it saw before the run ended."""

    def __init__(self, ctx: Any, integration_id: str, interval: float = 0.5) -> None:
        self._ctx, self._iid, self._interval = ctx, integration_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._notes: set[str] = set()
        self.last: str | None = None

    @property
    def seen(self) -> int:
        return len(self._notes)

    def __enter__(self) -> _ProgressWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        # One last read as the run ends: every note written during the run counts, whether
        # or not a poll of the loop happened to fall after it (no timing in what is counted).
        self._read()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._read()

    def _read(self) -> None:
        try:
            rows = self._ctx.state.deliveries.query(
                self._iid, text="vulnerabilities so far", limit=50
            ).items
        except Exception as exc:  # a failed read is not the benchmark's subject
            logging.getLogger(__name__).info("progress read failed: %s", exc)
            return
        for row in rows:
            message = str(_field(row, "message"))
            if _field(row, "reason") == "progress" and message not in self._notes:
                self._notes.add(message)
                self.last = message


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


@contextmanager
def _stack(deadline: float) -> Iterator[tuple[str, BoardsEmulator, ConvisoEmulator]]:
    """Azurite and both emulators; past ``deadline`` seconds Azurite is stopped and the
    process ends (the emulators are threads of this process and end with it)."""
    from localdev.azurite import start_azurite

    with (
        start_azurite() as azurite,
        BoardsEmulator() as boards,
        ConvisoEmulator(api_key=CONVISO_KEY) as conviso,
    ):

        def give_up() -> None:
            print(f"deadline of {deadline:.0f} s passed; stopping", file=sys.stderr)
            azurite.stop()
            os._exit(2)

        timer = threading.Timer(deadline, give_up)
        timer.daemon = True
        timer.start()
        try:
            yield azurite.connection_string, boards, conviso
        finally:
            timer.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds before giving up")
    parser.add_argument(
        "--rate-limit", action="store_true", help="the emulator enforces BENCH_RATE_LIMIT"
    )
    parser.add_argument("--window", type=float, default=BENCH_RATE_LIMIT.window,
                        help="the window, seconds (Azure DevOps: 300)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per request
    if not 1 <= args.size <= 50_000:
        parser.error("--size must be between 1 and 50000")
    with _stack(args.deadline) as (connection_string, boards, conviso):
        figures = measure(
            size=args.size, connection_string=connection_string, boards=boards,
            conviso=conviso, workers=args.workers,
            rate_limit=replace(BENCH_RATE_LIMIT, window=args.window) if args.rate_limit else None,
        )  # fmt: skip
    print(json.dumps(asdict(figures), indent=2))
    return 0 if figures.duplicates == 0 and figures.missing == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
