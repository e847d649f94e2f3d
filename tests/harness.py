"""End to end: the real function app in the development host, real Azurite queues and
tables, and the Azure Boards and Conviso emulators, all over HTTP on 127.0.0.1.

Its fixtures are registered once, by ``tests/conftest.py``, for the whole session: one app
host and one pair of emulators. A conftest that imported them again would define a second
session fixture of the same name — a second host whose settings replace the first's in the
process environment and the process-wide bootstrap context while the first one's queue
workers keep running (the cause of tests acting on another test's emulators). A package
that needs other settings (tests/auth, tests/browser, tests/property) overrides
``app_host`` for the package; ``running_app`` restores the environment when it stops.
"""

from __future__ import annotations

import functools
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from localdev.azurite import Azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost, load_app
from localdev.example_config import example_configuration
from sync_core import bootstrap
from sync_core.adapters.state.integrations import _CONFIG_ROW as CONFIG_ROW
from sync_core.edge import sign_conviso

EVENT_SECRET = "e2e-event-secret"
HOOK_TOKEN = "e2e-hook-token"
CONVISO_KEY = "e2e-conviso-key"
COMPANY = "77"


@pytest.fixture(scope="session")
def boards() -> Iterator[BoardsEmulator]:
    with BoardsEmulator(hook_retry_delays=(0.05, 0.1)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def conviso() -> Iterator[ConvisoEmulator]:
    with ConvisoEmulator(api_key=CONVISO_KEY) as emulator:
        yield emulator


@contextmanager
def running_app(
    azurite: Azurite,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    *,
    queues: bool = True,
    **extra: str,
) -> Iterator[DevHost]:
    """``function_app`` in the development host with the emulators' settings (plus
    ``extra``) in the environment, two queue workers (none with ``queues=False``); the
    environment is restored after."""
    settings = {
        "SYNC_STORAGE": azurite.connection_string,
        "AzureWebJobsStorage": azurite.connection_string,
        "SECRETS_KEY": Fernet.generate_key().decode(),
        "AZURE_DEVOPS_BASE_URL": boards.url,
        "CONVISO_API_URL": conviso.url,
        # one attempt per request: the queue's five attempts are what these tests exercise
        "SYNC_HTTP_ATTEMPTS": "1",
        **extra,
    }
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    bootstrap.reset()
    host = DevHost(
        load_app(), port=0, concurrency=2, visibility_timeout=0.5,
        timers=False, queues=queues,
    )  # fmt: skip
    host.start()
    try:
        yield host
    finally:
        host.stop()
        bootstrap.reset()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def app_host(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator
) -> Iterator[DevHost]:
    """The deployed ``function_app`` served by the development host, two queue workers."""
    with running_app(azurite, boards, conviso) as host:
        yield host


@pytest.fixture(scope="session")
def api_session(app_host: DevHost) -> Iterator[httpx.Client]:
    """One client for the session: building one loads the CA bundle into a new TLS
    context (~10 ms of CPU), which per test and per snapshot was a tenth of the e2e run."""
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=10) as client:
        yield client


@pytest.fixture
def api(api_session: httpx.Client) -> httpx.Client:
    """The app's API, with no cookie of an earlier test's console session."""
    api_session.cookies.clear()
    return api_session


def example_config(boards: BoardsEmulator, **changes: Any) -> dict[str, Any]:
    """PRODUCT.md §4's example, pointed at the emulators, with ``changes`` on top."""
    config = example_configuration(
        boards, company=COMPANY, api_key=CONVISO_KEY, event_secret=EVENT_SECRET,
        hook_token=HOOK_TOKEN, portal_url="https://app.example",
    )  # fmt: skip
    config.update(changes)
    return config


class Sync:
    """One integration under test, with the moves a test makes and the waits it needs."""

    def __init__(
        self, api: httpx.Client, boards: BoardsEmulator, conviso: ConvisoEmulator, host: DevHost
    ) -> None:
        self.api, self.boards, self.conviso, self.host = api, boards, conviso, host
        self.id = "it-" + uuid.uuid4().hex[:12]

    # -- configuration and webhooks
    def configure(self, **changes: Any) -> httpx.Response:
        answer = self.api.put(
            f"/integrations/{self.id}", json=example_config(self.boards, **changes)
        )
        assert answer.status_code in (200, 201), answer.text
        return answer

    def subscribe_hooks(self) -> None:
        url = f"{self.host.url}/api/integrations/{self.id}/boards-webhook?token={HOOK_TOKEN}"
        for project in ("Fabrikam", "Payments"):
            self.boards.subscribe(url, project=project, changed_fields="System.BoardColumn")
            self.boards.subscribe(url, project=project, changed_fields="System.State")

    def post_event(
        self,
        issue: dict[str, Any],
        *,
        event_id: str | None = None,
        event_type: str = "com.convisoappsec.vulnerability.status_changed",
    ) -> httpx.Response:
        body = json.dumps(
            {
                "specversion": "1.0",
                "id": event_id or uuid.uuid4().hex,
                "source": "conviso-platform",
                "type": event_type,
                "data": {"issue": issue},
            }
        ).encode()
        headers = {
            "Content-Type": "application/cloudevents+json",
            "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
        }
        return self.api.post(
            f"/integrations/{self.id}/conviso-events", content=body, headers=headers
        )

    # -- Conviso side
    def seed(self, asset: str = "9", **fields: Any) -> str:
        if COMPANY not in self.conviso.store.companies:
            self.conviso.add_company("Fabrikam", id=COMPANY)
        if asset not in self.conviso.store.assets:
            self.conviso.add_asset(COMPANY, f"asset-{asset}", id=asset)
        issue = self.conviso.seed_issue(
            asset_id=asset, **{"status": "IDENTIFIED", "severity": "HIGH", **fields}
        )
        return str(issue.id)

    def snapshot(self, issue_id: str) -> dict[str, Any]:
        from sync_core.adapters.conviso import ConvisoClient

        # the API's client (an absolute URL ignores its base URL): no TLS context per call
        with ConvisoClient(api_url=self.conviso.url, api_key=CONVISO_KEY, http=self.api) as client:
            return client.get_issue(issue_id).model_dump(mode="json", by_alias=True)

    def publish(self, issue_id: str, **kwargs: Any) -> httpx.Response:
        answer = self.post_event(self.snapshot(issue_id), **kwargs)
        assert answer.status_code in (200, 202), answer.text
        return answer

    # -- observations
    def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.api.get(
            f"/integrations/{self.id}/deliveries", params={"limit": 200, **params}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    def work_items_of(self, issue_id: str) -> list[dict[str, Any]]:
        tag = f"conviso-vuln-{issue_id}"
        ids = [
            i.id
            for i in self.boards.store.items.values()
            if not i.deleted and tag in str(i.fields.get("System.Tags", "")).split("; ")
        ]
        return [self.boards.work_item(i) for i in sorted(ids)]


def wait_until(check: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; the queue workers are asynchronous.

    The pauses grow from 10 ms to ``interval``: most conditions hold within a few hundred
    milliseconds, and each check is requests to the app or storage that take the CPU the
    app needs to get there (two workers fill this machine's two cores)."""
    deadline = time.monotonic() + timeout
    pause = min(0.01, interval)
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(pause)
        pause = min(pause * 2, interval)


@pytest.fixture
def sync(
    api: httpx.Client, boards: BoardsEmulator, conviso: ConvisoEmulator, app_host: DevHost
) -> Iterator[Sync]:
    """A fresh integration on reset emulators; retired when the test ends, so that its work
    still queued (retries, a poison message's attempts) finds no integration and stops,
    instead of acting on a later test's cards (the emulators reuse ids: vulnerability 1001,
    work item #1) — and the timers of a later test run only that test's integrations."""
    boards.reset()
    conviso.reset()
    it = Sync(api, boards, conviso, app_host)
    before = set(bootstrap.context().state.integrations.list_ids())
    yield it
    # its own integration and any other it made (an admin test's second id)
    _forget(set(bootstrap.context().state.integrations.list_ids()) - before)
    wait_until(lambda: settled(boards), timeout=120)


def _forget(integration_ids: Iterable[str]) -> None:
    """Retire these integrations: their configuration row goes (what ``delete`` removes
    first), so their work still queued finds no integration and stops and no timer lists
    them, and so do this process's cached copies. Their other rows stay, under their own
    partition key: deleting every table's partition (about 20 storage requests, batches
    built as multipart bodies) was a third of the end-to-end tests' own CPU. Deleting is
    tested where it is the subject (``DELETE /api/integrations/{id}``)."""
    ctx = bootstrap.context()
    table = next(t for t in ctx.state.tables if t.name.endswith("integrations"))
    for integration_id in integration_ids:
        table.delete(integration_id, CONFIG_ROW)
        ctx.configs.forget(integration_id)


def forget_other_integrations(it: Sync) -> None:
    """Delete every integration but ``it``'s: those of finished tests the ``sync`` fixture did
    not see (made outside a test using it). A timer runs them all, and theirs point at the same
    emulators, whose ids repeat (vulnerability 1001, work item #1): one of them could move
    this test's card before this test's integration gets its turn."""
    _forget(set(bootstrap.context().state.integrations.list_ids()) - {it.id})


def queues_empty() -> bool:
    """No message of either sync queue waiting or in flight (the approximate count of a
    storage queue includes invisible messages, i.e. those a worker holds): every event
    accepted so far has been handled, so nothing of it can write to Boards later."""
    return not any(
        client.get_queue_properties().approximate_message_count
        for client in _sync_queues(os.environ["SYNC_STORAGE"])
    )


@functools.cache
def _sync_queues(connection_string: str) -> tuple[Any, ...]:
    """Clients of both sync queues, made once per storage account (a client is a pipeline)."""
    from azure.storage.queue import QueueClient

    from sync_core.adapters.state.queues import INBOUND_QUEUE, OUTBOUND_QUEUE

    return tuple(
        QueueClient.from_connection_string(connection_string, queue)
        for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE)
    )


def settled(boards: BoardsEmulator) -> bool:
    """The app's work is over: no request the Boards emulator is still answering (a late
    update), no hook delivery pending, no message queued or in flight."""
    if any(r.status is None for r in boards.requests):
        return False
    return boards.wait_for_deliveries(0.0) and queues_empty()
