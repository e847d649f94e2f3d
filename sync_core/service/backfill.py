"""A backfill's progress and its cursor (issue 20): what an operator watches, and where a
run that died stopped.

A first backfill of an existing company is thousands of cards, and Azure DevOps lets one
identity spend 200 TSTUs in a sliding five minutes (learn.microsoft.com "Rate and usage
limits"): it takes as long as the limit allows, and the operator sees it go — done of
total, how many requests Azure DevOps refused, about how long is left — in the
integration's deliveries and in the run's report.

**Resume.** Conviso lists a company's issues newest change first, a page at a time. After
each page whose vulnerabilities were all applied, the backfill stores how many from the
top are done (one Table row per integration, next to its watermarks); a backfill that
finds such a cursor from a run that did not finish starts at that page instead of page 1.
Restarting from page 1 would be *safe* (every apply is idempotent and the claims of R1
keep a second card from being made: a vulnerability already applied costs one link read
and no Azure DevOps request), but each of the thousands of pages before would be read
from Conviso and every link read again; the cursor skips that. The cursor stops at the
first page with anything left over (a transient failure, a refused route), so a resumed
run never passes over a vulnerability that still needs work; pages after it are re-applied,
which costs nothing but reads. Issues that change while the backfill is stopped move to the
top of the listing, above the cursor: the next incremental pass (the poll, R18) lists them,
since the watermark is the newest ``updatedAt`` seen, never the wall clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .context import SyncContext

__all__ = ["CURSOR", "BackfillCursor", "Progress", "clear_cursor", "load_cursor", "save_cursor"]

#: the name of the cursor's row among the integration's watermarks
CURSOR = "backfill-cursor"
#: a cursor older than this is not resumed: the company has changed too much since
MAX_CURSOR_AGE = timedelta(days=7)
#: what leaves nothing for a later run to do
_FINISHED = frozenset({"done", "unchanged"})


@dataclass(frozen=True)
class BackfillCursor:
    """``done`` vulnerabilities from the top of the listing are applied; ``newest`` is the
    newest ``updatedAt`` among them (the watermark the finished backfill will set)."""

    done: int
    newest: datetime | None
    run_id: str
    total: int | None
    saved_at: datetime

    def start_page(self, per_page: int) -> int:
        return self.done // per_page + 1


def load_cursor(ctx: SyncContext, integration_id: str) -> BackfillCursor | None:
    """The cursor of a backfill that did not finish, or None (none, finished, or stale)."""
    report = ctx.state.watermarks.last_run(integration_id, CURSOR)
    if not report or report.get("finished"):
        return None
    try:
        saved_at = datetime.fromisoformat(str(report["saved_at"]))
        newest = report.get("newest")
        cursor = BackfillCursor(
            done=max(0, int(report["done"])),
            newest=datetime.fromisoformat(newest) if newest else None,
            run_id=str(report.get("run_id") or ""),
            total=int(report["total"]) if report.get("total") is not None else None,
            saved_at=saved_at,
        )
    except (KeyError, TypeError, ValueError):
        return None  # unreadable: start from the top, which is always safe
    if datetime.now(UTC) - saved_at > MAX_CURSOR_AGE:
        return None
    return cursor


def save_cursor(ctx: SyncContext, integration_id: str, cursor: BackfillCursor) -> None:
    ctx.state.watermarks.record_run(
        integration_id,
        CURSOR,
        {
            "done": cursor.done,
            "newest": cursor.newest.isoformat() if cursor.newest else None,
            "run_id": cursor.run_id,
            "total": cursor.total,
            "saved_at": cursor.saved_at.isoformat(),
        },
    )


def clear_cursor(ctx: SyncContext, integration_id: str, run_id: str) -> None:
    """The backfill went through the whole listing: the next one starts from the top."""
    ctx.state.watermarks.record_run(
        integration_id,
        CURSOR,
        {"finished": True, "run_id": run_id, "saved_at": datetime.now(UTC).isoformat()},
    )


@dataclass
class Progress:
    """Done of total, refused requests and time left, for one backfill (or reconcile) run."""

    run_id: str
    per_page: int
    #: where this run started: the vulnerabilities a dead run had already done
    resumed: BackfillCursor | None = None
    total: int | None = None
    seen: int = 0
    clock: Callable[[], float] = time.monotonic
    started: float = 0.0
    refused_before: float = 0.0
    #: the Boards clients' rate-limit counters (``SyncContext.rate_limits``): pass
    #: ``ctx.rate_limits`` so the report counts the requests Azure DevOps refused
    rate_limits: Callable[[], Mapping[str, float]] = field(default=lambda: {"refused": 0.0})
    #: the cursor moves over whole pages applied in order; frozen at the first leftover
    done_in_order: int = 0
    newest_in_order: datetime | None = None
    frozen: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.refused_before = self.rate_limits()["refused"]
        if self.resumed is not None:
            self.done_in_order = self.skipped
            self.newest_in_order = self.resumed.newest
            self.total = self.resumed.total

    @property
    def skipped(self) -> int:
        """Vulnerabilities before this run's first page: a dead run's, not listed again."""
        if self.resumed is None:
            return 0
        return (self.resumed.start_page(self.per_page) - 1) * self.per_page

    @property
    def start_page(self) -> int:
        return 1 if self.resumed is None else self.resumed.start_page(self.per_page)

    def page_fetched(self, page: Any) -> None:
        """``on_page`` of ``iter_issues``: Conviso's ``metadata.totalCount``."""
        count = getattr(page, "total_count", 0)
        if count:
            with self.lock:
                self.total = int(count)

    def page_applied(self, newest: datetime, outcomes: Sequence[str]) -> BackfillCursor | None:
        """Count a page; the cursor to store when it moved (None when frozen)."""
        with self.lock:
            self.seen += len(outcomes)
            if self.frozen or any(o not in _FINISHED for o in outcomes):
                self.frozen = True
                return None
            self.done_in_order += len(outcomes)
            if self.newest_in_order is None or newest > self.newest_in_order:
                self.newest_in_order = newest
            return BackfillCursor(
                done=self.done_in_order, newest=self.newest_in_order, run_id=self.run_id,
                total=self.total, saved_at=datetime.now(UTC),
            )  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        """What the report and the deliveries say."""
        with self.lock:
            done = self.skipped + self.seen
            seconds = self.clock() - self.started
            total = max(self.total, done) if self.total else None
            left: float | None = None
            if total is not None and self.seen:
                left = seconds / self.seen * (total - done)
            return {
                "done": done,
                "total": total,
                "refused": int(self.rate_limits()["refused"] - self.refused_before),
                "seconds": round(seconds, 1),
                "seconds_left": None if left is None else round(left, 1),
                "resumed_from": self.skipped if self.resumed is not None else None,
            }

    def text(self, event_id: str, counts: dict[str, int]) -> str:
        s = self.snapshot()
        of = f" of {s['total']}" if s["total"] is not None else ""
        share = f" ({s['done'] * 100 // s['total']} %)" if s["total"] else ""
        left = f", about {_duration(s['seconds_left'])} left" if s["seconds_left"] else ""
        resumed = f", resumed after {s['resumed_from']}" if s["resumed_from"] else ""
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        return (
            f"{event_id}: {s['done']}{of} vulnerabilities so far{share}{resumed}; "
            f"{s['refused']} requests refused by Azure DevOps{left} ({shown})"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
