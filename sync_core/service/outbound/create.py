"""Creating a card: the first one of a vulnerability (R1), or one replacing a deleted card (R6).

A create that may have landed is never undone or repeated blindly: when its answer says it
certainly did not happen, the claim is released; otherwise the claim stays, and the retry
looks the ``conviso-vuln-<id>`` tag up first (``heal.py``).
"""

from __future__ import annotations

from ...ports import ConfigurationError, TransientError, WorkItemRecord
from ...rules import CreateWorkItem, Level, Link, record_applied, work_item_view
from ...rules.vocabulary import HISTORY_FIELD
from .job import Job
from .writes import resumed

__all__ = ["create_card", "replace_card", "say_created"]

#: Answers that say the create was not processed: a throttled request is refused before it
#: is looked at. Any 5xx, a 503 included, may come after the write landed (R1).
_NOT_PROCESSED = frozenset({429})


def certainly_not_created(exc: TransientError | ConfigurationError) -> bool:
    """Whether a failed create certainly made nothing (so its claim can be released)."""
    if isinstance(exc, ConfigurationError):
        return True
    return not exc.may_have_succeeded or exc.status in _NOT_PROCESSED


def create_card(job: Job, decision: CreateWorkItem, claim_etag: str) -> tuple[Link, str]:
    """The first card of a claimed vulnerability, its link completed (``say_created`` says
    so once the card is in its target)."""
    links = job.ctx.state.links
    try:
        item = _post_work_item(job, decision)
    except (TransientError, ConfigurationError) as exc:
        if certainly_not_created(exc):
            links.release(job.integration_id, job.vulnerability.id, claim_etag)
        raise  # in doubt, the claim stays: the retry looks the tag up first (R1)
    route, vulnerability = job.route, job.vulnerability
    link = record_applied(
        Link(
            vulnerability_id=vulnerability.id, work_item_id=item.id, route_key=route.key,
            project=route.project,
        ),
        vulnerability, rev_written=item.rev, written=work_item_view(item, job.layout),
    )  # fmt: skip
    etag = links.complete(job.integration_id, link, claim_etag)
    resumed(job)
    return link, etag


def say_created(job: Job, link: Link) -> None:
    """The "created" delivery, said once the card is where it belongs: after the move out of
    the initial state when there is one (R5), so that it never names a card still in New."""
    vulnerability = job.vulnerability
    job.record(
        Level.INFO,
        f"created work item #{link.work_item_id} for vulnerability {vulnerability.id} "
        f"({vulnerability.status.value})",
        vulnerability_id=vulnerability.id,
        work_item_id=link.work_item_id,
        reason="created",
        route_key=job.route.key,
    )


def replace_card(job: Job, decision: CreateWorkItem, old: Link, old_etag: str) -> tuple[Link, str]:
    """A new card in place of a deleted one (R6), the link moved to it; says "replaced"."""
    item = _post_work_item(job, decision)  # no claim to release: the link stays as it was
    route = job.route
    link = record_applied(
        old.model_copy(
            update={"work_item_id": item.id, "route_key": route.key, "project": route.project}
        ),
        job.vulnerability,
        rev_written=item.rev,
        written=work_item_view(item, job.layout),
    )
    etag = job.ctx.state.links.replace_work_item(
        job.integration_id, link, old_etag, previous_work_item_id=old.work_item_id
    )
    job.record(
        Level.WARN,
        f"work item #{old.work_item_id} was deleted in Azure Boards; "
        f"created #{item.id} in its place",
        vulnerability_id=job.vulnerability.id,
        work_item_id=item.id,
        reason="replaced",
        route_key=route.key,
    )
    return link, etag


def _post_work_item(job: Job, decision: CreateWorkItem) -> WorkItemRecord:
    """One create (with the assessment's note, R10); a person Azure DevOps does not know is
    left out and the create made again (R23: a refused create made nothing)."""
    fields = dict(decision.fields)
    note = job.assessment_note()
    if note:
        fields[HISTORY_FIELD] = note
    try:
        return _post(job, decision, fields)
    except ConfigurationError as refused:
        return _post(job, decision, job.without_unknown_assignee(refused, fields, None))


def _post(job: Job, decision: CreateWorkItem, fields: dict[str, str | int]) -> WorkItemRecord:
    return job.boards.create_work_item(
        decision.project,
        decision.work_item_type,
        fields,
        tags=decision.tags,
        hyperlink=decision.hyperlink,
    )
