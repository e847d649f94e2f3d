"""R17 / issue 21: deleting an integration removes the service-hook subscriptions that post
to it, and the answer says which."""

from __future__ import annotations

from tests.harness import Sync


def test_delete_removes_the_hooks_the_app_created_and_reports_them(sync: Sync) -> None:
    sync.configure()
    made = sync.api.post(f"/integrations/{sync.id}/service-hooks")
    assert made.status_code == 200, made.text
    created = {s["id"] for s in made.json()["subscriptions"] if s["action"] == "created"}
    assert len(created) == 4  # two projects, two fields each
    other = sync.boards.subscribe(
        "https://elsewhere.example/api/integrations/other/boards-webhook",
        project="Fabrikam",
        changed_fields="System.State",
    )

    answer = sync.api.delete(f"/integrations/{sync.id}")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["deleted"] == sync.id
    assert {h["id"] for h in report["service_hooks"]["removed"]} == created
    assert "not_removed" not in report["service_hooks"]
    left = set(sync.boards.subscriptions.items)
    assert not created & left
    assert str(other["id"]).lower() in left  # another integration's hook stays
    assert "token" not in answer.text.lower()


def test_delete_without_hooks_reports_none(sync: Sync) -> None:
    sync.configure()
    answer = sync.api.delete(f"/integrations/{sync.id}")
    assert answer.status_code == 200
    assert answer.json()["service_hooks"] == {"removed": []}
