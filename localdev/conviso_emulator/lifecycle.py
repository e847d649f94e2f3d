"""The emulator's model of Conviso's status lifecycle: who may set which status.

Conviso documents the lifecycle (docs ``workflow-status.md``) but not the exact
``permittedStatus`` table, so this is our reading of it:

- People (and the API) make the *decisions*: IDENTIFIED, IN_PROGRESS, AWAITING_VALIDATION,
  RISK_ACCEPTED, FALSE_POSITIVE. Any of them may follow any non-final status.
- RISK_ACCEPTED and FALSE_POSITIVE are *final*: nothing reverts them automatically, and a
  person may only reopen them (back to IDENTIFIED).
- FIX_ACCEPTED ("Fixed") is set by a scan that no longer finds the issue; through the API
  it is never permitted. A fixed issue found again returns to IDENTIFIED.
- The current status is never "permitted": asking for it again is refused.
"""

from __future__ import annotations

__all__ = [
    "DECISIONS",
    "FINAL",
    "REOPENED_BY_SCAN",
    "SCAN_CANNOT_CLOSE",
    "permitted_statuses",
]

DECISIONS: tuple[str, ...] = (
    "IDENTIFIED",
    "IN_PROGRESS",
    "AWAITING_VALIDATION",
    "RISK_ACCEPTED",
    "FALSE_POSITIVE",
)
FINAL: frozenset[str] = frozenset({"RISK_ACCEPTED", "FALSE_POSITIVE"})

#: A scan that finds the issue again sends these back to IDENTIFIED.
REOPENED_BY_SCAN: frozenset[str] = frozenset({"FIX_ACCEPTED", "AWAITING_VALIDATION"})

#: A scan that no longer finds the issue leaves these alone (human decisions, or not open).
SCAN_CANNOT_CLOSE: frozenset[str] = FINAL | {"FIX_ACCEPTED", "SUPPRESSED"}


def permitted_statuses(current: str) -> list[str]:
    """What ``changeIssueStatus`` accepts for an issue now in ``current``."""
    if current in FINAL or current in {"FIX_ACCEPTED", "SUPPRESSED"}:
        return ["IDENTIFIED"]
    return [s for s in DECISIONS if s != current]
