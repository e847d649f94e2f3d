"""The writes on a linked card, and what is remembered of them in its link.

One guarded PATCH (``test /rev``), then one ETag-guarded save of the link. Losing the race
for the link is :class:`LinkMoved`: the caller reads the link again and decides anew.
"""

from __future__ import annotations

from ...ports import ConfigurationError, StaleEntity
from ...rules import (
    Decision,
    Level,
    Link,
    Skip,
    SkipReason,
    UpdateWorkItem,
    WorkItemView,
    record_applied,
    work_item_view,
)
from ...rules.vocabulary import HISTORY_FIELD
from ..refused import resume
from .job import Job

__all__ = ["LinkMoved", "finish", "resumed", "update_card", "write_fields"]


class LinkMoved(Exception):
    """Another worker saved the link between our read of it and our save."""

    def __init__(self, *, wrote: bool) -> None:
        super().__init__("the link was saved by another worker")
        #: our write reached the card before we lost the race for the link
        self.wrote = wrote


def update_card(job: Job, link: Link, etag: str, decision: UpdateWorkItem) -> None:
    """Write what the rules decided (and the assessment's note, R10), then say so."""
    fields = dict(decision.fields)
    note = None if job.notes_written else job.assessment_note()
    if note:
        fields[HISTORY_FIELD] = (
            (str(fields[HISTORY_FIELD]) + note) if HISTORY_FIELD in fields else note
        )
    write_fields(job, link, etag, decision.work_item_id, decision.expected_rev, fields)
    if job.moving_new_card:
        return
    what = "reopened" if decision.reopen else "updated"
    job.record(
        Level.INFO,
        f"{what} work item #{decision.work_item_id}: {job.vulnerability.status.value}",
        vulnerability_id=job.vulnerability.id,
        work_item_id=decision.work_item_id,
        reason=what,
        route_key=job.route.key,
    )


def write_fields(
    job: Job,
    link: Link,
    etag: str,
    work_item_id: int,
    expected_rev: int,
    fields: dict[str, str | int],
) -> None:
    """One guarded PATCH, then the link. A transient error is raised as it is: the write
    may have landed, and the queue's retry (``retried``) converges on Conviso's state."""
    project = job.route.project
    try:
        item = job.boards.update_work_item(
            work_item_id, expected_rev=expected_rev, fields=fields, project=project
        )
    except ConfigurationError as refused:
        # R23: the assignee Azure DevOps does not know is left out (a warning), the rest
        # of the patch is written; the link keeps Conviso's assignee, so no later snapshot
        # tries it again
        fields = job.without_unknown_assignee(refused, fields, work_item_id)
        if not fields:
            applied = record_applied(link, job.vulnerability, rev_written=None)
            save_link(job, applied, etag, wrote=False)
            return
        item = job.boards.update_work_item(
            work_item_id, expected_rev=expected_rev, fields=fields, project=project
        )
    written = work_item_view(item, job.layout)
    save_link(
        job, record_applied(link, job.vulnerability, rev_written=item.rev, written=written),
        etag, wrote=True,
    )  # fmt: skip
    resumed(job)


def save_link(job: Job, link: Link, etag: str, *, wrote: bool) -> None:
    """The link, saved guarded by the ETag read before the card was looked at."""
    try:
        job.ctx.state.links.save(job.integration_id, link, etag)
    except StaleEntity:
        raise LinkMoved(wrote=wrote) from None


def finish(
    job: Job,
    decision: Decision,
    *,
    link: Link | None = None,
    etag: str | None = None,
    card: WorkItemView | None = None,
) -> None:
    """A skip: remember the snapshot was applied (R9) and say why nothing was written."""
    assert isinstance(decision, Skip)
    if link is not None and etag is not None and decision.reason != SkipReason.STALE_SNAPSHOT:
        updated = record_applied(link, job.vulnerability, rev_written=None)
        if card is not None:
            updated = updated.model_copy(update={"card": card})
        if updated != link:
            save_link(job, updated, etag, wrote=False)
    job.record(
        decision.level,
        decision.message,
        vulnerability_id=job.vulnerability.id,
        work_item_id=link.work_item_id if link else None,
        reason=decision.reason.value,
        route_key=job.route.key,
    )


def resumed(job: Job) -> None:
    """A write on a route this process paused went through: resume it, and send the work it
    refused meanwhile back to the queue (R14)."""
    if (job.integration_id, job.route.key) in job.ctx.paused:
        resume(job.ctx, job.integration_id, job.route.key, why="a write on it succeeded")
