"""R2 (severity policy) and R3 (routing): the asset's custom route always wins."""

from __future__ import annotations

import pytest

from sync_core.rules import Severity, passes_policy, priority_for, route_for

from .builders import config


@pytest.mark.parametrize(
    ("asset_id", "expected_project"),
    [
        pytest.param("45", "Payments", id="custom-route-wins-over-default"),
        pytest.param("9", "Fabrikam", id="other-assets-take-the-default"),
    ],
)
def test_r3_routing(asset_id: str, expected_project: str) -> None:
    chosen = route_for(config(), asset_id)
    assert chosen is not None and chosen.project == expected_project


def test_r3_without_default_an_unrouted_asset_has_no_route() -> None:
    only_custom = config(routes=[config().routes[1].model_dump(mode="json")])
    assert route_for(only_custom, "9") is None
    assert route_for(only_custom, "45") is not None


@pytest.mark.parametrize(
    ("policy", "severity", "passes"),
    [
        (["MEDIUM", "HIGH", "CRITICAL"], Severity.HIGH, True),
        (["MEDIUM", "HIGH", "CRITICAL"], Severity.LOW, False),
        (["MEDIUM", "HIGH", "CRITICAL"], Severity.NOTIFICATION, False),
        (["MEDIUM", "HIGH", "CRITICAL"], None, False),
        ("all", Severity.NOTIFICATION, True),
        ("all", None, True),
        (["CRITICAL"], Severity.CRITICAL, True),
    ],
)
def test_r2_severity_policy(policy: object, severity: Severity | None, passes: bool) -> None:
    assert passes_policy(config(severity_policy=policy), severity) is passes


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        (Severity.CRITICAL, 1),
        (Severity.HIGH, 2),
        (Severity.MEDIUM, 3),
        (Severity.LOW, 4),
        (Severity.NOTIFICATION, 4),  # optional in the map: falls to the lowest priority
        (None, 4),
    ],
)
def test_r4_priority_from_the_severity_map(severity: Severity | None, priority: int) -> None:
    assert priority_for(config(), severity) == priority


def test_r4_notification_uses_its_own_priority_when_mapped() -> None:
    cfg = config(severity_map={"NOTIFICATION": 3, "LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1})
    assert priority_for(cfg, Severity.NOTIFICATION) == 3
