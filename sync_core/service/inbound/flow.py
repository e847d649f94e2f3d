"""The inbound use case, start to end: screen, place the change on the route's board,
then either a status move (read Conviso, decide, change) or only what the revision says
otherwise (a move on another board, a reassignment alone), and remember what was seen.
"""

from __future__ import annotations

from ...rules import IntegrationConfig, Skip
from ...rules.inbound import for_route_board, is_status_move
from ...rules.people import plan_assignee
from ..context import SyncContext
from ..messages import InboundMessage
from .reassign import reassign
from .remember import remember_move, remember_seen
from .screen import screen
from .status import change_status

__all__ = ["apply_board_change"]


def apply_board_change(
    ctx: SyncContext, config: IntegrationConfig, message: InboundMessage
) -> None:
    """The inbound use case; raises ``Retry`` or an adapter's transient error to retry."""
    event = screen(ctx, config, message)
    if event is None:
        return
    boards = ctx.boards_for(event.integration_id, config)
    layout = ctx.layouts.get(event.integration_id, event.route, boards)
    on_board = for_route_board(event.change, layout)
    # R23: a reassignment is the assignee's own change, whatever the card's position did
    reassigned = plan_assignee(event.change, route=event.route, link=event.link)
    column = event.change.columns.get(layout.column_field)
    if not isinstance(on_board, Skip) and is_status_move(on_board.changed_fields):
        applied = change_status(event, on_board, layout)
        assignee = reassign(event, reassigned)
        remember_move(event, on_board, applied, column, assignee)
        return
    if isinstance(on_board, Skip):  # a move on another team's board (R7)
        event.record_skip(on_board)
    # else a reassignment alone: one Conviso request, no status read (R23)
    assignee = reassign(event, reassigned)
    remember_seen(event, column, assignee)
