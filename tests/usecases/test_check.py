"""Check connection (R14, R16) on the fakes: one item per thing checked, a broken one named
with the reason, and a healthy route resumed with its refused work sent again."""

from __future__ import annotations

from typing import Any

from sync_core.adapters.state.queues import OUTBOUND_QUEUE
from sync_core.service.check import check_integration
from sync_core.service.hooks import provision_service_hooks

from .conftest import IID, World


def hooked(world: World) -> World:
    """The service hooks in place, so that a check of a sound set-up is all green."""
    provision_service_hooks(world.ctx, IID, "https://sync.example.net")
    return world


def items(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["item"]: i for i in report["items"]}


def test_every_route_is_checked_item_by_item(world: World) -> None:
    report = check_integration(hooked(world).ctx, IID)
    found = items(report)

    for item in (
        "authentication",
        "organization",
        "project:Fabrikam",
        "team:Fabrikam/Fabrikam Team",
        "board:Fabrikam/Fabrikam Team/Issues",
        "work_item_type:Fabrikam/Bug",
        "state:Fabrikam/Bug/Risk Accepted",
        "column:Fabrikam/Fabrikam Team/Issues/Testing",
        "board:Payments/Payments Team/Bugs",
        "column:Payments/Payments Team/Bugs/Triage",
        "conviso:api_key",
    ):
        assert found[item]["ok"] is True, found[item]
    assert found["route:default"]["ok"] is True
    assert report["ok"] is True, [i for i in report["items"] if not i["ok"]]


def test_a_missing_board_is_one_failed_item_naming_it(world: World) -> None:
    hooked(world)
    del world.boards.boards_of[("Payments", "Payments Team")]["Bugs"]
    world.boards.boards_of[("Payments", "Payments Team")]["Other"] = world.boards.layouts[
        ("Payments", "Bug")
    ]
    report = check_integration(world.ctx, IID)
    found = items(report)

    failed = [i for i in report["items"] if not i["ok"]]
    assert [i["item"] for i in failed] == ["board:Payments/Payments Team/Bugs"]
    assert "Bugs" in failed[0]["reason"]
    assert found["route:default"]["ok"] is True  # the other route is unaffected
    assert report["ok"] is False
    assert world.state.deliveries.of(IID)[-1].level == "warn"


def test_a_healthy_route_that_was_paused_resumes_and_sends_its_refused_work(world: World) -> None:
    world.state.integrations.update_status(IID, lambda s: s.pause("default", "TF401027"))
    world.state.refused.remember(
        IID, route_key="default", direction="outbound", subject="9",
        message={"integration_id": IID, "event_id": "ev-old", "issue_id": "9"}, reason="TF401027",
    )  # fmt: skip
    check_integration(world.ctx, IID)

    assert world.state.integrations.get_status(IID).paused_routes == {}
    assert [m["issue_id"] for m in world.state.queues.on(OUTBOUND_QUEUE)] == ["9"]
    assert list(world.state.refused.pending(IID)) == []
