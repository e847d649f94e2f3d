"""``python -m localdev.post_event``: send one signed Conviso event to the local app.

For ``make run``: the sample integration ``demo`` accepts events signed with the demo's
event secret. The event carries a whole snapshot, so the worker needs no Conviso call.
Run it again with ``--status IN_PROGRESS`` (same ``--id``) and watch the card move.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime

import httpx

from localdev.demo import EVENT_SECRET, INTEGRATION
from sync_core.edge import sign_conviso


def snapshot(args: argparse.Namespace) -> dict[str, object]:
    return {
        "id": args.id,
        "title": args.title,
        "status": args.status,
        "severity": args.severity,
        "type": "SAST_FINDING",
        "asset": {"id": args.asset, "name": "webshop" if args.asset == "9" else "payments-api"},
        "description": "User input reaches a SQL query without bound parameters.",
        "solution": "Use parameterised queries.",
        "category": "CWE-89",
        "detail": {"fileName": "app/login.py", "vulnerableLine": 42},
        "updatedAt": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="http://127.0.0.1:7071")
    parser.add_argument("--id", default="5001")
    parser.add_argument("--title", default="SQL injection in /login")
    parser.add_argument("--status", default="IDENTIFIED")
    parser.add_argument("--severity", default="HIGH")
    parser.add_argument("--asset", default="9", help="9 takes the default route, 45 the custom one")
    args = parser.parse_args()
    body = json.dumps({
        "specversion": "1.0", "id": uuid.uuid4().hex, "source": "conviso-platform",
        "type": "com.convisoappsec.vulnerability.status_changed", "data": {"issue": snapshot(args)},
    }).encode()  # fmt: skip
    answer = httpx.post(
        f"{args.app}/api/integrations/{INTEGRATION}/conviso-events",
        content=body,
        headers={
            "Content-Type": "application/cloudevents+json",
            "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
        },
    )
    print(answer.status_code, answer.text)
    print(f"deliveries: {args.app}/api/integrations/{INTEGRATION}/deliveries")


if __name__ == "__main__":
    main()
