"""Session-wide fixtures: Azurite (real Table and Queue storage) and the specs folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from localdev.azurite import Azurite, start_azurite
from tests import tracing
from tests.harness import api, api_session, app_host, boards, conviso, sync

# the end-to-end harness, registered once
__all__ = ["api", "api_session", "app_host", "boards", "conviso", "sync"]

ROOT = Path(__file__).resolve().parent.parent
SPECS = Path(os.environ.get("SHARED_SPECS_DIR", ROOT.parent / "shared" / "specs"))

#: The modules with a test of 5 s or more (a fault scenario, ``make run`` restarted, a
#: backfill), longest first. Scheduling only: xdist hands each worker half of the list, in
#: order, and a worker that runs out takes the other's last tests; so these run first, beside
#: the other worker's short tests, and neither worker ends on one while the other idles.
LONG_FIRST = (
    "reliability/test_faults.py",
    "integration/test_devhost.py",
    "reconcile/test_killed_run.py",
    "reliability/test_duplicate_storm.py",
    "reconcile/test_backfill_smoke.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """Coverage's tracer off below the HTTP stacks and in the emulators (tests/tracing.py)."""
    tracing.install()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long modules first, each in its own order; the rest as collected."""

    tests = ROOT / "tests"

    def rank(item: pytest.Item) -> int:
        inside = item.path.is_relative_to(tests)  # a test file named from elsewhere: as is
        module = item.path.relative_to(tests).as_posix() if inside else ""
        return LONG_FIRST.index(module) if module in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)


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
