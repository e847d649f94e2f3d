"""R15: no secret in clear in logs, Table Storage, queues or API answers — after a full flow
with every secret configured, an OAuth sign-in, events both ways and failing calls."""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx
import pytest
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from localdev.entra_emulator import EntraEmulator
from tests.auth.conftest import Browser
from tests.harness import CONVISO_KEY, EVENT_SECRET, HOOK_TOKEN, Sync, wait_until

BASIC_PASSWORD = "leak-test-basic-password"

# The dev host's and the emulators' request lines stand for Azure's front end and Azure
# DevOps: the webhook token travels in the URL by Azure DevOps' design (PRODUCT.md §4),
# and those lines are not written by the app. Everything else is scanned.
HARNESS_LOGGERS = ("werkzeug", "localdev")


def _answers(log: list[httpx.Response]) -> dict[str, Any]:
    return {"event_hooks": {"response": [lambda r: log.append(r)]}}


def app_log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        if record.name.startswith(HARNESS_LOGGERS):
            continue
        if record.name.startswith("httpx") and "/boards-webhook?" in record.getMessage():
            continue  # the Boards emulator delivering a hook: Azure DevOps' side
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def stored_text(connection_string: str) -> str:
    """Every entity of every table and every queued message, as text."""
    parts = []
    with TableServiceClient.from_connection_string(connection_string) as tables:
        for table in tables.list_tables():
            client = tables.get_table_client(table.name)
            parts += [repr(dict(entity)) for entity in client.list_entities()]
    with QueueServiceClient.from_connection_string(connection_string) as queues:
        for queue in queues.list_queues():
            client = queues.get_queue_client(queue.name)
            parts += [m.content or "" for m in client.peek_messages(max_messages=32)]
    return "\n".join(parts)


def test_no_secret_in_clear_anywhere(
    sync: Sync, browser: Browser, entra: EntraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    entra.app.access_token_lifetime = 1  # every use refreshes: more tokens pass through
    answers: list[httpx.Response] = []
    api = httpx.Client(base_url=sync.api.base_url, timeout=10, **_answers(answers))
    sync.api = api
    webhook = {"token": HOOK_TOKEN, "basic_username": "boards", "basic_password": BASIC_PASSWORD}
    sync.configure(auth={"mode": "oauth", "pat": sync.boards.pat}, webhook=webhook)
    callback = browser.sign_in(sync.id)
    answers.append(browser.post(callback))
    answers.append(browser.post(callback))  # a replay: refused
    sync.subscribe_hooks()

    # Conviso → Boards, then Boards → Conviso
    vuln = sync.seed()
    sync.publish(vuln)
    (item,) = wait_until(lambda: sync.work_items_of(vuln))
    sync.boards.move_card(item["id"], state="Active")
    wait_until(lambda: sync.conviso.store.issues[vuln].status == "IN_PROGRESS")

    # failing calls: a bad signature, a refused write, a failing check, a dead grant
    bad = sync.api.post(
        f"/integrations/{sync.id}/conviso-events",
        content=b'{"id": "x"}',
        headers={"Content-Type": "application/json", "X-Conviso-Signature": "t=1,v1=00"},
    )
    assert bad.status_code == 401
    sync.boards.inject_status(403, times=1, method="PATCH")
    sync.conviso.set_status(vuln, "AWAITING_VALIDATION")
    sync.publish(vuln)
    wait_until(lambda: sync.deliveries(level="error"))
    entra.revoke_grants()
    sync.publish(vuln)
    sync.api.post(f"/integrations/{sync.id}/check")
    sync.api.get(f"/integrations/{sync.id}")
    sync.api.get(f"/integrations/{sync.id}/deliveries", params={"limit": 200})
    wait_until(lambda: any(d["reason"] == "needs_reauthorization" for d in sync.deliveries()))

    secrets = {
        "PAT": sync.boards.pat,
        "webhook token": HOOK_TOKEN,
        "webhook password": BASIC_PASSWORD,
        "event secret": EVENT_SECRET,
        "Conviso API key": CONVISO_KEY,
        "Entra client secret": entra.client_secret,
        "authorization code": callback.fields["code"],
        **{f"PKCE verifier {i}": v for i, v in enumerate(entra.app.verifiers)},
        **{f"access token {i}": t for i, t in enumerate(entra.app.access_tokens)},
        **{
            f"refresh token {i}": t
            for i, t in enumerate(t for g in entra.app.grants for t in g.refresh_tokens)
        },
    }
    assert len(secrets) > 9, "the flow issued access and refresh tokens"
    logs = app_log_text(caplog)
    stored = stored_text(os.environ["SYNC_STORAGE"])
    answered = "\n".join(f"{r.headers}\n{r.text}" for r in answers)
    assert logs and stored and answered
    leaks = [
        f"{name} in {where}"
        for name, value in secrets.items()
        for where, text in (("logs", logs), ("storage", stored), ("answers", answered))
        if value in text
    ]
    assert leaks == []
    api.close()
