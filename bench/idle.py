"""What quiet costs, and what stays bounded (issue 20, R18, R19): counted, never timed.

- **Quiet poll.** The Conviso poll (``service/poll.py``) of an integration whose company
  has not changed since the last pass: Conviso requests and Azure DevOps requests per
  poll, from the emulators' own records.
- **Unrelated hooks.** Service-hook deliveries for a work item that is not the
  integration's (a developer's own bug, no ``conviso-vuln-`` tag), posted to the deployed
  Boards webhook: Table writes and queue messages (the app's ``operation_counts``) and
  delivery rows (the integration's deliveries) per hook.
- **Event-id storage.** 10,000 accepted event ids written over 30 simulated days with a
  purge once a simulated day (the reconcile pass runs every 15 minutes; once a day is the
  worst case for the bound): the rows of the event-id table after each purge, against the
  rows the retention window can hold. Time is simulated by the clock the event store reads
  (``adapters.state.events.now``), so the run takes seconds, not a month.
"""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.harness import HOOK_TOKEN, Sync

from .stack import settle

__all__ = ["measure_event_storage", "measure_quiet_hooks", "measure_quiet_polls"]

_WRITES = ("inserts", "updates", "deletes", "transactions")


def measure_quiet_polls(sync: Sync, connection_string: str, *, polls: int) -> dict[str, Any]:
    """``polls`` polls of one integration with nothing new in Conviso."""
    from sync_core import bootstrap
    from sync_core.service.poll import poll

    sync.configure()
    for _ in range(3):
        sync.seed()
    answer = sync.api.post(f"/integrations/{sync.id}/reconcile", timeout=120)
    assert answer.status_code == 200, answer.text
    ctx = bootstrap.context()
    poll(ctx, sync.id)  # what the reconcile left at its watermark's second
    settle(sync, connection_string)
    sync.boards.clear_requests()
    sync.conviso.clear_records()
    before = ctx.state.operation_counts.snapshot()
    reports = [poll(ctx, sync.id) for _ in range(polls)]
    after = ctx.state.operation_counts.snapshot()
    writes = sum(after[k] - before[k] for k in _WRITES) - polls  # the poll's own report row
    return {
        "polls": polls,
        "integrations": 1,
        "conviso_per_poll": round(len(sync.conviso.requests) / polls, 3),
        "azure_devops_per_poll": round(len(sync.boards.requests) / polls, 3),
        "table_writes_per_poll_besides_its_report": round(writes / polls, 3),
        "applied": sum(r["applied"] for r in reports),
    }


def measure_quiet_hooks(sync: Sync, connection_string: str, *, hooks: int) -> dict[str, Any]:
    """``hooks`` deliveries about a card that is not the integration's, each a new event."""
    from sync_core import bootstrap

    sync.configure()
    sync.subscribe_hooks()
    item = sync.boards.create_work_item(
        "Fabrikam", "Bug", {"System.Title": "A developer's own bug", "System.Tags": "frontend"}
    )
    sync.boards.move_card(item["id"], state="Active", by="Jamal Hartnett")
    assert sync.boards.wait_for_deliveries(10)
    sample = next(d.payload for d in sync.boards.deliveries if d.work_item_id == item["id"])
    settle(sync, connection_string)
    ctx = bootstrap.context()
    rows_before = len(sync.deliveries())
    before = ctx.state.operation_counts.snapshot()
    url = f"/integrations/{sync.id}/boards-webhook"
    statuses: dict[int, int] = {}
    for _ in range(hooks):
        body = copy.deepcopy(sample)
        body["id"] = str(uuid.uuid4())  # a new delivery, not a re-delivery
        answer = sync.api.post(url, params={"token": HOOK_TOKEN}, json=body)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    settle(sync, connection_string)
    after = ctx.state.operation_counts.snapshot()
    delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    rows = len(sync.deliveries()) - rows_before
    return {
        "hooks": hooks,
        "answers": statuses,
        "table_writes_per_hook": round(sum(delta.get(k, 0) for k in _WRITES) / hooks, 4),
        "queue_messages_per_hook": round(delta.get("messages_sent", 0) / hooks, 4),
        "delivery_rows_per_hook": round(rows / hooks, 4),
        "storage_operations": delta,
    }


@contextmanager
def _simulated_clock(start: datetime) -> Any:
    from sync_core.adapters.state import events

    real = events.now
    moment = [start]
    events.now = lambda: moment[0]  # type: ignore[assignment]
    try:
        yield moment
    finally:
        events.now = real  # type: ignore[assignment]


def measure_event_storage(
    connection_string: str, *, events_total: int, days: int = 30, retention_days: int = 7
) -> dict[str, Any]:
    """Event-id rows stay bounded by the retention window (R19), over simulated days."""
    from cryptography.fernet import Fernet

    from sync_core.adapters.state import state_from_settings

    settings = {"SYNC_STORAGE": connection_string, "SECRETS_KEY": Fernet.generate_key().decode()}
    prefix = "benchev" + uuid.uuid4().hex[:8]
    state = state_from_settings(settings, table_prefix=prefix)
    state.ensure()
    store = state.events
    store.retention = timedelta(days=retention_days)
    iid = "bench-" + uuid.uuid4().hex[:8]
    per_day = max(1, events_total // days)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    highest = 0
    purged = 0
    written = 0
    with _simulated_clock(start) as moment:
        for day in range(days):
            for n in range(per_day):
                if written >= events_total:
                    break
                moment[0] = start + timedelta(days=day, seconds=n * 86400 / per_day)
                assert store.first_time(iid, "conviso", f"event-{written}")
                written += 1
            moment[0] = start + timedelta(days=day + 1)
            while done := store.purge_expired(iid, at=moment[0]):
                purged += done
            highest = max(highest, _rows(store, iid))
        final = _rows(store, iid)
    bound = per_day * (retention_days + 1)  # the window, plus the day between two purges
    return {
        "events": written,
        "simulated_days": days,
        "retention_days": retention_days,
        "purged": purged,
        "highest_rows_after_a_purge": highest,
        "rows_at_the_end": final,
        "bound": bound,
    }


def _rows(store: Any, integration_id: str) -> int:
    table = store._table  # the benchmark counts rows; the store has no count of its own
    return sum(1 for _ in table.query("PartitionKey eq @pk", {"pk": integration_id},
                                      select=["RowKey"]))  # fmt: skip
