"""checkov passes on infra/: no failed check, and every suppression says why.

checkov lives in its own virtual environment (``.venv/checkov``, from
``infra/requirements-checks.txt``, made by ``make bootstrap``) because it pins
``packaging<24``, which the test tools refuse; so it runs as a subprocess. It runs offline:
``--skip-download`` stops it from fetching guidelines it cannot reach here anyway.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import BICEP_FILES, INFRA, ROOT

SUPPRESSION = re.compile(r"checkov:skip=(?P<check>CKV2?_AZURE_\d+)(?::(?P<reason>.*))?$", re.M)
MIN_REASON_WORDS = 6


def _checkov_binary() -> str | None:
    candidates = [
        os.environ.get("CHECKOV", ""),
        str(ROOT / ".venv" / "checkov" / "bin" / "checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("checkov")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    binary = _checkov_binary()
    if binary is None:
        pytest.skip(
            "checkov is not installed: run `make bootstrap` (it makes .venv/checkov from "
            "infra/requirements-checks.txt) or set CHECKOV to its path"
        )
    done = subprocess.run(
        [binary, "-d", str(INFRA), "--framework", "bicep", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    # exit code 1 means "a check failed"; the JSON says which, so read it either way
    assert done.returncode in (0, 1), done.stderr[-2000:]
    parsed = json.loads(done.stdout)
    return parsed[0] if isinstance(parsed, list) else parsed


def _suppressions() -> list[tuple[str, str, str]]:
    return [
        (path.name, m["check"], (m["reason"] or "").strip())
        for path in BICEP_FILES
        for m in SUPPRESSION.finditer(path.read_text("utf-8"))
    ]


def test_checkov_parses_every_file_and_no_check_fails(report) -> None:
    summary, results = report["summary"], report["results"]
    assert summary["parsing_errors"] == 0, results.get("parsing_errors")
    assert summary["resource_count"] >= 20  # it really read the resources
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in results.get("failed_checks", [])
    ]
    assert not failed, "fix these or suppress with a reason:\n" + "\n".join(failed)
    assert summary["passed"] >= 20


def test_every_suppression_gives_a_reason() -> None:
    suppressions = _suppressions()
    assert suppressions
    for file, check, reason in suppressions:
        assert len(reason.split()) >= MIN_REASON_WORDS, f"{file} {check} needs a reason"


def test_every_suppression_is_still_needed(report) -> None:
    """A suppression of a check that no longer applies would hide the next real finding."""
    skipped = {c["check_id"] for c in report["results"].get("skipped_checks", [])}
    assert report["summary"]["skipped"] == len(_suppressions())
    stale = {check for _, check, _ in _suppressions()} - skipped
    assert not stale, f"suppressed but not reported by checkov: {sorted(stale)}"
