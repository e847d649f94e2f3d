"""`make demo` works: it runs the real stack and prints the table the README promises.

Run as a subprocess: the demo starts its own Azurite, emulators and development host and
sets the app's settings in its environment, which must not leak into the session's host.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds; the demo itself takes about five


def _row(output: str, vulnerability: str) -> list[str]:
    line = next((x for x in output.splitlines() if x.startswith(vulnerability + " ")), None)
    assert line is not None, f"no row for {vulnerability} in:\n{output}"
    return re.split(r"\s{2,}", line.strip())


def test_make_demo_prints_cards_skips_and_the_status_a_move_caused() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "localdev.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout
    # vulnerability, severity, title, work item, project, column (/ lane), state, priority
    sast = _row(output, "#1001 SAST")
    assert sast[1:3] == ["HIGH", "SQL injection in /login"]
    assert re.fullmatch(r"#\d+", sast[3]) and sast[4:] == ["Fabrikam", "New", "New", "2"]
    sca = _row(output, "#1002 SCA")  # the custom route of asset 45: its board, column, lane
    assert sca[1] == "CRITICAL" and "CVE-2020-8203" in sca[2]
    assert sca[4:] == ["Payments", "Triage / Security", "New", "1"]
    dast = _row(output, "#1003 DAST")
    assert dast[1] == "MEDIUM" and dast[4:] == ["Fabrikam", "New", "New", "3"]
    low = _row(output, "#1004 DAST")
    assert low[1] == "LOW" and low[3] == "skipped: severity_policy" and len(low) == 4
    assert "#1004: severity LOW is outside the integration's severity policy" in output
    moved = re.search(r"drags work item (#\d+) to the Testing column", output)
    assert moved and moved.group(1) == sast[3]
    assert re.search(
        rf"Conviso #1001 is now AWAITING_VALIDATION: .*work item {sast[3]} moved to column "
        r"'Testing'.* by Jamal Hartnett",
        output,
    )
    assert "FIX_ACCEPTED" not in output.split("is now")[1].split("\n")[0]
    assert elapsed < TIMEOUT
