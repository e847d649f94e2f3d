"""Azure Boards as the rules see it: the board's layout, the card as it is, the link
that pairs it with a vulnerability, and a person's change to it.

Plain frozen data the adapters build from Azure DevOps' answers and the state stores;
the rules decide over it and never call back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from .model_base import FROZEN
from .vocabulary import ConvisoStatus, Severity, SlaState, StateCategory

__all__ = ["BoardChange", "BoardColumn", "BoardLayout", "Link", "WorkItemView"]


class _Frozen(BaseModel):
    model_config = FROZEN


class BoardColumn(_Frozen):
    name: str
    column_type: Literal["incoming", "inProgress", "outgoing"] = "inProgress"
    #: work item type name -> the state that column stands for
    state_mappings: dict[str, str] = {}
    is_split: bool = False


class BoardLayout(_Frozen):
    """What the rules need to know of one route's board and work item type."""

    column_field: str  # WEF_<guid>_Kanban.Column
    lane_field: str | None = None  # WEF_<guid>_Kanban.Lane
    done_field: str | None = None  # WEF_<guid>_Kanban.Column.Done
    columns: tuple[BoardColumn, ...] = ()
    lanes: tuple[str | None, ...] = (None,)
    #: the type's states in order, with their categories
    states: dict[str, StateCategory] = {}
    #: the field a team's board filters on (``teamsettings/teamfieldvalues``: System.AreaPath
    #: unless the project uses another team field) and the team's default value for it. A card
    #: is on the team's board only when that field holds one of the team's values (R3).
    team_field: str | None = None
    team_default: str | None = None

    def column(self, name: str) -> BoardColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def initial_state(self) -> str | None:
        """The state Azure Boards creates a work item in: the type's first state of category
        Proposed (R5). A create naming another state is refused with TF401320."""
        return next((n for n, c in self.states.items() if c == StateCategory.PROPOSED), None)

    def completed_state(self) -> str | None:
        """Only one state per type may be in Completed; map by category, never by name."""
        return next((n for n, c in self.states.items() if c == StateCategory.COMPLETED), None)


class WorkItemView(_Frozen):
    """The card as Azure Boards shows it now."""

    id: int
    rev: int
    state: str
    column: str | None = None
    lane: str | None = None
    priority: int | None = None
    tags: frozenset[str] = frozenset()
    #: who made the revision ``rev`` (an Azure DevOps identity id), when known
    changed_by_id: str | None = None
    #: the card's Assigned To as an e-mail in lower case, "" when nobody; None when not
    #: known (R23)
    assigned_to: str | None = None


class Link(_Frozen):
    """What the integration remembers of one vulnerability <-> work item pair (R1)."""

    vulnerability_id: str
    work_item_id: int
    route_key: str = "default"
    #: the project the card is in (R3: a card stays there when the routing changes);
    #: None for links made before it was kept
    project: str | None = None
    #: the last revision the integration itself wrote (events up to it are echoes, R8)
    last_rev_written: int = 0
    #: the newest revision seen in an inbound event (older events are stale, R9)
    last_rev_seen: int = 0
    applied_status: ConvisoStatus | None = None
    applied_severity: Severity | None = None
    applied_updated_at: datetime | None = None
    #: the card as the integration last saw it (its own write, or an inbound event), so a
    #: steady-state update needs no read before its write; ``test /rev`` catches staleness
    card: WorkItemView | None = None
    #: the identity the integration's own writes were made as (read off their answers), so a
    #: revision by anyone else is known to be a person's
    writer_id: str | None = None
    #: Conviso's values last applied to the card's mapped fields (``rules.fields``), by
    #: what they are ("cve", "due_date"…), so a field is written again only when Conviso
    #: changed it, never over a person's edit (R20, R21); None for links made before
    applied_fields: dict[str, str] | None = None
    #: the SLA states already said on the card, at most one note each (R20)
    sla_noted: tuple[SlaState, ...] = ()
    #: when the reconcile pass found that Conviso no longer returns the vulnerability (R25)
    vanished_at: datetime | None = None
    #: Conviso's assignee (an e-mail in lower case, "" for nobody) as last known (R23): a
    #: Conviso value different from it is Conviso's change, a card value different from it
    #: a person's. None for links made before it was kept.
    applied_assignee: str | None = None
    #: the Conviso decisions (status history entries) already said on the card (R24)
    decisions_noted: tuple[str, ...] = ()


class BoardChange(_Frozen):
    """A ``workitem.updated`` event reduced to what the inbound rule needs.

    A card shown on several teams' boards carries one ``WEF_<guid>_Kanban.Column`` per
    board (R7), and the edge cannot tell which is the route's: the route is known only
    once the worker has read the link. So ``columns`` keeps every board's column (field
    reference name -> column after the change); which of them moved is in
    ``changed_fields``. ``column`` is the route's board column once known: set by the
    worker from ``columns`` (``rules.inbound.for_route_board``), by reconcile from the
    card it read, or, in a message queued before ``columns`` existed, by the edge.
    """

    event_id: str
    work_item_id: int
    rev: int
    changed_fields: frozenset[str]
    state: str | None
    column: str | None = None
    columns: dict[str, str] = {}
    revised_by_id: str | None = None
    revised_by_name: str | None = None
    #: the mover's e-mail (``revisedBy.uniqueName``, or the "Name <email>" of
    #: ``System.ChangedBy``), for Conviso's ``externalAuthorIdentifier`` (R24)
    revised_by_email: str | None = None
    #: System.AssignedTo after the change, as an e-mail ("" when unassigned), when this
    #: revision changed it; None when it did not (R23)
    assigned_to: str | None = None
    #: the card's date fields as of the revision (reference name -> ISO 8601), so a risk
    #: acceptance reads ``fields.risk_accepted_until`` without reading the card (R24)
    dates: dict[str, str] = {}
