"""The run value every step of a reconcile pass takes, and its constants.

One run per integration at a time: a lease (``LEASE``), renewed every page. The claimant of
creates is the same for every run of an integration, so a run resuming after a dead one
recognises its claims and looks the tag up instead of waiting (R1).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Unpack

from ...ports import (
    AzureDevOpsError,
    ConfigurationError,
    ConvisoAuthError,
    ConvisoError,
    ConvisoQueryError,
    ConvisoRequestError,
    DeliveryDetails,
    OAuthNotConfigured,
    StateError,
)
from ...rules import IntegrationConfig, Level
from ..context import SyncContext
from ..errors import ServiceError

__all__ = [
    "BOARDS_MARK",
    "CONVISO_MARK",
    "DEFAULT_PER_PAGE",
    "DEFAULT_WORKERS",
    "LEASE",
    "LEASE_TTL",
    "PERMANENT",
    "PROGRESS_EVERY",
    "TRANSIENT",
    "ReconcileBusy",
    "Run",
    "Tallying",
]

LEASE = "reconcile"
CONVISO_MARK, BOARDS_MARK = "conviso", "boards"
DEFAULT_WORKERS = 4
DEFAULT_PER_PAGE = 100
PROGRESS_EVERY = 500
#: Renewed before every page; a dead run's lease frees itself after this.
LEASE_TTL = timedelta(minutes=10)
#: Refusals a retry does not cure: recorded, kept in the refused ledger (R14).
PERMANENT = (ConfigurationError, ConvisoAuthError, ConvisoRequestError, ConvisoQueryError)
#: What one change may fail with and be left for the next run: the ports' error tree and
#: the service's own (``Retry``). Anything else is a bug, and is raised, never logged away.
TRANSIENT = (AzureDevOpsError, ConvisoError, StateError, ServiceError, OAuthNotConfigured)


class ReconcileBusy(ServiceError):
    status = 409
    code = "conflict"


@dataclass
class Tallying(SyncContext):
    """The service context, counting the reason of every delivery the use cases record."""

    tally: Counter[str] = field(default_factory=Counter)
    tally_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def around(cls, ctx: SyncContext) -> Tallying:
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
class Run:
    """One reconcile, backfill or poll run of one integration."""

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
        """Hold the lease one more page; raise ``ReconcileBusy`` when another run has it."""
        if self.dry_run:
            return
        if not self.ctx.state.leases.acquire(
            self.integration_id, LEASE, self.run_id, self.lease_ttl
        ):
            raise ReconcileBusy(f"another reconcile of '{self.integration_id}' took over")

    def note(self, level: Level, message: str, reason: str) -> None:
        """One delivery of this run (R11)."""
        self.ctx.record(self.integration_id, level, message, reason=reason, event_id=self.event_id)

    def fail_at(self, updated_at: datetime) -> None:
        """The watermark must not pass this change: the next run lists it again (R14)."""
        with self.lock:
            self.failed_at.append(updated_at)
