"""A status move (R7, R24): read the issue, let the rules decide, change it in Conviso.

The read is what makes the decision safe: the status Conviso has now and the statuses it
permits from there. A refusal of a status the issue does not permit is a warning, never a
retry: the card stays where the person put it and the delivery says why.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...ports import StatusNotPermitted
from ...rules import (
    BoardChange,
    BoardLayout,
    ChangeConvisoStatus,
    Level,
    Vulnerability,
    plan_inbound,
)
from .event import InboundEvent

__all__ = ["change_status"]


def change_status(event: InboundEvent, change: BoardChange, layout: BoardLayout) -> Vulnerability:
    """The issue as Conviso has it after the move: changed, or as read when the move asks
    nothing of it (or Conviso refused)."""
    conviso = event.ctx.conviso_for(event.integration_id, event.config)
    current = conviso.get_issue(event.link.vulnerability_id)
    decision = plan_inbound(
        change, route=event.route, layout=layout, link=event.link, current=current.status,
        permitted=current.permitted_status, today=datetime.now(UTC).date(),
    )  # fmt: skip
    if not isinstance(decision, ChangeConvisoStatus):
        event.record_skip(decision)
        return current
    try:
        # R24: the mover's e-mail, and until when a risk acceptance lasts
        applied = conviso.change_issue_status(
            decision.vulnerability_id, decision.status, decision.reason,
            external_author=decision.external_author,
            risk_accepted_until=decision.risk_accepted_until,
        )  # fmt: skip
    except StatusNotPermitted as exc:
        event.record(
            Level.WARN, f"Conviso refused {decision.status.value}: {exc}", reason="not_permitted"
        )
        return current
    event.record(
        Level.INFO,
        f"Conviso status {current.status.value} → {decision.status.value}: {decision.reason}",
        reason="status_changed",
    )
    return applied
