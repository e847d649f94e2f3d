"""Two throughput ratios, each measured in the same run against its own baseline.

End to end: a signed Conviso event is posted → 202 → queue → worker → the card is
written, N events at ``concurrency`` (the host's queue workers and the client's senders).
Baseline: *the same* JSON Patches (taken from the emulator's record of the end-to-end
run, each re-aimed at a twin card created the same way, so its ``test /rev`` holds) sent
straight to the Boards emulator with httpx at the same concurrency.

Webhook acceptance: the deployed Conviso webhook (authenticate, validate, de-duplicate,
enqueue, 202) against a bare ``202`` route served by the *same* development host (same
server, routing, request conversion and invoker), the same bodies and headers sent to
both, the two alternating run by run. Queue workers are off meanwhile, so neither side
competes with them for the CPU.
"""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
import httpx

from localdev.devhost import DevHost, functions_of
from tests.harness import Sync

from .stack import QUEUES, median, settle, signed_event, timed, wait_until

__all__ = ["measure_acceptance", "measure_end_to_end"]


def _send_all(send: Any, items: list[Any], concurrency: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(send, items))


def _cards(sync: Sync, issues: list[str]) -> dict[str, int]:
    for issue in issues:
        sync.publish(issue)
    wait_until(lambda: all(sync.work_items_of(i) for i in issues), timeout=120)
    return {i: sync.work_items_of(i)[0]["id"] for i in issues}


def _patches_done(sync: Sync) -> list[Any]:
    return [r for r in sync.boards.requests if r.method == "PATCH" and r.status == 200]


def _e2e_run(
    sync: Sync, issues: list[str], status: str, concurrency: int, latency: float
) -> tuple[float, list]:
    for issue in issues:
        sync.conviso.store.change_status(issue, status, reason="benchmark", source="user")
    events = [signed_event(sync.snapshot(i)) for i in issues]
    sync.boards.clear_requests()
    if latency:
        sync.boards.inject_latency(latency, times=len(issues), method="PATCH")
    url = f"/integrations/{sync.id}/conviso-events"

    def post(event: tuple[bytes, dict]) -> httpx.Response:
        return sync.api.post(url, content=event[0], headers=event[1])

    started = time.perf_counter()
    answers = _send_all(post, events, concurrency)
    wait_until(lambda: len(_patches_done(sync)) >= len(issues), timeout=120, interval=0.002)
    seconds = time.perf_counter() - started
    assert all(a.status_code == 202 for a in answers)
    return seconds, _patches_done(sync)


def _raw_run(
    sync: Sync, patches: list[Any], twin: dict[int, int], concurrency: int, latency: float
) -> float:
    """The same writes, straight to the emulator: same body, re-aimed at the twin card."""
    boards = sync.boards
    requests = []
    for patch in patches:
        item = int(patch.path.rsplit("/", 1)[1])
        body = copy.deepcopy(patch.body)
        body[0]["value"] = boards.work_item(twin[item])["rev"]  # the ``test /rev`` op
        path = patch.path.rsplit("/", 1)[0] + f"/{twin[item]}"
        requests.append((path, body))
    headers = {
        "Authorization": boards.basic_auth_header(),
        "Content-Type": "application/json-patch+json",
        "X-TFS-FedAuthRedirect": "Suppress",
    }
    with httpx.Client(base_url=boards.url, headers=headers, timeout=30) as client:

        def send(request: tuple[str, Any]) -> httpx.Response:
            return client.patch(request[0], params={"api-version": "7.1"}, json=request[1])

        client.get("/")  # open the pool's first connection outside the timing
        if latency:
            boards.inject_latency(latency, times=len(requests), method="PATCH")
        started = time.perf_counter()
        answers = _send_all(send, requests, concurrency)
        seconds = time.perf_counter() - started
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers[:3]]
    return seconds


def measure_end_to_end(
    sync: Sync,
    connection_string: str,
    *,
    events: int,
    runs: int,
    concurrency: int = 2,
    latency: float = 0.0,
) -> dict[str, Any]:
    """Medians over ``runs`` of e2e and raw throughput (events per second) and their ratio.
    ``latency`` (seconds) delays every PATCH the emulator answers, on both sides alike."""
    sync.configure()
    issues = [sync.seed() for _ in range(events)]
    twins = [sync.seed() for _ in range(events)]
    cards, twin_cards = _cards(sync, issues), _cards(sync, twins)
    twin = {cards[i]: twin_cards[t] for i, t in zip(issues, twins, strict=True)}
    e2e, raw, ratios, writes = [], [], [], 0
    for run in range(runs):
        settle(sync, connection_string)
        status = "IN_PROGRESS" if run % 2 == 0 else "IDENTIFIED"
        e2e_s, patches = _e2e_run(sync, issues, status, concurrency, latency)
        writes += len(patches)
        raw_s = _raw_run(sync, patches, twin, concurrency, latency)
        e2e.append(events / e2e_s)
        raw.append(events / raw_s)
        ratios.append(raw_s / e2e_s)
    return {
        "events": events,
        "runs": runs,
        "concurrency": concurrency,
        "patch_latency_s": latency,
        "writes_per_event": round(writes / (events * runs), 3),
        "e2e_per_s": round(median(e2e), 1),
        "raw_per_s": round(median(raw), 1),
        "ratio": round(median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
    }


# ----------------------------------------------------------------- webhook acceptance


def _clear(connection_string: str) -> None:
    from azure.storage.queue import QueueClient

    for name in QUEUES:
        with QueueClient.from_connection_string(connection_string, name) as queue:
            queue.clear_messages()


class _WithBareRoute:
    """The deployed app's functions plus one bare ``POST /api/bench/bare`` answering 202,
    for the development host only: never registered in ``function_app.py``."""

    def __init__(self, app: func.FunctionApp) -> None:
        self._app = app
        self._bare = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

        @self._bare.route(route="bench/bare", methods=["POST"])
        def bench_bare(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse(status_code=202)

    def get_functions(self) -> list[Any]:
        return functions_of(self._app) + functions_of(self._bare)


def measure_acceptance(
    sync: Sync,
    connection_string: str,
    *,
    requests: int,
    runs: int,
    concurrency: int = 4,
    stop_workers: bool = True,
) -> dict[str, Any]:
    """Medians over ``runs`` of webhook and bare-202 rates (requests per second) and the
    ratio. ``stop_workers`` stops ``sync.host`` first (so call it last on a host); the
    smoke test keeps the shared host and lets its workers drain what is enqueued."""
    sync.configure()
    issue = sync.seed()
    snapshot = sync.snapshot(issue)
    if stop_workers:
        sync.host.stop()
    host = DevHost(_WithBareRoute(sync.host.app), port=0, queues=False, timers=False)
    webhook, bare, ratios, enqueued = [], [], [], 0
    with host, httpx.Client(base_url=f"{host.url}/api", timeout=30) as client:

        def rate(path: str, events: list[tuple[bytes, dict]], status: int) -> float:
            def post(event: tuple[bytes, dict]) -> httpx.Response:
                return client.post(path, content=event[0], headers=event[1])

            answers: list[httpx.Response] = []
            seconds = timed(lambda: answers.extend(_send_all(post, events, concurrency)))
            assert all(a.status_code == status for a in answers), answers[0].text
            if path != "/bench/bare":
                nonlocal enqueued
                enqueued += sum(a.json()["enqueued"] for a in answers)
            return len(events) / seconds

        rate("/bench/bare", [signed_event(snapshot)], 202)  # warm: connections, caches
        rate(f"/integrations/{sync.id}/conviso-events", [signed_event(snapshot)], 202)
        for run in range(runs):
            events = [signed_event(snapshot) for _ in range(requests)]
            pair = {
                "bare": lambda e=events: rate("/bench/bare", e, 202),
                "webhook": lambda e=events: rate(f"/integrations/{sync.id}/conviso-events", e, 202),
            }
            order = ("bare", "webhook") if run % 2 == 0 else ("webhook", "bare")
            measured = {name: pair[name]() for name in order}
            bare.append(measured["bare"])
            webhook.append(measured["webhook"])
            ratios.append(measured["webhook"] / measured["bare"])
    if stop_workers:
        _clear(connection_string)  # nobody works these off: leave no backlog to a later phase
    return {
        "messages_per_accepted_event": round(enqueued / (requests * runs + 1), 3),
        "requests": requests,
        "runs": runs,
        "concurrency": concurrency,
        "webhook_per_s": round(median(webhook), 1),
        "bare_per_s": round(median(bare), 1),
        "ratio": round(median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
    }
