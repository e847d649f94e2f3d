"""R19: a service-hook event for a work item that is not the integration's costs nothing.

Its tags name no ``conviso-vuln-<id>``: it is answered 202 and dropped at the edge — no
Table write, no queue message, no delivery row — and only a per-integration counter says
it happened. The integration's configuration is read (one Table read, usually from the
process cache) because the caller must be authenticated before anything is answered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync_core.adapters.state import StateStore
from sync_core.service import SyncContext
from sync_core.service.intake import accept_boards_event, quiet_hooks

from ..unit.builders import config

pytestmark = pytest.mark.azurite

WRITES = ("inserts", "updates", "deletes", "transactions", "messages_sent")


def _no_remote(*_: object) -> Any:
    raise AssertionError("the edge must never call Azure DevOps or Conviso")


def _hook(event_id: str, tags: str | None, *, where: str = "revision") -> bytes:
    revision_fields: dict[str, Any] = {"System.State": "Active"}
    fields: dict[str, Any] = {"System.State": {"oldValue": "New", "newValue": "Active"}}
    if tags is not None and where == "revision":
        revision_fields["System.Tags"] = tags
    if tags is not None and where == "fields":
        fields["System.Tags"] = {"oldValue": "", "newValue": tags}
    return json.dumps(
        {
            "id": event_id,
            "eventType": "workitem.updated",
            "publisherId": "tfs",
            "resource": {
                "id": 3,
                "workItemId": 77,
                "rev": 4,
                "revisedBy": {"id": "p-1", "displayName": "Jamal Hartnett"},
                "fields": fields,
                "revision": {"id": 77, "rev": 4, "fields": revision_fields},
            },
        }
    ).encode()


def _post(ctx: SyncContext, iid: str, body: bytes):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    return accept_boards_event(ctx, iid, headers, {"token": "hook-token"}, body)


def _writes(state: StateStore, before: dict[str, int]) -> dict[str, int]:
    after = state.operation_counts.snapshot()
    return {k: after[k] - before[k] for k in WRITES if after[k] != before[k]}


@pytest.mark.parametrize(
    ("tags", "where"),
    [
        pytest.param(None, "revision", id="no-tags"),
        pytest.param("frontend; triage", "revision", id="other-tags"),
        pytest.param("conviso", "revision", id="conviso-but-no-vulnerability"),
        pytest.param("conviso-vuln-", "fields", id="tag-without-an-id"),
    ],
)
def test_an_unrelated_hook_is_answered_and_dropped_without_a_write(
    state: StateStore, iid: str, tags: str | None, where: str
) -> None:
    ctx = SyncContext(state=state, boards_for=_no_remote, conviso_for=_no_remote)
    state.integrations.put(iid, config())
    ctx.config(iid)  # warm, as a running instance is
    deliveries_before = state.deliveries.query(iid).items
    dropped_before = quiet_hooks(iid)["dropped"]
    before = state.operation_counts.snapshot()

    accepted = _post(ctx, iid, _hook("unrelated-1", tags, where=where))

    assert accepted.status == 202 and accepted.enqueued == 0
    assert accepted.body()["status"] == "not_ours"
    assert _writes(state, before) == {}
    assert state.operation_counts.snapshot()["reads"] == before["reads"]  # cached config
    assert state.deliveries.query(iid).items == deliveries_before
    assert quiet_hooks(iid)["dropped"] == dropped_before + 1


@pytest.mark.parametrize("where", ["revision", "fields"])
def test_a_hook_for_a_tagged_card_is_queued(state: StateStore, iid: str, where: str) -> None:
    ctx = SyncContext(state=state, boards_for=_no_remote, conviso_for=_no_remote)
    state.integrations.put(iid, config())
    before = state.operation_counts.snapshot()
    accepted = _post(ctx, iid, _hook("related-1", "conviso; conviso-vuln-123", where=where))
    assert accepted.status == 202 and accepted.enqueued == 1
    assert _writes(state, before) == {"inserts": 1, "messages_sent": 1}
    assert quiet_hooks(iid)["dropped"] == 0
