"""A person's reassignment of a card, carried to Conviso (R23: ``updateIssueAssignee``).

One request. A refusal — a person Conviso does not know, or this least certain of the
2026 additions answered with a GraphQL error — is a warning delivery naming them, never an
error or a retry.
"""

from __future__ import annotations

from ...ports import ConvisoQueryError
from ...rules import Level, Skip
from ...rules.decisions import ChangeConvisoAssignee
from ...rules.people import unknown_assignee_warning
from .event import InboundEvent

__all__ = ["reassign"]


def reassign(event: InboundEvent, decision: ChangeConvisoAssignee | Skip | None) -> str | None:
    """Conviso's assignee now, as an e-mail ("" for nobody); None: nothing to keep."""
    if decision is None:
        return None
    if isinstance(decision, Skip):
        event.record_skip(decision)
        return None
    conviso = event.ctx.conviso_for(event.integration_id, event.config)
    wanted = [decision.assignee] if decision.assignee else []
    try:
        now = conviso.update_issue_assignee(decision.vulnerability_id, wanted)
    except ConvisoQueryError as refused:
        warning = unknown_assignee_warning(
            decision.vulnerability_id, decision.work_item_id, decision.assignee, side="conviso"
        )
        event.record(warning.level, f"{warning.message}: {refused}", reason=warning.reason.value)
        return None
    by = f" by {decision.by}" if decision.by else ""
    event.record(
        Level.INFO,
        f"Conviso assignee → {decision.assignee or 'nobody'} (work item "
        f"#{decision.work_item_id} reassigned{by})",
        reason="assignee_changed",
    )
    return now[0] if now else ""
