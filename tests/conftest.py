"""Session-wide fixtures: Azurite (real Table and Queue storage) and the specs folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from localdev.azurite import Azurite, start_azurite
from tests.harness import api, api_session, app_host, boards, conviso, sync

# the end-to-end harness, registered once
__all__ = ["api", "api_session", "app_host", "boards", "conviso", "sync"]

ROOT = Path(__file__).resolve().parent.parent
SPECS = Path(os.environ.get("SHARED_SPECS_DIR", ROOT.parent / "shared" / "specs"))


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """One in-memory Azurite for the whole session, on free 127.0.0.1 ports."""
    with start_azurite() as running:
        yield running


@pytest.fixture(scope="session")
def storage_connection_string(azurite: Azurite) -> str:
    return azurite.connection_string


@pytest.fixture
def unique_name() -> str:
    """A table/queue-safe name no other test uses (letters and digits, starts with a letter)."""
    return "t" + uuid.uuid4().hex[:20]


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    """The official specs; tests that need them skip with a clear message when absent."""
    if not SPECS.is_dir():
        pytest.skip(f"official specs folder not found at {SPECS} (set SHARED_SPECS_DIR)")
    return SPECS
