"""Service-hook provisioning (R17) on the fakes: idempotent, one subscription per project
and watched field, pointing at the integration's webhook with its credentials."""

from __future__ import annotations

from sync_core.service.hooks import provision_service_hooks, sends_to

from .conftest import IID, World

BASE = "https://sync.example.net"


def test_provisioning_twice_creates_the_subscriptions_once(world: World) -> None:
    first = provision_service_hooks(world.ctx, IID, BASE)
    made = dict(world.boards.subscriptions)
    second = provision_service_hooks(world.ctx, IID, BASE)

    assert made and {e["action"] for e in first["subscriptions"]} == {"created"}
    assert {e["action"] for e in second["subscriptions"]} == {"kept"}
    assert world.boards.subscriptions == made  # nothing created, nothing removed
    assert {e["project"] for e in first["subscriptions"]} == {"Fabrikam", "Payments"}
    for subscription in made.values():
        assert subscription.consumer_inputs["url"] == first["url"] + "?token=hook-token"
        assert sends_to(subscription, IID)
    assert first["ok"] is True and first["auth"] == "token"
    assert [d.reason for d in world.state.deliveries.of(IID)] == ["service_hooks"] * 2


def test_a_project_azure_devops_does_not_have_gets_no_subscription(world: World) -> None:
    del world.boards.layouts[("Payments", "Bug")]
    report = provision_service_hooks(world.ctx, IID, BASE)

    payments = [e for e in report["subscriptions"] if e["project"] == "Payments"]
    assert payments and {e["status"] for e in payments} == {"project_not_found"}
    assert report["ok"] is False
    assert all(
        s.publisher_inputs["projectId"] == "id-Fabrikam"
        for s in world.boards.subscriptions.values()
    )
    assert world.state.deliveries.of(IID)[-1].level == "warn"
