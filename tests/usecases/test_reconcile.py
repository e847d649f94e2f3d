"""Reconcile (R13, R14, R25) on the fakes: what one pass brings to each side, where its
watermarks end, and what it reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync_core.adapters.azure_devops import ConfigurationError
from sync_core.adapters.state.queues import OUTBOUND_QUEUE
from sync_core.service.reconcile import reconcile
from tests.fakes.boards import WRITER_ID
from tests.unit.builders import COLUMN_FIELD, T0

from .conftest import IID, World, later

CONVISO_MARK = "conviso"


def run(world: World) -> Any:
    """One pass a minute later. ``Any``: the tests read the report's passes by key, and
    which pass report a key belongs to is the point of each assertion."""
    world.clock.advance(minutes=1)
    return reconcile(world.ctx, IID, workers=1)


def seed(world: World, *ids: str, status: str = "IDENTIFIED") -> None:
    for n, vid in enumerate(ids):
        world.conviso.put(later(n + 1, id=vid, status=status))


def test_conviso_changes_nobody_sent_get_their_cards_and_the_watermark_moves(world: World) -> None:
    seed(world, "1", "2", "3")
    report = run(world)

    assert sorted(link.vulnerability_id for link in world.state.links.links(IID)) == ["1", "2", "3"]
    assert len(world.boards.items) == 3
    assert report["complete"] is True
    assert world.state.watermarks.get(IID, CONVISO_MARK).value == T0 + timedelta(minutes=3)
    assert run(world)["conviso_to_boards"]["seen"] == 1  # from the watermark (inclusive) on


def test_the_watermark_is_held_before_a_vulnerability_that_failed(world: World) -> None:
    seed(world, "1", "2", "3")  # listed newest first: 3, 2, 1
    world.boards.fail_next["create"] = ConfigurationError("TF401027: no permission", status=403)
    report = run(world)

    assert report["conviso_to_boards"]["failed"] == 1
    # since is inclusive: the next pass lists "3" again, never past it
    failed_at = world.conviso.issues["3"].updated_at
    assert world.state.watermarks.get(IID, CONVISO_MARK).value == failed_at
    assert world.state.links.get(IID, "3") is None
    assert [world.state.links.get(IID, v) is not None for v in ("1", "2")] == [True, True]
    [error] = world.state.deliveries.of(IID, "configuration")
    assert error.vulnerability_id == "3"
    # the next create on the route worked, so the refused "3" was sent again (R14)
    assert [m["issue_id"] for m in world.state.queues.on(OUTBOUND_QUEUE)] == ["3"]


def test_a_paused_route_is_probed_once_and_the_rest_held_when_still_refused(world: World) -> None:
    world.state.integrations.update_status(IID, lambda s: s.pause("default", "TF401027"))
    seed(world, "1", "2", "3")
    world.boards.fail_next["create"] = ConfigurationError("TF401027: no permission", status=403)
    report = run(world)

    assert world.boards.calls.count("create") == 1  # the probe; the others made no request
    assert report["conviso_to_boards"]["held_for_paused_routes"] == 2
    assert world.boards.items == {}
    oldest_held = world.conviso.issues["1"].updated_at
    assert world.state.watermarks.get(IID, CONVISO_MARK).value == oldest_held
    assert world.state.integrations.get_status(IID).paused_routes.keys() == {"default"}


def test_a_probe_that_works_resumes_the_route_and_sends_its_refused_work_again(
    world: World,
) -> None:
    world.state.integrations.update_status(IID, lambda s: s.pause("default", "TF401027"))
    world.state.refused.remember(
        IID, route_key="default", direction="outbound", subject="9",
        message={"integration_id": IID, "event_id": "ev-old", "issue_id": "9"}, reason="TF401027",
    )  # fmt: skip
    seed(world, "1")
    run(world)

    assert world.state.links.get(IID, "1") is not None
    assert world.state.integrations.get_status(IID).paused_routes == {}
    assert [m["issue_id"] for m in world.state.queues.on(OUTBOUND_QUEUE)] == ["9"]
    assert list(world.state.refused.pending(IID)) == []


def test_a_late_write_of_ours_is_put_back_on_conviso_s_status(world: World) -> None:
    seed(world, "123")
    run(world)
    world.clock.advance(minutes=1)
    world.boards.person_edits(501, {COLUMN_FIELD: "Active"}, by=WRITER_ID)  # landed late
    report = run(world)

    assert report["boards_to_conviso"]["late_writes"] == 1
    assert world.boards.get_work_item(501).state == "New"  # Conviso still says IDENTIFIED
    assert world.conviso.mutations == []  # never taken for a person's move


def test_a_second_card_of_a_linked_vulnerability_is_reported_once_and_left_alone(
    world: World,
) -> None:
    seed(world, "123")
    run(world)
    second = world.boards.land_card(
        "Fabrikam", "Bug", ["conviso", "conviso-vuln-123"], by=WRITER_ID
    )
    rev = world.boards.get_work_item(second).rev
    first = run(world)
    run(world)

    assert first["boards_to_conviso"]["duplicates"] == 1
    [warning] = world.state.deliveries.of(IID, "duplicate")
    assert (warning.work_item_id, warning.vulnerability_id) == (second, "123")
    assert world.boards.get_work_item(second).rev == rev  # never written
    assert world.link("123").work_item_id == 501


def test_a_persons_move_while_the_hooks_were_down_reaches_conviso(world: World) -> None:
    seed(world, "123")
    run(world)
    world.clock.advance(minutes=1)
    world.boards.person_edits(501, {COLUMN_FIELD: "Active"}, by="person-1")
    report = run(world)

    assert report["boards_to_conviso"]["reapplied"] == 1
    assert world.conviso.issues["123"].status == "IN_PROGRESS"
    assert [m[:3] for m in world.conviso.mutations] == [("status", "123", "IN_PROGRESS")]


def test_the_boards_pass_reads_the_links_of_its_cards_together_not_one_each(
    world: World,
) -> None:
    """A first backfill's Boards pass looks at every card it just wrote: one link read per
    card was most of its time after the creates (docs/performance.md, issue 20)."""
    seed(world, *[str(n) for n in range(1, 31)])
    asked: list[int] = []
    single: list[str] = []
    boards_pass = {"on": False}  # the pass begins with its first batch read of cards
    links, boards = world.state.links, world.boards
    many, one, items = links.get_many, links.get, boards.get_work_items

    def counted_many(iid: str, ids: Any) -> Any:
        wanted = list(ids)
        asked.append(len(wanted))
        return many(iid, wanted)

    def counted_one(iid: str, vid: str) -> Any:
        if boards_pass["on"]:
            single.append(vid)
        return one(iid, vid)

    def read_cards(*args: Any, **kwargs: Any) -> Any:
        boards_pass["on"] = True
        return items(*args, **kwargs)

    links.get_many, links.get = counted_many, counted_one  # type: ignore[method-assign]
    boards.get_work_items = read_cards  # type: ignore[method-assign]
    report = run(world)

    assert report["boards_to_conviso"]["own_writes"] == 30
    assert asked == [30]  # one batch (a chunk of cards is up to 200)
    assert single == []
