"""The webhooks' intake (R9, R12, R19) on the fakes: what reaches the queues, once."""

from __future__ import annotations

import json
from typing import Any

from sync_core.adapters.state.queues import INBOUND_QUEUE, OUTBOUND_QUEUE
from sync_core.edge import sign_conviso
from sync_core.service.intake import accept_boards_event, accept_conviso_event, quiet_hooks

from .conftest import IID, World

NOW = 1_800_000_000
JSON = {"Content-Type": "application/json"}


def conviso_event(event_id: str = "evt-1") -> bytes:
    issue = {"id": "123", "title": "SQLi", "status": "IDENTIFIED", "severity": "HIGH",
             "asset": {"id": "9"}, "updatedAt": "2026-11-28T09:59:58Z"}  # fmt: skip
    return json.dumps({
        "specversion": "1.0", "id": event_id, "source": "conviso-platform",
        "type": "com.convisoappsec.vulnerability.status_changed", "data": {"issue": issue},
    }).encode()  # fmt: skip


def post_conviso(world: World, body: bytes) -> Any:
    headers = {**JSON, "X-Conviso-Signature": sign_conviso("event-secret", body, NOW)}
    return accept_conviso_event(world.ctx, IID, headers, body, now=NOW)


def boards_hook(rev: int, tags: str, event_id: str) -> bytes:
    resource = {
        "id": 3, "workItemId": 501, "rev": rev,
        "revisedBy": {"id": "u-1", "displayName": "Jamal Hartnett"},
        "fields": {"System.State": {"oldValue": "New", "newValue": "Active"}},
        "revision": {"id": 501, "rev": rev,
                     "fields": {"System.State": "Active", "System.Tags": tags}},
    }  # fmt: skip
    document = {"id": event_id, "eventType": "workitem.updated", "publisherId": "tfs",
                "resource": resource}  # fmt: skip
    return json.dumps(document).encode()


def post_boards(world: World, body: bytes) -> Any:
    return accept_boards_event(world.ctx, IID, JSON, {"token": "hook-token"}, body)


def test_a_conviso_event_is_queued_once_however_often_it_is_delivered(world: World) -> None:
    first = post_conviso(world, conviso_event())
    again = post_conviso(world, conviso_event())

    assert (first.status, again.status) == (202, 200)
    [payload] = world.state.queues.on(OUTBOUND_QUEUE)
    assert (payload["issue_id"], payload["event_id"]) == ("123", "evt-1")
    assert payload["snapshot"]["status"] == "IDENTIFIED"


def test_the_state_and_column_hooks_of_one_revision_reach_conviso_once(world: World) -> None:
    post_boards(world, boards_hook(7, "conviso; conviso-vuln-123", "hook-state"))
    post_boards(world, boards_hook(7, "conviso; conviso-vuln-123", "hook-column"))
    post_boards(world, boards_hook(8, "conviso; conviso-vuln-123", "hook-later"))

    revs = [p["change"]["rev"] for p in world.state.queues.on(INBOUND_QUEUE)]
    assert revs == [7, 8]


def test_a_hook_for_a_card_that_is_not_ours_is_counted_and_dropped(world: World) -> None:
    before = int(str(quiet_hooks(IID)["dropped"]))
    answer = post_boards(world, boards_hook(7, "frontend", "hook-other"))

    assert answer.status == 202  # a healthy answer: Azure DevOps keeps the hook enabled
    assert world.state.queues.sent == []
    assert world.state.events.seen == {}  # nothing stored for it either
    assert quiet_hooks(IID)["dropped"] == before + 1  # this process's counter (R19)
