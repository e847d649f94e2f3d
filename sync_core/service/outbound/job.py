"""The job value: one snapshot being applied, and everything each step of it needs.

Built in two stages because the route depends on the vulnerability as read: ``Loaded`` is
the message with its clients and its vulnerability, ``Job`` adds the route and the board
layout once they are known. Every step takes the job (and, where it changes from step to
step, the link and its ETag), so no step passes the same seven values along by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from ...ports import Boards, ConfigurationError, DeliveryDetails
from ...rules import (
    BoardLayout,
    Decision,
    IntegrationConfig,
    Level,
    Link,
    Route,
    Vulnerability,
    WorkItemView,
    history_note,
    plan_outbound,
)
from ...rules.people import ASSIGNED_TO_FIELD, unknown_assignee_warning, unknown_identity
from ..context import SyncContext
from ..messages import OutboundMessage

__all__ = ["Job", "Loaded"]


@dataclass
class Loaded:
    """A message, its integration's clients and the vulnerability it is about."""

    ctx: SyncContext
    config: IntegrationConfig
    message: OutboundMessage
    claimant: str
    #: an earlier attempt of this message may have written the card before it failed
    retried: bool
    boards: Boards
    vulnerability: Vulnerability

    @property
    def integration_id(self) -> str:
        return self.message.integration_id

    def current(self) -> Vulnerability:
        """The vulnerability as Conviso has it now (newer than any snapshot applied)."""
        return read_issue(self.ctx, self.config, self.message, self.vulnerability.id)

    def record(self, level: Level, message: str, **details: Unpack[DeliveryDetails]) -> None:
        """One delivery of this message (R11), carrying its event id."""
        details["event_id"] = self.message.event_id
        self.ctx.record(self.integration_id, level, message, **details)


@dataclass
class Job(Loaded):
    """A routed snapshot: the route its card is on (or is created on) and that board."""

    route: Route
    layout: BoardLayout
    #: a write of ours landed unseen (its answer lost): the notes it carried are on the
    #: card already, and are never written a second time (R5)
    notes_written: bool = False
    #: the update moving a new card out of its initial state is part of the create: it
    #: is said by the "created" delivery, not by one of its own
    moving_new_card: bool = False

    @classmethod
    def routed(cls, loaded: Loaded, route: Route, layout: BoardLayout) -> Job:
        """The loaded message on the route (and board) its card is on or is created on."""
        return cls(**vars(loaded), route=route, layout=layout)

    def plan(self, link: Link | None, card: WorkItemView | None) -> Decision:
        """The rules' one decision for this snapshot against the link and card given."""
        return plan_outbound(
            self.vulnerability,
            config=self.config,
            route=self.route,
            layout=self.layout,
            link=link,
            card=card,
            # State-based (R9): an unlinked vulnerability already past IDENTIFIED is planned
            # as on backfill (R2), created in its status's target. Otherwise its events,
            # processed before the older IDENTIFIED one by another worker, were skipped and
            # lost, and the card stayed where the stale snapshot put it.
            backfill=self.message.backfill or link is None,
        )

    def assessment_note(self) -> str | None:
        """R10: the history note saying the message's assessment completed, if it has one."""
        assessment = self.message.assessment
        if assessment is None:
            return None
        result = f": {assessment.result}" if assessment.result else ""
        name = assessment.name or f"#{assessment.id}"
        return history_note(
            f"Conviso assessment {name} completed{result}. "
            f"Vulnerability #{self.vulnerability.id} is {self.vulnerability.status.value}."
        )

    def without_unknown_assignee(
        self,
        refused: ConfigurationError,
        fields: dict[str, str | int],
        work_item_id: int | None,
    ) -> dict[str, str | int]:
        """The fields without Assigned To when Azure DevOps refused its person as an unknown
        identity (R23), said as a warning delivery naming them; any other refusal is raised."""
        who = unknown_identity(refused.message)
        if who is None or ASSIGNED_TO_FIELD not in fields:
            raise refused
        vulnerability_id = self.vulnerability.id
        warning = unknown_assignee_warning(
            vulnerability_id, work_item_id, str(fields[ASSIGNED_TO_FIELD]) or who, side="boards"
        )
        self.record(
            warning.level, warning.message, vulnerability_id=vulnerability_id,
            work_item_id=work_item_id, reason=warning.reason.value,
        )  # fmt: skip
        return {k: v for k, v in fields.items() if k != ASSIGNED_TO_FIELD}


def read_issue(
    ctx: SyncContext, config: IntegrationConfig, message: OutboundMessage, issue_id: str
) -> Vulnerability:
    """One vulnerability as Conviso has it now (one Conviso request)."""
    return ctx.conviso_for(message.integration_id, config).get_issue(issue_id)
