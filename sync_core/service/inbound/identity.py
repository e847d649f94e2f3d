"""Whom the integration writes as (R8): its own revisions are echoes, a person's are moves.

Learned when the configuration is saved, else by the first event that needs it (one
connectionData read), and kept with the integration, so an event whose answer was lost is
still told from a person's.
"""

from __future__ import annotations

import logging

from ...ports import AzureDevOpsError, StateError
from ...rules import BoardChange, IntegrationConfig, Link
from ...rules.inbound import same_identity
from ..context import SyncContext

__all__ = ["learn_writer_identity", "learn_writer_identity_on_save", "needs_identity"]

log = logging.getLogger(__name__)


def learn_writer_identity(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> str | None:
    """Ask Azure DevOps who the integration's credentials are (connectionData's
    ``authenticatedUser.id``) and keep it with the integration (R8); the id, or None when
    Azure DevOps names no id. Errors are the caller's: the save logs them, an event is
    retried (an event that may be an echo is never acted on unsure)."""
    boards = ctx.boards_for(integration_id, config)
    identity = boards.current_identity().id
    if identity:
        ctx.state.integrations.set_writer_identity(integration_id, identity)
        ctx.configs.forget(integration_id)  # the next read of the configuration carries it
        log.info("integration %s writes as identity %s", integration_id, identity)
    return identity or None


def learn_writer_identity_on_save(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> None:
    """The save's attempt: a failure only leaves the identity to the first event.

    Azure DevOps unreachable or refusing, or the state refusing to keep the identity: the
    configuration is saved all the same. Anything else is a bug, and is not hidden."""
    try:
        learn_writer_identity(ctx, integration_id, config)
    except (AzureDevOpsError, StateError) as exc:
        log.info(
            "the writer identity of %s is left for the first event (%s)",
            integration_id,
            type(exc).__name__,
        )


def needs_identity(change: BoardChange, link: Link | None) -> bool:
    """Only a revision the link cannot place as ours, made by someone named, needs it."""
    return (
        link is not None
        and change.rev > link.last_rev_written
        and change.revised_by_id is not None
        and not same_identity(change.revised_by_id, link.writer_id)
    )
