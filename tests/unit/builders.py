"""Plain-data builders for the rule tests: the PRODUCT.md §4 example, and small variations.

The board is the Agile "Issues" board of the example: Bug has New, Active, Resolved,
Closed, Removed and the organization's custom "Risk Accepted"; the board has a "Testing"
column that stands for Active and an outgoing "Closed" column.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync_core.rules import (
    BoardChange,
    BoardColumn,
    BoardLayout,
    ConvisoStatus,
    IntegrationConfig,
    Link,
    Route,
    Vulnerability,
    WorkItemView,
)
from sync_core.rules.vocabulary import StateCategory

COLUMN_FIELD = "WEF_6CB4A1E5A7A14A2C9F3E0D2B1C4D5E6F_Kanban.Column"
LANE_FIELD = "WEF_6CB4A1E5A7A14A2C9F3E0D2B1C4D5E6F_Kanban.Lane"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

AGILE_BUG_STATES = {
    "New": StateCategory.PROPOSED,
    "Active": StateCategory.IN_PROGRESS,
    "Resolved": StateCategory.RESOLVED,
    "Risk Accepted": StateCategory.RESOLVED,
    "Closed": StateCategory.COMPLETED,
    "Removed": StateCategory.REMOVED,
}


def column(name: str, state: str, kind: str = "inProgress") -> BoardColumn:
    return BoardColumn(name=name, column_type=kind, state_mappings={"Bug": state})


def agile_layout(**overrides: Any) -> BoardLayout:
    data: dict[str, Any] = {
        "column_field": COLUMN_FIELD,
        "lane_field": LANE_FIELD,
        "columns": (
            column("New", "New", "incoming"),
            column("Active", "Active"),
            column("Testing", "Active"),
            column("Resolved", "Resolved"),
            column("Risk Accepted", "Risk Accepted"),
            column("Closed", "Closed", "outgoing"),
        ),
        "lanes": (None, "Security"),
        "states": AGILE_BUG_STATES,
    }
    data.update(overrides)
    return BoardLayout(**data)


EXAMPLE_STATUS_MAP: dict[str, dict[str, str]] = {
    "IDENTIFIED": {"state": "New"},
    "IN_PROGRESS": {"state": "Active"},
    "AWAITING_VALIDATION": {"column": "Testing"},
    "RISK_ACCEPTED": {"state": "Risk Accepted"},
    "FALSE_POSITIVE": {"state": "Closed"},
}


def route(**overrides: Any) -> Route:
    data: dict[str, Any] = {
        "default": True,
        "project": "Fabrikam",
        "team": "Fabrikam Team",
        "board": "Issues",
        "work_item_type": "Bug",
        "lane": None,
        "status_map": EXAMPLE_STATUS_MAP,
    }
    data.update(overrides)
    return Route.model_validate(data)


def config_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization": "fabrikam",
        "auth": {"mode": "pat", "pat": "pat-secret"},
        "conviso": {"company_id": "77", "api_key": "key", "portal_url": "https://app.example"},
        "event_secret": "event-secret",
        "webhook": {"token": "hook-token"},
        "severity_policy": ["MEDIUM", "HIGH", "CRITICAL"],
        "severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1},
        "routes": [
            {**route().model_dump(mode="json")},
            {
                "asset_id": "45",
                "project": "Payments",
                "team": "Payments Team",
                "board": "Bugs",
                "work_item_type": "Bug",
                "lane": "Security",
                "status_map": {"IDENTIFIED": {"column": "Triage"}},
            },
        ],
    }
    data.update(overrides)
    return data


def config(**overrides: Any) -> IntegrationConfig:
    return IntegrationConfig.model_validate(config_data(**overrides))


def vuln(**overrides: Any) -> Vulnerability:
    data: dict[str, Any] = {
        "id": "123",
        "title": "SQL injection in /login",
        "status": "IDENTIFIED",
        "severity": "HIGH",
        "type": "SAST_FINDING",
        "asset": {"id": "9", "name": "payments-api"},
        "description": "User input reaches the query.",
        "solution": "Use bound parameters.",
        "category": "CWE-89",
        "detail": {"fileName": "app/login.py", "vulnerableLine": 42},
        "updatedAt": T0.isoformat(),
    }
    data.update(overrides)
    return Vulnerability.model_validate(data)


def card(state: str = "New", column: str | None = "New", **overrides: Any) -> WorkItemView:
    data: dict[str, Any] = {"id": 501, "rev": 3, "state": state, "column": column, "priority": 2}
    data.update(overrides)
    return WorkItemView(**data)


def link(status: ConvisoStatus | str | None = "IDENTIFIED", **overrides: Any) -> Link:
    data: dict[str, Any] = {
        "vulnerability_id": "123",
        "work_item_id": 501,
        "last_rev_written": 3,
        "applied_status": status,
        "applied_severity": "HIGH",
        "applied_updated_at": T0 - timedelta(minutes=5),
    }
    data.update(overrides)
    return Link(**data)


def move(
    state: str | None, column: str | None, *, rev: int = 4, fields: tuple[str, ...] = ()
) -> BoardChange:
    changed = fields or ("System.State", COLUMN_FIELD, "System.BoardColumn")
    return BoardChange(
        event_id="evt-1",
        work_item_id=501,
        rev=rev,
        changed_fields=frozenset(changed),
        state=state,
        column=column,
        revised_by_id="person-1",
        revised_by_name="Jamal Hartnett",
    )
