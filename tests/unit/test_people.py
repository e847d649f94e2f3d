"""R23 (assignees both ways) and R24 (decisions carry their context), as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from sync_core.rules import CreateWorkItem, Skip, SkipReason, UpdateWorkItem, plan_outbound
from sync_core.rules.decisions import ChangeConvisoAssignee, ChangeConvisoStatus
from sync_core.rules.inbound import plan_inbound, screen_inbound
from sync_core.rules.models import BoardChange
from sync_core.rules.outbound import record_applied
from sync_core.rules.people import (
    ASSIGNED_TO_FIELD,
    assignee_on_create,
    assignee_to_write,
    conviso_assignee,
    decision_notes,
    email_of,
    needs_decision_history,
    plan_assignee,
    risk_accepted_until,
    unknown_identity,
)
from sync_core.rules.vocabulary import ConvisoStatus

from .builders import T0, agile_layout, card, config, link, route, vuln

HISTORY = "System.History"
ANA = {"email": "Ana@Fabrikam.com", "name": "Ana"}
BEN = {"email": "ben@fabrikam.com", "name": "Ben"}
SYNC: dict[str, Any] = {"assignees": "sync"}


def change(**overrides: Any) -> BoardChange:
    data: dict[str, Any] = {
        "event_id": "evt-1",
        "work_item_id": 501,
        "rev": 4,
        "changed_fields": frozenset({"System.AssignedTo"}),
        "state": "New",
        "revised_by_id": "person-1",
        "revised_by_name": "Jamal Hartnett",
        "revised_by_email": "fabrikamfiber4@hotmail.com",
        "assigned_to": "ben@fabrikam.com",
    }
    data.update(overrides)
    return BoardChange(**data)


def update(the_route: Any, v: Any, the_link: Any, the_card: Any = None) -> Any:
    return plan_outbound(
        v, config=config(), route=the_route, layout=agile_layout(), link=the_link,
        card=the_card or card(),
    )  # fmt: skip


# ------------------------------------------------------------------ configuration


def test_route_keys_default_to_no_sync_and_ninety_days() -> None:
    plain = route()
    assert (plain.assignees, plain.default_assignee, plain.risk_acceptance_days) == (
        "off", None, 90,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("assignees", "both"),
        ("default_assignee", "not an e-mail"),
        ("default_assignee", "<b>@x.com"),
        ("risk_acceptance_days", 0),
        ("risk_acceptance_days", 3651),
    ],
)
def test_route_keys_are_validated_naming_the_key(key: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        route(**{key: value})
    assert key in str(refused.value)


def test_default_assignee_is_kept_in_lower_case() -> None:
    assert route(default_assignee=" AppSec@Fabrikam.com ").default_assignee == "appsec@fabrikam.com"


# ------------------------------------------------------------------ who is who


@pytest.mark.parametrize(
    ("spelled", "email"),
    [
        ({"displayName": "Ana", "uniqueName": "Ana@Fabrikam.com"}, "ana@fabrikam.com"),
        ("Jamal Hartnett <fabrikamfiber4@hotmail.com>", "fabrikamfiber4@hotmail.com"),
        ("ben@fabrikam.com", "ben@fabrikam.com"),
        ("FABRIKAM\\jamal", None),
        ("Jamal Hartnett", None),
        (None, None),
    ],
)
def test_a_person_is_known_by_e_mail_however_azure_devops_spells_them(
    spelled: object, email: str | None
) -> None:
    assert email_of(spelled) == email


def test_convisos_assignee_is_the_first_user_nobody_or_not_said() -> None:
    assert conviso_assignee(vuln(assignedUsers=[ANA, BEN])) == "ana@fabrikam.com"
    assert conviso_assignee(vuln(assignedUsers=[])) == ""
    assert conviso_assignee(vuln()) is None


def test_unknown_identity_refusal_names_the_person() -> None:
    message = "The identity value 'x@y.com' for field 'Assigned To' is an unknown identity."
    assert unknown_identity(message) == "x@y.com"
    assert unknown_identity("TF401320: Rule Error for field Title.") is None


# ------------------------------------------------------------ R23 Conviso -> Boards


def test_a_new_card_takes_convisos_assignee_in_the_create() -> None:
    decision = plan_outbound(
        vuln(assignedUsers=[ANA]), config=config(), route=route(**SYNC),
        layout=agile_layout(), link=None, card=None,
    )  # fmt: skip
    assert isinstance(decision, CreateWorkItem)
    assert decision.fields[ASSIGNED_TO_FIELD] == "ana@fabrikam.com"


def test_default_assignee_only_when_conviso_names_nobody() -> None:
    with_default = route(**SYNC, default_assignee="triage@fabrikam.com")
    assert assignee_on_create(with_default, vuln(assignedUsers=[])) == "triage@fabrikam.com"
    assert assignee_on_create(with_default, vuln(assignedUsers=[BEN])) == "ben@fabrikam.com"
    assert assignee_on_create(route(), vuln(assignedUsers=[BEN])) is None


def test_convisos_reassignment_rides_the_same_patch() -> None:
    decision = update(
        route(**SYNC), vuln(status="IN_PROGRESS", assignedUsers=[BEN]),
        link(applied_assignee="ana@fabrikam.com"),
    )  # fmt: skip
    assert isinstance(decision, UpdateWorkItem)
    assert decision.fields[ASSIGNED_TO_FIELD] == "ben@fabrikam.com"
    assert decision.fields["System.State"] == "Active"


def test_an_unchanged_conviso_assignee_never_overwrites_a_persons_edit() -> None:
    # the card was reassigned on the board; Conviso still has the assignee kept
    decision = update(
        route(**SYNC), vuln(assignedUsers=[ANA]),
        link(applied_assignee="ana@fabrikam.com"), card(assigned_to="ben@fabrikam.com"),
    )  # fmt: skip
    assert isinstance(decision, Skip) and decision.reason == SkipReason.IN_SYNC


@pytest.mark.parametrize(
    ("the_route", "kept", "shown", "expected"),
    [
        (route(**SYNC), "ana@fabrikam.com", None, "ben@fabrikam.com"),
        (route(**SYNC), "ana@fabrikam.com", "ben@fabrikam.com", None),  # card shows it
        (route(**SYNC), None, None, None),  # a link made before assignees were kept
        (route(), "ana@fabrikam.com", None, None),  # the route does not sync
    ],
)
def test_assignee_is_written_only_when_conviso_changed_it(
    the_route: Any, kept: str | None, shown: str | None, expected: str | None
) -> None:
    the_link = link(applied_assignee=kept)
    assert assignee_to_write(the_route, vuln(assignedUsers=[BEN]), the_link, shown) == expected


def test_conviso_unassigning_clears_the_card() -> None:
    got = assignee_to_write(
        route(**SYNC), vuln(assignedUsers=[]), link(applied_assignee="ana@fabrikam.com"), None
    )
    assert got == ""


def test_the_link_keeps_convisos_assignee_once_applied() -> None:
    kept = record_applied(link(applied_assignee="ana@fabrikam.com"),
                          vuln(assignedUsers=[BEN]), rev_written=None)  # fmt: skip
    assert kept.applied_assignee == "ben@fabrikam.com"
    unsaid = record_applied(kept, vuln(), rev_written=None)  # an event without assignees
    assert unsaid.applied_assignee == "ben@fabrikam.com"


# ------------------------------------------------------------ R23 Boards -> Conviso


def test_a_reassignment_alone_passes_screening() -> None:
    assert screen_inbound(change(), link=link(), service_identity="app") is None
    quiet = change(assigned_to=None, changed_fields=frozenset())
    skipped = screen_inbound(quiet, link=link(), service_identity="app")
    assert isinstance(skipped, Skip) and skipped.reason == SkipReason.NO_STATUS_CHANGE


def test_a_reassignment_of_the_apps_own_is_an_echo() -> None:
    skipped = screen_inbound(change(revised_by_id="app"), link=link(), service_identity="app")
    assert isinstance(skipped, Skip) and skipped.reason == SkipReason.ECHO
    written = screen_inbound(change(rev=3), link=link(), service_identity="app")
    assert isinstance(written, Skip) and written.reason == SkipReason.ECHO


def test_a_persons_reassignment_goes_to_conviso() -> None:
    decision = plan_assignee(change(), route=route(**SYNC), link=link(applied_assignee="a@x.io"))
    assert isinstance(decision, ChangeConvisoAssignee)
    assert (decision.assignee, decision.vulnerability_id, decision.by) == (
        "ben@fabrikam.com", "123", "Jamal Hartnett",
    )  # fmt: skip


def test_a_persons_reassignment_is_sent_even_when_the_link_thinks_conviso_has_it() -> None:
    # the link may not know yet that the app wrote another assignee (its save was lost):
    # a person's change is never dropped on that guess; echoes were screened before
    decision = plan_assignee(
        change(), route=route(**SYNC), link=link(applied_assignee="ben@fabrikam.com")
    )
    assert isinstance(decision, ChangeConvisoAssignee)


def test_a_persons_unseen_reassignment_wins_over_convisos() -> None:
    # the card's newest revision (rev 5) is a person's whose event is still on its way
    decision = update(
        route(**SYNC), vuln(assignedUsers=[BEN]), link(applied_assignee="ana@fabrikam.com"),
        card(rev=5, changed_by_id="person-1", assigned_to="carl@fabrikam.com"),
    )  # fmt: skip
    assert isinstance(decision, Skip)
    seen = link(applied_assignee="ana@fabrikam.com", last_rev_seen=5)
    written = update(
        route(**SYNC), vuln(assignedUsers=[BEN]), seen,
        card(rev=5, changed_by_id="person-1", assigned_to="carl@fabrikam.com"),
    )  # fmt: skip
    assert isinstance(written, UpdateWorkItem)
    assert written.fields[ASSIGNED_TO_FIELD] == "ben@fabrikam.com"


def test_a_reassignment_on_a_route_without_sync_changes_nothing() -> None:
    decision = plan_assignee(change(), route=route(), link=link())
    assert isinstance(decision, Skip) and decision.reason == SkipReason.NO_STATUS_CHANGE
    assert plan_assignee(change(assigned_to=None), route=route(**SYNC), link=link()) is None


# ------------------------------------------------------------------ R24 decisions


def move_to(state: str, **overrides: Any) -> BoardChange:
    return change(
        changed_fields=frozenset({"System.State"}), state=state, assigned_to=None, **overrides
    )


def test_every_status_change_names_the_movers_e_mail() -> None:
    decision = plan_inbound(
        move_to("Active"), route=route(), layout=agile_layout(), link=link(),
        current=ConvisoStatus.IDENTIFIED, permitted=None,
    )  # fmt: skip
    assert isinstance(decision, ChangeConvisoStatus)
    assert decision.external_author == "fabrikamfiber4@hotmail.com"
    assert decision.risk_accepted_until is None


def test_risk_accepted_lasts_the_routes_days_from_today() -> None:
    decision = plan_inbound(
        move_to("Risk Accepted"), route=route(risk_acceptance_days=30), layout=agile_layout(),
        link=link(), current=ConvisoStatus.IDENTIFIED, permitted=None, today=date(2026, 11, 28),
    )  # fmt: skip
    assert isinstance(decision, ChangeConvisoStatus)
    assert decision.status == ConvisoStatus.RISK_ACCEPTED
    assert decision.risk_accepted_until == datetime(2026, 12, 28, tzinfo=UTC)


def test_risk_accepted_until_the_cards_own_date_when_it_has_one() -> None:
    dated = route(fields={"risk_accepted_until": "Custom.RiskAcceptedUntil"})
    given = move_to("Risk Accepted", dates={"Custom.RiskAcceptedUntil": "2027-03-31T00:00:00Z"})
    assert risk_accepted_until(given, dated, date(2026, 11, 28)) == datetime(
        2027, 3, 31, tzinfo=UTC
    )
    # the field empty on the card: the route's days (default 90)
    assert risk_accepted_until(move_to("Risk Accepted"), dated, date(2026, 1, 1)) == datetime(
        2026, 4, 1, tzinfo=UTC
    )


def history(status: str, *, reason: str = "accepted for Q1", by: dict | None = None) -> list:
    return [
        {"id": "h1", "status": "IDENTIFIED", "createdAt": (T0 - timedelta(days=1)).isoformat(),
         "source": {"email": "scanner@conviso.test", "name": "Scanner"}},
        {"id": "h2", "status": status, "createdAt": T0.isoformat(), "reason": reason,
         "source": by or {"email": "ciso@fabrikam.com", "name": "Carla CISO"}},
    ]  # fmt: skip


def test_a_risk_acceptance_made_in_conviso_is_noted_naming_who_and_why() -> None:
    v = vuln(status="RISK_ACCEPTED", statusHistory=history("RISK_ACCEPTED"))
    decision = update(route(), v, link())
    assert isinstance(decision, UpdateWorkItem)
    note = str(decision.fields[HISTORY])
    assert "risk accepted by Carla CISO &lt;ciso@fabrikam.com&gt;" in note
    assert "accepted for Q1" in note
    assert decision.fields["System.State"] == "Risk Accepted"


def test_a_false_positive_is_noted_once() -> None:
    v = vuln(status="FALSE_POSITIVE", statusHistory=history("FALSE_POSITIVE", reason="test data"))
    decision = update(route(), v, link())
    assert isinstance(decision, UpdateWorkItem)
    assert "false positive by Carla CISO" in str(decision.fields[HISTORY])
    after = record_applied(link(), v, rev_written=9)
    assert decision_notes(v, after) == ([], ())
    # the status kept as applied (e.g. by a card write that carried it): no second note
    assert decision_notes(v, after.model_copy(update={"decisions_noted": ()})) == ([], ())


def test_a_decision_the_board_made_is_not_noted_again() -> None:
    ours = history("RISK_ACCEPTED", reason="Azure Boards work item #501 moved to state 'x' by J")
    v = vuln(status="RISK_ACCEPTED", statusHistory=ours)
    assert decision_notes(v, link()) == ([], ())
    # nor when the link already applied it (the move's own status)
    assert (
        decision_notes(v.model_copy(update={"status_history": ()}), link("RISK_ACCEPTED"))[0] == []
    )


def test_a_decision_without_its_history_is_read_first() -> None:
    v = vuln(status="RISK_ACCEPTED")
    assert needs_decision_history(v, link())
    assert not needs_decision_history(v, link("RISK_ACCEPTED"))
    assert not needs_decision_history(vuln(status="IN_PROGRESS"), link())
    assert decision_notes(v, link()) == ([], ())


def test_a_severity_change_is_noted_once() -> None:
    v = vuln(severity="CRITICAL")
    notes, _keys = decision_notes(v, link())
    assert len(notes) == 1 and "from HIGH to CRITICAL" in notes[0]
    assert decision_notes(v, record_applied(link(), v, rev_written=9)) == ([], ())
