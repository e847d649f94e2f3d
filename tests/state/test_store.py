"""The facade: built from settings, and counting every storage request it makes."""

from __future__ import annotations

import pytest

from sync_core.adapters.state import ClaimResult, Delivery, StateStore
from sync_core.rules.decisions import Level
from sync_core.rules.models import Link

pytestmark = pytest.mark.azurite


def _delta(state: StateStore, before: dict[str, int]) -> dict[str, int]:
    after = state.operation_counts.snapshot()
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def test_operations_are_counted_per_kind(state: StateStore, iid: str) -> None:
    before = state.operation_counts.snapshot()
    won = state.links.claim(iid, "1", "w")
    assert _delta(state, before) == {"inserts": 1}

    before = state.operation_counts.snapshot()
    assert state.links.claim(iid, "1", "x").result is ClaimResult.HELD
    assert _delta(state, before) == {"inserts": 1, "reads": 1}

    before = state.operation_counts.snapshot()
    state.links.complete(iid, Link(vulnerability_id="1", work_item_id=9), won.etag)
    state.links.get_by_work_item(iid, 9)
    assert _delta(state, before) == {"transactions": 1, "reads": 2}

    before = state.operation_counts.snapshot()
    state.events.first_time(iid, "ado", "e")
    state.deliveries.query(iid)  # the cap's boundary, then the page
    state.queues.send("conviso-to-boards", {"integration_id": iid})
    assert _delta(state, before) == {"inserts": 1, "queries": 2, "messages_sent": 1}


def test_every_store_hangs_off_the_facade(state: StateStore) -> None:
    for name in ("integrations", "links", "events", "deliveries", "watermarks", "leases",
                 "queues", "oauth", "refused"):
        assert getattr(state, name) is not None
    assert len({t.name for t in state.tables}) == 8


def test_the_count_totals_table_requests_only(state: StateStore, iid: str) -> None:
    before = state.operation_counts.table_total
    state.deliveries.record(iid, Delivery(level=Level.INFO, message="m"))
    state.queues.send("conviso-to-boards", {"integration_id": iid})
    assert state.operation_counts.table_total - before == 1
