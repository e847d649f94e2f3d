"""R22 (routing by asset tag), R25 (VANISHED in the status map, the vanished rule) and the
configuration's validation of the optional route keys of PRODUCT.md §4."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from sync_core.rules import Asset, IntegrationConfig, Route, SkipReason, route_for, screen_inbound
from sync_core.rules.vanished import plan_vanished
from sync_core.rules.vocabulary import HISTORY_FIELD

from .builders import COLUMN_FIELD, agile_layout, card, config_data, link, move, route

TAG_ROUTE = {
    "project": "Fabrikam", "team": "Fabrikam Team", "board": "Issues", "work_item_type": "Bug",
    "status_map": {"IDENTIFIED": {"state": "New"}},
}  # fmt: skip


def routed(*routes: dict[str, Any]) -> IntegrationConfig:
    return IntegrationConfig.model_validate(config_data(routes=list(routes)))


def tagged(*tags: str, **more: Any) -> dict[str, Any]:
    return {**TAG_ROUTE, "asset_tags": list(tags), **more}


DEFAULT = {**TAG_ROUTE, "default": True}
BY_ID = {**TAG_ROUTE, "asset_id": "45"}


# --------------------------------------------------------------- R22: precedence table


@pytest.mark.parametrize(
    ("asset", "routes", "expected"),
    [
        # the route naming the asset's id wins over a tag route and the default
        (Asset(id="45", assets_tag_list=("pci",)), [tagged("pci"), BY_ID, DEFAULT], "asset-45"),
        # then the first route sharing a tag, in configuration order
        (Asset(id="9", assets_tag_list=("pci", "web")),
         [DEFAULT, tagged("web"), tagged("pci")], "tags-web"),
        (Asset(id="9", assets_tag_list=("pci", "web")),
         [tagged("pci", "internet-facing"), tagged("web"), DEFAULT], "tags-internet-facing,pci"),
        # tags compare without regard to case or surrounding spaces
        (Asset(id="9", assets_tag_list=(" PCI ",)), [tagged("pci"), DEFAULT], "tags-pci"),
        # no shared tag: the default
        (Asset(id="9", assets_tag_list=("internal",)), [tagged("pci"), DEFAULT], "default"),
        (Asset(id="9"), [tagged("pci"), DEFAULT], "default"),
        # no shared tag and no default: no route (skipped, R2)
        (Asset(id="9", assets_tag_list=("internal",)), [tagged("pci")], None),
        # an id alone (no tags known) is routed by id or to the default
        ("9", [tagged("pci"), DEFAULT], "default"),
        ("45", [tagged("pci"), BY_ID], "asset-45"),
    ],
)  # fmt: skip
def test_precedence_id_then_first_shared_tag_then_default(
    asset: Asset | str, routes: list[dict[str, Any]], expected: str | None
) -> None:
    chosen = route_for(routed(*routes), asset)
    assert (chosen.key if chosen else None) == expected


def test_asset_tags_come_from_conviso_as_assets_tag_list() -> None:
    asset = Asset.model_validate({"id": 9, "name": None, "assetsTagList": ["pci"]})
    assert asset.tags == ("pci",) and asset.name == ""
    assert Asset.model_validate({"id": "9", "assetsTagList": None}).tags == ()


# -------------------------------------------------------------- configuration checks


@pytest.mark.parametrize(
    ("route_data", "words"),
    [
        ({**TAG_ROUTE, "asset_id": "45", "asset_tags": ["pci"]},
         "either default, or names one asset_id, or names asset_tags"),
        ({**TAG_ROUTE, "default": True, "asset_tags": ["pci"]}, "either default"),
        ({**TAG_ROUTE, "asset_tags": []}, "at least 1 item"),
        ({**TAG_ROUTE, "asset_tags": ["pci", " PCI"]}, "names a tag twice"),
        ({**TAG_ROUTE, "asset_tags": [" "]}, "1-100 characters"),
        ({**DEFAULT, "fields": {"due_date": "Due Date"}}, "is not a field reference name"),
        ({**DEFAULT, "fields": {"cve": "System.Title"}}, "is written by the sync itself"),
        ({**DEFAULT, "fields": {"cve": "WEF_1_Kanban.Column"}}, "is written by the sync itself"),
        ({**DEFAULT, "fields": {"deadline": "Custom.Due"}}, "due_date"),
        ({**DEFAULT, "fields": {"cve": "Custom.X", "cwe": "custom.x"}}, "is also fields.cve"),
        ({**DEFAULT, "severity_values": {"HIGH": "2 - High"}}, "needs fields.severity"),
        ({**DEFAULT, "fields": {"severity": "Microsoft.VSTS.Common.Severity"},
          "severity_values": {"HIGH": "2 - High"}}, "needs a value for LOW, MEDIUM, CRITICAL"),
        ({**DEFAULT, "defaults": {"System.State": "Active"}}, "is written by the sync itself"),
        ({**DEFAULT, "fields": {"cve": "Custom.CVE"}, "defaults": {"Custom.CVE": "x"}},
         "already fields.cve"),
        ({**DEFAULT, "status_map": {"IDENTIFIED": {"state": "New"}, "GONE": {"state": "X"}}},
         "GONE"),
    ],
)  # fmt: skip
def test_bad_route_keys_are_refused_naming_the_key(route_data: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Route.model_validate(route_data)
    assert words in str(raised.value)


def test_two_routes_with_the_same_tags_are_refused_the_second_would_never_be_used() -> None:
    with pytest.raises(ValidationError) as raised:
        routed(tagged("pci", "web"), tagged("WEB", "pci"), DEFAULT)
    assert "two routes name the same asset_tags" in str(raised.value)


def test_the_products_example_keys_are_accepted_and_round_trip() -> None:
    example = {
        **DEFAULT,
        "asset_tags": None,
        "area_path": "Fabrikam\\Security",
        "fields": {"due_date": "Microsoft.VSTS.Scheduling.DueDate", "cve": "Custom.CVE",
                   "cwe": "Custom.CWE", "cvss": "Custom.CVSS",
                   "severity": "Microsoft.VSTS.Common.Severity",
                   "risk_accepted_until": "Custom.RiskAcceptedUntil"},
        "severity_values": {"CRITICAL": "1 - Critical", "HIGH": "2 - High",
                            "MEDIUM": "3 - Medium", "LOW": "4 - Low"},
        "defaults": {"Custom.Team": "AppSec"},
        "status_map": {"IDENTIFIED": {"state": "New"}, "VANISHED": {"state": "Removed"}},
    }  # fmt: skip
    parsed = Route.model_validate(example)
    assert parsed.vanished_target is not None and parsed.vanished_target.state == "Removed"
    assert "VANISHED" not in {s.value for s in parsed.status_map}
    dumped = parsed.model_dump(mode="json")
    assert dumped["status_map"]["VANISHED"] == {"state": "Removed", "column": None}
    assert Route.model_validate(dumped) == parsed


def test_a_vanished_target_the_board_lacks_is_a_route_problem() -> None:
    from sync_core.rules import route_problems

    bad = route(status_map={"IDENTIFIED": {"state": "New"}, "VANISHED": {"state": "Gone"}})
    assert route_problems(bad, agile_layout()) == [
        "status_map.VANISHED: state 'Gone' does not exist for 'Bug'"
    ]


# ----------------------------------------------------------------- R25: the rule


GONE_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_a_vanished_card_gets_one_note_and_moves_to_the_vanished_target() -> None:
    the_route = route(status_map={"IDENTIFIED": {"state": "New"}, "VANISHED": {"state": "Removed"}})
    layout = agile_layout(columns=(*agile_layout().columns,))
    decision = plan_vanished(the_route, layout, link(), card())
    assert decision is not None
    assert decision.expected_rev == 3 and decision.work_item_id == 501
    assert decision.fields["System.State"] == "Removed"
    assert "Conviso no longer returns vulnerability #123" in str(decision.fields[HISTORY_FIELD])
    assert plan_vanished(the_route, layout, link(vanished_at=GONE_AT), card()) is None


def test_without_a_vanished_target_the_card_only_gets_the_note() -> None:
    decision = plan_vanished(route(), agile_layout(), link(), card())
    assert decision is not None and set(decision.fields) == {HISTORY_FIELD}


def test_a_column_target_moves_through_the_boards_column_field() -> None:
    the_route = route(
        status_map={"IDENTIFIED": {"state": "New"}, "VANISHED": {"column": "Resolved"}}
    )
    decision = plan_vanished(the_route, agile_layout(), link(), card())
    assert decision is not None
    assert decision.fields[COLUMN_FIELD] == "Resolved"
    assert decision.fields["System.State"] == "Resolved"


def test_a_move_of_a_vanished_card_is_not_sent_to_conviso() -> None:
    skip = screen_inbound(
        move("Active", "Active"), link=link(vanished_at=GONE_AT), service_identity=None
    )
    assert skip is not None and skip.reason == SkipReason.VANISHED
    assert screen_inbound(move("Active", "Active"), link=link(), service_identity=None) is None


@pytest.mark.parametrize(
    ("asset", "routes", "needed"),
    [
        (Asset(id="9"), [tagged("pci"), DEFAULT], True),  # an event without the tags
        (Asset(id="9", assets_tag_list=()), [tagged("pci"), DEFAULT], False),  # none, known
        (Asset(id="45"), [tagged("pci"), BY_ID], False),  # its id decides
        (Asset(id="9"), [DEFAULT], False),  # no route is chosen by tag
    ],
)
def test_a_snapshot_without_tags_is_read_again_only_when_tags_could_decide(
    asset: Asset, routes: list[dict[str, Any]], needed: bool
) -> None:
    from sync_core.rules import needs_asset_tags

    assert needs_asset_tags(routed(*routes), asset) is needed


def test_unknown_tags_survive_a_queue_message_as_unknown() -> None:
    """A snapshot is dumped into the queue message and read back by the worker: "not
    said" must not turn into "no tags"."""
    unknown = Asset(id="9")
    assert Asset.model_validate(unknown.model_dump(by_alias=True)).tags_known is False
    known = Asset(id="9", assets_tag_list=())
    assert Asset.model_validate(known.model_dump(by_alias=True)).tags_known is True
