"""Watermarks only move forward under an ETag; a lease has one holder at a time (R13)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from sync_core.adapters.state import StaleEntity, StateStore, Watermark

pytestmark = pytest.mark.azurite

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_watermark_starts_empty_then_advances(state: StateStore, iid: str) -> None:
    assert state.watermarks.get(iid, "conviso") == Watermark(None, None)
    etag = state.watermarks.advance(iid, "conviso", T0, None)
    etag = state.watermarks.advance(iid, "conviso", T0 + timedelta(hours=1), etag)
    assert state.watermarks.get(iid, "conviso") == Watermark(T0 + timedelta(hours=1), etag)


def test_watermark_never_moves_backwards(state: StateStore, iid: str) -> None:
    etag = state.watermarks.advance(iid, "conviso", T0, None)
    assert state.watermarks.advance(iid, "conviso", T0 - timedelta(days=1), etag) == etag
    assert state.watermarks.get(iid, "conviso").value == T0


def test_watermark_with_an_outdated_etag_is_stale(state: StateStore, iid: str) -> None:
    first = state.watermarks.advance(iid, "conviso", T0, None)
    state.watermarks.advance(iid, "conviso", T0 + timedelta(minutes=1), first)
    with pytest.raises(StaleEntity):
        state.watermarks.advance(iid, "conviso", T0 + timedelta(minutes=2), first)
    with pytest.raises(StaleEntity):
        state.watermarks.advance(iid, "conviso", T0, None)  # created meanwhile


def test_lease_has_one_holder_until_it_expires_or_is_released(
    state: StateStore, iid: str
) -> None:
    minute = timedelta(minutes=1)
    assert state.leases.acquire(iid, "reconcile", "a", minute)
    assert not state.leases.acquire(iid, "reconcile", "b", minute)
    assert state.leases.acquire(iid, "reconcile", "a", minute)  # renewal
    state.leases.release(iid, "reconcile", "b")  # not b's: no effect
    assert not state.leases.acquire(iid, "reconcile", "b", minute)
    state.leases.release(iid, "reconcile", "a")
    assert state.leases.acquire(iid, "reconcile", "b", minute)


def test_expired_lease_goes_to_the_next_owner(state: StateStore, iid: str) -> None:
    assert state.leases.acquire(iid, "reconcile", "a", timedelta(0))
    assert state.leases.acquire(iid, "reconcile", "b", timedelta(minutes=1))


def test_racing_for_a_lease_gives_one_holder(state: StateStore, iid: str) -> None:
    barrier = threading.Barrier(6)

    def take(n: int) -> bool:
        barrier.wait()
        return state.leases.acquire(iid, "reconcile", f"owner-{n}", timedelta(minutes=1))

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(take, range(6))).count(True) == 1
