"""Reconcile and backfill (R13): missed events heal by themselves.

Azure DevOps drops events while a hook is on probation and Conviso sends none of its own,
so each pass pulls the truth and feeds it through the *same* paths as the queue workers:

- Conviso → Boards: issues newest change first (``iter_issues``), down to the ``conviso``
  watermark, each through ``outbound.apply_vulnerability``; the rules write only what
  differs, and a snapshot already applied costs no Azure DevOps request (the link keeps
  the card last seen). Because the listing is newest first, the watermark advances to the
  newest ``updated_at`` seen only once the whole pass down to the old watermark succeeded;
  a run killed midway leaves it where it was and the next run starts over from it, finding
  what the dead run applied already applied (no second card: the claim protocol).
- Boards → Conviso: tagged items changed since the ``boards`` watermark (WIQL on
  ``ChangedDate``), fetched 200 at a time, each as a ``BoardChange`` through
  ``inbound.apply_board_change``, which screens echoes and stale revisions.

A backfill is the Conviso pass from the beginning (no watermark) with ``backfill`` set, so a
vulnerability already in a later mapped status is created there (R2). A dry run plans with
the pure rules and writes nothing. One run per integration at a time: a lease, renewed
every page. The claimant of creates is the same for every run of an integration, so a run
resuming after a dead one recognises its claims and looks the tag up instead of waiting.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Protocol, Unpack, cast

from ..adapters.auth import ReauthorizationNeeded
from ..adapters.azure_devops import (
    MAX_BATCH_IDS,
    AuthenticationError,
    ConfigurationError,
    WorkItemNotFound,
)
from ..adapters.azure_devops.layout import identity_id, work_item_view
from ..adapters.azure_devops.models import Identity, WorkItem, parse_tags
from ..adapters.conviso import (
    ConvisoAuthError,
    ConvisoError,
    ConvisoQueryError,
    ConvisoRequestError,
)
from ..adapters.state import StaleEntity, StoredLink
from ..adapters.state.deliveries import DeliveryDetails
from ..ports import Boards
from ..rules import (
    BoardChange,
    BoardLayout,
    CreateWorkItem,
    IntegrationConfig,
    Level,
    Link,
    UpdateWorkItem,
    Vulnerability,
    WorkItemView,
    plan_outbound,
    route_for,
)
from ..rules.vocabulary import (
    CHANGED_BY_FIELD,
    CONVISO_TAG,
    STATE_FIELD,
    TAGS_FIELD,
    tagged_vulnerability,
)
from .backfill import Progress, clear_cursor, load_cursor, save_cursor
from .context import SyncContext
from .discovery import AzureDevOpsRefused, azure_devops_answers
from .errors import ServiceError
from .inbound import apply_board_change, route_by_key
from .intake import load_integration, purge_event_ids
from .messages import InboundMessage, OutboundMessage
from .oauth import mark_needs_reauthorization
from .outbound import apply_vulnerability
from .refused import refuse, refused_route_key, resume
from .vanished import check_vanished

__all__ = ["ReconcileBusy", "reconcile", "reconcile_all", "safe_reason"]

log = logging.getLogger(__name__)

LEASE = "reconcile"
CONVISO_MARK, BOARDS_MARK = "conviso", "boards"
DEFAULT_WORKERS = 4
DEFAULT_PER_PAGE = 100
PROGRESS_EVERY = 500
#: Renewed before every page; a dead run's lease frees itself after this.
LEASE_TTL = timedelta(minutes=10)
_PERMANENT = (ConfigurationError, ConvisoAuthError, ConvisoRequestError, ConvisoQueryError)


class ReconcileBusy(ServiceError):
    status = 409
    code = "conflict"


class _Reader(Protocol):
    """The Azure DevOps reads of the Boards pass."""

    def current_identity(self) -> Identity: ...
    def find_changed_work_items(
        self, project: str, since: datetime | None, tag: str
    ) -> list[int]: ...
    def get_work_items(self, ids: list[int], *, project: str | None = None) -> list[WorkItem]: ...


@dataclass
class _Tallying(SyncContext):
    """The service context, counting the reason of every delivery the use cases record."""

    tally: Counter[str] = field(default_factory=Counter)
    tally_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def around(cls, ctx: SyncContext) -> _Tallying:
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(SyncContext)})

    def record(
        self, integration_id: str, level: Level, message: str, **details: Unpack[DeliveryDetails]
    ) -> None:
        with self.tally_lock:
            self.tally[str(details.get("reason") or level.value)] += 1
        super().record(integration_id, level, message, **details)

    def counts(self) -> dict[str, int]:
        with self.tally_lock:
            return dict(self.tally)


@dataclass
class _Run:
    ctx: SyncContext
    integration_id: str
    config: IntegrationConfig
    backfill: bool
    dry_run: bool
    workers: int
    per_page: int
    lease_ttl: timedelta
    progress_every: int
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    aborted: str | None = None
    #: routes paused by a configuration error when the run began (R14); the first change on
    #: each is a probe: applied, it resumes the route; refused, the rest of it is held
    paused: frozenset[str] = frozenset()
    probe_failed: set[str] = field(default_factory=set)
    #: ``updated_at`` of the vulnerabilities whose apply failed: the watermark stops there
    failed_at: list[datetime] = field(default_factory=list)
    resumed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    probes: dict[str, threading.Lock] = field(default_factory=dict)
    #: the Conviso poll (R18): a change already applied is passed over with one link read,
    #: so a quiet poll costs no Azure DevOps request and writes nothing
    poll: bool = False

    def probe_lock(self, route_key: str) -> threading.Lock:
        with self.lock:
            return self.probes.setdefault(route_key, threading.Lock())

    @property
    def event_id(self) -> str:
        return f"reconcile-{self.run_id}"

    @property
    def claimant(self) -> str:
        # One per integration, not per run: the lease keeps runs apart, and a run after a
        # dead one then owns its leftover claims (it looks the tag up; R1).
        return f"reconcile-{self.integration_id}"

    def renew(self) -> None:
        if self.dry_run:
            return
        if not self.ctx.state.leases.acquire(
            self.integration_id, LEASE, self.run_id, self.lease_ttl
        ):
            raise ReconcileBusy(f"another reconcile of '{self.integration_id}' took over")

    def note(self, level: Level, message: str, reason: str) -> None:
        self.ctx.record(self.integration_id, level, message, reason=reason, event_id=self.event_id)


def reconcile(
    ctx: SyncContext,
    integration_id: str,
    *,
    backfill: bool = False,
    dry_run: bool = False,
    workers: int = DEFAULT_WORKERS,
    per_page: int = DEFAULT_PER_PAGE,
    lease_ttl: timedelta = LEASE_TTL,
    progress_every: int = PROGRESS_EVERY,
) -> dict[str, Any]:
    """One pass both ways; the report says what was done (or, dry, what would be)."""
    config = load_integration(ctx, integration_id)
    run = _Run(
        ctx, integration_id, config, backfill, dry_run,
        max(1, min(workers, 16)), max(1, min(per_page, 100)), lease_ttl, max(1, progress_every),
    )  # fmt: skip
    started = time.monotonic()
    if not dry_run and not ctx.state.leases.acquire(integration_id, LEASE, run.run_id, lease_ttl):
        raise ReconcileBusy(f"a reconcile of '{integration_id}' is already running")
    try:
        if not dry_run:
            run.paused = _release_refused(run)
        conviso = _conviso_pass(run)
        boards = _boards_pass(run) if run.aborted is None else {"skipped": run.aborted}
        vanished = (  # R25: a bounded, rotating check of linked vulnerabilities
            check_vanished(ctx, integration_id, config, dry_run=dry_run)
            if run.aborted is None
            else {"skipped": run.aborted}
        )
        trimmed = 0 if dry_run else _trim_deliveries(ctx, integration_id)
    finally:
        if not dry_run:
            ctx.state.leases.release(integration_id, LEASE, run.run_id)
    report = {
        "run_id": run.run_id,
        "mode": "backfill" if backfill else "reconcile",
        "dry_run": dry_run,
        "complete": run.aborted is None
        and not conviso.get("deferred")
        and not boards.get("deferred"),
        "conviso_to_boards": conviso,
        "boards_to_conviso": boards,
        "vanished": vanished,
        "deliveries_trimmed": trimmed,
        "event_ids_purged": 0 if dry_run else purge_event_ids(ctx, integration_id),  # R19
        "seconds": round(time.monotonic() - started, 3),
    }
    if not dry_run:
        run.note(
            Level.INFO if report["complete"] else Level.WARN,
            f"{report['mode']} {run.run_id}: {conviso.get('seen', 0)} vulnerabilities and "
            f"{boards.get('seen', 0)} changed work items looked at"
            + ("" if report["complete"] else "; some were left for the next run"),
            reason="reconcile",
        )
    return report


def _release_refused(run: _Run) -> frozenset[str]:
    """R14: refused work of a route that is not paused (any more) goes back to the queue;
    the paused routes are returned, for this run to probe."""
    ctx, iid = run.ctx, run.integration_id
    paused = frozenset(ctx.state.integrations.get_status(iid).paused_routes)
    waiting = ctx.state.refused.counts(iid)
    for route_key in sorted(set(waiting) - paused):
        resume(ctx, iid, route_key, why="reconcile found it not paused")
    return paused


def _trim_deliveries(ctx: SyncContext, integration_id: str) -> int:
    """Keep the latest 1,000 deliveries (R11). Done here, once a pass, so that recording
    an outcome is one insert on the hot path; a failed trim is retried by the next pass."""
    try:
        return ctx.state.deliveries.trim(integration_id)
    except Exception as exc:  # the pass itself succeeded; the next one trims
        log.warning("trimming the deliveries of %s failed: %s", integration_id, safe_reason(exc))
        return 0


def reconcile_all(ctx: SyncContext) -> dict[str, str]:
    """The timer: every integration in turn; one failing never stops the others."""
    outcome: dict[str, str] = {}
    for integration_id in ctx.state.integrations.list_ids():
        try:
            report = reconcile(ctx, integration_id)
            outcome[integration_id] = "complete" if report["complete"] else "partial"
        except ReconcileBusy:
            outcome[integration_id] = "busy"
        except Exception as exc:  # recorded for the operator; the next integration goes on
            log.warning("reconcile of %s failed: %s", integration_id, type(exc).__name__)
            outcome[integration_id] = "failed"
            ctx.record(
                integration_id,
                Level.ERROR,
                f"reconcile failed: {safe_reason(exc)}",
                reason="reconcile",
            )
    return outcome


def safe_reason(exc: Exception) -> str:
    """Adapter and service errors carry safe messages; anything else is named only."""
    if isinstance(exc, ServiceError | ConvisoError | ConfigurationError):
        return str(exc)[:500]
    return type(exc).__name__


# ----------------------------------------------------------- Conviso → Boards


def _pages(items: Iterator[Vulnerability], size: int) -> Iterator[list[Vulnerability]]:
    while page := list(islice(items, size)):
        yield page


def _conviso_pass(run: _Run) -> dict[str, Any]:
    ctx, iid = run.ctx, run.integration_id
    mark = ctx.state.watermarks.get(iid, CONVISO_MARK)
    since = None if run.backfill else mark.value
    tallying = _Tallying.around(ctx)
    outcomes: Counter[str] = Counter()
    newest: datetime | None = None
    seen = 0
    apply = _plan if run.dry_run else _apply
    progress = _begin_progress(run)
    if progress.resumed is not None:  # the dead run's pages count towards the watermark
        newest = progress.resumed.newest

    def step(vulnerability: Vulnerability) -> str:
        return apply(run, tallying, vulnerability)

    try:
        listing = ctx.conviso_for(iid, run.config).iter_issues(
            run.config.conviso.company_id, since=since, per_page=run.per_page,
            **_paging(run, progress),
        )  # fmt: skip
        with ThreadPoolExecutor(run.workers, thread_name_prefix="reconcile") as pool:
            for page in _pages(listing, run.per_page):
                run.renew()
                if not run.poll:
                    _warm_layouts(run, page)
                page_outcomes = list(pool.map(step, page))
                outcomes.update(page_outcomes)
                page_newest = max(v.updated_at for v in page)
                newest = page_newest if newest is None else max(newest, page_newest)
                _page_applied(run, progress, page_newest, page_outcomes)
                before, seen = seen, seen + len(page)
                if not run.dry_run and seen // run.progress_every > before // run.progress_every:
                    _progress(run, progress, tallying.counts())
                if run.aborted:
                    break
        _listed_all(run, progress)
    except ConvisoAuthError as exc:
        raise AzureDevOpsRefused(
            f"Conviso refused this integration's API key: {exc}", status=424, code="conviso_auth"
        ) from exc
    except ConvisoError as exc:
        raise AzureDevOpsRefused(
            f"Conviso could not be read ({exc}); try again", status=503, code="unavailable"
        ) from exc
    answer: dict[str, Any] = {"seen": seen, "since": _iso(since)}
    if run.dry_run:
        return {**answer, **_dry_summary(outcomes)}
    answer["progress"] = progress.snapshot()
    deferred = outcomes.pop("deferred", 0)
    held = outcomes.pop("held", 0)
    answer.update(
        outcomes=tallying.counts(), failed=outcomes.get("failed", 0), deferred=deferred,
        held_for_paused_routes=held,
    )  # fmt: skip
    # R14: the watermark never passes a vulnerability whose apply failed; the next pass
    # lists it again (``since`` is inclusive), so it is applied once its route works.
    stop = min(run.failed_at) if run.failed_at else newest
    answer["watermark"] = _advance(run, CONVISO_MARK, stop, deferred or run.aborted)
    return answer


def _warm_layouts(run: _Run, page: list[Vulnerability]) -> None:
    """Read the page's board layouts once, before the workers all miss the cache at once."""
    routes = {route.key: route for v in page if (route := route_for(run.config, v.asset))}
    for route in routes.values():
        try:
            boards = run.ctx.boards_for(run.integration_id, run.config)
            run.ctx.layouts.get(run.integration_id, route, boards)
        except Exception:  # each vulnerability meets (and records) the failure itself
            log.info("the layout of route %s could not be read ahead", route.key)


def _apply(
    run: _Run, ctx: _Tallying, vulnerability: Vulnerability, *, retried: bool = False
) -> str:
    """One vulnerability through the queue worker's path; "done", "failed", "held" or
    "deferred". ``retried``: the card may not be what the link remembers (read it first).

    On a route paused by a configuration error (R14) the first change is a probe, made
    alone: applied, the route resumes and its refused work is sent again; refused, the rest
    of the route is held for this run — no request, no second error per vulnerability."""
    if run.aborted:
        return "deferred"
    if run.poll and _already_applied(run, vulnerability):
        return "unchanged"
    message = OutboundMessage(
        integration_id=run.integration_id,
        event_id=run.event_id,
        issue_id=vulnerability.id,
        snapshot=vulnerability,
        backfill=run.backfill,
    )
    route_key = refused_route_key(run.ctx, run.config, message) if run.paused else None
    if route_key is None or route_key not in run.paused:
        return _apply_message(run, ctx, message, vulnerability, retried)
    with run.probe_lock(route_key):
        if route_key in run.probe_failed:
            with run.lock:
                run.failed_at.append(vulnerability.updated_at)
            return "held"
        if route_key not in run.resumed:
            outcome = _apply_message(run, ctx, message, vulnerability, retried)
            if outcome == "done":
                run.resumed.add(route_key)
                resume(
                    run.ctx, run.integration_id, route_key, why="a reconcile pass applied a change"
                )
            return outcome
    return _apply_message(run, ctx, message, vulnerability, retried)


def _already_applied(run: _Run, vulnerability: Vulnerability) -> bool:
    """The snapshot is the one the link says was applied (the poll lists the changes at
    its watermark's second again): nothing to do, and nothing to say."""
    stored = run.ctx.state.links.get(run.integration_id, vulnerability.id)
    link = stored.link if stored else None
    return (
        link is not None
        and link.applied_updated_at == vulnerability.updated_at
        and link.applied_status == vulnerability.status
    )


def _apply_message(
    run: _Run, ctx: _Tallying, message: OutboundMessage, vulnerability: Vulnerability,
    retried: bool,
) -> str:  # fmt: skip
    try:
        apply_vulnerability(ctx, run.config, message, claimant=run.claimant, retried=retried)
        return "done"
    except (ReauthorizationNeeded, AuthenticationError, ConvisoAuthError) as exc:
        if isinstance(exc, ReauthorizationNeeded):
            mark_needs_reauthorization(ctx, exc)
        run.aborted = f"credentials refused: {safe_reason(exc)}"
        return "deferred"
    except _PERMANENT as exc:
        # As the worker does (R14): recorded with the service's own message, not retried,
        # kept in the refused ledger; the watermark stays before it.
        key = refuse(ctx, run.config, message, exc, event_id=run.event_id,
                     vulnerability_id=vulnerability.id)  # fmt: skip
        with run.lock:
            run.failed_at.append(vulnerability.updated_at)
            if key is not None:
                run.probe_failed.add(key)
        return "failed"
    except Exception as exc:  # transient: the next run tries again from the same watermark
        log.info(
            "reconcile left vulnerability %s for later (%s)", vulnerability.id, type(exc).__name__
        )
        return "deferred"


def _plan(run: _Run, ctx: _Tallying, vulnerability: Vulnerability) -> str:
    """Dry run: what the rules would decide, from storage and reads only."""
    stored = run.ctx.state.links.get(run.integration_id, vulnerability.id)
    link = stored.link if stored else None
    route = route_for(run.config, vulnerability.asset)
    if link is not None:  # a linked card stays on its link's route (R3)
        route = route_by_key(run.config, link.route_key)
    if route is None:
        decision = plan_outbound(
            vulnerability, config=run.config, route=None, layout=None, link=link, card=None
        )
    else:
        with azure_devops_answers():
            boards = run.ctx.boards_for(run.integration_id, run.config)
            layout = run.ctx.layouts.get(run.integration_id, route, boards)
            card = link.card if link else None
            if link is not None and card is None:
                card = _read_card(boards, link, route.project, layout)
        # As outbound plans it: an unlinked vulnerability past IDENTIFIED is planned as on
        # backfill (R2, R9), so the dry run reports the card the real run would create.
        decision = plan_outbound(
            vulnerability, config=run.config, route=route, layout=layout, link=link,
            card=card, backfill=run.backfill or link is None,
        )  # fmt: skip
    if isinstance(decision, CreateWorkItem):
        return "would_create"
    if isinstance(decision, UpdateWorkItem):
        return "would_update"
    return f"skip:{decision.reason.value}"


def _read_card(
    boards: Boards, link: Link, project: str, layout: BoardLayout
) -> WorkItemView | None:
    try:
        return work_item_view(boards.get_work_item(link.work_item_id, project=project), layout)
    except WorkItemNotFound:
        return None


def _dry_summary(outcomes: Counter[str]) -> dict[str, Any]:
    skipped = {k.removeprefix("skip:"): n for k, n in outcomes.items() if k.startswith("skip:")}
    return {
        "would_create": outcomes.get("would_create", 0),
        "would_update": outcomes.get("would_update", 0),
        "skipped": skipped,
    }


def _progress(run: _Run, progress: Progress, counts: dict[str, int]) -> None:
    """Done of total (Conviso's ``totalCount``), requests Azure DevOps refused, time left."""
    run.note(Level.INFO, progress.text(run.event_id, counts), "progress")


def _begin_progress(run: _Run) -> Progress:
    """A backfill resumes from the cursor of one that did not finish (``backfill.py``)."""
    resumable = run.backfill and not run.dry_run and not run.poll
    cursor = load_cursor(run.ctx, run.integration_id) if resumable else None
    return Progress(run.run_id, run.per_page, resumed=cursor)


def _paging(run: _Run, progress: Progress) -> dict[str, Any]:
    """A backfill starts at its cursor's page and counts to ``totalCount``; an incremental
    pass lists as it always did."""
    if not run.backfill:
        return {}
    return {"start_page": progress.start_page, "on_page": progress.page_fetched}


def _page_applied(
    run: _Run, progress: Progress, page_newest: datetime, outcomes: list[str]
) -> None:
    cursor = progress.page_applied(page_newest, outcomes)
    if cursor is not None and run.backfill and not run.dry_run:
        save_cursor(run.ctx, run.integration_id, cursor)


def _listed_all(run: _Run, progress: Progress) -> None:
    """The backfill went to the end of the listing: the next one starts from the top."""
    if run.backfill and not run.dry_run and not run.aborted:
        clear_cursor(run.ctx, run.integration_id, run.run_id)


# ----------------------------------------------------------- Boards → Conviso


def _boards_pass(run: _Run) -> dict[str, Any]:
    ctx, iid, config = run.ctx, run.integration_id, run.config
    mark = ctx.state.watermarks.get(iid, BOARDS_MARK)
    tallying = _Tallying.around(ctx)
    outcomes: Counter[str] = Counter()
    newest: datetime | None = None
    seen = 0
    with azure_devops_answers():
        client = cast(_Reader, ctx.boards_for(iid, config))
        me = client.current_identity().id
        for project in sorted({route.project for route in config.routes}):
            ids = client.find_changed_work_items(project, mark.value, CONVISO_TAG)
            for chunk in _chunks(ids, MAX_BATCH_IDS):
                run.renew()
                for item in client.get_work_items(chunk, project=project):
                    seen += 1
                    changed = _changed_at(item)
                    if changed is not None and (newest is None or changed > newest):
                        newest = changed
                    tagged = _tagged_link(run, item)
                    outcomes[
                        _by_tag(run, tallying, item, project, me, tagged)
                        or _reapply(run, tallying, client, item, me, tagged)
                    ] += 1
    answer: dict[str, Any] = {"seen": seen, "since": _iso(mark.value)}
    if run.dry_run:
        return {**answer, "would_reapply": outcomes.get("would_reapply", 0)}
    deferred = outcomes.get("deferred", 0)
    answer.update(
        duplicates=outcomes.get("duplicate", 0),
        late_writes=outcomes.get("late_write", 0),
        reapplied=outcomes.get("done", 0),
        own_writes=outcomes.get("own", 0),
        unchanged=outcomes.get("unchanged", 0),
        outcomes=tallying.counts(),
        deferred=deferred,
    )
    answer["watermark"] = _advance(run, BOARDS_MARK, newest, deferred)
    return answer


def _tagged_link(run: _Run, item: WorkItem) -> StoredLink | None:
    """The link of the vulnerability a card's ``conviso-vuln-<id>`` tag names (one read)."""
    vulnerability_id = tagged_vulnerability(parse_tags(item.fields.get(TAGS_FIELD)))
    if vulnerability_id is None:
        return None
    return run.ctx.state.links.get(run.integration_id, vulnerability_id)


def _by_tag(
    run: _Run,
    ctx: _Tallying,
    item: WorkItem,
    project: str,
    me: str | None,
    stored: StoredLink | None,
) -> str | None:
    """What a card's tag (``stored``: the link it names) reveals that its revisions do not;
    None when nothing, and the card goes on to :func:`_reapply`.

    Both begin as writes of our own identity, whose hook events are ignored (R8), so nothing
    else would ever show them: a second card of a linked vulnerability (a create whose
    answer was lost, landing after the retry's tag search found nothing, R1), and a revision
    of ours the link does not know (an update that landed after the worker gave up on it
    and found the card in sync)."""
    if stored is None:
        return None  # no tag, or not linked (yet: a claim is a create in flight)
    vulnerability_id = stored.link.vulnerability_id
    if stored.link.work_item_id != item.id:
        route = route_by_key(run.config, stored.link.route_key)
        kind = str(item.fields.get("System.WorkItemType", ""))
        if (
            route is None
            or route.project.casefold() != project.casefold()
            or route.work_item_type.casefold() != kind.casefold()
        ):
            return None  # a card of another board or integration sharing the tag
        return _report_duplicate(run, ctx, item, vulnerability_id, stored.link.work_item_id)
    if me is not None and _changed_by_id(item) == me and item.rev > stored.link.last_rev_written:
        return _converge_late_write(run, ctx, vulnerability_id)
    return None


def _changed_by_id(item: WorkItem) -> str | None:
    return identity_id(item.fields.get(CHANGED_BY_FIELD))


def _converge_late_write(run: _Run, ctx: _Tallying, vulnerability_id: str) -> str:
    """Put the card back on Conviso's current state, reading the card first (``retried``):
    the revision the link knows is not the card's."""
    if run.dry_run:
        return "late_write"
    try:
        vulnerability = run.ctx.conviso_for(run.integration_id, run.config).get_issue(
            vulnerability_id
        )
    except Exception as exc:  # left as it is; the watermark still moves on
        log.info("vulnerability %s could not be read (%s)", vulnerability_id, type(exc).__name__)
        return "late_write"
    outcome = _apply(run, ctx, vulnerability, retried=True)
    return "late_write" if outcome == "done" else outcome


def _report_duplicate(
    run: _Run, ctx: _Tallying, item: WorkItem, vulnerability_id: str, linked: int
) -> str:
    # Each pass looks again at the items of its watermark's second: report once a week.
    if not run.dry_run and run.ctx.state.events.first_time(
        run.integration_id, "duplicate-card", str(item.id)
    ):
        ctx.record(
            run.integration_id,
            Level.WARN,
            f"work item #{item.id} is a second card of vulnerability {vulnerability_id}, "
            f"which is linked to #{linked}: it is not kept in sync; remove it in Azure Boards",
            reason="duplicate",
            vulnerability_id=vulnerability_id,
            work_item_id=item.id,
            event_id=run.event_id,
        )
    return "duplicate"


def _reapply(
    run: _Run,
    ctx: _Tallying,
    client: Any,
    item: WorkItem,
    me: str | None,
    tagged: StoredLink | None,
) -> str:
    changed_by = item.fields.get(CHANGED_BY_FIELD)
    by_id = _changed_by_id(item)
    if me is not None and by_id == me:
        return "own"  # our own write (R8): nothing to bring back, nothing to record
    stored = (  # the link its tag named, when that is this card's; else by its id
        tagged
        if tagged is not None and tagged.link.work_item_id == item.id
        else run.ctx.state.links.get_by_work_item(run.integration_id, item.id)
    )
    route = route_by_key(run.config, stored.link.route_key) if stored else None
    if stored is None or route is None:
        return "not_linked"  # a tagged item of another integration, or of an old route
    try:
        layout = run.ctx.layouts.get(run.integration_id, route, client)
    except _PERMANENT as exc:  # one route's broken board must not stop the others
        log.info("the layout of route %s cannot be read (%s)", route.key, type(exc).__name__)
        return "failed"
    view, seen = work_item_view(item, layout), stored.link.card
    moved: set[str] = set()
    if seen is None or view.state != seen.state:
        moved.add(STATE_FIELD)
    if seen is None or view.column != seen.column:
        moved.add(layout.column_field)
    if not moved or item.rev <= stored.link.last_rev_seen:
        return "unchanged"
    if run.dry_run:
        return "would_reapply"
    name = changed_by.get("displayName") if isinstance(changed_by, dict) else changed_by
    change = BoardChange(
        event_id=run.event_id, work_item_id=item.id, rev=item.rev,
        changed_fields=frozenset(moved), state=view.state or None, column=view.column,
        revised_by_id=by_id, revised_by_name=str(name) if name else None,
    )  # fmt: skip
    message = InboundMessage(
        integration_id=run.integration_id, event_id=run.event_id, change=change
    )
    try:
        apply_board_change(ctx, run.config, message)
        return "done"
    except _PERMANENT as exc:
        ctx.record(
            run.integration_id, Level.ERROR, f"{exc.__class__.__name__}: {exc}",
            reason="configuration", event_id=run.event_id, work_item_id=item.id,
        )  # fmt: skip
        return "failed"
    except Exception as exc:  # transient: the watermark stays, the next run tries again
        log.info("reconcile left work item %s for later (%s)", item.id, type(exc).__name__)
        return "deferred"


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    return (ids[start : start + size] for start in range(0, len(ids), size))


_FRACTION = re.compile(r"(\.\d+)")


def _changed_at(item: WorkItem) -> datetime | None:
    value = item.fields.get("System.ChangedDate")
    if not isinstance(value, str):
        return None
    # Azure DevOps may send up to 7 fraction digits; Python reads at most 6.
    text = _FRACTION.sub(lambda m: m[1][:7], value.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ------------------------------------------------------------------ watermarks


def _advance(run: _Run, name: str, newest: datetime | None, held: object) -> dict[str, Any]:
    """Move the watermark forward only after a pass with nothing left over."""
    state = run.ctx.state.watermarks
    mark = state.get(run.integration_id, name)
    before = mark.value
    if held or newest is None or run.dry_run:
        return {"before": _iso(before), "after": _iso(before), "advanced": False}
    for _ in range(3):
        try:
            state.advance(run.integration_id, name, newest, mark.etag)
            break
        except StaleEntity:
            mark = state.get(run.integration_id, name)
    after = state.get(run.integration_id, name).value
    return {"before": _iso(before), "after": _iso(after), "advanced": after != before}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
