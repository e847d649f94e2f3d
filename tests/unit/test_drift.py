"""The Overview's "in sync / drifted / unknown" (rules/drift.py): stored data only, one table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync_core.rules.drift import drift_of

from .builders import card, config, link

CASES = [
    pytest.param(link("IDENTIFIED", card=card("New", "New")), "in_sync", id="new-card-in-new"),
    pytest.param(link("IN_PROGRESS", card=card("Active", "Active")), "in_sync", id="active"),
    pytest.param(link("IN_PROGRESS", card=card("New", "New")), "drifted", id="left-behind"),
    pytest.param(
        link("AWAITING_VALIDATION", card=card("Resolved", "Testing")), "in_sync", id="column"
    ),
    pytest.param(
        link("AWAITING_VALIDATION", card=card("Active", "Active")), "drifted", id="not-in-column"
    ),
    pytest.param(link("IDENTIFIED", card=card("new", "new")), "in_sync", id="case-insensitive"),
    pytest.param(link("IDENTIFIED", card=None), "unknown", id="no-card-seen"),
    pytest.param(link(None, card=card("New", "New")), "unknown", id="nothing-applied"),
    pytest.param(
        link("SUPPRESSED", card=card("Active", "Active")), "unknown", id="status-not-placed"
    ),
    pytest.param(
        link("IDENTIFIED", card=card("New", "New"), route_key="asset-999"),
        "unknown",
        id="route-gone",
    ),
]


@pytest.mark.parametrize(("the_link", "expected"), CASES)
def test_drift_compares_the_card_last_seen_with_the_map(the_link, expected) -> None:  # type: ignore[no-untyped-def]
    assert drift_of(config(), the_link)[0] == expected


def test_a_vanished_card_is_compared_with_the_vanished_target_when_the_map_has_one() -> None:
    vanished = link("IN_PROGRESS", card=card("Closed", "Closed"), vanished_at=datetime.now(UTC))
    assert drift_of(config(), vanished)[0] == "drifted"  # no VANISHED target: the status's own
    routes = config().model_dump(mode="json")["routes"]
    routes[0]["status_map"]["VANISHED"] = {"state": "Closed"}
    with_target = config(routes=routes)
    assert drift_of(with_target, vanished)[0] == "in_sync"
