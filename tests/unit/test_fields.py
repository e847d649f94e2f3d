"""R20 (deadlines) and R21 (field mapping), as tables over the pure rules.

A mapped field is written at creation and afterwards only when Conviso's value changed
since the one applied (kept in the link), never over a person's edit of a field Conviso
did not change; every value is plain text; the SLA's APPROACHING and BREACHED each add
one history note; fields travel in the status change's one patch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync_core.rules import CreateWorkItem, Skip, UpdateWorkItem, plan_outbound, record_applied
from sync_core.rules.fields import (
    TypeField,
    changed_fields,
    conviso_values,
    create_fields,
    field_problems,
    sla_note,
)
from sync_core.rules.vocabulary import HISTORY_FIELD, SlaState

from .builders import T0, agile_layout, card, config, link, route, vuln

DUE = "Custom.RemediationDue"
SEVERITY = "Microsoft.VSTS.Common.Severity"
DUE_AT = datetime(2026, 12, 15, tzinfo=UTC)
SEVERITY_VALUES = {
    "CRITICAL": "1 - Critical", "HIGH": "2 - High", "MEDIUM": "3 - Medium", "LOW": "4 - Low",
}  # fmt: skip
FIELDS = {
    "due_date": DUE, "cve": "Custom.CVE", "cwe": "Custom.CWE", "cvss": "Custom.CVSS",
    "vulnerability_id": "Custom.VulnerabilityId", "asset": "Custom.Asset",
    "type": "Custom.FindingType", "severity": SEVERITY,
}  # fmt: skip


def mapped(**overrides: Any) -> Any:
    return route(fields=FIELDS, severity_values=SEVERITY_VALUES, **overrides)


def sla(state: str = "ON_TRACK", due: datetime | None = DUE_AT, days: int | None = 17) -> Any:
    return {"state": state, "dueAt": due.isoformat() if due else None, "daysRemaining": days}


def sca(**overrides: Any) -> Any:
    data: dict[str, Any] = {
        "type": "SCA_FINDING",
        "category": "CWE-502",
        "detail": {"package": "log4j-core", "cve": "CVE-2021-44228", "cvssScore": 10.0},
        "sla": sla(),
    }
    data.update(overrides)
    return vuln(**data)


def applied(v: Any, **overrides: Any) -> Any:
    """The link as it is once ``v`` was applied by a write."""
    return record_applied(link(**overrides), v, rev_written=3)


def plan(v: Any, the_link: Any = None, the_card: Any = None, **route_changes: Any) -> Any:
    return plan_outbound(
        v,
        config=config(),
        route=mapped(**route_changes),
        layout=agile_layout(),
        link=the_link,
        card=the_card,
    )


# ------------------------------------------------------------------ values (plain text)


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({}, "due_date", "2026-12-15T00:00:00Z"),
        ({}, "cve", "CVE-2021-44228"),
        ({}, "cwe", "CWE-502"),
        ({}, "cvss", "10"),
        ({}, "vulnerability_id", "123"),
        ({}, "asset", "payments-api (#9)"),
        ({}, "type", "SCA_FINDING"),
        ({}, "severity", "HIGH"),
        ({"detail": {"cve": "cve-2021-1234 and <b>CVE-2022-22965</b>"}}, "cve",
         "CVE-2021-1234, CVE-2022-22965"),
        ({"category": "<img src=x onerror=alert(1)>CWE-79"}, "cwe", "CWE-79"),
        ({"asset": {"id": "9", "name": "pay<script>ments\n"}}, "asset", "payscriptments (#9)"),
        ({"detail": {"cvssMetric": "CVSS:3.1/AV:N/AC:L"}}, "cvss", "CVSS:3.1/AV:N/AC:L"),
    ],
)  # fmt: skip
def test_values_are_plain_text_identifiers_never_markup(
    changes: dict[str, Any], key: str, expected: str
) -> None:
    assert conviso_values(sca(**changes))[key] == expected


@pytest.mark.parametrize(
    ("changes", "absent"),
    [
        ({"sla": None}, "due_date"),
        ({"sla": sla(due=None)}, "due_date"),
        ({"detail": {}}, "cve"),
        ({"category": "not a cwe"}, "cwe"),
        ({"detail": {}}, "cvss"),
    ],
)
def test_a_value_conviso_does_not_give_is_absent(changes: dict[str, Any], absent: str) -> None:
    assert absent not in conviso_values(sca(**changes))


# ------------------------------------------------------------------------- at creation


def test_a_new_card_carries_every_mapped_field_and_the_defaults_in_its_one_create() -> None:
    decision = plan(sca(), defaults={"Custom.Team": "AppSec"})
    assert isinstance(decision, CreateWorkItem)
    assert {k: decision.fields[k] for k in [*FIELDS.values(), "Custom.Team"]} == {
        DUE: "2026-12-15T00:00:00Z", "Custom.CVE": "CVE-2021-44228", "Custom.CWE": "CWE-502",
        "Custom.CVSS": "10", "Custom.VulnerabilityId": "123", "Custom.Asset": "payments-api (#9)",
        "Custom.FindingType": "SCA_FINDING", SEVERITY: "2 - High", "Custom.Team": "AppSec",
    }  # fmt: skip
    assert decision.fields["System.Title"].startswith("[Conviso #123]")


def test_without_severity_values_the_conviso_severity_is_written_as_it_is() -> None:
    fields = create_fields(route(fields={"severity": "Custom.Sev"}), sca())
    assert fields == {"Custom.Sev": "HIGH"}


def test_a_field_without_a_value_is_not_written_at_creation() -> None:
    fields = create_fields(mapped(), sca(sla=None, detail={}))
    assert DUE not in fields and "Custom.CVE" not in fields and "Custom.CVSS" not in fields


# ------------------------------------------------------------- later: Conviso changed it


@pytest.mark.parametrize(
    ("later", "written"),
    [
        ({"sla": sla(due=DUE_AT + timedelta(days=7))}, {DUE: "2026-12-22T00:00:00Z"}),
        ({"severity": "CRITICAL"}, {SEVERITY: "1 - Critical"}),
        ({"detail": {"cve": "CVE-2021-45046", "cvssScore": 9.0}},
         {"Custom.CVE": "CVE-2021-45046", "Custom.CVSS": "9"}),
        ({"category": "CWE-20"}, {"Custom.CWE": "CWE-20"}),
    ],
)  # fmt: skip
def test_a_field_is_written_again_only_when_conviso_changed_its_value(
    later: dict[str, Any], written: dict[str, str]
) -> None:
    the_link = applied(sca())
    newer = sca(updatedAt=(T0 + timedelta(minutes=1)).isoformat(), **later)
    fields = changed_fields(mapped(), newer, the_link)
    assert {k: v for k, v in fields.items()} == written


def test_a_persons_edit_of_a_field_conviso_did_not_change_stays() -> None:
    """The card's CVE was edited by a person; Conviso's did not change: nothing is written,
    and the status change goes alone (one patch)."""
    the_link = applied(sca())
    newer = sca(status="IN_PROGRESS", updatedAt=(T0 + timedelta(minutes=1)).isoformat())
    decision = plan(newer, the_link, card())
    assert isinstance(decision, UpdateWorkItem)
    assert decision.fields == {"System.State": "Active", agile_layout().column_field: "Active"}


def test_a_status_change_and_a_field_change_go_in_one_patch() -> None:
    the_link = applied(sca())
    newer = sca(
        status="IN_PROGRESS",
        sla=sla(due=DUE_AT + timedelta(days=1)),
        updatedAt=(T0 + timedelta(minutes=1)).isoformat(),
    )
    decision = plan(newer, the_link, card())
    assert isinstance(decision, UpdateWorkItem)
    assert decision.fields["System.State"] == "Active"
    assert decision.fields[DUE] == "2026-12-16T00:00:00Z"


def test_a_field_change_alone_updates_an_in_sync_card() -> None:
    the_link = applied(sca())
    newer = sca(severity="LOW", updatedAt=(T0 + timedelta(minutes=1)).isoformat())
    decision = plan(newer, the_link, card())
    assert isinstance(decision, UpdateWorkItem)
    assert decision.fields[SEVERITY] == "4 - Low"


def test_a_link_made_before_fields_were_kept_writes_none_then_keeps_them() -> None:
    old = link()  # applied_fields None
    assert changed_fields(mapped(), sca(), old) == {}
    after = record_applied(old, sca(), rev_written=None)
    assert after.applied_fields == conviso_values(sca())


def test_a_snapshot_without_the_sla_keeps_the_applied_due_date() -> None:
    """An event carries no SLA: the due date kept is not forgotten, so the next snapshot
    with the same SLA does not write it again over a person's edit."""
    the_link = applied(sca())
    no_sla = record_applied(the_link, sca(sla=None), rev_written=None)
    assert changed_fields(mapped(), sca(), no_sla) == {}


# ------------------------------------------------------------------ R20: SLA notes


@pytest.mark.parametrize(
    ("state", "words"),
    [("APPROACHING", "is approaching (due 2026-12-15); 3 day(s) left"),
     ("BREACHED", "was breached (due 2026-12-15)")],
)  # fmt: skip
def test_approaching_and_breached_each_add_one_note(state: str, words: str) -> None:
    the_link = applied(sca())
    newer = sca(sla=sla(state, days=3), updatedAt=(T0 + timedelta(minutes=1)).isoformat())
    decision = plan(newer, the_link, card())
    assert isinstance(decision, UpdateWorkItem)
    assert words in str(decision.fields[HISTORY_FIELD])
    after = record_applied(the_link, newer, rev_written=4)
    assert after.sla_noted == (SlaState(state),)
    again = sca(sla=sla(state, days=2), updatedAt=(T0 + timedelta(minutes=2)).isoformat())
    assert sla_note(again, after) is None
    assert isinstance(plan(again, after, card(rev=4)), Skip)


def test_breached_after_approaching_adds_its_own_note() -> None:
    approaching = record_applied(applied(sca()), sca(sla=sla("APPROACHING")), rev_written=4)
    breached = sca(sla=sla("BREACHED"), updatedAt=(T0 + timedelta(minutes=3)).isoformat())
    assert "was breached" in str(sla_note(breached, approaching))
    assert record_applied(approaching, breached, rev_written=5).sla_noted == (
        SlaState.APPROACHING,
        SlaState.BREACHED,
    )


def test_a_skip_without_a_write_does_not_count_the_note_as_said() -> None:
    newer = sca(sla=sla("BREACHED"))
    assert record_applied(applied(sca()), newer, rev_written=None).sla_noted == ()


def test_a_card_created_already_breached_gets_no_note_later() -> None:
    """The new card shows the deadline in its field; the state is counted as said."""
    created = record_applied(link(applied_fields=None), sca(sla=sla("BREACHED")), rev_written=1)
    assert created.sla_noted == (SlaState.BREACHED,)


def test_on_track_and_other_states_add_no_note() -> None:
    for state in ("ON_TRACK", "NOT_TRACKED", "RESOLVED", "NOT_PARAMETERIZED"):
        assert sla_note(sca(sla=sla(state)), applied(sca())) is None


# ------------------------------------------------------- fit to the type (save, check)


BUG_FIELDS = {
    f.reference_name.lower(): f
    for f in (
        TypeField("System.Title", "Title", always_required=True),
        TypeField("Custom.RemediationDue", "Remediation Due"),
        TypeField("Custom.CVE", "CVE"),
        TypeField(SEVERITY, "Severity", allowed_values=tuple(SEVERITY_VALUES.values()),
                  has_default=True),
        TypeField("Custom.Team", "Team", allowed_values=("AppSec", "Payments")),
        TypeField("Microsoft.VSTS.Common.ValueArea", "Value Area", always_required=True,
                  allowed_values=("Architectural", "Business"), has_default=True),
    )
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"fields": {"due_date": DUE, "cve": "Custom.CVE"}}, []),
        ({"fields": {"due_date": "Microsoft.VSTS.Scheduling.DueDate"}},
         [("fields.due_date",
           "field 'Microsoft.VSTS.Scheduling.DueDate' does not exist on work item type 'Bug'")]),
        ({"fields": {"severity": SEVERITY}},
         [("fields.severity", "'Microsoft.VSTS.Common.Severity' allows only '1 - Critical', "
           "'2 - High', '3 - Medium', '4 - Low': map each Conviso severity to one of them in "
           "severity_values")]),
        ({"fields": {"severity": SEVERITY},
          "severity_values": {**SEVERITY_VALUES, "HIGH": "High"}},
         [("severity_values.HIGH", "'High' is not an allowed value of "
           "'Microsoft.VSTS.Common.Severity' (allowed: '1 - Critical', '2 - High', "
           "'3 - Medium', '4 - Low')")]),
        ({"defaults": {"Custom.Team": "Security"}},
         [("defaults.Custom.Team", "'Security' is not an allowed value of 'Custom.Team' "
           "(allowed: 'AppSec', 'Payments')")]),
        ({"defaults": {"Custom.Nope": "x"}},
         [("defaults.Custom.Nope", "field 'Custom.Nope' does not exist on work item type 'Bug'")]),
        ({"fields": {"cve": "custom.cve"}}, []),  # reference names compare case-blind
    ],
)  # fmt: skip
def test_named_fields_and_values_are_checked_against_the_type(
    changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert field_problems(route(**changes), BUG_FIELDS) == expected


def test_a_field_the_type_requires_without_a_default_must_be_given() -> None:
    required = {**BUG_FIELDS, "custom.team": TypeField("Custom.Team", "Team", True, ("AppSec",))}
    assert field_problems(route(), required) == [
        ("defaults", "work item type 'Bug' requires field 'Custom.Team': give it a value in "
         "defaults"),
    ]  # fmt: skip
    assert field_problems(route(defaults={"Custom.Team": "AppSec"}), required) == []
