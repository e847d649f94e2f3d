"""Browser tests of the admin page: Debian's chromium driven by Playwright, against the
function app in the development host with Azurite and the Boards and Conviso emulators.

The browser is the system package (``make test`` installs it with apt); Playwright's own
browser download is never used. Without chromium these tests skip, saying so.

The fixtures are package-scoped (as in ``tests/auth``): this package's host runs with
``ADMIN_KEY`` set and stops before ``tests/e2e`` starts its own, because both set the
process environment and the process-wide bootstrap context.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from localdev.azurite import Azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost
from tests.harness import CONVISO_KEY, running_app

ADMIN_KEY = "browser-admin-key"
#: ``UPDATE_SCREENSHOTS=1`` refreshes the documentation's pictures; otherwise a test run
#: leaves the tracked files alone and writes them under the system's temporary folder
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "admin-page"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "sync-admin-page-screenshots"
)
#: a laptop screen: everything must be readable at this size
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium, or ``CHROMIUM`` when set."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture(scope="package")
def boards() -> Iterator[BoardsEmulator]:
    with BoardsEmulator(hook_retry_delays=(0.05, 0.1)) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def conviso() -> Iterator[ConvisoEmulator]:
    with ConvisoEmulator(api_key=CONVISO_KEY) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def app_host(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator
) -> Iterator[DevHost]:
    with running_app(azurite, boards, conviso, ADMIN_KEY=ADMIN_KEY) as host:
        yield host


@pytest.fixture
def api(app_host: DevHost) -> Iterator[httpx.Client]:
    """The admin API as a script calls it, with the admin key."""
    with httpx.Client(
        base_url=f"{app_host.url}/api", timeout=10, headers={"x-functions-key": ADMIN_KEY}
    ) as client:
        yield client


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "chromium not found (looked for $CHROMIUM, `chromium` on PATH, /usr/bin/chromium): "
            "install it with `make test` or `apt-get install chromium`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, app_host: DevHost, boards: BoardsEmulator, conviso: ConvisoEmulator) -> Any:
    boards.reset()
    conviso.reset()
    # The company an operator types exists in Conviso: check connection reads it (R16).
    conviso.add_company("Fabrikam", id="77")
    context = browser.new_context(viewport=VIEWPORT, base_url=app_host.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save what the person sees (the viewport, as on a laptop) as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
