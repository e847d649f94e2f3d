"""A person sets an integration up through the admin page alone, in a real browser.

One scenario walks the whole set-up (connect, severity, routes, webhooks, check) and then
watches it work (an event becomes a card; a card move becomes a status change), saving a
screenshot of each screen for docs/admin-page.md. Shorter tests cover refusals.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost
from tests.browser.conftest import ADMIN_KEY, screenshot
from tests.harness import CONVISO_KEY, EVENT_SECRET, HOOK_TOKEN, Sync, wait_until

COMPANY = "77"


def sign_in(page: Any, key: str = ADMIN_KEY) -> None:
    page.goto("/api/console")
    page.get_by_role("textbox", name="Admin key").fill(key)
    page.get_by_role("button", name="Continue").click()


def open_integration(page: Any, integration_id: str) -> None:
    page.get_by_label("Integration ID").fill(integration_id)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name="Connect")).to_be_visible()


def tab(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Set-up steps").get_by_role("button", name=name).click()


def status(page: Any, text: str, kind: str) -> Any:
    return page.get_by_label(f"{text}: {kind}")


def choose_route(page: Any) -> None:
    """The default route of PRODUCT.md §4, chosen from drop-downs filled by discovery."""
    page.get_by_label("Project").select_option("Fabrikam")
    page.get_by_label("Team").select_option("Fabrikam Team")
    page.get_by_label("Board", exact=True).select_option("Issues")
    page.get_by_label("Work item type").select_option("Bug")
    # the state drop-downs hold the type's real states, with their categories
    expect(status(page, "In progress", "state")).to_contain_text("Active (InProgress)")
    status(page, "In progress", "state").select_option("Active")
    status(page, "Awaiting validation (fix claimed)", "column").select_option("Testing")
    status(page, "Risk accepted", "state").select_option("Risk Accepted")
    status(page, "False positive", "state").select_option("Closed")


def test_an_operator_sets_up_a_working_integration_from_the_page_alone(
    page: Any,
    app_host: DevHost,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    api: httpx.Client,
) -> None:
    integration = "it-" + uuid.uuid4().hex[:10]
    page.goto("/api/console")
    screenshot(page, "01-admin-key")
    sign_in(page)
    open_integration(page, integration)

    # 1. Connect: organization and PAT; the Microsoft sign-in is offered too
    expect(page.get_by_role("radio", name="Sign in with Microsoft")).to_be_visible()
    page.get_by_label("Organization name").fill(boards.organization)
    page.get_by_role("textbox", name="Personal access token").fill(boards.pat)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status").first).to_contain_text(
        re.compile(rf"Connected to {boards.organization} as .+ project\(s\) visible")
    )
    page.get_by_label("Company ID").fill(COMPANY)
    page.get_by_role("textbox", name="API key").fill(CONVISO_KEY)
    screenshot(page, "02-connect")

    # 2. Severity: LOW becomes priority 4 and is synchronised too
    tab(page, "2. Severity")
    expect(page.get_by_role("combobox", name="CRITICAL")).to_have_value("1")
    page.get_by_role("checkbox", name="LOW").check()
    screenshot(page, "03-severity")

    # 3. Routes: IDENTIFIED is required, and a map the board contradicts is refused
    tab(page, "3. Routes")
    choose_route(page)
    page.get_by_role("button", name="Save configuration").click()
    identified_error = page.locator("[id='route-0-status-IDENTIFIED-error']")
    expect(identified_error).to_contain_text("required")
    expect(status(page, "Identified (required)", "state")).to_have_attribute("aria-invalid", "true")
    status(page, "Identified (required)", "state").select_option("New")
    status(page, "Identified (required)", "column").select_option("Testing")
    page.get_by_role("button", name="Save configuration").click()
    expect(identified_error).to_contain_text("column 'Testing' stands for state 'Resolved'")
    expect(page.get_by_text("Not saved")).to_be_visible()
    assert api.get(f"/integrations/{integration}").status_code == 404
    status(page, "Identified (required)", "column").select_option("")

    # 4. Webhooks: the operator's own secrets, typed once, then saved with everything
    tab(page, "4. Webhooks")
    page.get_by_role("textbox", name="Webhook token").fill(HOOK_TOKEN)
    page.get_by_role("textbox", name="Event signing secret").fill(EVENT_SECRET)
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    hook_url = page.get_by_label("Service hook URL").input_value()
    assert hook_url == (
        f"{app_host.url}/api/integrations/{integration}/boards-webhook?token={HOOK_TOKEN}"
    )
    stored = api.get(f"/integrations/{integration}").json()
    assert stored["routes"][0]["status_map"]["IDENTIFIED"] == {"state": "New", "column": None}
    assert stored["severity_policy"] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    secrets = stored["secrets"]
    assert all(secrets[p] for p in ("auth.pat", "conviso.api_key", "event_secret", "webhook.token"))
    assert HOOK_TOKEN not in page.content().replace(hook_url, "")  # only in its own field
    _create_hooks(page, app_host, boards, hook_url)
    screenshot(page, "05-webhooks")

    # the saved configuration reads back into the form, secrets as "set"
    page.reload()
    open_integration(page, integration)
    expect(page.get_by_label("Organization name")).to_have_value(boards.organization)
    expect(page.locator("#pat-state")).to_have_text("set")
    expect(page.get_by_role("textbox", name="Personal access token")).to_have_value("")
    expect(page.get_by_text(re.compile(r"Connected to .+ \(pat\)"))).to_be_visible()
    tab(page, "3. Routes")
    expect(status(page, "Identified (required)", "state")).to_have_value("New")
    screenshot(page, "04-routes")

    # 5. Check connection: item by item
    tab(page, "5. Check connection")
    page.get_by_role("button", name="Check connection", exact=True).click()
    report = page.get_by_role("table", name="Check connection report")
    expect(report).to_contain_text("authentication")
    expect(report.get_by_role("row").filter(has_text="board:Fabrikam")).to_contain_text("✓ passed")
    expect(report.get_by_role("row").filter(has_text="service_hooks:Fabrikam")).to_have_count(2)
    expect(page.get_by_text(re.compile(r"Everything works \(\d+ items\)"))).to_be_visible()
    screenshot(page, "06-check-connection")

    # 6. An event from Conviso becomes a card, and the page shows the delivery
    sync = Sync(api, boards, conviso, app_host)
    sync.id = integration
    vulnerability = sync.seed(title="SQL injection in /login")
    sync.publish(vulnerability)
    tab(page, "6. Recent deliveries")
    table = page.get_by_role("table", name="Newest first")
    _refresh_until(page, table, f"created work item #\\d+ for vulnerability {vulnerability}")
    (card,) = sync.work_items_of(vulnerability)

    # 7. A person moves the card; the inbound delivery appears
    boards.move_card(card["id"], state="Active")
    _refresh_until(page, table, "Conviso status IDENTIFIED → IN_PROGRESS")
    assert conviso.store.issues[vulnerability].status == "IN_PROGRESS"
    screenshot(page, "07-deliveries")

    # filters: level and text narrow the table
    page.get_by_label("Level").select_option("warn")
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_text("Nothing recorded yet.")).to_be_visible()
    page.get_by_label("Level").select_option("")
    page.get_by_label("Text").fill("created work item")
    page.get_by_role("button", name="Apply").click()
    expect(table.locator("tbody tr")).to_have_count(1)


def _create_hooks(page: Any, app_host: DevHost, boards: BoardsEmulator, hook_url: str) -> None:
    """The page's button creates both hooks, pointed at the address the page came from."""
    page.get_by_role("button", name="Create the two service hooks").click()
    hooks = page.get_by_role("table", name="Service hooks")
    expect(hooks).to_contain_text("enabled")
    expect(hooks.locator("tbody tr")).to_have_count(2)
    urls = [s["consumerInputs"]["url"] for s in boards.subscriptions.items.values()]
    assert urls.count(hook_url) == 2  # one per changed field, both to this integration


def _refresh_until(page: Any, table: Any, pattern: str) -> None:
    """The page refreshes itself every 5 s; clicking Apply is what an impatient person does."""

    def shown() -> bool:
        page.get_by_role("button", name="Apply").click()
        page.wait_for_timeout(200)
        return table.get_by_text(re.compile(pattern)).count() > 0

    wait_until(shown, timeout=15, interval=0.1)


def test_a_wrong_admin_key_is_refused(page: Any, api: httpx.Client) -> None:
    sign_in(page, "not-the-key")
    expect(page.get_by_role("alert").filter(has_text="refused")).to_be_visible()
    expect(page.get_by_label("Integration ID")).to_be_hidden()
    screenshot(page, "08-wrong-key")
    # the key was not kept: a reload asks again
    page.reload()
    expect(page.get_by_role("textbox", name="Admin key")).to_be_visible()


def test_the_page_sends_the_key_on_every_call_and_a_later_refusal_asks_again(
    page: Any,
) -> None:
    sent: list[str | None] = []
    api_call = re.compile(r"/api/(?!console$|console/static/)")
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("x-functions-key")) if api_call.search(r.url) else None,
    )
    sign_in(page)
    open_integration(page, "it-" + uuid.uuid4().hex[:10])
    assert sent and all(key == ADMIN_KEY for key in sent)
    page.evaluate("sessionStorage.setItem('conviso-boards-admin-key', 'stale')")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("The admin key was refused")).to_be_visible()
