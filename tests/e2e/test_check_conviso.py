"""R16 through the real stack: check connection covers Conviso item by item (the API key,
the company, an issues page), and a check that passes releases the refused work of its
routes (R14)."""

from __future__ import annotations

from typing import Any

from tests.harness import Sync, wait_until


def _check(sync: Sync) -> dict[str, Any]:
    answer = sync.api.post(f"/integrations/{sync.id}/check", timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _conviso(report: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {
        i["item"]: (i["ok"], i["reason"])
        for i in report["items"]
        if str(i["item"]).startswith("conviso:")
    }


def test_a_working_conviso_passes_three_items(sync: Sync) -> None:
    sync.configure()
    sync.seed()
    items = _conviso(_check(sync))
    assert [k for k, (ok, _) in items.items() if ok] == [
        "conviso:api_key",
        "conviso:company",
        "conviso:issues",
    ]


def test_a_refused_conviso_key_fails_the_check(sync: Sync) -> None:
    sync.configure()
    sync.seed()
    right = sync.conviso.api_key
    sync.conviso.api_key = "another-key"  # the configured key is no longer accepted
    try:
        report = _check(sync)
    finally:
        sync.conviso.api_key = right
    items = _conviso(report)
    assert items["conviso:api_key"][0] is False
    assert "conviso:issues" not in items  # not asked: it could only fail the same way
    assert report["ok"] is False


def test_a_company_the_key_cannot_read_fails_its_item(sync: Sync) -> None:
    sync.configure(conviso={"company_id": "999", "api_key": sync.conviso.api_key})
    sync.seed()
    items = _conviso(_check(sync))
    assert items["conviso:api_key"][0] is True
    assert items["conviso:company"][0] is False and "999" in items["conviso:company"][1]


def test_a_check_that_passes_releases_the_refused_work_of_its_routes(sync: Sync) -> None:
    from sync_core import bootstrap
    from sync_core.service.messages import OutboundMessage

    sync.configure()
    sync.subscribe_hooks()
    issue = sync.seed()
    state = bootstrap.context().state
    # As a 403 leaves it: the route paused, the vulnerability in the ledger.
    state.integrations.update_status(sync.id, lambda s: s.pause("default", "TF237111"))
    message = OutboundMessage(integration_id=sync.id, event_id="refused-1", issue_id=issue)
    state.refused.remember(
        sync.id, route_key="default", direction="outbound", subject=issue,
        message=message.model_dump(mode="json"), reason="TF237111",
    )  # fmt: skip
    report = _check(sync)
    assert report["ok"], report
    wait_until(lambda: len(sync.work_items_of(issue)) == 1, timeout=30)
    assert state.refused.counts(sync.id) == {}
    assert state.integrations.get_status(sync.id).paused_routes == {}
