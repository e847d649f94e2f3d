"""One contract, two implementations: the in-memory links fake must answer as the
Azurite-backed ``LinkStore`` does (claims, ETags, reverse rows), or the use-case tests
built on it would prove nothing. Each test runs against both."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from sync_core.adapters.state import StaleEntity, state_from_settings
from sync_core.adapters.state.links import ClaimResult
from sync_core.rules import Link

from .links import FakeLinks

NEVER_FRESH = timedelta(seconds=-1)  # every claim is stale at once: no clock to wait on


@pytest.fixture(scope="module")
def azurite_links(storage_connection_string: str) -> Callable[[timedelta], Any]:
    settings = {
        "SYNC_STORAGE": storage_connection_string,
        "SECRETS_KEY": Fernet.generate_key().decode(),
    }
    prefix = "c" + uuid.uuid4().hex[:10]
    state_from_settings(settings, table_prefix=prefix).ensure()

    def make(ttl: timedelta) -> Any:
        return state_from_settings(settings, table_prefix=prefix, claim_ttl=ttl).links

    return make


@pytest.fixture(params=["fake", "azurite"])
def make_links(request: pytest.FixtureRequest) -> Callable[..., Any]:
    if request.param == "fake":
        return lambda ttl=timedelta(seconds=120): FakeLinks(claim_ttl=ttl)
    real = request.getfixturevalue("azurite_links")
    return lambda ttl=timedelta(seconds=120): real(ttl)


@pytest.fixture
def iid() -> str:
    return "it-" + uuid.uuid4().hex[:12]


def link(vid: str = "v1", work_item_id: int = 11, **extra: Any) -> Link:
    return Link(vulnerability_id=vid, work_item_id=work_item_id, **extra)


def test_one_claimant_wins_and_the_next_sees_it_held(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links()
    first = links.claim(iid, "v1", "a")
    second = links.claim(iid, "v1", "b")
    assert first.result == ClaimResult.WON
    assert (second.result, second.claimant) == (ClaimResult.HELD, "a")
    assert links.get(iid, "v1") is None  # a claim is not a link


def test_complete_turns_the_claim_into_a_link_both_ways(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links()
    etag = links.claim(iid, "v1", "a").etag
    links.complete(iid, link(), etag)
    assert links.get(iid, "v1").link.work_item_id == 11
    assert links.get_by_work_item(iid, 11).link.vulnerability_id == "v1"
    again = links.claim(iid, "v1", "b")
    assert (again.result, again.link.work_item_id) == (ClaimResult.LINKED, 11)


def test_complete_with_a_stale_etag_writes_nothing(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links(NEVER_FRESH)
    mine = links.claim(iid, "v1", "a").etag
    stale = links.claim(iid, "v1", "b")
    assert stale.result == ClaimResult.STALE
    links.take_over(iid, "v1", "b", stale.etag)
    with pytest.raises(StaleEntity):
        links.complete(iid, link(), mine)
    assert links.get(iid, "v1") is None and links.get_by_work_item(iid, 11) is None


def test_only_one_healer_takes_a_stale_claim_over(make_links: Callable[..., Any], iid: str) -> None:
    links = make_links(NEVER_FRESH)
    links.claim(iid, "v1", "dead")
    seen = links.claim(iid, "v1", "h1").etag
    taken = links.take_over(iid, "v1", "h1", seen)
    with pytest.raises(StaleEntity):
        links.take_over(iid, "v1", "h2", seen)
    links.complete(iid, link(), taken)
    assert links.get(iid, "v1").link.work_item_id == 11


def test_save_is_guarded_by_the_etag_read(make_links: Callable[..., Any], iid: str) -> None:
    links = make_links()
    etag = links.complete(iid, link(), links.claim(iid, "v1", "a").etag)
    newer = links.save(iid, link(last_rev_seen=4), etag)
    assert newer != etag
    with pytest.raises(StaleEntity):
        links.save(iid, link(last_rev_seen=5), etag)
    assert links.get(iid, "v1") == (link(last_rev_seen=4), newer)


def test_release_frees_the_claim_only_with_its_etag(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links(NEVER_FRESH)
    first = links.claim(iid, "v1", "a").etag
    taken = links.take_over(iid, "v1", "b", links.claim(iid, "v1", "b").etag)
    with pytest.raises(StaleEntity):
        links.release(iid, "v1", first)
    links.release(iid, "v1", taken)
    assert links.claim(iid, "v1", "c").result == ClaimResult.WON


def test_replacing_the_work_item_moves_the_reverse_row(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links()
    etag = links.complete(iid, link(), links.claim(iid, "v1", "a").etag)
    with pytest.raises(ValueError, match="different work item"):
        links.replace_work_item(iid, link(), etag, previous_work_item_id=11)
    links.replace_work_item(iid, link(work_item_id=12), etag, previous_work_item_id=11)
    assert links.get_by_work_item(iid, 11) is None
    assert links.get_by_work_item(iid, 12).link.vulnerability_id == "v1"


def test_pages_follow_key_order_and_pass_claims_over(
    make_links: Callable[..., Any], iid: str
) -> None:
    links = make_links()
    for n, vid in enumerate(["b", "a", "c/d", "c"]):
        links.complete(iid, link(vid, 20 + n), links.claim(iid, vid, "x").etag)
    links.claim(iid, "aa", "x")  # a claim only
    first = [s.link.vulnerability_id for s in links.page_after(iid, None, 2)]
    rest = [s.link.vulnerability_id for s in links.page_after(iid, first[-1], 10)]
    assert first + rest == ["a", "b", "c", "c/d"]


def test_get_many_answers_the_links_asked_for_past_one_query(
    make_links: Callable[..., Any], iid: str
) -> None:
    """More ids than one filter may name (14): every link comes back, keyed by the id asked
    for (odd characters too); claims, unknown ids and other integrations are absent."""
    links = make_links()
    ids = [f"v{n}" for n in range(30)] + ["c/d", "é 1"]
    for n, vid in enumerate(ids):
        links.complete(iid, link(vid, 100 + n), links.claim(iid, vid, "x").etag)
    links.claim(iid, "claimed", "x")
    other = "it-" + uuid.uuid4().hex[:12]
    links.complete(other, link("v0", 999), links.claim(other, "v0", "x").etag)

    found = links.get_many(iid, [*ids, "claimed", "unknown", "v0"])

    assert sorted(found) == sorted(ids)
    assert {vid: s.link.work_item_id for vid, s in found.items()} == {
        vid: 100 + n for n, vid in enumerate(ids)
    }
    assert found["c/d"].etag == links.get(iid, "c/d").etag
    assert links.get_many(iid, []) == {}
