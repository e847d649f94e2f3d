"""R19: event-id rows past ``EVENT_ID_RETENTION_DAYS`` are purged by the reconcile pass;
newer ones stay (so a re-delivery within the retention is still a duplicate, R9)."""

from __future__ import annotations

from datetime import timedelta

from sync_core import bootstrap
from tests.harness import Sync


def _event_ids(sync: Sync) -> set[str]:
    table = next(t for t in bootstrap.context().state.tables if t.name.endswith("events"))
    rows = table.query("PartitionKey eq @pk", {"pk": sync.id})
    return {str(row["event_id"]) for row in rows}


def test_r19_a_reconcile_pass_purges_expired_event_ids_and_keeps_newer_ones(sync: Sync) -> None:
    sync.configure()
    sync.seed()  # the Conviso company the pass reads
    events = bootstrap.context().state.events
    assert events.retention == timedelta(days=7)  # EVENT_ID_RETENTION_DAYS' default
    for n in range(3):  # accepted longer ago than the retention: already expired
        assert events.first_time(sync.id, "boards", f"old-{n}", ttl=-timedelta(seconds=1))
    assert events.first_time(sync.id, "boards", "recent")
    assert _event_ids(sync) == {"old-0", "old-1", "old-2", "recent"}

    answer = sync.api.post(f"/integrations/{sync.id}/reconcile", timeout=60)

    assert answer.status_code == 200, answer.text
    assert answer.json()["event_ids_purged"] == 3
    assert _event_ids(sync) == {"recent"}
    assert not events.first_time(sync.id, "boards", "recent")  # still a duplicate
