"""R19 through the real stack: a hook for a card that is not the integration's is answered
and dropped at the edge; only the integration's counter (its GET) shows it."""

from __future__ import annotations

from tests.harness import Sync, wait_until


def test_r19_a_hook_for_someone_elses_card_is_only_counted(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    before = sync.api.get(f"/integrations/{sync.id}").json()["quiet_hooks"]["dropped"]
    item = sync.boards.create_work_item(
        "Fabrikam", "Bug", {"System.Title": "A developer's own bug", "System.Tags": "frontend"}
    )
    sync.boards.move_card(item["id"], state="Active", by="Jamal Hartnett")
    assert sync.boards.wait_for_deliveries(10)
    answers = [d.status_codes[-1] for d in sync.boards.deliveries if d.work_item_id == item["id"]]
    assert answers and set(answers) == {202}  # accepted: Azure DevOps sees a healthy hook

    shown = wait_until(
        lambda: (
            (q := sync.api.get(f"/integrations/{sync.id}").json()["quiet_hooks"])["dropped"]
            >= before + len(answers)
            and q
        )
    )
    assert shown["dropped"] == before + len(answers) and shown["scope"] == "this instance"
    assert [d for d in sync.deliveries() if d.get("work_item_id") == item["id"]] == []
