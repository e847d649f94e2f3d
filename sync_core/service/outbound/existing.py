"""A linked card: decide on it and execute the decision, however the race for it goes.

Concurrent workers of one vulnerability are ordered by the link's ETag: each saves the link
guarded by the ETag it read *before* looking at the card, and the loser decides again on
what the winner saved. A write is guarded by ``test /rev``; a decision to write nothing is
not, so it may have been made on the card as it was just before another worker's write
landed. That writer, when it loses the race for the link (or its answer was lost: a 412 on
the retry, a queue retry), must not skip its now-older snapshot as stale: it converges on
Conviso's *current* state against the card as it is now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ...ports import RevisionConflict, WorkItemNotFound
from ...rules import (
    CreateWorkItem,
    Decision,
    Link,
    Skip,
    SkipReason,
    UpdateWorkItem,
    WorkItemView,
    work_item_view,
)
from ...rules.vocabulary import HISTORY_FIELD
from ..errors import Retry
from .create import replace_card
from .heal import adopt_replacement
from .job import Job
from .writes import LinkMoved, finish, update_card, write_fields

__all__ = ["apply_to_card", "move_from_initial"]

log = logging.getLogger(__name__)
_CONFLICT_ATTEMPTS = 5


@dataclass
class _Tries:
    """Where the attempts on one card stand."""

    link: Link
    etag: str
    #: the card as last read (None: read it before deciding)
    card: WorkItemView | None
    #: sticky: once a write of ours may have landed unseen, every stale verdict converges
    in_doubt: bool
    #: R23: a person's reassignment may have reached Conviso meanwhile: read it again
    refresh: bool = False


def apply_to_card(job: Job, link: Link, etag: str) -> None:
    """Apply the snapshot to the linked card, or find it in sync, and remember it (module
    docstring: the race for the link). Raises ``Retry`` when the card keeps changing."""
    # a retry trusts no card it kept
    tries = _Tries(link, etag, None if job.retried else link.card, in_doubt=job.retried)
    for attempt in range(_CONFLICT_ATTEMPTS):
        _look_at_card(job, tries)
        decision = _without_notes(job, job.plan(tries.link, tries.card))
        if tries.in_doubt and _is_stale(decision):
            # A write of ours may have landed after a newer snapshot was found in sync.
            job.vulnerability = job.current()
            continue
        if _executed(job, tries, decision, attempt):
            return
        _read_link_again(job, tries)
    raise Retry(f"work item #{tries.link.work_item_id} kept changing during the update")


def _look_at_card(job: Job, tries: _Tries) -> None:
    """Read the card when it is not known; a write of ours found on it is taken as known."""
    if tries.card is not None:
        return
    tries.card = _read_card(job, tries.link)
    if tries.in_doubt and tries.card is not None and _ours_unseen(job, tries.link, tries.card):
        # Our write landed and its answer was lost: the card as re-read says so.
        card = tries.card
        tries.link = tries.link.model_copy(update={"last_rev_written": card.rev, "card": card})
        job.notes_written = True


def _executed(job: Job, tries: _Tries, decision: Decision, attempt: int) -> bool:
    """Execute the decision; False when the card or the link changed meanwhile (``tries``
    then says how much is in doubt), and the snapshot is decided again."""
    link = tries.link
    try:
        _decide(job, link, tries.etag, tries.card, decision)
        return True
    except RevisionConflict:
        # Someone moved the card, or our own write landed and its answer was lost
        # (the client's retry of the PATCH was refused): read it and decide again.
        tries.refresh = job.route.assignees == "sync"
        log.info(
            "work item %s changed since last seen (attempt %s)", link.work_item_id, attempt + 1
        )
        tries.in_doubt = True
    except WorkItemNotFound:
        log.info("work item %s disappeared during the update", link.work_item_id)
    except LinkMoved as moved:
        log.info("link of vulnerability %s saved meanwhile", job.vulnerability.id)
        tries.in_doubt = tries.in_doubt or moved.wrote
        tries.refresh = moved.wrote and job.route.assignees == "sync"
    return False


def _read_link_again(job: Job, tries: _Tries) -> None:
    """The link as another worker saved it; the card is read again before deciding."""
    stored = job.ctx.state.links.get(job.integration_id, job.vulnerability.id)
    if stored is None:  # the integration's links were removed meanwhile
        raise Retry(f"the link of vulnerability {job.vulnerability.id} vanished")
    tries.link, tries.etag, tries.card = stored.link, stored.etag, None
    if tries.refresh:
        # R23: a person's reassignment may have reached Conviso meanwhile (its event
        # saved the link): decide on Conviso's assignee now, not on this older snapshot
        job.vulnerability = job.current()
        tries.refresh = False


def _decide(job: Job, link: Link, etag: str, card: WorkItemView | None, decision: Decision) -> None:
    """Execute one decision on the linked card."""
    if isinstance(decision, CreateWorkItem):  # the card was deleted (R6)
        _replace_deleted(job, decision, link, etag)
        return
    if isinstance(decision, UpdateWorkItem):
        update_card(job, link, etag, decision)
        return
    note = None if job.notes_written else job.assessment_note()
    if note and card is not None and not _is_stale(decision):
        # R10: an assessment's result reaches the card even when its status is in sync.
        write_fields(job, link, etag, card.id, card.rev, {HISTORY_FIELD: note})
        return
    finish(job, decision, link=link, etag=etag, card=card)


def _replace_deleted(job: Job, decision: CreateWorkItem, old: Link, old_etag: str) -> None:
    """R6: link the replacement an interrupted attempt made, or create one; then apply."""
    adopted = adopt_replacement(job, old, old_etag)
    if adopted is not None:
        apply_to_card(job, *adopted)
        return
    move_from_initial(job, *replace_card(job, decision, old, old_etag))


def move_from_initial(job: Job, link: Link, etag: str) -> None:
    """R5: Azure Boards creates a card only in its type's initial state, so a card whose
    target is another state (or a column of another state) is moved there by one guarded
    update right after the create — two requests, never more. The card the create answered
    is the one the update is guarded by, so a person's move in between is never overwritten."""
    if link.card is None:
        return
    if isinstance(job.plan(link, link.card), UpdateWorkItem):
        job.moving_new_card = True
        try:
            apply_to_card(job, link, etag)
        finally:
            job.moving_new_card = False


def _read_card(job: Job, link: Link) -> WorkItemView | None:
    try:
        item = job.boards.get_work_item(link.work_item_id, project=job.route.project)
    except WorkItemNotFound:
        return None
    return work_item_view(item, job.layout)


def _ours_unseen(job: Job, link: Link, card: WorkItemView) -> bool:
    """The card's newest revision is the integration's own, and newer than any it knows."""
    ours = job.config.service_identity or link.writer_id
    return ours is not None and card.changed_by_id == ours and card.rev > link.last_rev_written


def _without_notes(job: Job, decision: Decision) -> Decision:
    """R5: a note is written at most once. After a write of ours landed unseen, the notes
    this snapshot asks for went with it; what else it asks for is still written."""
    if not job.notes_written or not isinstance(decision, UpdateWorkItem):
        return decision
    if HISTORY_FIELD not in decision.fields:
        return decision
    fields = {k: v for k, v in decision.fields.items() if k != HISTORY_FIELD}
    if fields:
        return decision.model_copy(update={"fields": fields})
    return Skip(
        reason=SkipReason.IN_SYNC,
        message=f"card already shows {decision.status.value} (its note was written)",
    )


def _is_stale(decision: Decision) -> bool:
    return isinstance(decision, Skip) and decision.reason == SkipReason.STALE_SNAPSHOT
