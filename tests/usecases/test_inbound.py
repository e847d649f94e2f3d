"""Boards → Conviso (R7, R8, R9, R23) on the fakes: which Conviso mutations a card's
change makes, what the link remembers and what the deliveries say."""

from __future__ import annotations

from typing import Any

import pytest

from sync_core.rules import BoardChange, ConvisoStatus
from sync_core.rules.people import ASSIGNED_TO_FIELD
from sync_core.rules.vocabulary import STATE_FIELD
from sync_core.service.inbound import apply_board_change
from sync_core.service.messages import InboundMessage
from tests.fakes.boards import WRITER_ID
from tests.unit.builders import COLUMN_FIELD, vuln

from .conftest import IID, World, later

PERSON = "person-0001"
OTHER_COLUMN = "WEF_00000000000000000000000000000000_Kanban.Column"


@pytest.fixture
def linked(world: World) -> World:
    """Vulnerability 123 has card #501 (rev 1, New); Conviso has it IDENTIFIED."""
    world.conviso.put(vuln())
    world.outbound(vuln())
    return world


def board_change(world: World, rev: int, by: str = PERSON, **overrides: Any) -> None:
    data: dict[str, Any] = {
        "event_id": f"wi-{rev}", "work_item_id": 501, "rev": rev,
        "changed_fields": frozenset({COLUMN_FIELD, STATE_FIELD}), "state": "Active",
        "columns": {COLUMN_FIELD: "Active"}, "revised_by_id": by,
        "revised_by_name": "Ana", "revised_by_email": "ana@fabrikam.com",
    }  # fmt: skip
    data.update(overrides)
    message = InboundMessage(
        integration_id=IID, event_id=data["event_id"], change=BoardChange(**data)
    )
    apply_board_change(world.ctx, world.config, message)


def test_a_persons_move_changes_the_conviso_status(linked: World) -> None:
    linked.boards.person_edits(501, {COLUMN_FIELD: "Active"}, by=PERSON)
    board_change(linked, 2)

    [(kind, issue, status, _reason, author)] = linked.conviso.mutations
    assert (kind, issue, status, author) == (
        "status",
        "123",
        ConvisoStatus.IN_PROGRESS,
        "ana@fabrikam.com",
    )
    assert linked.conviso.issues["123"].status == ConvisoStatus.IN_PROGRESS
    link = linked.link()
    assert (link.applied_status, link.last_rev_seen) == ("IN_PROGRESS", 2)
    assert linked.reasons()[-1] == "status_changed"


def test_our_own_revision_is_an_echo_by_its_revision(linked: World) -> None:
    board_change(linked, 1)

    assert linked.conviso.mutations == []
    assert linked.reasons()[-1] == "echo"


def test_our_own_revision_is_an_echo_by_the_identity_the_link_kept(linked: World) -> None:
    """A write of ours whose answer was lost: a newer revision, made by our identity."""
    assert linked.link().writer_id == WRITER_ID
    linked.boards.person_edits(501, {COLUMN_FIELD: "Active"}, by=WRITER_ID)
    board_change(linked, 2, by=WRITER_ID)

    assert linked.conviso.mutations == []
    assert linked.reasons()[-1] == "echo"
    assert linked.boards.calls.count("identity") == 0  # the link knew: no request


def test_an_unknown_writer_is_learned_once_and_kept(linked: World) -> None:
    """A link that never saw who writes (a healed one): connectionData tells, once."""
    stored = linked.state.links.get(IID, "123")
    assert stored is not None
    linked.state.links.save(IID, stored.link.model_copy(update={"writer_id": None}), stored.etag)
    linked.boards.person_edits(501, {COLUMN_FIELD: "Active"}, by=WRITER_ID)
    board_change(linked, 2, by=WRITER_ID)

    assert linked.conviso.mutations == []
    assert linked.reasons()[-1] == "echo"
    assert linked.state.integrations.writers[IID] == WRITER_ID
    assert linked.boards.calls.count("identity") == 1


def test_a_move_on_another_teams_board_changes_nothing_in_conviso(linked: World) -> None:
    board_change(linked, 2, changed_fields=frozenset({OTHER_COLUMN}), state=None,
                 columns={OTHER_COLUMN: "Doing", COLUMN_FIELD: "New"})  # fmt: skip

    assert linked.conviso.mutations == []
    assert linked.reasons()[-1] == "other_board"
    assert linked.link().last_rev_seen == 2  # seen: a late older event is stale


def test_a_status_conviso_does_not_permit_is_a_warning_not_a_change(linked: World) -> None:
    linked.conviso.put(
        vuln().model_copy(update={"permitted_status": (ConvisoStatus.FALSE_POSITIVE,)})
    )
    board_change(linked, 2)

    assert linked.conviso.mutations == []
    assert linked.conviso.issues["123"].status == ConvisoStatus.IDENTIFIED
    [warning] = linked.state.deliveries.of(IID, "not_permitted")
    assert warning.level == "warn" and "IN_PROGRESS" in warning.message


def sync_assignees(world: World) -> None:
    routes = [r.model_dump(mode="json") for r in world.config.routes]
    routes[0]["assignees"] = "sync"
    world.reconfigure(routes=routes)


def test_a_reassignment_reaches_conviso(linked: World) -> None:
    sync_assignees(linked)
    board_change(linked, 2, changed_fields=frozenset({ASSIGNED_TO_FIELD}), state=None,
                 columns={COLUMN_FIELD: "New"}, assigned_to="bob@fabrikam.com")  # fmt: skip

    assert linked.conviso.mutations == [("assignee", "123", ("bob@fabrikam.com",))]
    assert linked.link().applied_assignee == "bob@fabrikam.com"
    assert linked.reasons()[-1] == "assignee_changed"


def test_an_assignee_conviso_does_not_know_is_a_warning(linked: World) -> None:
    sync_assignees(linked)
    linked.conviso.known_users = {"ana@fabrikam.com"}
    board_change(linked, 2, changed_fields=frozenset({ASSIGNED_TO_FIELD}), state=None,
                 columns={COLUMN_FIELD: "New"}, assigned_to="zed@fabrikam.com")  # fmt: skip

    assert linked.conviso.mutations == []
    [warning] = linked.state.deliveries.of(IID, "unknown_assignee")
    assert "zed@fabrikam.com" in warning.message and warning.level == "warn"


#: every (status the app wrote, status a person then set in Conviso) pair that
#: tests/e2e/test_inbound_writer_identity.py runs a few of through the real stack
WRITTEN_THEN_DECIDED = [
    ("IN_PROGRESS", "RISK_ACCEPTED"),
    ("IN_PROGRESS", "FALSE_POSITIVE"),
    ("IN_PROGRESS", "AWAITING_VALIDATION"),
    ("AWAITING_VALIDATION", "RISK_ACCEPTED"),
    ("AWAITING_VALIDATION", "IDENTIFIED"),
    ("RISK_ACCEPTED", "IN_PROGRESS"),
    ("RISK_ACCEPTED", "IDENTIFIED"),
    ("FALSE_POSITIVE", "IDENTIFIED"),
    ("FALSE_POSITIVE", "IN_PROGRESS"),
]


@pytest.mark.parametrize(
    ("written", "decided"),
    WRITTEN_THEN_DECIDED,
    ids=[f"{a}-then-{b}" for a, b in WRITTEN_THEN_DECIDED],
)
def test_r8_the_late_hook_of_our_own_lost_write_never_undoes_a_conviso_decision(
    linked: World, written: str, decided: str
) -> None:
    """Our write for ``written`` landed but its answer was lost (the link does not know the
    revision); a person then set ``decided`` in Conviso; the hook of our write arrives
    late. Only our identity tells it is ours: Conviso keeps ``decided``."""
    linked.conviso.put(later(1, status=written))
    linked.outbound(later(1, status=written))
    stored = linked.state.links.get(IID, "123")
    assert stored is not None and stored.link.last_rev_written == 2
    lost = stored.link.model_copy(update={"last_rev_written": 1, "applied_status": "IDENTIFIED"})
    linked.state.links.save(IID, lost, stored.etag)  # as if the answer never came
    linked.conviso.put(later(2, status=decided))  # a person's decision in Conviso
    card = linked.boards.items[501].fields

    board_change(linked, 2, by=WRITER_ID, state=card[STATE_FIELD],
                 columns={COLUMN_FIELD: card[COLUMN_FIELD]})  # fmt: skip

    assert linked.conviso.mutations == []
    assert linked.conviso.issues["123"].status == decided
    assert linked.reasons()[-1] == "echo"
