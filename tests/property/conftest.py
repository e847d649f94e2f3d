"""The real stack for the property tests: the deployed ``function_app`` in the development
host, its own Azurite, the Boards, Conviso and Entra ID emulators, over HTTP on 127.0.0.1.

Package-scoped with its own Azurite, so nothing generated here (integrations, queue
messages, deliveries) reaches another package's tests. The queue pumps are off: the
property is about the HTTP answers, and what was accepted just waits in the queue.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from cryptography.fernet import Fernet

from localdev.azurite import Azurite, start_azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost, load_app
from localdev.entra_emulator import EntraEmulator
from sync_core import bootstrap
from tests.e2e.conftest import COMPANY, CONVISO_KEY, example_config

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
    with ConvisoEmulator(api_key=CONVISO_KEY) as emulator:
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
        "SYNC_STORAGE": own_azurite.connection_string,
        "AzureWebJobsStorage": own_azurite.connection_string,
        "SECRETS_KEY": Fernet.generate_key().decode(),
        "AZURE_DEVOPS_BASE_URL": boards.url,
        "CONVISO_API_URL": conviso.url,
        "SYNC_HTTP_ATTEMPTS": "1",
        "ADMIN_KEY": ADMIN_KEY,
        "ENTRA_CLIENT_ID": entra.client_id,
        "ENTRA_CLIENT_SECRET": entra.client_secret,
        "ENTRA_AUTHORITY": entra.authority,
        "ENTRA_CA_BUNDLE": str(entra.ca_file),
        "OAUTH_REDIRECT_URI": "http://127.0.0.1:1/api/oauth/callback",
    }
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    bootstrap.reset()
    with ExitStack() as stack:
        host = DevHost(load_app(), port=0, queues=False, timers=False)
        host.start()
        stack.callback(host.stop)
        os.environ["OAUTH_REDIRECT_URI"] = f"{host.url}/api/oauth/callback"
        with httpx.Client(base_url=f"{host.url}/api", timeout=30) as client:
            answer = client.put(f"/integrations/{INTEGRATION}", json=example_config(boards))
            assert answer.status_code in (200, 201), answer.text
        try:
            yield host
        finally:
            stack.close()
            bootstrap.reset()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="package")
def client(app_host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=60) as http:
        yield http
