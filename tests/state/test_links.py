"""Links (R1): one work item per vulnerability, claimed before it is created."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from sync_core.adapters.state import ClaimResult, StaleEntity, StateStore, StoredLink
from sync_core.rules.models import Link, WorkItemView
from sync_core.rules.vocabulary import ConvisoStatus, Severity

pytestmark = pytest.mark.azurite


def _link(vid: str = "123", wid: int = 42, **changes: object) -> Link:
    return Link(vulnerability_id=vid, work_item_id=wid, **changes)


def _linked(state: StateStore, iid: str, link: Link) -> str:
    claim = state.links.claim(iid, link.vulnerability_id, "worker-a")
    assert claim.result is ClaimResult.WON
    return state.links.complete(iid, link, claim.etag)


def test_first_claim_wins_and_a_second_is_held(state: StateStore, iid: str) -> None:
    first = state.links.claim(iid, "123", "worker-a")
    second = state.links.claim(iid, "123", "worker-b")
    assert first.result is ClaimResult.WON
    assert second.result is ClaimResult.HELD
    assert second.claimant == "worker-a"
    assert state.links.get(iid, "123") is None  # a claim is not a link


def test_completed_claim_is_a_link_both_ways_with_every_field(
    state: StateStore, iid: str
) -> None:
    link = _link(
        route_key="asset-45", last_rev_written=3, last_rev_seen=4,
        applied_status=ConvisoStatus.IN_PROGRESS, applied_severity=Severity.HIGH,
        applied_updated_at=datetime(2026, 11, 28, 9, 59, 58, 123456, tzinfo=UTC),
        card=WorkItemView(id=42, rev=3, state="Active", column="Doing", lane="Security",
                          priority=2, tags=frozenset({"conviso", "conviso-vuln-123"})),
    )
    etag = _linked(state, iid, link)
    assert state.links.get(iid, "123") == StoredLink(link, etag)
    assert state.links.get_by_work_item(iid, 42) == StoredLink(link, etag)
    again = state.links.claim(iid, "123", "worker-b")
    assert again.result is ClaimResult.LINKED
    assert again.link == link and again.etag == etag


def test_save_is_guarded_by_etag(state: StateStore, iid: str) -> None:
    etag = _linked(state, iid, _link())
    new_etag = state.links.save(iid, _link(last_rev_written=5), etag)
    with pytest.raises(StaleEntity):
        state.links.save(iid, _link(last_rev_written=6), etag)
    stored = state.links.get(iid, "123")
    assert stored == StoredLink(_link(last_rev_written=5), new_etag)


def test_stale_claim_is_taken_over_by_exactly_one_healer(
    make_state: Callable[..., StateStore], iid: str
) -> None:
    state = make_state(claim_ttl=timedelta(0))
    state.links.claim(iid, "123", "crashed-worker")
    seen_a = state.links.claim(iid, "123", "healer-a")
    seen_b = state.links.claim(iid, "123", "healer-b")
    assert seen_a.result is ClaimResult.STALE and seen_b.result is ClaimResult.STALE
    assert seen_a.claimant == "crashed-worker"
    etag = state.links.take_over(iid, "123", "healer-a", seen_a.etag)
    with pytest.raises(StaleEntity):
        state.links.take_over(iid, "123", "healer-b", seen_b.etag)
    state.links.complete(iid, _link(wid=77), etag)
    assert state.links.get(iid, "123").link.work_item_id == 77


def test_a_claimant_whose_claim_was_taken_over_cannot_complete(
    make_state: Callable[..., StateStore], iid: str
) -> None:
    state = make_state(claim_ttl=timedelta(0))
    slow = state.links.claim(iid, "123", "slow-worker")
    stale = state.links.claim(iid, "123", "healer")
    state.links.take_over(iid, "123", "healer", stale.etag)
    with pytest.raises(StaleEntity):
        state.links.complete(iid, _link(wid=99), slow.etag)
    assert state.links.get_by_work_item(iid, 99) is None  # nothing of it was written


def test_release_frees_the_claim_for_the_next_worker(state: StateStore, iid: str) -> None:
    claim = state.links.claim(iid, "123", "worker-a")
    state.links.release(iid, "123", claim.etag)
    assert state.links.claim(iid, "123", "worker-b").result is ClaimResult.WON


def test_release_with_an_outdated_etag_leaves_the_row(state: StateStore, iid: str) -> None:
    claim = state.links.claim(iid, "123", "worker-a")
    state.links.complete(iid, _link(), claim.etag)
    with pytest.raises(StaleEntity):
        state.links.release(iid, "123", claim.etag)
    assert state.links.get(iid, "123") is not None


def test_replace_work_item_moves_the_reverse_row(state: StateStore, iid: str) -> None:
    etag = _linked(state, iid, _link(wid=42))
    new_etag = state.links.replace_work_item(iid, _link(wid=43), etag, previous_work_item_id=42)
    assert state.links.get_by_work_item(iid, 42) is None
    assert state.links.get_by_work_item(iid, 43) == StoredLink(_link(wid=43), new_etag)
    with pytest.raises(StaleEntity):
        state.links.replace_work_item(iid, _link(wid=44), etag, previous_work_item_id=43)
    with pytest.raises(ValueError, match="different"):
        state.links.replace_work_item(iid, _link(wid=43), new_etag, previous_work_item_id=43)


def test_unknown_work_item_has_no_link(state: StateStore, iid: str) -> None:
    assert state.links.get_by_work_item(iid, 999) is None


@pytest.mark.parametrize("vid", ["a/b#c?d\\e", "id with spaces", "x|y~z%"])
def test_any_vulnerability_id_can_be_linked(state: StateStore, iid: str, vid: str) -> None:
    etag = _linked(state, iid, _link(vid=vid, wid=5))
    assert state.links.get(iid, vid) == StoredLink(_link(vid=vid, wid=5), etag)
    assert state.links.get_by_work_item(iid, 5).link.vulnerability_id == vid


def test_links_of_two_integrations_never_mix(state: StateStore, iid: str) -> None:
    _linked(state, iid, _link())
    assert state.links.get(iid + "-b", "123") is None
    assert state.links.claim(iid + "-b", "123", "w").result is ClaimResult.WON


def test_two_writers_racing_on_one_link_end_with_one_winner(
    state: StateStore, iid: str
) -> None:
    etag = _linked(state, iid, _link())
    barrier = threading.Barrier(2)

    def write(rev: int) -> str:
        barrier.wait()
        try:
            state.links.save(iid, _link(last_rev_written=rev), etag)
        except StaleEntity:
            return "stale"
        return "won"

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(write, [10, 20]))
    assert sorted(results) == ["stale", "won"]
    winner = 10 if results[0] == "won" else 20
    assert state.links.get(iid, "123").link.last_rev_written == winner


def test_ten_threads_claiming_one_vulnerability_yield_exactly_one_won(
    state: StateStore, iid: str
) -> None:
    barrier = threading.Barrier(10)

    def claim(n: int) -> ClaimResult:
        barrier.wait()
        return state.links.claim(iid, "123", f"worker-{n}").result

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(claim, range(10)))
    assert results.count(ClaimResult.WON) == 1
    assert results.count(ClaimResult.HELD) == 9

