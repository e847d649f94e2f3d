"""Conviso → Boards, one table per rule: R2 (creation), R5 (status), R6 (reappearance),
R4 (priority follows severity changes only), R9 (stale snapshots)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sync_core.rules import (
    BoardLayout,
    CreateWorkItem,
    Decision,
    Level,
    Link,
    Route,
    Skip,
    SkipReason,
    UpdateWorkItem,
    WorkItemView,
    plan_outbound,
    record_applied,
)

from .builders import (
    COLUMN_FIELD,
    LANE_FIELD,
    T0,
    agile_layout,
    card,
    column,
    config,
    link,
    route,
    vuln,
)

STATE = "System.State"
PRIORITY = "Microsoft.VSTS.Common.Priority"
HISTORY = "System.History"


def plan(
    *,
    v: dict[str, Any] | None = None,
    the_route: Route | None = None,
    layout: BoardLayout | None = None,
    the_link: Link | None = None,
    the_card: WorkItemView | None = None,
    backfill: bool = False,
    no_route: bool = False,
) -> Decision:
    return plan_outbound(
        vuln(**(v or {})),
        config=config(),
        route=None if no_route else (the_route or route()),
        layout=layout or agile_layout(),
        link=the_link,
        card=the_card,
        backfill=backfill,
    )


# --------------------------------------------------------------------- R2 creation

CREATION = [
    pytest.param(
        {}, False, {STATE: "New", COLUMN_FIELD: "New"}, id="identified-creates-in-its-target"
    ),
    pytest.param(
        {"status": "IN_PROGRESS"},
        True,
        {},
        id="backfill-creates-in-progress-in-the-initial-state",
    ),
    pytest.param(
        {"status": "AWAITING_VALIDATION"},
        True,
        {},
        id="backfill-creates-awaiting-validation-in-the-initial-state",
    ),
]


@pytest.mark.parametrize(
    ("status", "position"),
    [
        ("IN_PROGRESS", {STATE: "Active", COLUMN_FIELD: "Active"}),
        ("AWAITING_VALIDATION", {STATE: "Active", COLUMN_FIELD: "Testing"}),
    ],
)
def test_r5_a_card_created_in_the_initial_state_is_moved_by_one_update(
    status: str, position: dict[str, str]
) -> None:
    """Azure Boards creates only in the type's initial state (TF401320 otherwise): the
    create names neither a later state nor a column of one, and the card it answers is
    moved to its target by one update guarded by its revision."""
    created = plan(v={"status": status}, backfill=True)
    assert isinstance(created, CreateWorkItem)
    assert STATE not in created.fields and COLUMN_FIELD not in created.fields
    new_card = card("New", "New", rev=1, changed_by_id="app")
    applied = record_applied(link(None), vuln(status=status), rev_written=1, written=new_card)
    moved = plan(v={"status": status}, the_link=applied, the_card=new_card)
    assert isinstance(moved, UpdateWorkItem)
    assert moved.expected_rev == 1
    assert {k: moved.fields[k] for k in position} == position


@pytest.mark.parametrize(("snapshot", "backfill", "position"), CREATION)
def test_r2_creates_one_card_with_the_route_target(
    snapshot: dict[str, Any], backfill: bool, position: dict[str, str]
) -> None:
    decision = plan(v=snapshot, backfill=backfill)
    assert isinstance(decision, CreateWorkItem)
    assert decision.project == "Fabrikam" and decision.work_item_type == "Bug"
    assert {k: decision.fields[k] for k in position} == position
    assert decision.fields["System.Title"] == "[Conviso #123] SQL injection in /login"
    assert decision.fields[PRIORITY] == 2
    assert decision.tags == ("conviso", "conviso-vuln-123")
    assert decision.hyperlink.endswith("/vulnerabilities/123")


NO_CARD = [
    pytest.param({"status": "CREATED"}, False, SkipReason.NOT_IDENTIFIED, id="created-never"),
    pytest.param({"status": "DRAFT"}, True, SkipReason.NOT_IDENTIFIED, id="draft-never"),
    pytest.param({"status": "SUPPRESSED"}, True, SkipReason.NOT_IDENTIFIED, id="suppressed-never"),
    pytest.param(
        {"status": "IN_PROGRESS"}, False, SkipReason.NOT_IDENTIFIED, id="live-in-progress-waits"
    ),
    pytest.param(
        {"status": "FIX_ACCEPTED"},
        True,
        SkipReason.NOT_IDENTIFIED,
        id="backfill-skips-unmapped-fixed",
    ),
    pytest.param(
        {"severity": "LOW"}, False, SkipReason.SEVERITY_POLICY, id="severity-outside-policy"
    ),
    pytest.param(
        {"severity": None}, False, SkipReason.SEVERITY_POLICY, id="no-severity-outside-list"
    ),
]


@pytest.mark.parametrize(("snapshot", "backfill", "reason"), NO_CARD)
def test_r2_no_card_is_created(
    snapshot: dict[str, Any], backfill: bool, reason: SkipReason
) -> None:
    decision = plan(v=snapshot, backfill=backfill)
    assert isinstance(decision, Skip) and decision.reason == reason
    assert decision.level == Level.INFO


def test_r2_no_route_is_skipped_not_an_error() -> None:
    decision = plan(no_route=True)
    assert isinstance(decision, Skip) and decision.reason == SkipReason.NO_ROUTE
    assert decision.level == Level.INFO


def test_r3_custom_route_places_the_card_in_its_column_and_lane() -> None:
    payments = config().routes[1]
    layout = agile_layout(
        columns=(column("Triage", "New", "incoming"), column("Done", "Closed", "outgoing"))
    )
    decision = plan(v={"asset": {"id": "45"}}, the_route=payments, layout=layout)
    assert isinstance(decision, CreateWorkItem)
    assert decision.project == "Payments"
    assert decision.fields[COLUMN_FIELD] == "Triage" and decision.fields[STATE] == "New"
    assert decision.fields[LANE_FIELD] == "Security"


def test_r5_a_route_that_no_longer_fits_its_board_is_a_configuration_error() -> None:
    layout = agile_layout(states={"New": "Proposed", "Active": "InProgress", "Closed": "Completed"})
    decision = plan(layout=layout)
    assert isinstance(decision, Skip) and decision.reason == SkipReason.CONFIGURATION
    assert decision.level == Level.ERROR and "Risk Accepted" in decision.message


# ----------------------------------------------------------------------- R5 status

STATUS_CHANGES = [
    pytest.param(
        "IN_PROGRESS",
        card("New", "New"),
        {STATE: "Active", COLUMN_FIELD: "Active"},
        id="in-progress",
    ),
    pytest.param(
        "AWAITING_VALIDATION",
        card("Active", "Active"),
        {COLUMN_FIELD: "Testing"},
        id="awaiting-column",
    ),
    pytest.param(
        "RISK_ACCEPTED",
        card("Active", "Active"),
        {STATE: "Risk Accepted", COLUMN_FIELD: "Risk Accepted"},
        id="risk-accepted",
    ),
    pytest.param(
        "FALSE_POSITIVE",
        card("New", "New"),
        {STATE: "Closed", COLUMN_FIELD: "Closed"},
        id="false-positive",
    ),
    pytest.param(
        "FIX_ACCEPTED",
        card("Active", "Testing"),
        {STATE: "Closed", COLUMN_FIELD: "Closed"},
        id="fixed-goes-to-completed-state",
    ),
    pytest.param(
        "IN_PROGRESS",
        card("Active", "Testing"),
        {COLUMN_FIELD: "Active"},
        id="in-progress-leaves-the-awaiting-column",
    ),
]


@pytest.mark.parametrize(("status", "the_card", "fields"), STATUS_CHANGES)
def test_r5_status_moves_the_card_in_one_guarded_patch(
    status: str, the_card: WorkItemView, fields: dict[str, str]
) -> None:
    decision = plan(v={"status": status}, the_link=link("IDENTIFIED"), the_card=the_card)
    assert isinstance(decision, UpdateWorkItem)
    assert decision.fields == fields
    assert decision.expected_rev == the_card.rev and decision.work_item_id == the_card.id


IN_SYNC = [
    pytest.param("IN_PROGRESS", card("Active", "Active"), SkipReason.IN_SYNC, id="already-there"),
    pytest.param("FIX_ACCEPTED", card("Closed", "Closed"), SkipReason.IN_SYNC, id="already-closed"),
    pytest.param(
        "AWAITING_VALIDATION",
        card("Closed", "Closed"),
        SkipReason.IN_SYNC,
        id="a-person-closed-it-claiming-the-fix-keep-it",
    ),
    pytest.param(
        "SUPPRESSED", card("Active", "Active"), SkipReason.UNMAPPED_STATUS, id="unmappable-stays"
    ),
]


@pytest.mark.parametrize(("status", "the_card", "reason"), IN_SYNC)
def test_r5_no_write_when_the_card_already_shows_the_status(
    status: str, the_card: WorkItemView, reason: SkipReason
) -> None:
    decision = plan(v={"status": status}, the_link=link(status), the_card=the_card)
    assert isinstance(decision, Skip) and decision.reason == reason


def test_r5_unmapped_optional_status_leaves_the_card_where_it_is() -> None:
    sparse = route(status_map={"IDENTIFIED": {"state": "New"}})
    decision = plan(v={"status": "IN_PROGRESS"}, the_route=sparse, the_link=link(), the_card=card())
    assert isinstance(decision, Skip) and decision.reason == SkipReason.UNMAPPED_STATUS


# -------------------------------------------------------- R4 priority on severity change

PRIORITY_CASES = [
    pytest.param("HIGH", "CRITICAL", 2, {PRIORITY: 1}, id="severity-raised"),
    pytest.param("HIGH", "HIGH", 4, None, id="a-persons-priority-edit-stays"),
    # R24: the severity change is still said once on the card, with the priority unchanged
    pytest.param("HIGH", "LOW", 4, {}, id="already-at-the-new-priority"),
    pytest.param(None, "CRITICAL", 2, None, id="unknown-previous-severity-changes-nothing"),
]


@pytest.mark.parametrize(("before", "now", "card_priority", "fields"), PRIORITY_CASES)
def test_r4_priority_follows_only_a_severity_change(
    before: str | None, now: str, card_priority: int, fields: dict[str, int] | None
) -> None:
    decision = plan(
        v={"severity": now},
        the_link=link(applied_severity=before),
        the_card=card(priority=card_priority),
    )
    if fields is None:
        assert isinstance(decision, Skip) and decision.reason == SkipReason.IN_SYNC
    else:
        assert isinstance(decision, UpdateWorkItem)
        # R24: a severity change made in Conviso adds one history note in the same patch
        assert {k: v for k, v in decision.fields.items() if k != HISTORY} == fields
        assert f"from {before} to {now}" in str(decision.fields[HISTORY])


def test_r5_status_and_severity_change_together_are_one_patch() -> None:
    decision = plan(
        v={"status": "IN_PROGRESS", "severity": "CRITICAL"}, the_link=link(), the_card=card()
    )
    assert isinstance(decision, UpdateWorkItem)
    assert {k: v for k, v in decision.fields.items() if k != HISTORY} == {
        STATE: "Active", COLUMN_FIELD: "Active", PRIORITY: 1
    }  # fmt: skip
    assert "severity" in str(decision.fields[HISTORY])  # R24: said once, in the same patch


# ------------------------------------------------------------------ R6 reappearance


@pytest.mark.parametrize("previous", ["FIX_ACCEPTED", "AWAITING_VALIDATION"])
def test_r6_reappearance_reopens_the_same_card_with_a_note(previous: str) -> None:
    decision = plan(the_link=link(previous), the_card=card("Closed", "Closed"))
    assert isinstance(decision, UpdateWorkItem) and decision.reopen
    assert decision.work_item_id == 501
    assert decision.fields[STATE] == "New" and decision.fields[COLUMN_FIELD] == "New"
    assert "found again" in str(decision.fields[HISTORY])


def test_r6_back_to_identified_from_in_progress_is_not_a_reappearance() -> None:
    decision = plan(the_link=link("IN_PROGRESS"), the_card=card("Active", "Active"))
    assert isinstance(decision, UpdateWorkItem) and not decision.reopen
    assert HISTORY not in decision.fields


def test_r6_a_deleted_card_is_replaced_when_the_vulnerability_reappears() -> None:
    decision = plan(the_link=link("FIX_ACCEPTED"), the_card=None)
    assert isinstance(decision, CreateWorkItem)
    assert decision.replaces_work_item_id == 501
    assert "#501" in str(decision.fields[HISTORY])


def test_r6_a_deleted_card_is_not_recreated_for_other_statuses() -> None:
    decision = plan(v={"status": "IN_PROGRESS"}, the_link=link(), the_card=None)
    assert isinstance(decision, Skip) and decision.reason == SkipReason.WORK_ITEM_DELETED
    assert decision.level == Level.WARN


# ------------------------------------------------------------------ R9 staleness


@pytest.mark.parametrize(
    ("age", "stale"),
    [(timedelta(seconds=-1), True), (timedelta(0), False), (timedelta(seconds=1), False)],
)
def test_r9_a_snapshot_older_than_the_applied_one_is_ignored(age: timedelta, stale: bool) -> None:
    applied = link(applied_updated_at=T0)
    decision = plan(
        v={"status": "IN_PROGRESS", "updatedAt": (T0 + age).isoformat()},
        the_link=applied,
        the_card=card(),
    )
    assert (isinstance(decision, Skip) and decision.reason == SkipReason.STALE_SNAPSHOT) is stale


def test_record_applied_remembers_the_snapshot_and_the_highest_revision() -> None:
    before = link(last_rev_written=7)
    after = record_applied(before, vuln(status="IN_PROGRESS", severity="CRITICAL"), rev_written=5)
    assert after.applied_status == "IN_PROGRESS" and after.applied_severity == "CRITICAL"
    assert after.applied_updated_at == T0 and after.last_rev_written == 7
    assert record_applied(before, vuln(), rev_written=9).last_rev_written == 9


# ------------------------------------------------------- a person's move in flight (R7, R9)

APP, PERSON = "app-identity", "person-identity"


def _moved(**card_overrides: Any) -> WorkItemView:
    """The card a person moved to Active (rev 4) after the app's last write (rev 3)."""
    return card("Active", "Active", **{"rev": 4, "changed_by_id": PERSON, **card_overrides})


@pytest.mark.parametrize(
    ("the_link", "the_card", "v", "kept"),
    [
        pytest.param(link(applied_updated_at=T0, writer_id=APP), _moved(), {}, True,
                     id="same snapshot again: the move is kept"),
        pytest.param(link(applied_updated_at=T0, writer_id=APP), _moved(),
                     {"updatedAt": (T0 + timedelta(seconds=1)).isoformat()}, False,
                     id="Conviso changed since: the newer change wins"),
        pytest.param(link(applied_updated_at=T0, writer_id=APP), _moved(changed_by_id=APP), {},
                     False, id="a revision of our own the link missed: converge"),
        pytest.param(link(applied_updated_at=T0, writer_id=APP), _moved(rev=3), {}, False,
                     id="a revision the link knows"),
        pytest.param(link(applied_updated_at=T0), _moved(), {}, False,
                     id="our identity unknown: as before"),
        pytest.param(link(applied_updated_at=T0, writer_id=APP), _moved(changed_by_id=None), {},
                     False, id="who moved it unknown: as before"),
    ],
)  # fmt: skip
def test_a_snapshot_not_newer_than_applied_does_not_undo_a_person_s_move(
    the_link: Link, the_card: WorkItemView, v: dict[str, Any], kept: bool
) -> None:
    decision = plan(v=v, the_link=the_link, the_card=the_card)
    if kept:
        assert isinstance(decision, Skip) and decision.reason == SkipReason.MOVED_BY_PERSON
        assert "#501" in decision.message
    else:
        assert isinstance(decision, UpdateWorkItem) and decision.fields[STATE] == "New"


def test_a_person_s_move_that_already_reads_as_the_status_is_in_sync() -> None:
    decision = plan(
        v={"status": "IN_PROGRESS"},
        the_link=link("IN_PROGRESS", applied_updated_at=T0, writer_id=APP),
        the_card=_moved(),
    )
    assert isinstance(decision, Skip) and decision.reason == SkipReason.IN_SYNC
