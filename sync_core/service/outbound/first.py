"""The first card of a vulnerability, made once however many workers race for it (R1).

The claim protocol (``adapters/state/links.py``): whoever claims the link row creates the
card and completes the claim into the link; a loser finds the link (and applies to its
card) or a live claim (and applies its snapshot later). A claim of our own earlier attempt,
or of a claimant that died, may hide a create that landed: the tag is looked up first.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ...ports import OUTBOUND_QUEUE, ClaimResult
from ...rules import CreateWorkItem
from .create import create_card, say_created
from .existing import apply_to_card, move_from_initial
from .heal import link_found_card, tagged_card
from .job import Job
from .writes import finish

__all__ = ["create_first_card"]

log = logging.getLogger(__name__)
#: how long a snapshot waits while another worker creates its card (claims last 120 s)
_HELD_DELAY = timedelta(seconds=2)


def create_first_card(job: Job) -> None:
    """Claim the vulnerability's link, then create its card, heal an interrupted create,
    apply to the card a winner made, or wait for the one being made."""
    decision = job.plan(None, None)
    if not isinstance(decision, CreateWorkItem):
        finish(job, decision)
        return
    links = job.ctx.state.links
    outcome = links.claim(job.integration_id, job.vulnerability.id, job.claimant)
    if outcome.result == ClaimResult.LINKED and outcome.link is not None:
        apply_to_card(job, outcome.link, outcome.etag)
        return
    if outcome.result == ClaimResult.HELD and outcome.claimant != job.claimant:
        _later(job)
        return
    etag = outcome.etag
    if outcome.result != ClaimResult.WON:
        # Our own earlier attempt, or a claimant that died: the create may have happened.
        item = tagged_card(job)
        if outcome.claimant != job.claimant:
            etag = links.take_over(job.integration_id, job.vulnerability.id, job.claimant, etag)
        if item is not None:
            apply_to_card(job, *link_found_card(job, item, etag))
            return
    link, etag = create_card(job, decision, etag)
    try:
        move_from_initial(job, link, etag)
    finally:
        say_created(job, link)


def _later(job: Job) -> None:
    """Another worker is creating the card: apply this snapshot a little later, as a new
    message. Raising instead spent the message's five attempts within seconds, and a
    claim stays held for up to the claim TTL (a creator that died, an answer lost), so
    every sibling event for the vulnerability went to poison."""
    log.info("vulnerability %s is being created elsewhere; applying later", job.vulnerability.id)
    job.ctx.state.queues.send(
        OUTBOUND_QUEUE, job.message.model_dump(mode="json"), delay=_HELD_DELAY
    )
