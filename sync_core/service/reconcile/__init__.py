"""Reconcile and backfill (R13): missed events heal by themselves.

Azure DevOps drops events while a hook is on probation and Conviso sends none of its own,
so each pass pulls the truth and feeds it through the *same* paths as the queue workers:

- Conviso → Boards (``conviso_pass``): issues newest change first, down to the ``conviso``
  watermark, each through ``outbound.apply_vulnerability`` (``conviso_apply``).
- Boards → Conviso (``boards_pass``): tagged items changed since the ``boards`` watermark,
  each looked at by ``boards_card``: a person's move through ``inbound.apply_board_change``,
  a second card reported, a late write of ours put back.

A backfill is the Conviso pass from the beginning (no watermark) with ``backfill`` set, so a
vulnerability already in a later mapped status is created there (R2). A dry run plans with
the pure rules and writes nothing (``dry_run``). One run per integration at a time: a lease,
renewed every page (``job.Run``). Watermarks move only after a clean pass (``watermarks``);
the answer is a typed report (``report``). The modules::

    run            reconcile, reconcile_all: the lease, both passes, the housekeeping
    job            the run value every step takes; constants; the errors sorted
    conviso_pass   Conviso → Boards, page by page      conviso_apply  one change applied
    dry_run        one change planned                  boards_pass    Boards → Conviso
    boards_card    one changed card                    watermarks     moved after a clean pass
    report         the typed report, and what of an error may be shown
"""

from .conviso_pass import conviso_pass
from .job import (
    BOARDS_MARK,
    CONVISO_MARK,
    DEFAULT_PER_PAGE,
    DEFAULT_WORKERS,
    LEASE,
    LEASE_TTL,
    PROGRESS_EVERY,
    ReconcileBusy,
    Run,
)
from .report import ReconcileReport, safe_reason
from .run import each_integration, reconcile, reconcile_all, release_refused

__all__ = [
    "BOARDS_MARK",
    "CONVISO_MARK",
    "DEFAULT_PER_PAGE",
    "DEFAULT_WORKERS",
    "LEASE",
    "LEASE_TTL",
    "PROGRESS_EVERY",
    "ReconcileBusy",
    "ReconcileReport",
    "Run",
    "conviso_pass",
    "each_integration",
    "reconcile",
    "reconcile_all",
    "release_refused",
    "safe_reason",
]
