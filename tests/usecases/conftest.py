"""One integration on the fakes: the PRODUCT.md §4 example (Fabrikam's Agile "Issues" board,
a Payments route for asset 45), a test clock, and helpers that say what a test does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from sync_core.rules import BoardLayout, IntegrationConfig, Link, Vulnerability
from sync_core.service.context import SyncContext
from sync_core.service.messages import OutboundMessage
from sync_core.service.outbound import apply_vulnerability
from tests.fakes import FakeBoards, FakeConviso, FakeState, fake_context
from tests.fakes.context import configured
from tests.unit.builders import T0, agile_layout, column, config, vuln

IID = "it-usecases"


def payments_layout() -> BoardLayout:
    return agile_layout(
        columns=(
            column("Triage", "New", "incoming"),
            column("Doing", "Active"),
            column("Done", "Closed", "outgoing"),
        ),
        lanes=(None, "Security"),
    )


@dataclass
class Clock:
    """The test's time: moved by hand, never slept on."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    clock: Clock
    state: FakeState
    boards: FakeBoards
    conviso: FakeConviso
    ctx: SyncContext
    config: IntegrationConfig
    events: int = field(default=0)

    def outbound(
        self, issue: Vulnerability | None = None, *, issue_id: str = "123",
        claimant: str | None = None, retried: bool = False, **message: Any,
    ) -> None:  # fmt: skip
        """Apply one Conviso event, as the outbound worker does."""
        self.events += 1
        event_id = f"ev-{self.events}"
        msg = OutboundMessage(
            integration_id=IID, event_id=event_id,
            issue_id=issue.id if issue else issue_id, snapshot=issue, **message,
        )  # fmt: skip
        apply_vulnerability(
            self.ctx, self.config, msg, claimant=claimant or event_id, retried=retried
        )

    def link(self, vulnerability_id: str = "123") -> Link:
        stored = self.state.links.get(IID, vulnerability_id)
        assert stored is not None, f"no link for vulnerability {vulnerability_id}"
        return stored.link

    def reasons(self) -> list[str | None]:
        return [d.reason for d in self.state.deliveries.of(IID)]

    def reconfigure(self, **overrides: Any) -> None:
        self.config = configured(self.ctx, IID, config(**overrides))
        self.ctx.configs.forget(IID)


@pytest.fixture
def world() -> World:
    clock = Clock()
    state = FakeState(clock=clock)
    boards = FakeBoards(clock=clock)
    boards.add_board("Fabrikam", "Bug", agile_layout(), team="Fabrikam Team", board="Issues")
    boards.add_board("Payments", "Bug", payments_layout(), team="Payments Team", board="Bugs")
    conviso = FakeConviso(clock=clock)
    ctx = fake_context(state, boards, conviso, clock=clock)
    return World(clock, state, boards, conviso, ctx, configured(ctx, IID, config()))


def later(minutes: float = 1, **overrides: Any) -> Vulnerability:
    """The example vulnerability, ``minutes`` after T0, with ``overrides``."""
    return vuln(updatedAt=(T0 + timedelta(minutes=minutes)).isoformat(), **overrides)
