"""Boards → Conviso (R13): tagged items changed since the ``boards`` watermark.

WIQL on ``ChangedDate`` finds them, 200 are fetched at a time, and each is looked at by
``boards_card.look_at_card``: a move of a person's becomes a ``BoardChange`` through
``inbound.apply_board_change`` (which screens echoes and stale revisions), and what only
the card's tag reveals (a second card, a late write of ours) is reported or healed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ...ports import MAX_BATCH_IDS, Boards, StoredLink, WorkItem
from ...rules import parse_tags
from ...rules.vocabulary import CONVISO_TAG, TAGS_FIELD, tagged_vulnerability
from ..refusals import azure_devops_answers
from .boards_card import look_at_card
from .job import BOARDS_MARK, Run, Tallying
from .report import BoardsPassReport, iso
from .watermarks import advance

__all__ = ["boards_pass"]


@dataclass
class _Walk:
    """What the pass has seen so far."""

    ctx: Tallying
    outcomes: Counter[str] = field(default_factory=Counter)
    newest: datetime | None = None
    seen: int = 0


def boards_pass(run: Run) -> BoardsPassReport:
    """Look at every tagged item changed since the watermark, project by project."""
    since = run.ctx.state.watermarks.get(run.integration_id, BOARDS_MARK).value
    walk = _Walk(Tallying.around(run.ctx))
    with azure_devops_answers():
        boards = run.ctx.boards_for(run.integration_id, run.config)
        me = boards.current_identity().id
        for project in sorted({route.project for route in run.config.routes}):
            ids = boards.find_changed_work_items(project, since, CONVISO_TAG)
            for chunk in _chunks(ids, MAX_BATCH_IDS):
                run.renew()
                _look_at_chunk(run, walk, boards, chunk, project, me)
    if run.dry_run:
        return {
            "seen": walk.seen, "since": iso(since),
            "would_reapply": walk.outcomes.get("would_reapply", 0),
        }  # fmt: skip
    return _report(run, walk, since)


def _look_at_chunk(
    run: Run, walk: _Walk, boards: Boards, chunk: list[int], project: str, me: str | None
) -> None:
    items = boards.get_work_items(chunk, project=project)
    links = _tagged_links(run, items)
    for item in items:
        walk.seen += 1
        changed = _changed_at(item)
        if changed is not None and (walk.newest is None or changed > walk.newest):
            walk.newest = changed
        walk.outcomes[look_at_card(run, walk.ctx, boards, item, project, me, links)] += 1


def _tagged_links(run: Run, items: list[WorkItem]) -> dict[str, StoredLink]:
    """The links the chunk's ``conviso-vuln-<id>`` tags name, read together: a first
    backfill's pass looks at every card it just wrote, and one read per card was most of
    its time after the creates (docs/performance.md)."""
    tagged = (tagged_vulnerability(parse_tags(item.fields.get(TAGS_FIELD))) for item in items)
    return run.ctx.state.links.get_many(run.integration_id, {v for v in tagged if v is not None})


def _report(run: Run, walk: _Walk, since: datetime | None) -> BoardsPassReport:
    outcomes = walk.outcomes
    deferred = outcomes.get("deferred", 0)
    return {
        "seen": walk.seen,
        "since": iso(since),
        "duplicates": outcomes.get("duplicate", 0),
        "late_writes": outcomes.get("late_write", 0),
        "reapplied": outcomes.get("done", 0),
        "own_writes": outcomes.get("own", 0),
        "unchanged": outcomes.get("unchanged", 0),
        "outcomes": walk.ctx.counts(),
        "deferred": deferred,
        "watermark": advance(run, BOARDS_MARK, walk.newest, deferred),
    }


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
