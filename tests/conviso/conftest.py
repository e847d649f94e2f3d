"""A fresh Conviso emulator per test, and a client pointed at it that never really sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator
from sync_core.adapters.conviso import Backoff, ConvisoClient

API_KEY = "test-key-7f3c9d0e-never-log-me"
COMPANY_ID = "77"


class Sleeps(list[float]):
    """Records each wait instead of waiting, so retry tests run in milliseconds."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="session")
def conviso_server() -> Iterator[ConvisoEmulator]:
    """One emulator for the session: stopping a server waits ~0.5 s, resetting one does not."""
    with ConvisoEmulator(api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture
def conviso(conviso_server: ConvisoEmulator) -> ConvisoEmulator:
    """A fresh emulator state with company 77 and its asset 45 ("payments-api")."""
    conviso_server.reset()
    conviso_server.add_company("Fabrikam", id=COMPANY_ID)
    conviso_server.add_asset(COMPANY_ID, "payments-api", id="45")
    return conviso_server


@pytest.fixture
def asset(conviso: ConvisoEmulator) -> AssetRecord:
    return conviso.store.assets["45"]


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(conviso: ConvisoEmulator, sleeps: Sleeps) -> Iterator[ConvisoClient]:
    """The real client over real HTTP; jitter fixed at its midpoint so delays are exact."""
    with ConvisoClient(
        api_url=conviso.url,
        api_key=API_KEY,
        sleep=sleeps,
        max_retries=3,
        backoff=Backoff(base=0.5, cap=4.0, jitter=lambda: 0.5),
    ) as made:
        yield made
