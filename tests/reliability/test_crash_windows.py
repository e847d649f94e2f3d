"""Crash windows of the create (R1, R11, R12): the worker dies between two writes.

Peers make a second ticket when a create's bookkeeping is interrupted (peers.md §3.1).
Here the real outbound service runs in the development host and a fault hook makes the
worker die at the exact point — after Azure DevOps created the work item and before the
link is written, or after the link and before the delivery is recorded. The function
fails, the host's queue redelivers the message (dequeue count 2), and the retry must
heal: one work item, one link, the card on the vulnerability's status, a delivery that
says what happened — and the next status change must reach the same card.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sync_core import bootstrap
from sync_core.adapters.state.links import LinkStore
from sync_core.rules import Link

from .conftest import Sync, all_deliveries, card_matches, report, wait_until


class WorkerDied(RuntimeError):
    """The simulated crash: the function fails at this point, as a killed worker's would."""


@contextmanager
def crash_at_link_write(
    monkeypatch: pytest.MonkeyPatch, integration_id: str, *, after: bool
) -> Iterator[list[int]]:
    """The first link write of ``integration_id``'s create (``LinkStore.complete``) kills
    the worker: before the write, or right after it. Yields the work item ids it saw."""
    real = LinkStore.complete
    seen: list[int] = []
    lock = threading.Lock()

    def complete(self: LinkStore, iid: str, link: Link, etag: str) -> str:
        with lock:
            crash = iid == integration_id and not seen
            if crash:
                seen.append(link.work_item_id)
        if not crash:
            return real(self, iid, link, etag)
        if after:
            real(self, iid, link, etag)
            raise WorkerDied("the worker died after the link write, before the delivery")
        raise WorkerDied("the worker died after the create, before the link write")

    monkeypatch.setattr(LinkStore, "complete", complete)
    yield seen


def _consistent(sync: Sync, issue: str, status: str) -> int:
    """One work item for the vulnerability in all of Azure Boards, the link (both ways)
    pointing at it, the card on ``status``; returns the work item id."""
    items = sync.work_items_of(issue)
    assert len(items) == 1, items
    assert len(sync.boards.store.items) == 1
    work_item_id = items[0]["id"]
    links = bootstrap.context().state.links
    stored = links.get(sync.id, issue)
    assert stored is not None and stored.link.work_item_id == work_item_id
    back = links.get_by_work_item(sync.id, work_item_id)
    assert back is not None and back.link.vulnerability_id == issue
    assert card_matches(sync, issue, status)
    return work_item_id


@pytest.mark.parametrize(
    "after_link",
    [
        pytest.param(False, id="after-create-before-link"),
        pytest.param(True, id="after-link-before-delivery"),
    ],
)
def test_a_worker_dying_mid_create_leaves_one_card_on_retry(
    sync: Sync, monkeypatch: pytest.MonkeyPatch, after_link: bool
) -> None:
    sync.configure()
    issue = sync.seed()
    with crash_at_link_write(monkeypatch, sync.id, after=after_link) as crashed:
        sync.publish(issue, event_id=f"crash-{issue}")
        # the retry's last word is "in sync" either way (a healed card is then compared)
        wait_until(
            lambda: any(
                d.get("vulnerability_id") == issue and d.get("reason") == "in_sync"
                for d in sync.deliveries()
            ),
            timeout=20,
        )
    assert len(crashed) == 1  # the hook fired: the worker did die at that point
    creates = [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]
    assert len(creates) == 1  # the retry created nothing
    work_item_id = _consistent(sync, issue, "IDENTIFIED")
    assert crashed == [work_item_id]
    deliveries = [d for d in all_deliveries(sync) if d.get("vulnerability_id") == issue]
    assert not [d for d in deliveries if d["level"] == "error"]
    reasons = [d["reason"] for d in reversed(deliveries)]
    if after_link:
        # the link was written: the retry finds the card in sync and says so
        assert reasons == ["in_sync"]
    else:
        # the create was not linked: the retry finds the item by its tag, links it (a
        # warning naming the work item), and finds it in sync
        assert reasons == ["healed", "in_sync"]
        healed = next(d for d in deliveries if d["reason"] == "healed")
        assert healed["level"] == "warn" and healed["work_item_id"] == work_item_id

    # The healed link carries on: the next status change moves the same card.
    sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev started", source="user")
    sync.publish(issue)
    wait_until(lambda: card_matches(sync, issue, "IN_PROGRESS"))
    assert _consistent(sync, issue, "IN_PROGRESS") == work_item_id
    report(
        "crash window",
        point="after link write" if after_link else "after create",
        create_calls=len(creates),
        work_items=len(sync.boards.store.items),
        deliveries=reasons,
    )


def test_a_worker_dying_mid_replacement_of_a_deleted_card_leaves_one_card(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6 has no claim: the retry must find the replacement the dead attempt created."""
    sync.configure()
    issue = sync.seed()
    sync.publish(issue)
    wait_until(lambda: card_matches(sync, issue, "IDENTIFIED"))
    sync.conviso.store.change_status(issue, "FIX_ACCEPTED", reason="scan", source="scan")
    sync.publish(issue)
    wait_until(lambda: sync.work_items_of(issue)[0]["fields"]["System.State"] == "Closed")
    [deleted] = sync.work_items_of(issue)
    sync.boards.delete_work_item(deleted["id"])
    real = LinkStore.replace_work_item
    died: list[int] = []

    def replace_work_item(self: LinkStore, iid: str, link: Link, etag: str, **kw: int) -> str:
        if iid == sync.id and not died:
            died.append(link.work_item_id)
            raise WorkerDied("the worker died after the replacement's create, before the link")
        return real(self, iid, link, etag, **kw)

    monkeypatch.setattr(LinkStore, "replace_work_item", replace_work_item)
    sync.conviso.store.change_status(issue, "IDENTIFIED", reason="found again", source="scan")
    sync.publish(issue)  # the vulnerability reappears: its deleted card is replaced (R6)
    wait_until(
        lambda: any(
            d.get("vulnerability_id") == issue and d.get("reason") == "healed"
            for d in all_deliveries(sync)
        ),
        timeout=20,
    )
    assert len(died) == 1  # the hook fired
    live = sync.work_items_of(issue)
    assert [i["id"] for i in live] == died  # the dead attempt's card, and no other
    links = bootstrap.context().state.links
    stored = links.get(sync.id, issue)
    assert stored is not None and stored.link.work_item_id == died[0]
    assert links.get_by_work_item(sync.id, deleted["id"]) is None
    assert card_matches(sync, issue, "IDENTIFIED")
    creates = [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]
    assert len(creates) == 2  # the first card and its one replacement
    report("crash window", point="mid replacement (R6)", create_calls=len(creates),
           live_work_items=len(live))  # fmt: skip
