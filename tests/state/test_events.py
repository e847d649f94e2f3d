"""Processed event ids (R9): the first delivery of an id passes, re-deliveries do not."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from azure.data.tables import TableServiceClient

from sync_core.adapters.state import StateStore
from sync_core.adapters.state.properties import now

pytestmark = pytest.mark.azurite


def test_an_event_id_is_new_once(state: StateStore, iid: str) -> None:
    assert state.events.first_time(iid, "ado", "evt-1") is True
    assert state.events.first_time(iid, "ado", "evt-1") is False
    assert state.events.first_time(iid, "ado", "evt-2") is True


def test_sources_and_integrations_are_separate(state: StateStore, iid: str) -> None:
    assert state.events.first_time(iid, "ado", "evt-1")
    assert state.events.first_time(iid, "conviso", "evt-1")
    assert state.events.first_time(iid + "-b", "ado", "evt-1")


@pytest.mark.parametrize(
    "event_id", ["a/b#c?d", "tab\tnul\x00", "ação 日本", "~sha256~x", "x" * 5000]
)
def test_untrusted_event_ids_are_encoded_or_hashed(
    state: StateStore, iid: str, event_id: str
) -> None:
    assert state.events.first_time(iid, "conviso", event_id) is True
    assert state.events.first_time(iid, "conviso", event_id) is False


def test_long_ids_that_differ_only_at_the_end_stay_distinct(state: StateStore, iid: str) -> None:
    assert state.events.first_time(iid, "ado", "e" * 300 + "1")
    assert state.events.first_time(iid, "ado", "e" * 300 + "2")


def test_an_expired_id_counts_as_new_again(state: StateStore, iid: str) -> None:
    assert state.events.first_time(iid, "ado", "evt-1", ttl=timedelta(0))
    assert state.events.first_time(iid, "ado", "evt-1") is True
    assert state.events.first_time(iid, "ado", "evt-1") is False


def test_concurrent_deliveries_of_one_id_pass_once(state: StateStore, iid: str) -> None:
    barrier = threading.Barrier(8)

    def deliver(_: int) -> bool:
        barrier.wait()
        return state.events.first_time(iid, "ado", "evt-race")

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(deliver, range(8))).count(True) == 1


def test_purge_removes_only_expired_rows(
    state: StateStore, iid: str, raw_tables: TableServiceClient
) -> None:
    state.events.first_time(iid, "ado", "old", ttl=timedelta(0))
    state.events.first_time(iid, "ado", "new")
    assert state.events.purge_expired(iid, at=now() + timedelta(seconds=1)) == 1
    table = raw_tables.get_table_client(state.tables[2].name)
    rows = list(table.query_entities("PartitionKey eq @pk", parameters={"pk": iid}))
    assert [r["event_id"] for r in rows] == ["new"]



def test_a_forgotten_event_is_accepted_again(state: StateStore, iid: str) -> None:
    assert state.events.first_time(iid, "conviso", "evt-1")
    assert not state.events.first_time(iid, "conviso", "evt-1")
    state.events.forget(iid, "conviso", "evt-1")
    assert state.events.first_time(iid, "conviso", "evt-1")
