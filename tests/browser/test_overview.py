"""Issue 21, the rest: the Overview (API and tab), deliveries linked to their card and their
vulnerability, the asset picker, and a card dragged on the emulator's board page reaching
Conviso. The API tests run without a browser; the browser ones skip without chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost
from sync_core.adapters.state.deliveries import Delivery
from sync_core.rules import ConvisoStatus, Level
from sync_core.rules.models import Link, WorkItemView
from tests.browser.conftest import screenshot
from tests.browser.test_admin_page import open_integration, sign_in, tab
from tests.harness import COMPANY, Sync, wait_until


def _state() -> Any:
    from sync_core.bootstrap import context

    return context().state


def _link(
    sync: Sync, vulnerability: str, work_item: int, status: str | None, card: dict[str, Any] | None
) -> None:
    """A link as the workers leave it: claimed, then completed with what was applied/seen."""
    links = _state().links
    claim = links.claim(sync.id, vulnerability, "test")
    link = Link(
        vulnerability_id=vulnerability,
        work_item_id=work_item,
        project="Fabrikam",
        applied_status=ConvisoStatus(status) if status else None,
        card=WorkItemView(id=work_item, rev=2, **card) if card else None,
    )
    links.complete(sync.id, link, claim.etag)


def _seed_overview(sync: Sync) -> None:
    """Four links (two in sync, one drifted, one not comparable) and deliveries over 24 h."""
    sync.configure()
    _link(sync, "5001", 11, "IDENTIFIED", {"state": "New", "column": "New"})
    _link(sync, "5002", 12, "IN_PROGRESS", {"state": "New", "column": "New"})  # drifted
    _link(sync, "5003", 13, "AWAITING_VALIDATION", {"state": "Resolved", "column": "Testing"})
    _link(sync, "5004", 14, None, None)
    now = datetime.now(UTC)
    deliveries = _state().deliveries
    for at, level, message, reason in (
        (now, Level.ERROR, "Azure DevOps refused the update", "azure_devops"),
        (now - timedelta(hours=2), Level.WARN, "skipped: severity LOW", "severity_policy"),
        (now - timedelta(hours=3), Level.INFO, "reconcile r1: 4 vulnerabilities", "reconcile"),
        (now - timedelta(hours=30), Level.ERROR, "too old to count", "azure_devops"),
    ):
        deliveries.record(
            sync.id,
            Delivery(
                time=at,
                level=level,
                message=message,
                reason=reason,
                vulnerability_id="5001",
                work_item_id=11,
                route_key="default",
            ),
        )


def test_the_overview_counts_links_by_status_column_and_drift_from_storage_alone(
    api: httpx.Client, boards: BoardsEmulator, conviso: ConvisoEmulator, app_host: DevHost
) -> None:
    sync = Sync(api, boards, conviso, app_host)
    _seed_overview(sync)
    boards.clear_requests()
    answer = api.get(f"/integrations/{sync.id}/overview")
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    links = overview["links"]
    assert (links["total"], links["capped"]) == (4, False)
    assert (links["in_sync"], links["drifted"], links["unknown"]) == (2, 1, 1)
    assert links["by_status"] == {
        "IDENTIFIED": 1,
        "IN_PROGRESS": 1,
        "AWAITING_VALIDATION": 1,
        "(none applied)": 1,
    }
    assert links["by_column"] == {"New": 2, "Testing": 1, "(no column seen)": 1}
    (drifted,) = links["drifted_examples"]
    assert drifted["vulnerability_id"] == "5002"
    assert drifted["expected"] == {"state": "Active"}
    assert drifted["seen"] == {"state": "New", "column": "New"}
    hours = overview["deliveries"]["per_hour"]
    assert len(hours) == 24
    by_level = overview["deliveries"]["by_level"]
    assert (by_level["warn"], by_level["error"]) == (1, 1)  # the one 30 h old is not counted
    assert by_level["info"] >= 1  # the reconcile line, and what saving the configuration said
    assert sum(h["error"] for h in hours) == 1 and hours[-1]["error"] == 1
    assert overview["errors_24h"] == 1
    assert overview["last_reconcile"]["message"].startswith("reconcile r1")
    assert overview["hooks"]["status"] == "unknown"
    assert overview["hooks"]["advice"] == "run Check connection"
    assert overview["poison"]["count"] == 0
    assert overview["urls"]["work_item"] == (
        f"{boards.url}/{boards.organization}/{{project}}/_workitems/edit/{{id}}"
    )
    assert overview["urls"]["vulnerability"] == (
        f"https://app.example/spa/app/companies/{COMPANY}/vulnerabilities/{{id}}"
    )
    assert boards.requests == []  # storage alone: not one call to Azure DevOps
    missing = api.get("/integrations/it-nobody-here/overview")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_the_asset_list_comes_from_conviso_for_the_picker(
    api: httpx.Client, boards: BoardsEmulator, conviso: ConvisoEmulator, app_host: DevHost
) -> None:
    sync = Sync(api, boards, conviso, app_host)
    conviso.reset()
    conviso.add_company("Fabrikam", id=COMPANY)
    conviso.add_asset(COMPANY, "webshop", id="9", tags=["internet-facing"])
    conviso.add_asset(COMPANY, "payments-api", id="45", tags=["pci"])
    conviso.add_company("Contoso", id="78")
    conviso.add_asset("78", "not-ours", id="99")
    sync.configure()
    answer = api.get(f"/integrations/{sync.id}/discovery/assets")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "path": "assets",
        "items": [
            {"id": "45", "name": "payments-api", "tags": ["pci"]},
            {"id": "9", "name": "webshop", "tags": ["internet-facing"]},
        ],
        "truncated": False,
    }
    conviso.api_key = "rotated"  # the stored key no longer works: Conviso's refusal, no 500
    refused = api.get(f"/integrations/{sync.id}/discovery/assets")
    assert refused.status_code == 424
    assert refused.json()["error"]["code"] == "conviso_auth"


# ------------------------------------------------------------------------------ browser


def test_the_overview_tab_shows_the_numbers_and_a_chart(
    page: Any,
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    app_host: DevHost,
) -> None:
    sync = Sync(api, boards, conviso, app_host)
    _seed_overview(sync)
    sign_in(page)
    open_integration(page, sync.id)
    tab(page, "Overview")
    figures = page.locator("#overview-figures")
    expect(figures.locator("div").filter(has_text="Linked vulnerabilities")).to_contain_text("4")
    expect(figures.locator("div").filter(has_text="In sync")).to_contain_text("2")
    expect(figures.locator("div").filter(has_text="Drifted")).to_contain_text("1")
    expect(figures.locator("div").filter(has_text="Errors (24 h)")).to_contain_text("1")
    expect(figures.locator("div").filter(has_text="Service hooks")).to_contain_text(
        "run Check connection"
    )
    chart = page.locator("#overview-chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text(re.compile(r"1 warnings, 1 errors"))
    expect(chart.locator("rect.bar-error")).to_have_count(1)
    expect(chart.locator("rect.bar-warn")).to_have_count(1)
    status_table = page.get_by_role("table", name=re.compile("by Conviso status"))
    expect(status_table.get_by_role("row").filter(has_text="IN_PROGRESS")).to_contain_text("1")
    drifted = page.get_by_role("table", name=re.compile("Drifted"))
    expect(drifted).to_contain_text("state Active")
    expect(drifted.get_by_role("link", name="Work item 12 in Azure DevOps")).to_have_attribute(
        "href", f"{boards.organization_url}/Fabrikam/_workitems/edit/12"
    )
    screenshot(page, "11-overview")


def test_every_delivery_links_to_its_card_and_its_vulnerability(
    page: Any,
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    app_host: DevHost,
) -> None:
    sync = Sync(api, boards, conviso, app_host)
    sync.configure()
    sync.subscribe_hooks()
    vulnerability = sync.seed(title="SQL injection in /login")
    sync.publish(vulnerability)
    (card,) = wait_until(lambda: sync.work_items_of(vulnerability))
    sign_in(page)
    open_integration(page, sync.id)
    tab(page, "6. Recent deliveries")
    table = page.get_by_role("table", name="Newest first")
    row = table.get_by_role("row").filter(has_text=f"created work item #{card['id']}")
    work_item = row.get_by_role("link", name=f"Work item {card['id']} in Azure DevOps")
    expect(work_item).to_have_attribute(
        "href", f"{boards.organization_url}/Fabrikam/_workitems/edit/{card['id']}"
    )
    expect(
        row.get_by_role("link", name=f"Vulnerability {vulnerability} in Conviso")
    ).to_have_attribute(
        "href", f"https://app.example/spa/app/companies/{COMPANY}/vulnerabilities/{vulnerability}"
    )
    screenshot(page, "12-delivery-links")
    # the emulator answers the work item link with the card itself
    with page.context.expect_page() as opened:
        work_item.click()
    card_page = opened.value
    expect(card_page.get_by_role("heading")).to_contain_text("SQL injection in /login")


def test_the_asset_picker_lists_conviso_assets_and_filters_as_you_type(
    page: Any,
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    app_host: DevHost,
) -> None:
    sync = Sync(api, boards, conviso, app_host)
    conviso.add_company("Fabrikam", id=COMPANY)
    conviso.add_asset(COMPANY, "webshop", id="9")
    conviso.add_asset(COMPANY, "payments-api", id="45", tags=["pci"])
    conviso.add_asset(COMPANY, "payroll", id="46")
    sync.configure(routes=sync_default_route())
    sign_in(page)
    open_integration(page, sync.id)
    tab(page, "3. Routes")
    page.get_by_role("button", name="Add a route for one asset").click()
    picker = page.get_by_role("listbox", name="Conviso asset")
    expect(picker.locator("option")).to_have_count(4)  # "none chosen" and three assets
    page.get_by_role("searchbox", name="Search Conviso assets (name, ID or tag)").fill("pay")
    expect(picker.locator("option")).to_have_count(3)
    expect(page.locator("#route-1-asset-note")).to_have_text("2 of 3 assets match.")
    picker.select_option("45")
    page.locator("#route-1-project").select_option("Payments")
    page.locator("#route-1-team").select_option("Payments Team")
    page.locator("#route-1-board").select_option("Bugs")
    page.locator("#route-1-work_item_type").select_option("Bug")
    page.locator("[id='route-1-column-IDENTIFIED']").select_option("Triage")
    page.locator("#route-1-title").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('route-1-title').scrollIntoView()")
    screenshot(page, "13-asset-picker")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    routes = api.get(f"/integrations/{sync.id}").json()["routes"]
    assert routes[1]["asset_id"] == "45"
    assert routes[1]["status_map"]["IDENTIFIED"] == {"state": None, "column": "Triage"}


def sync_default_route() -> list[dict[str, Any]]:
    return [
        {
            "default": True,
            "project": "Fabrikam",
            "team": "Fabrikam Team",
            "board": "Issues",
            "work_item_type": "Bug",
            "status_map": {"IDENTIFIED": {"state": "New"}, "IN_PROGRESS": {"state": "Active"}},
        }
    ]


def test_a_card_dragged_on_the_emulator_board_moves_the_vulnerability_in_conviso(
    page: Any,
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    app_host: DevHost,
) -> None:
    """The emulator's board page, as ``make run`` prints it: a person drags the card from
    New to Active; Azure DevOps' service hook reaches the app, which moves Conviso."""
    sync = Sync(api, boards, conviso, app_host)
    sync.configure()
    sync.subscribe_hooks()
    vulnerability = sync.seed(title="Reflected XSS in search")
    sync.publish(vulnerability)
    (card,) = wait_until(lambda: sync.work_items_of(vulnerability))
    page.goto(boards.board_page_url("Fabrikam", "Fabrikam Team", "Issues"))
    source = page.get_by_role("article", name=re.compile(rf"^Bug {card['id']}: .*Reflected XSS"))
    expect(page.get_by_role("region", name="Column New")).to_contain_text("Reflected XSS")
    source.drag_to(page.get_by_role("region", name="Column Active"))
    expect(page.get_by_role("status")).to_contain_text(f"Moved #{card['id']} to Active")
    expect(page.get_by_role("region", name="Column Active")).to_contain_text("Reflected XSS")
    screenshot(page, "14-emulator-board")
    wait_until(lambda: conviso.store.issues[vulnerability].status == "IN_PROGRESS")
    (change,) = [c for c in conviso.status_changes if c.issue_id == vulnerability]
    assert change.status == "IN_PROGRESS"
    assert boards.work_item(card["id"])["fields"]["System.ChangedBy"]["displayName"] == (
        "Jamal Hartnett"
    )


def test_more_options_offer_the_types_fields_and_the_severity_values(
    page: Any,
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    app_host: DevHost,
) -> None:
    """R20/R21 route keys from pickers: the Severity field chosen from the type's fields, its
    allowed values as the severity drop-downs; saved as the configuration spells them."""
    sync = Sync(api, boards, conviso, app_host)
    sync.configure(routes=sync_default_route())
    sign_in(page)
    open_integration(page, sync.id)
    tab(page, "3. Routes")
    page.locator("#route-0-more summary").click()
    names = page.locator("[id='route-0-field-names'] option")
    expect(names.filter(has_text="Microsoft.VSTS.Common.Severity")).to_have_count(1)
    page.get_by_role("combobox", name="Severity", exact=True).fill("Microsoft.VSTS.Common.Severity")
    critical = page.get_by_role("combobox", name="Value for CRITICAL")
    expect(critical.locator("option")).to_have_count(5)  # "not set" and the four values
    critical.select_option("1 - Critical")
    page.get_by_role("combobox", name="Value for HIGH").select_option("2 - High")
    page.get_by_label("Area path (optional)").fill("Fabrikam")
    page.get_by_role("button", name="Save configuration").click()
    # every priority needs a value: the refusal is shown on the route, in the API's words
    expect(page.locator("#route-0-error")).to_contain_text("needs a value for LOW, MEDIUM")
    page.get_by_role("combobox", name="Value for MEDIUM").select_option("3 - Medium")
    page.get_by_role("combobox", name="Value for LOW").select_option("4 - Low")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    route = api.get(f"/integrations/{sync.id}").json()["routes"][0]
    assert route["fields"] == {"severity": "Microsoft.VSTS.Common.Severity"}
    assert route["severity_values"] == {
        "CRITICAL": "1 - Critical",
        "HIGH": "2 - High",
        "MEDIUM": "3 - Medium",
        "LOW": "4 - Low",
    }
    assert route["area_path"] == "Fabrikam"
