"""Recent deliveries (R11): newest first, filterable, and only the latest 1,000 kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from sync_core.adapters.state import Delivery, InvalidCursor, StateStore
from sync_core.rules.decisions import Level

pytestmark = pytest.mark.azurite

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _record_minutes(state: StateStore, iid: str, n: int) -> None:
    for i in range(n):
        level = Level.ERROR if i % 3 == 0 else Level.INFO
        state.deliveries.record(iid, Delivery(
            time=T0 + timedelta(minutes=i), level=level, message=f"message {i}",
            vulnerability_id=f"v{i}", work_item_id=1000 + i,
        ))


def _count_rows(raw_tables: TableServiceClient, state: StateStore, iid: str) -> int:
    table = raw_tables.get_table_client(state.tables[3].name)
    return sum(1 for _ in table.query_entities("PartitionKey eq @pk", parameters={"pk": iid},
                                                 select=["RowKey"]))


def test_deliveries_come_back_newest_first_with_their_fields(
    state: StateStore, iid: str
) -> None:
    full = Delivery(
        time=T0, level=Level.ERROR, message="failed 5 times", vulnerability_id="123",
        work_item_id=42, event_id="evt-1", reason="poison", route_key="default",
        queue="conviso-to-boards-poison", message_id="m-1",
    )
    state.deliveries.record(iid, full)
    state.deliveries.record(iid, Delivery(time=T0 + timedelta(seconds=1), level=Level.INFO,
                                          message="later"))
    page = state.deliveries.query(iid)
    assert [d.message for d in page.items] == ["later", "failed 5 times"]
    assert page.items[1] == full
    assert page.next_cursor is None


def test_filters_by_level_and_text(state: StateStore, iid: str) -> None:
    _record_minutes(state, iid, 9)
    errors = state.deliveries.query(iid, level=Level.ERROR)
    assert [d.message for d in errors.items] == ["message 6", "message 3", "message 0"]
    assert [d.message for d in state.deliveries.query(iid, text="MESSAGE 7").items] == [
        "message 7"
    ]
    assert [d.vulnerability_id for d in state.deliveries.query(iid, text="1004").items] == ["v4"]
    assert state.deliveries.query(iid, level="warn").items == ()


def test_filters_by_time_window_inclusive(state: StateStore, iid: str) -> None:
    _record_minutes(state, iid, 9)
    page = state.deliveries.query(
        iid, since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)
    )
    assert [d.message for d in page.items] == ["message 4", "message 3", "message 2"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(state: StateStore, iid: str) -> None:
    _record_minutes(state, iid, 7)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = state.deliveries.query(iid, limit=3, cursor=cursor)
        seen += [d.message for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"message {i}" for i in range(6, -1, -1)]


def test_text_filter_pages_too(state: StateStore, iid: str) -> None:
    _record_minutes(state, iid, 12)
    first = state.deliveries.query(iid, text="message 1", limit=2)
    second = state.deliveries.query(iid, text="message 1", limit=2, cursor=first.next_cursor)
    assert [d.message for d in first.items + second.items] == [
        "message 11", "message 10", "message 1",
    ]
    assert second.next_cursor is None


def test_a_cursor_not_handed_out_is_refused(state: StateStore, iid: str) -> None:
    with pytest.raises(InvalidCursor):
        state.deliveries.query(iid, cursor="' or 1 eq 1")


def test_long_texts_are_clipped_not_refused(state: StateStore, iid: str) -> None:
    state.deliveries.record(iid, Delivery(level=Level.ERROR, message="x" * 100_000,
                                          event_id="e" * 5000))
    got = state.deliveries.query(iid).items[0]
    assert len(got.message) == 4000 and got.message.endswith("…")


def test_recording_never_trims_queries_stop_at_the_cap_and_trim_deletes_the_rest(
    make_state: Callable[..., StateStore], raw_tables: TableServiceClient, iid: str
) -> None:
    state = make_state(delivery_cap=20)
    _record_minutes(state, iid, 24)
    before = state.counts.snapshot()
    state.deliveries.record(iid, Delivery(time=T0 + timedelta(minutes=30), level=Level.INFO,
                                          message="newest"))
    after = state.counts.snapshot()
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "inserts": 1  # recording is one insert, past the cap too: no trim on the hot path
    }
    assert _count_rows(raw_tables, state, iid) == 25
    page = state.deliveries.query(iid, limit=100)
    assert len(page.items) == 20 and page.next_cursor is None  # only the latest 20 count
    assert page.items[0].message == "newest"
    assert page.items[-1].message == "message 5"
    assert state.deliveries.query(iid, level=Level.ERROR, limit=100).items[-1].message == (
        "message 6"  # the error rows among the latest 20 only
    )
    assert state.deliveries.trim(iid) == 5
    assert _count_rows(raw_tables, state, iid) == 20
    assert state.deliveries.query(iid, limit=100).items == page.items  # the same 20 remain
    assert state.deliveries.trim(iid) == 0


def test_1050_records_trimmed_leave_the_newest_1000(
    make_state: Callable[..., StateStore], raw_tables: TableServiceClient, iid: str
) -> None:
    state = make_state()  # the real cap (1,000)
    older = [Delivery(time=T0 + timedelta(seconds=i), level=Level.INFO, message=f"message {i}")
             for i in range(1000)]
    assert state.deliveries.record_many(iid, older) == 1000  # 10 transactions: fast
    _record_minutes_after(state, iid, start=1000, n=50)  # one by one, as workers do
    assert _count_rows(raw_tables, state, iid) == 1050
    assert state.deliveries.trim(iid) == 50  # one transaction of 50 deletes
    assert _count_rows(raw_tables, state, iid) == 1000
    newest = state.deliveries.query(iid, limit=1000)
    assert newest.items[0].message == "message 1049"
    assert newest.items[-1].message == "message 50"


def _record_minutes_after(state: StateStore, iid: str, *, start: int, n: int) -> None:
    for i in range(start, start + n):
        state.deliveries.record(iid, Delivery(
            time=T0 + timedelta(seconds=i), level=Level.INFO, message=f"message {i}"))
