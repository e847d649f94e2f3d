"""Authentication end to end: the function app in the dev host, Azurite, the Boards and
Conviso emulators, and the Entra ID emulator over HTTPS, with MSAL unpatched.

The fixtures are package-scoped, not session-scoped: this package's app host (with the
``ENTRA_*`` settings) stops before ``tests/e2e`` starts its own, because both set the
process environment and the process-wide bootstrap context.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from localdev.azurite import Azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost
from localdev.entra_emulator import EntraEmulator
from tests.harness import COMPANY, CONVISO_KEY, Sync, running_app


@pytest.fixture(scope="package")
def boards() -> Iterator[BoardsEmulator]:
    with BoardsEmulator(hook_retry_delays=(0.05, 0.1)) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def conviso() -> Iterator[ConvisoEmulator]:
    with ConvisoEmulator(api_key=CONVISO_KEY) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def entra(boards: BoardsEmulator) -> Iterator[EntraEmulator]:
    """Every access token it issues is one the Boards emulator accepts."""
    with EntraEmulator(on_access_token=lambda token: boards.accept_bearer_token(token)) as tenant:
        yield tenant


@pytest.fixture(scope="package")
def app_host(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator, entra: EntraEmulator
) -> Iterator[DevHost]:
    settings = {
        "ENTRA_CLIENT_ID": entra.client_id,
        "ENTRA_CLIENT_SECRET": entra.client_secret,
        "ENTRA_AUTHORITY": entra.authority,
        "ENTRA_CA_BUNDLE": str(entra.ca_file),
        # the host's port is known once it runs; set below, read per request
        "OAUTH_REDIRECT_URI": "http://127.0.0.1:1/api/oauth/callback",
    }
    with running_app(azurite, boards, conviso, **settings) as host:
        os.environ["OAUTH_REDIRECT_URI"] = f"{host.url}/api/oauth/callback"
        yield host


@pytest.fixture(scope="package")
def api_session(app_host: DevHost) -> Iterator[httpx.Client]:
    """The harness's client, for this package's host (the harness's ``api`` clears its
    cookies per test)."""
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=10) as client:
        yield client


@pytest.fixture
def sync(
    api: httpx.Client,
    boards: BoardsEmulator,
    conviso: ConvisoEmulator,
    entra: EntraEmulator,
    app_host: DevHost,
) -> Sync:
    boards.reset()
    conviso.reset()
    entra.reset()
    # The example configuration's company exists: check connection reads it (R16).
    conviso.add_company("Fabrikam", id=COMPANY)
    return Sync(api, boards, conviso, app_host)


class Browser:
    """What a person's browser does: follow /oauth/start to Entra ID, consent, come back."""

    def __init__(self, api: httpx.Client, entra: EntraEmulator) -> None:
        self.api = api
        self.entra = entra

    def authorize_url(self, integration_id: str) -> str:
        start = self.api.get("/oauth/start", params={"integration": integration_id})
        assert start.status_code == 302, start.text
        return start.headers["location"]

    def sign_in(self, integration_id: str) -> Callback:
        """Consent at Entra ID; returns the form it makes the browser post (not yet sent)."""
        authorize = self.authorize_url(integration_id)
        trust = ssl.create_default_context(cafile=str(self.entra.ca_file))
        with httpx.Client(verify=trust, timeout=10) as client:
            page = client.get(authorize)
        assert page.status_code == 200, page.text
        form = _FormReader()
        form.feed(page.text)
        return Callback(form.action, form.fields)

    def post(self, callback: Callback, **headers: str) -> httpx.Response:
        """What the form's auto-submit does: a POST to the redirect URI."""
        with httpx.Client(timeout=10) as client:
            return client.post(callback.action, data=callback.fields, headers=headers)

    def open(self, url: str, **headers: str) -> httpx.Response:
        with httpx.Client(timeout=10) as client:
            return client.get(url, headers=headers)

    def connect(self, integration_id: str) -> dict[str, Any]:
        answer = self.post(self.sign_in(integration_id))
        assert answer.status_code == 200, answer.text
        return answer.json()


@dataclass(frozen=True)
class Callback:
    action: str
    fields: dict[str, str]


class _FormReader(HTMLParser):
    """The action and hidden inputs of Entra's form_post page."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture
def browser(api: httpx.Client, entra: EntraEmulator) -> Browser:
    return Browser(api, entra)
