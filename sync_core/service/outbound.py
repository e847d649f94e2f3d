"""Conviso → Boards: apply one vulnerability snapshot to its one card (R1–R6, R9, R10).

Load what the rules need, ask them for one decision, execute it, remember the outcome.
A steady-state status change costs one Azure DevOps request: the card last seen is kept
in the link, the board layout is cached, and a stale card is caught by ``test /rev``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Unpack

from ..adapters.azure_devops import (
    ConfigurationError,
    RevisionConflict,
    TransientError,
    WorkItemNotFound,
)
from ..adapters.azure_devops.layout import work_item_view
from ..adapters.state import StaleEntity
from ..adapters.state.deliveries import DeliveryDetails
from ..adapters.state.links import ClaimResult
from ..adapters.state.queues import OUTBOUND_QUEUE
from ..ports import Boards, WorkItemRecord
from ..rules import (
    BoardLayout,
    CreateWorkItem,
    Decision,
    IntegrationConfig,
    Level,
    Link,
    Route,
    Skip,
    SkipReason,
    UpdateWorkItem,
    Vulnerability,
    WorkItemView,
    history_note,
    needs_asset_tags,
    plan_outbound,
    record_applied,
    route_for,
    vulnerability_tag,
)
from ..rules.people import (
    ASSIGNED_TO_FIELD,
    needs_decision_history,
    unknown_assignee_warning,
    unknown_identity,
)
from ..rules.vocabulary import HISTORY_FIELD
from .context import SyncContext
from .errors import Retry
from .inbound import route_by_key
from .messages import OutboundMessage
from .refused import resume

__all__ = ["apply_vulnerability"]

log = logging.getLogger(__name__)
_CONFLICT_ATTEMPTS = 5
#: how long a snapshot waits while another worker creates its card (claims last 120 s)
_HELD_DELAY = timedelta(seconds=2)


class _Job:
    """One snapshot being applied: the loaded pieces the steps share."""

    def __init__(
        self,
        ctx: SyncContext,
        integration_id: str,
        config: IntegrationConfig,
        message: OutboundMessage,
        claimant: str,
        retried: bool,
    ) -> None:
        self.ctx, self.integration_id, self.config = ctx, integration_id, config
        self.message, self.claimant = message, claimant
        #: an earlier attempt of this message may have written the card before it failed
        self.retried = retried
        #: a write of ours landed unseen (its answer lost): the notes it carried are on the
        #: card already, and are never written a second time (R5)
        self.notes_written = False
        #: the update moving a new card out of its initial state is part of the create: it
        #: is said by the "created" delivery, not by one of its own
        self.moving_new_card = False
        self.boards: Boards = ctx.boards_for(integration_id, config)

    def current(self, vulnerability_id: str) -> Vulnerability:
        """The vulnerability as Conviso has it now (newer than any snapshot applied)."""
        return self.ctx.conviso_for(self.integration_id, self.config).get_issue(vulnerability_id)

    def plan(
        self,
        vulnerability: Vulnerability,
        route: Route,
        layout: BoardLayout,
        link: Link | None,
        card: WorkItemView | None,
    ) -> Decision:
        return plan_outbound(
            vulnerability,
            config=self.config,
            route=route,
            layout=layout,
            link=link,
            card=card,
            # State-based (R9): an unlinked vulnerability already past IDENTIFIED is planned
            # as on backfill (R2), created in its status's target. Otherwise its events,
            # processed before the older IDENTIFIED one by another worker, were skipped and
            # lost, and the card stayed where the stale snapshot put it.
            backfill=self.message.backfill or link is None,
        )

    def record(self, level: Level, message: str, **details: Unpack[DeliveryDetails]) -> None:
        details["event_id"] = self.message.event_id
        self.ctx.record(self.integration_id, level, message, **details)


def _note_for_assessment(job: _Job, vulnerability: Vulnerability) -> str | None:
    assessment = job.message.assessment
    if assessment is None:
        return None
    result = f": {assessment.result}" if assessment.result else ""
    name = assessment.name or f"#{assessment.id}"
    return history_note(
        f"Conviso assessment {name} completed{result}. "
        f"Vulnerability #{vulnerability.id} is {vulnerability.status.value}."
    )


def apply_vulnerability(
    ctx: SyncContext,
    config: IntegrationConfig,
    message: OutboundMessage,
    *,
    claimant: str,
    retried: bool = False,
) -> None:
    """The outbound use case; raises ``Retry`` or an adapter's transient error to retry.

    ``retried``: the queue delivers this message again after a failure, so an earlier
    attempt's write may have landed (its answer lost, or the worker died after it).
    """
    job = _Job(ctx, message.integration_id, config, message, claimant, retried)
    vulnerability = message.snapshot
    if vulnerability is None:
        vulnerability = job.current(message.issue_id)
    stored = ctx.state.links.get(job.integration_id, vulnerability.id)
    if stored is None and needs_asset_tags(config, vulnerability.asset):
        vulnerability = job.current(vulnerability.id)  # R22: the event did not say the tags
    elif needs_decision_history(vulnerability, stored.link if stored else None):
        # R24: a decision made in Conviso is said naming who and why; an event that does
        # not carry the status history is read (one Conviso request, per decision only)
        vulnerability = job.current(vulnerability.id)
    route = route_for(config, vulnerability.asset)
    if stored is not None:
        # R3: a linked vulnerability keeps its card, on its link's route, in its project;
        # a routing change governs new cards only (and is said once per card).
        route = _route_of_card(job, vulnerability, stored.link, now_routed=route)
        if route is None:
            return
    if route is None:
        _finish(
            job,
            vulnerability,
            None,
            plan_outbound(
                vulnerability, config=config, route=None, layout=None, link=None, card=None
            ),
        )
        return
    layout = ctx.layouts.get(job.integration_id, route, job.boards)
    if stored is None:
        _first_card(job, vulnerability, route, layout)
    else:
        _existing_card(job, vulnerability, route, layout, stored.link, stored.etag)


def _route_of_card(
    job: _Job, vulnerability: Vulnerability, link: Link, *, now_routed: Route | None
) -> Route | None:
    """The route a linked card is kept on: its link's, while that route still points at the
    card's project. Otherwise the card is left alone (never recreated elsewhere, never taken
    for deleted) and the change is recorded once per card; ``POST .../reroute`` moves
    existing cards to their new route when an operator asks for it."""
    route = route_by_key(job.config, link.route_key)
    if route is not None and (link.project is None or link.project == route.project):
        if now_routed is not None and now_routed.key != route.key:
            _say_once(
                job, vulnerability, link, f"rerouted:{now_routed.key}",
                f"asset {vulnerability.asset.id} is now routed to {now_routed.key} "
                f"({now_routed.project}); work item #{link.work_item_id} stays on route "
                f"{route.key} ({route.project}): routes govern new cards",
            )  # fmt: skip
        return route
    where = (
        f"route {link.route_key} no longer exists"
        if route is None
        else f"route {route.key} now points at project {route.project}"
    )
    _say_once(
        job, vulnerability, link, f"orphaned:{link.route_key}:{route.project if route else ''}",
        f"work item #{link.work_item_id} is in project {link.project or '?'} but {where}: "
        "it is not kept in sync until it is moved (POST .../reroute) or the route restored",
        level=Level.WARN,
    )  # fmt: skip
    return None


def _say_once(
    job: _Job, vulnerability: Vulnerability, link: Link, what: str, message: str,
    *, level: Level = Level.INFO,
) -> None:  # fmt: skip
    if job.ctx.state.events.first_time(
        job.integration_id, "route-change", f"{vulnerability.id}:{what}"
    ):
        job.record(
            level, message, vulnerability_id=vulnerability.id,
            work_item_id=link.work_item_id, reason="rerouted", route_key=link.route_key,
        )  # fmt: skip


# ------------------------------------------------------------------ first card (R1)


def _first_card(job: _Job, vulnerability: Vulnerability, route: Route, layout: BoardLayout) -> None:
    decision = job.plan(vulnerability, route, layout, None, None)
    if not isinstance(decision, CreateWorkItem):
        _finish(job, vulnerability, route, decision)
        return
    links = job.ctx.state.links
    outcome = links.claim(job.integration_id, vulnerability.id, job.claimant)
    if outcome.result == ClaimResult.LINKED and outcome.link is not None:
        _existing_card(job, vulnerability, route, layout, outcome.link, outcome.etag)
        return
    etag = outcome.etag
    if outcome.result == ClaimResult.HELD and outcome.claimant != job.claimant:
        _later(job, vulnerability)
        return
    if outcome.result != ClaimResult.WON:
        # Our own earlier attempt, or a claimant that died: the create may have happened.
        item = _tagged_card(job, route.project, vulnerability.id)
        if outcome.claimant != job.claimant:
            etag = links.take_over(job.integration_id, vulnerability.id, job.claimant, etag)
        if item is not None:
            link = Link(
                vulnerability_id=vulnerability.id, work_item_id=item.id, route_key=route.key,
                project=route.project,
            )  # fmt: skip
            link = link.model_copy(update={"card": work_item_view(item, layout)})
            etag = links.complete(job.integration_id, link, etag)
            _healed(
                job, vulnerability, route, layout, link, etag,
                f"work item #{item.id} was found by its tag after an interrupted create; "
                "linked it instead of creating another",
            )  # fmt: skip
            return
    _create(job, vulnerability, route, layout, decision, etag)


def _later(job: _Job, vulnerability: Vulnerability) -> None:
    """Another worker is creating the card: apply this snapshot a little later, as a new
    message. Raising instead spent the message's five attempts within seconds, and a
    claim stays held for up to the claim TTL (a creator that died, an answer lost), so
    every sibling event for the vulnerability went to poison."""
    log.info("vulnerability %s is being created elsewhere; applying later", vulnerability.id)
    job.ctx.state.queues.send(
        OUTBOUND_QUEUE, job.message.model_dump(mode="json"), delay=_HELD_DELAY
    )


#: Answers that say the create was not processed: a throttled request is refused before it
#: is looked at. Any 5xx, a 503 included, may come after the write landed (R1).
_NOT_PROCESSED = frozenset({429})


def _certainly_not_created(exc: TransientError | ConfigurationError) -> bool:
    if isinstance(exc, ConfigurationError):
        return True
    return not exc.may_have_succeeded or exc.status in _NOT_PROCESSED


def _create(
    job: _Job,
    vulnerability: Vulnerability,
    route: Route,
    layout: BoardLayout,
    decision: CreateWorkItem,
    claim_etag: str,
    *,
    replacing: tuple[Link, str] | None = None,
) -> None:
    if replacing is not None and _adopt_replacement(job, vulnerability, route, layout, *replacing):
        return
    fields = dict(decision.fields)
    note = _note_for_assessment(job, vulnerability)
    if note:
        fields[HISTORY_FIELD] = note
    links = job.ctx.state.links
    try:
        try:
            item = job.boards.create_work_item(
                decision.project,
                decision.work_item_type,
                fields,
                tags=decision.tags,
                hyperlink=decision.hyperlink,
            )
        except ConfigurationError as refused:
            # R23: a person Azure DevOps does not know is a warning; the card is made
            # without them (a refused create made nothing: no tag look-up needed)
            fields = _without_unknown_assignee(job, refused, fields, vulnerability, None)
            item = job.boards.create_work_item(
                decision.project,
                decision.work_item_type,
                fields,
                tags=decision.tags,
                hyperlink=decision.hyperlink,
            )
    except (TransientError, ConfigurationError) as exc:
        if replacing is None and _certainly_not_created(exc):
            links.release(job.integration_id, vulnerability.id, claim_etag)
        raise  # in doubt, the claim stays: the retry looks the tag up first (R1)
    card = work_item_view(item, layout)
    if replacing is not None:
        old, old_etag = replacing
        link = record_applied(
            old.model_copy(
                update={"work_item_id": item.id, "route_key": route.key, "project": route.project}
            ),
            vulnerability,
            rev_written=item.rev,
            written=card,
        )
        etag = links.replace_work_item(
            job.integration_id, link, old_etag, previous_work_item_id=old.work_item_id
        )
        job.record(
            Level.WARN,
            f"work item #{old.work_item_id} was deleted in Azure Boards; "
            f"created #{item.id} in its place",
            vulnerability_id=vulnerability.id,
            work_item_id=item.id,
            reason="replaced",
            route_key=route.key,
        )
        _move_from_initial(job, vulnerability, route, layout, link, etag)
        return
    link = record_applied(
        Link(
            vulnerability_id=vulnerability.id,
            work_item_id=item.id,
            route_key=route.key,
            project=route.project,
        ),
        vulnerability,
        rev_written=item.rev,
        written=card,
    )
    etag = links.complete(job.integration_id, link, claim_etag)
    _resumed(job, route)
    job.record(
        Level.INFO,
        f"created work item #{item.id} for vulnerability {vulnerability.id} "
        f"({vulnerability.status.value})",
        vulnerability_id=vulnerability.id,
        work_item_id=item.id,
        reason="created",
        route_key=route.key,
    )
    _move_from_initial(job, vulnerability, route, layout, link, etag)


def _move_from_initial(
    job: _Job, vulnerability: Vulnerability, route: Route, layout: BoardLayout,
    link: Link, etag: str,
) -> None:  # fmt: skip
    """R5: Azure Boards creates a card only in its type's initial state, so a card whose
    target is another state (or a column of another state) is moved there by one guarded
    update right after the create — two requests, never more. The card the create answered
    is the one the update is guarded by, so a person's move in between is never overwritten."""
    if link.card is None:
        return
    if isinstance(job.plan(vulnerability, route, layout, link, link.card), UpdateWorkItem):
        job.moving_new_card = True
        try:
            _existing_card(job, vulnerability, route, layout, link, etag)
        finally:
            job.moving_new_card = False


def _adopt_replacement(
    job: _Job, vulnerability: Vulnerability, route: Route, layout: BoardLayout,
    old: Link, old_etag: str,
) -> bool:  # fmt: skip
    """R6 has no claim: a replacement created by an attempt that died before the link
    write (or whose answer was lost) would be created again on the retry. Look the tag up
    first, as a first create does (R1), and link what is there. One query per replacement."""
    item = _tagged_card(job, route.project, vulnerability.id, besides=old.work_item_id)
    if item is None:
        return False
    # as a healed first card: no revision of it is known yet (a person may have moved it)
    link = old.model_copy(
        update={"work_item_id": item.id, "route_key": route.key, "project": route.project,
                "last_rev_seen": 0,
                "last_rev_written": 0, "card": work_item_view(item, layout)}
    )  # fmt: skip
    etag = job.ctx.state.links.replace_work_item(
        job.integration_id, link, old_etag, previous_work_item_id=old.work_item_id
    )
    _healed(
        job, vulnerability, route, layout, link, etag,
        f"work item #{old.work_item_id} was deleted in Azure Boards; found #{item.id} by its "
        "tag after an interrupted replacement and linked it instead of creating another",
    )  # fmt: skip
    return True


def _tagged_card(
    job: _Job, project: str, vulnerability_id: str, *, besides: int | None = None
) -> WorkItemRecord | None:
    """The card an interrupted create made, found by its ``conviso-vuln-<id>`` tag (R1).

    WIQL's ``CONTAINS`` on tags is not documented to match whole tags only, so each item
    found is read and linked only when its tags hold exactly ours: ``conviso-vuln-12``
    must never adopt the card of ``conviso-vuln-123``."""
    tag = vulnerability_tag(vulnerability_id)
    for work_item_id in job.boards.find_work_items_by_tag(project, tag):
        if work_item_id == besides:
            continue
        try:
            item = job.boards.get_work_item(work_item_id, project=project)
        except WorkItemNotFound:
            continue
        if tag in item.tags:
            return item
    return None


def _healed(
    job: _Job, vulnerability: Vulnerability, route: Route, layout: BoardLayout,
    link: Link, etag: str, message: str,
) -> None:  # fmt: skip
    """A card an interrupted attempt made, now linked: say so (R11), then apply the snapshot."""
    job.record(
        Level.WARN, message,
        vulnerability_id=vulnerability.id, work_item_id=link.work_item_id, reason="healed",
    )  # fmt: skip
    _existing_card(job, vulnerability, route, layout, link, etag)


# ---------------------------------------------------------------- existing card


class _LinkMoved(Exception):
    """Another worker saved the link between our read of it and our save."""

    def __init__(self, *, wrote: bool) -> None:
        super().__init__("the link was saved by another worker")
        #: our write reached the card before we lost the race for the link
        self.wrote = wrote


def _existing_card(
    job: _Job,
    vulnerability: Vulnerability,
    route: Route,
    layout: BoardLayout,
    link: Link,
    etag: str,
) -> None:
    """Apply a snapshot to the linked card, or find it in sync, and remember it.

    Concurrent workers of one vulnerability are ordered by the link's ETag: each saves the
    link guarded by the ETag it read *before* looking at the card, and the loser decides
    again on what the winner saved. A write is guarded by ``test /rev``; a decision to write
    nothing is not, so it may have been made on the card as it was just before another
    worker's write landed. That writer, when it loses the race for the link (or its answer
    was lost: a 412 on the retry, a queue retry), must not skip its now-older snapshot as
    stale: it converges on Conviso's *current* state against the card as it is now.
    """
    # Sticky: once a write of ours may have landed unseen, every stale verdict converges.
    in_doubt = job.retried
    refresh = False
    card = None if in_doubt else link.card  # a retry trusts nothing it kept
    for attempt in range(_CONFLICT_ATTEMPTS):
        if card is None:
            card = _read_card(job, link, route, layout)
            if in_doubt and card is not None and _ours_unseen(job, link, card):
                # Our write landed and its answer was lost: the card as re-read says so.
                link = link.model_copy(update={"last_rev_written": card.rev, "card": card})
                job.notes_written = True
        decision = _without_notes(job, job.plan(vulnerability, route, layout, link, card))
        if in_doubt and _is_stale(decision):
            # A write of ours may have landed after a newer snapshot was found in sync.
            vulnerability = job.current(vulnerability.id)
            continue
        try:
            _decide(job, vulnerability, route, layout, link, etag, card, decision)
            return
        except RevisionConflict:
            # Someone moved the card, or our own write landed and its answer was lost
            # (the client's retry of the PATCH was refused): read it and decide again.
            refresh = route.assignees == "sync"
            log.info(
                "work item %s changed since last seen (attempt %s)", link.work_item_id, attempt + 1
            )
            in_doubt = True
        except WorkItemNotFound:
            log.info("work item %s disappeared during the update", link.work_item_id)
        except _LinkMoved as moved:
            log.info("link of vulnerability %s saved meanwhile", vulnerability.id)
            in_doubt = in_doubt or moved.wrote
            refresh = moved.wrote and route.assignees == "sync"
        stored = job.ctx.state.links.get(job.integration_id, vulnerability.id)
        if stored is None:  # the integration's links were removed meanwhile
            raise Retry(f"the link of vulnerability {vulnerability.id} vanished")
        link, etag, card = stored.link, stored.etag, None
        if refresh:
            # R23: a person's reassignment may have reached Conviso meanwhile (its event
            # saved the link): decide on Conviso's assignee now, not on this older snapshot
            vulnerability = job.current(vulnerability.id)
            refresh = False
    raise Retry(f"work item #{link.work_item_id} kept changing during the update")


def _ours_unseen(job: _Job, link: Link, card: WorkItemView) -> bool:
    """The card's newest revision is the integration's own, and newer than any it knows."""
    ours = job.config.service_identity or link.writer_id
    return ours is not None and card.changed_by_id == ours and card.rev > link.last_rev_written


def _without_notes(job: _Job, decision: Decision) -> Decision:
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


def _decide(
    job: _Job,
    vulnerability: Vulnerability,
    route: Route,
    layout: BoardLayout,
    link: Link,
    etag: str,
    card: WorkItemView | None,
    decision: Decision,
) -> None:
    """Execute one decision on the linked card."""
    if isinstance(decision, CreateWorkItem):  # the card was deleted (R6)
        _create(job, vulnerability, route, layout, decision, etag, replacing=(link, etag))
        return
    if isinstance(decision, UpdateWorkItem):
        _update(job, vulnerability, route, layout, link, etag, decision)
        return
    note = None if job.notes_written else _note_for_assessment(job, vulnerability)
    if note and card is not None and not _is_stale(decision):
        # R10: an assessment's result reaches the card even when its status is in sync.
        _write(job, route, layout, link, etag, vulnerability, card.id, card.rev,
               {HISTORY_FIELD: note})  # fmt: skip
        return
    _finish(job, vulnerability, route, decision, link=link, etag=etag, card=card)


def _read_card(job: _Job, link: Link, route: Route, layout: BoardLayout) -> WorkItemView | None:
    try:
        return work_item_view(
            job.boards.get_work_item(link.work_item_id, project=route.project), layout
        )
    except WorkItemNotFound:
        return None


def _update(
    job: _Job,
    vulnerability: Vulnerability,
    route: Route,
    layout: BoardLayout,
    link: Link,
    etag: str,
    decision: UpdateWorkItem,
) -> None:
    fields = dict(decision.fields)
    note = None if job.notes_written else _note_for_assessment(job, vulnerability)
    if note:
        fields[HISTORY_FIELD] = (
            (str(fields[HISTORY_FIELD]) + note) if HISTORY_FIELD in fields else note
        )
    _write(
        job,
        route,
        layout,
        link,
        etag,
        vulnerability,
        decision.work_item_id,
        decision.expected_rev,
        fields,
    )
    if job.moving_new_card:
        return
    what = "reopened" if decision.reopen else "updated"
    job.record(
        Level.INFO,
        f"{what} work item #{decision.work_item_id}: {vulnerability.status.value}",
        vulnerability_id=vulnerability.id,
        work_item_id=decision.work_item_id,
        reason=what,
        route_key=route.key,
    )


def _write(
    job: _Job,
    route: Route,
    layout: BoardLayout,
    link: Link,
    etag: str,
    vulnerability: Vulnerability,
    work_item_id: int,
    expected_rev: int,
    fields: dict[str, str | int],
) -> None:
    """One guarded PATCH, then the link. A transient error is raised as it is: the write
    may have landed, and the queue's retry (``retried``) converges on Conviso's state."""
    try:
        item = job.boards.update_work_item(
            work_item_id, expected_rev=expected_rev, fields=fields, project=route.project
        )
    except ConfigurationError as refused:
        # R23: the assignee Azure DevOps does not know is left out (a warning), the rest
        # of the patch is written; the link keeps Conviso's assignee, so no later snapshot
        # tries it again
        fields = _without_unknown_assignee(job, refused, fields, vulnerability, work_item_id)
        if not fields:
            _save(job, record_applied(link, vulnerability, rev_written=None), etag, wrote=False)
            return
        item = job.boards.update_work_item(
            work_item_id, expected_rev=expected_rev, fields=fields, project=route.project
        )
    updated = record_applied(
        link, vulnerability, rev_written=item.rev, written=work_item_view(item, layout)
    )
    try:
        job.ctx.state.links.save(job.integration_id, updated, etag)
    except StaleEntity:
        raise _LinkMoved(wrote=True) from None
    _resumed(job, route)


def _without_unknown_assignee(
    job: _Job,
    refused: ConfigurationError,
    fields: dict[str, str | int],
    vulnerability: Vulnerability,
    work_item_id: int | None,
) -> dict[str, str | int]:
    """The fields without Assigned To when Azure DevOps refused its person as an unknown
    identity (R23), said as a warning delivery naming them; any other refusal is raised."""
    who = unknown_identity(refused.message)
    if who is None or ASSIGNED_TO_FIELD not in fields:
        raise refused
    warning = unknown_assignee_warning(
        vulnerability.id, work_item_id, str(fields[ASSIGNED_TO_FIELD]) or who, side="boards"
    )
    job.record(
        warning.level, warning.message, vulnerability_id=vulnerability.id,
        work_item_id=work_item_id, reason=warning.reason.value,
    )  # fmt: skip
    return {k: v for k, v in fields.items() if k != ASSIGNED_TO_FIELD}


def _save(job: _Job, link: Link, etag: str, *, wrote: bool) -> None:
    try:
        job.ctx.state.links.save(job.integration_id, link, etag)
    except StaleEntity:
        raise _LinkMoved(wrote=wrote) from None


def _finish(
    job: _Job,
    vulnerability: Vulnerability,
    route: Route | None,
    decision: Decision,
    *,
    link: Link | None = None,
    etag: str | None = None,
    card: WorkItemView | None = None,
) -> None:
    """A skip: remember the snapshot was applied (R9) and say why nothing was written."""
    assert isinstance(decision, Skip)
    if link is not None and etag is not None and decision.reason != SkipReason.STALE_SNAPSHOT:
        updated = record_applied(link, vulnerability, rev_written=None)
        if card is not None:
            updated = updated.model_copy(update={"card": card})
        if updated != link:
            try:
                job.ctx.state.links.save(job.integration_id, updated, etag)
            except StaleEntity:
                raise _LinkMoved(wrote=False) from None
    job.record(
        decision.level,
        decision.message,
        vulnerability_id=vulnerability.id,
        work_item_id=link.work_item_id if link else None,
        reason=decision.reason.value,
        route_key=route.key if route else None,
    )


def _resumed(job: _Job, route: Route) -> None:
    """A write on a route this process paused went through: resume it, and send the work it
    refused meanwhile back to the queue (R14)."""
    if (job.integration_id, route.key) in job.ctx.paused:
        resume(job.ctx, job.integration_id, route.key, why="a write on it succeeded")
