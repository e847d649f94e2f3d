"""Conviso → Boards (R1–R6, R9, R11, R14) on the fakes: what lands on the board, in the
links, in the deliveries and in the refused ledger."""

from __future__ import annotations

import json

import pytest

from sync_core.adapters.azure_devops import ConfigurationError, TransientError
from sync_core.rules.vocabulary import STATE_FIELD, TAGS_FIELD
from sync_core.service.worker import run_outbound
from tests.unit.builders import COLUMN_FIELD, vuln

from .conftest import IID, World, later


def test_a_new_vulnerability_gets_one_card_tagged_and_linked(world: World) -> None:
    world.outbound(vuln())

    assert list(world.boards.items) == [501]
    card = world.boards.get_work_item(501)
    assert card.state == "New" and card.fields[COLUMN_FIELD] == "New"
    assert "conviso-vuln-123" in card.fields[TAGS_FIELD]
    link = world.link()
    assert (link.work_item_id, link.applied_status, link.route_key) == (
        501,
        "IDENTIFIED",
        "default",
    )
    assert world.reasons() == ["created"]


def test_a_card_whose_target_is_not_the_initial_state_is_created_then_moved(world: World) -> None:
    world.outbound(later(status="IN_PROGRESS"))

    assert world.boards.calls.count("create") == 1 and world.boards.calls.count("update") == 1
    card = world.boards.get_work_item(501)
    assert card.state == "Active" and card.rev == 2
    assert world.link().last_rev_written == 2
    assert world.reasons() == ["created"]  # the move is part of the create, said once


def test_a_newer_status_updates_the_card(world: World) -> None:
    world.outbound(vuln())
    world.outbound(later(status="AWAITING_VALIDATION"))

    card = world.boards.get_work_item(501)
    assert (card.state, card.fields[COLUMN_FIELD]) == ("Active", "Testing")
    assert world.link().applied_status == "AWAITING_VALIDATION"
    assert world.reasons() == ["created", "updated"]


def test_the_same_snapshot_again_writes_nothing(world: World) -> None:
    world.outbound(vuln())
    writes = world.boards.calls.count("create") + world.boards.calls.count("update")
    world.outbound(vuln())

    assert world.boards.calls.count("create") + world.boards.calls.count("update") == writes
    assert world.boards.get_work_item(501).rev == 1
    assert world.reasons() == ["created", "in_sync"]


def test_an_older_snapshot_is_stale_and_changes_nothing(world: World) -> None:
    world.outbound(later(5, status="IN_PROGRESS"))
    world.outbound(later(1, status="IDENTIFIED"))

    assert world.boards.get_work_item(501).state == "Active"
    assert world.link().applied_status == "IN_PROGRESS"
    assert world.reasons()[-1] == "stale_snapshot"


def test_a_fixed_vulnerability_found_again_reopens_its_card_with_one_note(world: World) -> None:
    world.outbound(vuln())
    world.outbound(later(1, status="FIX_ACCEPTED"))
    found_again = later(2, status="IDENTIFIED")
    world.outbound(found_again)
    world.outbound(found_again, retried=True)  # the queue delivers it again

    assert world.boards.get_work_item(501).state == "New"
    notes = [n for n in world.boards.notes(501) if "reopened" in n]
    assert len(notes) == 1
    assert "reopened" in world.reasons()


def test_a_card_deleted_in_boards_is_replaced_when_its_vulnerability_is_identified(
    world: World,
) -> None:
    world.outbound(vuln())
    world.outbound(later(1, status="FIX_ACCEPTED"))
    world.boards.delete(501)
    world.outbound(later(2, status="IDENTIFIED"))  # found again by a scan (R6)

    assert list(world.boards.items) == [502]
    assert world.boards.get_work_item(502).state == "New"
    assert world.link().work_item_id == 502
    assert world.state.links.get_by_work_item(IID, 501) is None
    assert world.state.links.get_by_work_item(IID, 502) is not None
    [warning] = world.state.deliveries.of(IID, "replaced")
    assert warning.level == "warn" and "#501" in warning.message


def test_a_deleted_card_is_not_recreated_for_a_status_other_than_identified(
    world: World,
) -> None:
    world.outbound(vuln())
    world.boards.delete(501)
    world.outbound(later(status="IN_PROGRESS"))

    assert world.boards.items == {}
    assert world.link().work_item_id == 501
    assert world.reasons()[-1] == "work_item_deleted"


def test_a_create_whose_answer_was_lost_is_healed_by_its_tag_not_created_twice(
    world: World,
) -> None:
    world.boards.lose_next_create_answer = True
    with pytest.raises(TransientError):
        world.outbound(vuln(), claimant="ev-x")
    assert world.state.links.get(IID, "123") is None  # the claim stays, no link yet

    world.outbound(vuln(), claimant="ev-x", retried=True)

    assert list(world.boards.items) == [501]
    assert world.link().work_item_id == 501
    assert "healed" in world.reasons()


def test_a_tag_that_only_contains_ours_is_not_adopted(world: World) -> None:
    world.outbound(vuln(id="1234"))
    world.boards.fail_next["create"] = TransientError("boom", status=503, may_have_succeeded=True)
    with pytest.raises(TransientError):
        world.outbound(vuln(id="123"), claimant="ev-y")

    world.outbound(vuln(id="123"), claimant="ev-y", retried=True)

    assert world.link("123").work_item_id != world.link("1234").work_item_id
    assert len(world.boards.items) == 2


def test_a_refused_create_goes_to_the_refused_ledger_and_pauses_the_route(world: World) -> None:
    world.boards.fail_next["create"] = ConfigurationError("TF401027: no permission", status=403)
    body = json.dumps({"integration_id": IID, "event_id": "ev-r", "issue_id": "123",
                       "snapshot": vuln().model_dump(mode="json", by_alias=True)})  # fmt: skip

    run_outbound(world.ctx, body, message_id="m1", dequeue_count=1)

    assert world.boards.items == {}
    [work] = world.state.refused.pending(IID)
    assert (work.route_key, work.direction, work.subject) == ("default", "outbound", "123")
    assert world.state.integrations.get_status(IID).paused_routes.keys() == {"default"}
    [error] = world.state.deliveries.of(IID, "configuration")
    assert "TF401027" in error.message and error.level == "error"
    assert world.state.links.get(IID, "123") is None
    assert world.state.links.claim(IID, "123", "someone").result == "won"  # claim released


def test_a_linked_card_stays_on_its_route_when_its_asset_is_rerouted(world: World) -> None:
    world.outbound(vuln())
    routes = [r.model_dump(mode="json") for r in world.config.routes]
    routes[1]["asset_id"] = "9"  # asset 9 now goes to Payments
    world.reconfigure(routes=routes)

    world.outbound(later(1, status="IN_PROGRESS"))
    world.outbound(later(2, status="AWAITING_VALIDATION"))

    assert list(world.boards.items) == [501]  # never recreated on the new route
    assert world.boards.get_work_item(501).fields[STATE_FIELD] == "Active"
    assert world.link().route_key == "default"
    assert world.reasons().count("rerouted") == 1
