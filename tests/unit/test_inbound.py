"""Boards → Conviso: R7 (moves map back, never FIX_ACCEPTED, no guessing), R8 (echoes and
no-ops), R9 (stale events)."""

from __future__ import annotations

import pytest

from sync_core.rules import (
    ChangeConvisoStatus,
    ConvisoStatus,
    Decision,
    Level,
    Skip,
    SkipReason,
    plan_inbound,
    screen_inbound,
)

from .builders import COLUMN_FIELD, agile_layout, link, move, route

S = ConvisoStatus


def inbound(state: str | None, column: str | None, current: S, permitted=None) -> Decision:
    return plan_inbound(
        move(state, column),
        route=route(),
        layout=agile_layout(),
        link=link(current),
        current=current,
        permitted=permitted,
    )


MOVES = [
    pytest.param("Active", "Active", S.IDENTIFIED, S.IN_PROGRESS, id="to-active-is-in-progress"),
    pytest.param(
        "Active", "Testing", S.IN_PROGRESS, S.AWAITING_VALIDATION, id="testing-column-within-active"
    ),
    pytest.param(
        "Closed", "Closed", S.IDENTIFIED, S.AWAITING_VALIDATION, id="closing-claims-a-fix"
    ),
    pytest.param(
        "Closed", "Closed", S.IN_PROGRESS, S.AWAITING_VALIDATION, id="done-column-claims-a-fix"
    ),
    pytest.param("New", "New", S.IN_PROGRESS, S.IDENTIFIED, id="back-to-new-is-identified"),
    pytest.param(
        "Risk Accepted", "Risk Accepted", S.IN_PROGRESS, S.RISK_ACCEPTED, id="unambiguous-final"
    ),
    pytest.param("Active", "Active", S.FIX_ACCEPTED, S.IN_PROGRESS, id="reopened-by-a-person"),
]


@pytest.mark.parametrize(("state", "column", "current", "expected"), MOVES)
def test_r7_a_move_changes_the_status_it_stands_for(
    state: str, column: str, current: S, expected: S
) -> None:
    decision = inbound(state, column, current)
    assert isinstance(decision, ChangeConvisoStatus)
    assert decision.status == expected
    assert decision.vulnerability_id == "123" and decision.work_item_id == 501
    assert "#501" in decision.reason and "Jamal Hartnett" in decision.reason


NO_OPS = [
    pytest.param(
        "Closed", "Closed", S.FALSE_POSITIVE, SkipReason.IN_SYNC, id="closed-false-positive-stays"
    ),
    pytest.param("Closed", "Closed", S.FIX_ACCEPTED, SkipReason.IN_SYNC, id="closed-fixed-stays"),
    pytest.param(
        "Closed", "Closed", S.AWAITING_VALIDATION, SkipReason.IN_SYNC, id="closed-awaiting-stays"
    ),
    pytest.param("Active", "Active", S.IN_PROGRESS, SkipReason.IN_SYNC, id="target-equals-current"),
    pytest.param(
        "Resolved", "Resolved", S.IN_PROGRESS, SkipReason.UNMAPPED_TARGET, id="unmapped-state"
    ),
]


@pytest.mark.parametrize(("state", "column", "current", "reason"), NO_OPS)
def test_r7_r8_moves_that_change_nothing(
    state: str, column: str, current: S, reason: SkipReason
) -> None:
    decision = inbound(state, column, current)
    assert isinstance(decision, Skip) and decision.reason == reason


@pytest.mark.parametrize("current", list(S))
def test_r7_a_move_never_sets_fix_accepted(current: S) -> None:
    for state, column in [("Closed", "Closed"), ("Active", "Testing"), ("New", "New")]:
        decision = inbound(state, column, current)
        assert not (isinstance(decision, ChangeConvisoStatus) and decision.status == S.FIX_ACCEPTED)


def test_r7_an_ambiguous_target_never_infers_a_final_status() -> None:
    both_final = route(
        status_map={
            "IDENTIFIED": {"state": "New"},
            "RISK_ACCEPTED": {"state": "Resolved"},
            "FALSE_POSITIVE": {"state": "Resolved"},
        }
    )
    decision = plan_inbound(
        move("Resolved", "Resolved"),
        route=both_final,
        layout=agile_layout(),
        link=link(),
        current=S.IDENTIFIED,
        permitted=None,
    )
    assert isinstance(decision, Skip) and decision.reason == SkipReason.AMBIGUOUS_TARGET
    assert decision.level == Level.WARN


def test_r7_a_status_conviso_does_not_permit_is_a_warning() -> None:
    decision = inbound("Active", "Active", S.IDENTIFIED, permitted=(S.FALSE_POSITIVE,))
    assert isinstance(decision, Skip) and decision.reason == SkipReason.NOT_PERMITTED
    assert decision.level == Level.WARN


def test_r7_fix_claim_reason_says_a_scan_validates() -> None:
    decision = inbound("Closed", "Closed", S.IN_PROGRESS)
    assert isinstance(decision, ChangeConvisoStatus) and "only a scan validates" in decision.reason


# ------------------------------------------------------------- screening (R8, R9)

SCREEN = [
    pytest.param(dict(rev=3), dict(), None, SkipReason.ECHO, id="own-revision-is-an-echo"),
    pytest.param(dict(rev=2), dict(), None, SkipReason.ECHO, id="older-than-own-write-is-an-echo"),
    pytest.param(dict(rev=9), dict(), "person-1", SkipReason.ECHO, id="own-identity-is-an-echo"),
    pytest.param(
        dict(rev=5), dict(last_rev_seen=6), None, SkipReason.STALE_EVENT, id="out-of-order"
    ),
    pytest.param(
        dict(rev=4, fields=("System.Title",)),
        dict(),
        None,
        SkipReason.NO_STATUS_CHANGE,
        id="title-edit-is-not-a-move",
    ),
]


@pytest.mark.parametrize(("event", "stored", "identity", "reason"), SCREEN)
def test_r8_r9_screening_stops_echoes_and_stale_events(
    event: dict, stored: dict, identity: str | None, reason: SkipReason
) -> None:
    skipped = screen_inbound(
        move("Active", "Active", **event), link=link(**stored), service_identity=identity
    )
    assert skipped is not None and skipped.reason == reason


def test_r7_unlinked_work_items_are_skipped() -> None:
    skipped = screen_inbound(move("Active", "Active"), link=None, service_identity=None)
    assert skipped is not None and skipped.reason == SkipReason.NOT_LINKED


@pytest.mark.parametrize("fields", [("System.State",), (COLUMN_FIELD,), ("System.BoardColumn",)])
def test_r7_state_or_column_changes_pass_screening(fields: tuple[str, ...]) -> None:
    assert (
        screen_inbound(move("Active", "Active", fields=fields), link=link(), service_identity="app")
        is None
    )
