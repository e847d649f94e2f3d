"""Issue 21: webhook calls refused as unauthenticated are counted per integration and
reason, and shown as one delivery per reason per hour, never with a secret."""

from __future__ import annotations

import json
import time

from sync_core.edge import sign_conviso
from tests.harness import EVENT_SECRET, HOOK_TOKEN, Sync


def _event() -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": "e-refused",
            "source": "conviso",
            "type": "com.convisoappsec.vulnerability.updated",
            "data": {"issue": {"id": "1"}},
        }
    ).encode()


def test_refused_calls_are_counted_and_reported_once_per_reason(sync: Sync) -> None:
    sync.configure()
    base = f"/integrations/{sync.id}"
    json_type = {"Content-Type": "application/json"}
    wrong_token = "guessed-token-123"
    for _ in range(3):
        answer = sync.api.post(
            f"{base}/boards-webhook",
            params={"token": wrong_token},
            content=b"{}",
            headers=json_type,
        )
        assert answer.status_code == 401
    body = _event()
    for _ in range(2):
        signature = sign_conviso("someone-elses-secret", body, int(time.time()))
        answer = sync.api.post(
            f"{base}/conviso-events",
            content=body,
            headers={**json_type, "X-Conviso-Signature": signature},
        )
        assert answer.status_code == 401
    stale = sign_conviso(EVENT_SECRET, body, int(time.time()) - 3600)
    answer = sync.api.post(
        f"{base}/conviso-events", content=body, headers={**json_type, "X-Conviso-Signature": stale}
    )
    assert answer.status_code == 401

    counts = {
        (c["source"], c["reason"]): c["count"]
        for c in sync.api.get(base).json()["refused_calls"]["counts"]
    }
    assert counts == {
        ("boards-webhook", "wrong_token"): 3,
        ("conviso-events", "bad_signature"): 2,
        ("conviso-events", "stale_timestamp"): 1,
    }
    refused = [d for d in sync.deliveries() if (d.get("reason") or "").startswith("refused_")]
    assert sorted(d["reason"] for d in refused) == [
        "refused_bad_signature",
        "refused_stale_timestamp",
        "refused_wrong_token",
    ]
    assert all(d["level"] == "warn" for d in refused)
    text = json.dumps(refused)
    for secret in (wrong_token, HOOK_TOKEN, EVENT_SECRET, "someone-elses-secret"):
        assert secret not in text


def test_an_unknown_integration_is_not_counted(sync: Sync) -> None:
    answer = sync.api.post(
        f"/integrations/{sync.id}/boards-webhook",
        params={"token": "x"},
        content=b"{}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 404
