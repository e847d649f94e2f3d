"""R20 deadlines, R21 field mapping and R22 routing by asset tag, through the real stack:
the deployed app in the development host, Azurite, and the Boards and Conviso emulators
over HTTP.

The emulator's "Fabrikam Agile" Bug (localdev/boards_emulator/seed.json) has the real
Bug's Priority, Severity ("1 - Critical" … "4 - Low") and Value Area, no
``Microsoft.VSTS.Scheduling.DueDate`` (as Agile's Bug), and the organization's custom
fields Custom.CVE, Custom.CWE, Custom.CVSS, Custom.RemediationDue and Custom.Team
(AppSec, Payments, Platform).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.harness import Sync, example_config, wait_until

DUE_AT = datetime(2026, 12, 15, tzinfo=UTC)
SEVERITY = "Microsoft.VSTS.Common.Severity"
FIELDS = {
    "due_date": "Custom.RemediationDue", "cve": "Custom.CVE", "cwe": "Custom.CWE",
    "cvss": "Custom.CVSS", "severity": SEVERITY,
}  # fmt: skip
SEVERITY_VALUES = {
    "CRITICAL": "1 - Critical", "HIGH": "2 - High", "MEDIUM": "3 - Medium", "LOW": "4 - Low",
}  # fmt: skip


def _config(sync: Sync, **route_changes: Any) -> dict[str, Any]:
    config = example_config(sync.boards)
    config["routes"][0] = {**config["routes"][0], **route_changes}
    return config


def _config_all(sync: Sync, **route_changes: Any) -> dict[str, Any]:
    """Both routes of the example changed alike (both use the Fabrikam Agile Bug)."""
    config = example_config(sync.boards)
    config["routes"] = [{**r, **route_changes} for r in config["routes"]]
    return config


def _put(sync: Sync, config: dict[str, Any]) -> httpx.Response:
    return sync.api.put(f"/integrations/{sync.id}", json=config)


def _refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    return str(answer.json()["error"]["message"])


def _card(sync: Sync, issue: str) -> dict[str, Any]:
    items = wait_until(lambda: sync.work_items_of(issue))
    assert len(items) == 1, items
    return items[0]


def _patched_paths(request: Any) -> set[str]:
    return {str(op.get("path")) for op in request.json_body() or []}


def _notes(sync: Sync, work_item_id: int) -> list[str]:
    return [note for _, note in sync.boards.store.items[work_item_id].history]


def _delivered(sync: Sync, reason: str, issue: str) -> list[dict[str, Any]]:
    return [
        d
        for d in sync.deliveries()
        if d.get("reason") == reason and d.get("vulnerability_id") == issue
    ]


# ------------------------------------------------------------------- checked on save


@pytest.mark.parametrize(
    ("changes", "named", "words"),
    [
        ({"fields": {"due_date": "Microsoft.VSTS.Scheduling.DueDate"}},
         "routes[0].fields.due_date",
         "field 'Microsoft.VSTS.Scheduling.DueDate' does not exist on work item type 'Bug'"),
        ({"fields": {"severity": SEVERITY}}, "routes[0].fields.severity",
         "allows only '1 - Critical', '2 - High', '3 - Medium', '4 - Low'"),
        ({"fields": {"severity": SEVERITY},
          "severity_values": {**SEVERITY_VALUES, "CRITICAL": "Critical"}},
         "routes[0].severity_values.CRITICAL", "'Critical' is not an allowed value"),
        ({"defaults": {"Custom.Team": "Security"}}, "routes[0].defaults.Custom.Team",
         "'Security' is not an allowed value of 'Custom.Team' (allowed: 'AppSec', 'Payments', "
         "'Platform')"),
    ],
)  # fmt: skip
def test_a_field_the_type_lacks_or_a_value_it_refuses_is_refused_on_save(
    sync: Sync, changes: dict[str, Any], named: str, words: str
) -> None:
    message = _refusal(_put(sync, _config(sync, **changes)))
    assert named in message and words in message, message
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404  # nothing stored


def test_a_required_field_without_a_default_is_refused_on_save(sync: Sync) -> None:
    sync.boards.world.require_field("Fabrikam", "Bug", "Custom.Team")
    message = _refusal(_put(sync, _config(sync)))
    assert "routes[0].defaults" in message and "requires field 'Custom.Team'" in message
    assert "routes[1].defaults" in message  # the Payments route's Bug is the same type
    answer = _put(sync, _config_all(sync, defaults={"Custom.Team": "AppSec"}))
    assert answer.status_code == 201, answer.text


def test_check_connection_reports_each_mapped_field(sync: Sync) -> None:
    sync.configure(routes=_config(sync, fields=FIELDS, severity_values=SEVERITY_VALUES)["routes"])
    report = sync.api.post(f"/integrations/{sync.id}/check").json()
    items = {i["item"]: i for i in report["items"]}
    for name in FIELDS.values():
        assert items[f"field:Fabrikam/Bug/{name}"]["ok"], items
    # the type loses a field after the save: check connection names it
    sync.boards.world.project("Fabrikam").work_item_type("Bug").fields.pop("custom.cwe")
    report = sync.api.post(f"/integrations/{sync.id}/check").json()
    failed = [i for i in report["items"] if not i["ok"] and i["item"].startswith("field")]
    assert [i["item"] for i in failed] == ["field:Fabrikam/Bug/fields.cwe"], failed
    assert "field 'Custom.CWE' does not exist on work item type 'Bug'" in failed[0]["reason"]


# ------------------------------------------------------- R21: written, never over a person


def test_a_new_card_carries_the_mapped_fields_and_a_person_s_edit_stays(sync: Sync) -> None:
    sync.configure(routes=_config(sync, fields=FIELDS, severity_values=SEVERITY_VALUES)["routes"])
    issue = sync.seed(
        type="SCA_FINDING",
        category="CWE-502",
        detail={"cve": "CVE-2021-44228", "cvssScore": 10.0},
    )
    sync.conviso.set_sla(issue, state="ON_TRACK", due_at=DUE_AT, days_remaining=17)
    sync.publish(issue)
    fields = _card(sync, issue)["fields"]
    assert {k: fields.get(k) for k in FIELDS.values()} == {
        "Custom.RemediationDue": "2026-12-15T00:00:00Z", "Custom.CVE": "CVE-2021-44228",
        "Custom.CWE": "CWE-502", "Custom.CVSS": "10", SEVERITY: "2 - High",
    }  # fmt: skip
    work_item_id = _card(sync, issue)["id"]
    # A person corrects the CVE field; then Conviso changes the status only.
    sync.boards.edit_work_item(work_item_id, {"Custom.CVE": "CVE-2021-45046"})
    sync.conviso.set_status(issue, "IN_PROGRESS")
    sync.boards.clear_requests()
    sync.publish(issue)
    wait_until(lambda: _card(sync, issue)["fields"]["System.State"] == "Active")
    assert _card(sync, issue)["fields"]["Custom.CVE"] == "CVE-2021-45046"
    # the status went alone: no PATCH named the CVE field (the first one, guarded by the
    # revision before the person's edit, is refused with 412 and decided again)
    patched = [_patched_paths(r) for r in sync.boards.requests if r.method == "PATCH"]
    assert patched and all("/fields/Custom.CVE" not in paths for paths in patched), patched
    # Conviso changes the severity: the mapped severity follows, with nothing else, in one
    # PATCH (the link knows the card now)
    sync.conviso.update_issue(issue, severity="CRITICAL")
    sync.boards.clear_requests()
    sync.publish(issue)
    wait_until(lambda: _card(sync, issue)["fields"][SEVERITY] == "1 - Critical")
    patched = [_patched_paths(r) for r in sync.boards.requests if r.method == "PATCH"]
    assert len(patched) == 1 and f"/fields/{SEVERITY}" in patched[0], patched
    assert _card(sync, issue)["fields"]["Custom.CVE"] == "CVE-2021-45046"


def test_defaults_let_a_create_succeed_where_a_required_field_refused_it(sync: Sync) -> None:
    """The organization makes Custom.Team required after the integration was saved: the
    create is refused with Azure DevOps' own TF401320; the route's defaults fix it."""
    sync.configure()
    sync.boards.world.require_field("Fabrikam", "Bug", "Custom.Team")
    issue = sync.seed()
    sync.publish(issue)
    refused = wait_until(
        lambda: [d for d in sync.deliveries(level="error") if d.get("vulnerability_id") == issue]
    )
    assert (
        "TF401320: Rule Error for field Team. Error code: Required, HasValues, "
        in (refused[0]["message"])
    )
    assert sync.work_items_of(issue) == []
    answer = _put(sync, _config_all(sync, defaults={"Custom.Team": "AppSec"}))
    assert answer.status_code == 200, answer.text
    sync.publish(issue)
    assert _card(sync, issue)["fields"]["Custom.Team"] == "AppSec"


# ---------------------------------------------------------------------- R20: deadlines


def test_the_due_date_follows_conviso_and_each_sla_state_is_noted_once(sync: Sync) -> None:
    sync.configure(routes=_config(sync, fields={"due_date": "Custom.RemediationDue"})["routes"])
    issue = sync.seed()
    sync.conviso.set_sla(issue, state="ON_TRACK", due_at=DUE_AT, days_remaining=17)
    sync.publish(issue)
    work_item_id = _card(sync, issue)["id"]
    assert _card(sync, issue)["fields"]["Custom.RemediationDue"] == "2026-12-15T00:00:00Z"
    # Conviso moves the due date: the field follows
    later = DUE_AT + timedelta(days=7)
    sync.conviso.set_sla(issue, state="ON_TRACK", due_at=later, days_remaining=24)
    sync.publish(issue)
    wait_until(
        lambda: _card(sync, issue)["fields"]["Custom.RemediationDue"] == "2026-12-22T00:00:00Z"
    )
    for state, days in (
        ("APPROACHING", 2),
        ("APPROACHING", 1),
        ("BREACHED", 0),
        ("BREACHED", -1),
    ):  # twice in each state: one note each
        sync.conviso.set_sla(issue, state=state, due_at=later, days_remaining=days)
        event = f"sla-{state}-{days}"
        sync.publish(issue, event_id=event)
        wait_until(lambda e=event: [d for d in sync.deliveries() if d.get("event_id") == e])
    notes = _notes(sync, work_item_id)
    assert sum("is approaching" in n for n in notes) == 1, notes
    assert sum("was breached" in n for n in notes) == 1, notes


# --------------------------------------------------------------- R22: routing by tag


def test_an_asset_with_a_routes_tag_goes_to_that_route_and_the_delivery_names_it(
    sync: Sync,
) -> None:
    config = example_config(sync.boards)
    config["routes"].insert(
        1,
        {
            "asset_tags": ["pci"], "project": "Payments", "team": "Payments Team",
            "board": "Bugs", "work_item_type": "Bug",
            "status_map": {"IDENTIFIED": {"column": "Triage"}},
        },
    )  # fmt: skip
    answer = _put(sync, config)
    assert answer.status_code == 201, answer.text
    sync.conviso.add_company("Fabrikam", id="77")
    sync.conviso.add_asset("77", "card-vault", id="61", tags=["PCI", "internet-facing"])
    tagged = sync.seed(asset="61")
    untagged = sync.seed(asset="62")
    sync.publish(tagged)
    sync.publish(untagged)
    assert _card(sync, tagged)["fields"]["System.TeamProject"] == "Payments"
    assert _card(sync, untagged)["fields"]["System.TeamProject"] == "Fabrikam"
    created = wait_until(lambda: _delivered(sync, "created", tagged))
    assert created[0]["route_key"] == "tags-pci"
    assert wait_until(lambda: _delivered(sync, "created", untagged))[0]["route_key"] == "default"


def test_an_event_without_the_assets_tags_is_routed_by_the_tags_conviso_has(sync: Sync) -> None:
    """Conviso's event may not carry the asset's tags: the worker reads the issue before it
    chooses a route for a new card, so the event and the next poll agree."""
    config = example_config(sync.boards)
    config["routes"].insert(
        1,
        {
            "asset_tags": ["pci"], "project": "Payments", "team": "Payments Team",
            "board": "Bugs", "work_item_type": "Bug",
            "status_map": {"IDENTIFIED": {"column": "Triage"}},
        },
    )  # fmt: skip
    assert _put(sync, config).status_code == 201
    sync.conviso.add_company("Fabrikam", id="77")
    sync.conviso.add_asset("77", "card-vault", id="61", tags=["pci"])
    issue = sync.seed(asset="61")
    snapshot = sync.snapshot(issue)
    snapshot["asset"].pop("assetsTagList")
    assert sync.post_event(snapshot).status_code == 202
    assert _card(sync, issue)["fields"]["System.TeamProject"] == "Payments"


# ------------------------------------------------------------------------- discovery


def test_discovery_lists_a_types_fields_with_allowed_values(sync: Sync) -> None:
    """What an admin page picks ``fields`` and ``defaults`` from (R21)."""
    sync.configure()
    answer = sync.api.get(
        f"/integrations/{sync.id}/discovery/projects/Fabrikam/workitemtypes/Bug/fields"
    )
    assert answer.status_code == 200, answer.text
    by_name = {f["reference_name"]: f for f in answer.json()["items"]}
    assert by_name[SEVERITY]["allowed_values"] == list(SEVERITY_VALUES.values())
    assert by_name["System.Title"]["required"] is True
    assert "Custom.RemediationDue" in by_name
    assert "Microsoft.VSTS.Scheduling.DueDate" not in by_name  # Agile's Bug has none
