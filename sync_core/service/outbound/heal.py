"""Finding the card an interrupted create made, by its ``conviso-vuln-<id>`` tag (R1, R6).

A create whose answer was lost (or whose worker died before the link write) may have
landed; the retry looks the tag up and links what is there instead of creating another.
"""

from __future__ import annotations

from ...ports import WorkItemNotFound, WorkItemRecord
from ...rules import Level, Link, vulnerability_tag, work_item_view
from .job import Job

__all__ = ["adopt_replacement", "link_found_card", "say_healed", "tagged_card"]


def tagged_card(job: Job, *, besides: int | None = None) -> WorkItemRecord | None:
    """The card an interrupted create made, found by its ``conviso-vuln-<id>`` tag (R1).

    WIQL's ``CONTAINS`` on tags is not documented to match whole tags only, so each item
    found is read and linked only when its tags hold exactly ours: ``conviso-vuln-12``
    must never adopt the card of ``conviso-vuln-123``."""
    project = job.route.project
    tag = vulnerability_tag(job.vulnerability.id)
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


def link_found_card(job: Job, item: WorkItemRecord, claim_etag: str) -> tuple[Link, str]:
    """Complete the claim with the card an interrupted first create made; says "healed"."""
    route = job.route
    link = Link(
        vulnerability_id=job.vulnerability.id, work_item_id=item.id, route_key=route.key,
        project=route.project,
    ).model_copy(update={"card": work_item_view(item, job.layout)})  # fmt: skip
    etag = job.ctx.state.links.complete(job.integration_id, link, claim_etag)
    say_healed(
        job, link,
        f"work item #{item.id} was found by its tag after an interrupted create; "
        "linked it instead of creating another",
    )  # fmt: skip
    return link, etag


def adopt_replacement(job: Job, old: Link, old_etag: str) -> tuple[Link, str] | None:
    """R6 has no claim: a replacement created by an attempt that died before the link
    write (or whose answer was lost) would be created again on the retry. Look the tag up
    first, as a first create does (R1), and link what is there. One query per replacement."""
    item = tagged_card(job, besides=old.work_item_id)
    if item is None:
        return None
    route = job.route
    # as a healed first card: no revision of it is known yet (a person may have moved it)
    link = old.model_copy(
        update={"work_item_id": item.id, "route_key": route.key, "project": route.project,
                "last_rev_seen": 0,
                "last_rev_written": 0, "card": work_item_view(item, job.layout)}
    )  # fmt: skip
    etag = job.ctx.state.links.replace_work_item(
        job.integration_id, link, old_etag, previous_work_item_id=old.work_item_id
    )
    say_healed(
        job, link,
        f"work item #{old.work_item_id} was deleted in Azure Boards; found #{item.id} by its "
        "tag after an interrupted replacement and linked it instead of creating another",
    )  # fmt: skip
    return link, etag


def say_healed(job: Job, link: Link, message: str) -> None:
    """A card an interrupted attempt made, now linked: say so (R11)."""
    job.record(
        Level.WARN, message,
        vulnerability_id=job.vulnerability.id, work_item_id=link.work_item_id, reason="healed",
    )  # fmt: skip
