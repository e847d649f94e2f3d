"""The real stack for the property tests: the deployed ``function_app`` in the development
host, its own Azurite, the Boards, Conviso and Entra ID emulators, over HTTP on 127.0.0.1.

Package-scoped with its own Azurite, so nothing generated here (integrations, queue
messages, deliveries) reaches another package's tests. The queue pumps are off: the
property is about the HTTP answers, and what was accepted just waits in the queue.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from localdev.azurite import Azurite, start_azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost
from localdev.entra_emulator import EntraEmulator
from tests.harness import COMPANY, CONVISO_KEY, example_config, running_app

ADMIN_KEY = "property-admin-key"
#: the integration every generated request may address; configured and working
INTEGRATION = "prop"


@pytest.fixture(scope="package")
def own_azurite() -> Iterator[Azurite]:
    with start_azurite() as running:
        yield running


@pytest.fixture(scope="package")
def boards() -> Iterator[BoardsEmulator]:
    with BoardsEmulator(hook_retry_delays=(0.05,)) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def conviso() -> Iterator[ConvisoEmulator]:
    # Conviso's rate limit (1,200 a minute) is not the subject here: make reliability's 2,000
    # reconciles a route reach it, and the app's answer to it, a 503 "try again", is tested
    # in tests/conviso/test_client_faults.py. Here every request must get an answer on input.
    with ConvisoEmulator(api_key=CONVISO_KEY, rate_limit=1_000_000) as emulator:
        emulator.add_company("Fabrikam", id=COMPANY)
        yield emulator


@pytest.fixture(scope="package")
def entra(boards: BoardsEmulator) -> Iterator[EntraEmulator]:
    with EntraEmulator(on_access_token=lambda token: boards.accept_bearer_token(token)) as tenant:
        yield tenant


@pytest.fixture(scope="package")
def app_host(
    own_azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator, entra: EntraEmulator
) -> Iterator[DevHost]:
    settings = {
        "ADMIN_KEY": ADMIN_KEY,
        "ENTRA_CLIENT_ID": entra.client_id,
        "ENTRA_CLIENT_SECRET": entra.client_secret,
        "ENTRA_AUTHORITY": entra.authority,
        "ENTRA_CA_BUNDLE": str(entra.ca_file),
        "OAUTH_REDIRECT_URI": "http://127.0.0.1:1/api/oauth/callback",
    }
    # No queue workers: the property is about the answers, and nothing queued may act.
    with running_app(own_azurite, boards, conviso, queues=False, **settings) as host:
        os.environ["OAUTH_REDIRECT_URI"] = f"{host.url}/api/oauth/callback"
        with httpx.Client(base_url=f"{host.url}/api", timeout=30) as client:
            answer = client.put(f"/integrations/{INTEGRATION}", json=example_config(boards))
            assert answer.status_code in (200, 201), answer.text
        yield host


@pytest.fixture(scope="package")
def client(app_host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=60) as http:
        yield http
