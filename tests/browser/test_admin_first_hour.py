"""Issue 21, the operator's first hour on the admin page: no dead ends.

The Routes tab fills again once wrong credentials are fixed; the event signing secret can be
shown and copied; a refused save says what is wrong, next to the field, in the
configuration's own terms (never "the request could not be processed").
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from localdev.boards_emulator import BoardsEmulator
from tests.browser.conftest import screenshot
from tests.browser.test_admin_page import choose_route, open_integration, sign_in, status, tab


def _new(page: Any) -> str:
    integration = "it-" + uuid.uuid4().hex[:10]
    sign_in(page)
    open_integration(page, integration)
    return integration


def test_routes_fill_again_after_wrong_credentials_are_fixed(
    page: Any, boards: BoardsEmulator
) -> None:
    _new(page)
    page.get_by_label("Organization name").fill(boards.organization)
    page.get_by_role("textbox", name="Personal access token").fill("not-the-pat")
    tab(page, "3. Routes")
    project = page.get_by_label("Project")
    expect(page.locator("[id='route-0-project-error']")).not_to_be_empty()
    expect(project.locator("option", has_text="Fabrikam")).to_have_count(0)

    tab(page, "1. Connect")
    page.get_by_role("textbox", name="Personal access token").fill(boards.pat)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status").first).to_contain_text("Connected to")
    tab(page, "3. Routes")
    expect(project.locator("option", has_text="Fabrikam").first).to_be_attached()
    expect(page.locator("[id='route-0-project-error']")).to_be_empty()
    choose_route(page)  # and the rest of the drop-downs follow


def test_the_event_secret_can_be_shown_and_copied(page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _new(page)
    tab(page, "4. Webhooks")
    secret = page.get_by_role("textbox", name="Event signing secret")
    expect(secret).to_have_attribute("type", "password")

    # a stored secret is never sent back: there is nothing to copy, and the page says why
    page.get_by_role("button", name="Copy the event signing secret").click()
    expect(page.locator("#event-secret-help")).to_contain_text("never shown again")

    page.locator("#new-event-secret").click()
    value = secret.input_value()
    assert re.fullmatch(r"[0-9a-f]{48}", value)
    page.get_by_role("button", name="Show the event signing secret").click()
    expect(secret).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide the event signing secret")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Copy the event signing secret").click()
    expect(page.get_by_role("button", name="Copy the event signing secret")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == value
    screenshot(page, "09-event-secret")
    page.get_by_role("button", name="Hide the event signing secret").click()
    expect(secret).to_have_attribute("type", "password")


def test_a_pat_integration_saved_without_a_pat_is_told_so_at_the_field(
    page: Any, boards: BoardsEmulator
) -> None:
    _new(page)
    page.get_by_label("Organization name").fill(boards.organization)
    pat = page.get_by_role("textbox", name="Personal access token")
    pat.fill(boards.pat)  # discovery needs it to fill the drop-downs
    tab(page, "3. Routes")
    choose_route(page)
    status(page, "Identified (required)", "state").select_option("New")
    tab(page, "1. Connect")
    page.get_by_label("Company ID").fill("77")
    pat.fill("")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.locator("[id='auth.pat-error']")).to_contain_text(
        "a personal access token is required"
    )
    expect(pat).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#save-result")).to_contain_text("see the fields marked in red")
    expect(page.locator("#save-result")).not_to_contain_text("could not be processed")


def test_sign_in_with_microsoft_without_entra_settings_names_them(
    page: Any, boards: BoardsEmulator
) -> None:
    _new(page)
    page.get_by_label("Organization name").fill(boards.organization)
    page.get_by_role("textbox", name="Personal access token").fill(boards.pat)
    tab(page, "3. Routes")
    choose_route(page)
    status(page, "Identified (required)", "state").select_option("New")
    tab(page, "1. Connect")
    page.get_by_label("Company ID").fill("77")
    page.get_by_role("radio", name="Sign in with Microsoft").check()
    page.get_by_role("button", name="Save configuration").click()
    error = page.locator("[id='auth.mode-error']")
    expect(error).to_contain_text("ENTRA_CLIENT_ID")
    expect(page.locator("#save-result")).not_to_contain_text("could not be processed")
    screenshot(page, "10-save-refused")


def test_the_integration_id_pattern_is_checked_by_the_browser(page: Any) -> None:
    sign_in(page)
    field = page.get_by_label("Integration ID")
    field.fill("has space")
    assert page.evaluate("document.getElementById('integration-id').validity.patternMismatch")
    field.fill("-starts-with-hyphen")
    assert page.evaluate("document.getElementById('integration-id').validity.patternMismatch")
    field.fill("fabrikam_1-a")
    assert page.evaluate("document.getElementById('integration-id').validity.valid")
