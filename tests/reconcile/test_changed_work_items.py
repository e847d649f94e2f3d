"""The Boards side of reconcile asks WIQL for tagged items changed since a moment: the
client's query, and the emulator answering it as Azure DevOps does (time precision)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator
from sync_core.adapters.azure_devops import AzureDevOpsClient, PatAuth


@pytest.fixture
def client(boards: BoardsEmulator) -> AzureDevOpsClient:
    boards.reset()
    return AzureDevOpsClient(
        organization=boards.organization, auth=PatAuth(boards.pat), base_url=boards.url
    )


def _item(boards: BoardsEmulator, tags: str) -> int:
    made = boards.create_work_item("Fabrikam", "Bug", {"System.Title": "t", "System.Tags": tags})
    return int(made["id"])


def test_only_tagged_items_changed_at_or_after_the_moment_oldest_change_first(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    old = _item(boards, "conviso; conviso-vuln-1")
    _item(boards, "unrelated")
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(0.01)
    newer = _item(boards, "conviso; conviso-vuln-2")
    time.sleep(0.01)  # ChangedDate has millisecond precision
    boards.edit_work_item(old, {"System.Title": "moved later"})
    assert client.find_changed_work_items("Fabrikam", since, "conviso") == [newer, old]
    assert client.find_changed_work_items("Fabrikam", None, "conviso") == [newer, old]
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert client.find_changed_work_items("Fabrikam", later, "conviso") == []
    wiql = [r for r in boards.requests if r.path.endswith("/wiql")][-1]
    assert wiql.query["timePrecision"] == "true"
    with pytest.raises(ValueError, match="timezone-aware"):
        client.find_changed_work_items("Fabrikam", datetime(2026, 1, 1), "conviso")


def test_a_time_of_day_without_time_precision_is_refused_as_on_the_service(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    query = "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] >= '2026-01-01T10:00:00Z'"
    url = f"{boards.organization_url}/Fabrikam/_apis/wit/wiql?api-version=7.1"
    headers = {"Authorization": boards.basic_auth_header()}
    answer = httpx.post(url, json={"query": query}, headers=headers)
    assert answer.status_code == 400 and "timePrecision" in answer.text
    precise = httpx.post(url + "&timePrecision=true", json={"query": query}, headers=headers)
    assert precise.status_code == 200
