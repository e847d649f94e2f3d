"""Reconcile, backfill, discovery and service hooks through the real stack: the e2e
harness (tests/harness.py) imported, not copied, plus what these tests share."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import Sync, wait_until  # noqa: F401  (re-exported to the tests here)


def reconcile(it: Sync, **params: str) -> httpx.Response:
    """``POST /api/integrations/{id}/reconcile`` with query parameters."""
    return it.api.post(f"/integrations/{it.id}/reconcile", params=params, timeout=60)


def ran(it: Sync, **params: str) -> dict[str, Any]:
    answer = reconcile(it, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def azure_devops_writes(it: Sync) -> list[Any]:
    """Creates and updates of work items (WIQL and batch reads are POSTs too, not writes)."""
    return [
        r
        for r in it.boards.requests
        if r.method == "PATCH" or (r.method == "POST" and "/_apis/wit/workitems/$" in r.path)
    ]
