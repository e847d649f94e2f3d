"""The infrastructure as parsed Bicep, for tests that read it like the deployment would."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"
RESOURCES = INFRA / "app" / "resources.bicep"
BICEP_FILES = (MAIN, RESOURCES)


def parse_bicep(path: Path) -> dict[str, Any]:
    """pycep's JSON view of one file; a syntax error raises with its line and column."""
    pycep = pytest.importorskip(
        "pycep", reason="pycep-parser is not installed: run `make bootstrap` (requirements-dev.txt)"
    )
    return _parser(pycep).parse(file_path=path)


@functools.cache
def _parser(pycep: Any) -> Any:
    """One parser: building one compiles the Bicep grammar (~0.2 s); parsing keeps no state."""
    return pycep.BicepParser()


@pytest.fixture(scope="session")
def resources_bicep() -> dict[str, Any]:
    return parse_bicep(RESOURCES)


@pytest.fixture(scope="session")
def main_bicep() -> dict[str, Any]:
    return parse_bicep(MAIN)
