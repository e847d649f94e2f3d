"""R19: event-id rows (R9) expire after ``EVENT_ID_RETENTION_DAYS`` and are purged in
bounded batches, so the events table does not grow without bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.data.tables import TableServiceClient

from sync_core.adapters.state import StateStore
from sync_core.adapters.state.properties import now
from sync_core.bootstrap import event_retention

pytestmark = pytest.mark.azurite


def _ids(state: StateStore, raw_tables: TableServiceClient, iid: str) -> list[str]:
    table = raw_tables.get_table_client(next(t.name for t in state.tables if "events" in t.name))
    rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": iid})
    return sorted(str(r["event_id"]) for r in rows)


def test_a_purge_pass_removes_at_most_its_limit(
    state: StateStore, iid: str, raw_tables: TableServiceClient
) -> None:
    for n in range(5):
        state.events.first_time(iid, "ado", f"old-{n}", ttl=timedelta(0))
    state.events.first_time(iid, "ado", "new")
    later = now() + timedelta(seconds=1)
    assert state.events.purge_expired(iid, at=later, limit=3) == 3
    assert len(_ids(state, raw_tables, iid)) == 3
    assert state.events.purge_expired(iid, at=later, limit=3) == 2
    assert _ids(state, raw_tables, iid) == ["new"]


def test_rows_expire_after_the_configured_retention(
    state: StateStore, iid: str, raw_tables: TableServiceClient
) -> None:
    events = state.events
    saved = events.retention
    try:
        events.retention = timedelta(days=2)
        events.first_time(iid, "ado", "kept")
        assert events.purge_expired(iid, at=now() + timedelta(days=1)) == 0
        assert events.purge_expired(iid, at=now() + timedelta(days=2, seconds=1)) == 1
        assert _ids(state, raw_tables, iid) == []
    finally:
        events.retention = saved


@pytest.mark.parametrize(
    ("settings", "days"),
    [({}, 7), ({"EVENT_ID_RETENTION_DAYS": "3"}, 3), ({"EVENT_ID_RETENTION_DAYS": ""}, 7)],
)
def test_the_retention_setting_defaults_to_seven_days(settings: dict, days: int) -> None:
    assert event_retention(settings) == timedelta(days=days)


@pytest.mark.parametrize("value", ["0", "-1", "seven", "100000"])
def test_a_nonsensical_retention_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="EVENT_ID_RETENTION_DAYS"):
        event_retention({"EVENT_ID_RETENTION_DAYS": value})
