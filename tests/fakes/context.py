"""A SyncContext on the fakes: the service exactly as bootstrap wires it, minus the I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sync_core.rules import IntegrationConfig
from sync_core.service.context import SyncContext

from .boards import FakeBoards
from .conviso import FakeConviso
from .state import FakeState


def fake_context(
    state: FakeState,
    boards: FakeBoards,
    conviso: FakeConviso,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncContext:
    """One integration's world: every integration id gets the same Boards and Conviso.

    Typed with the ports, so ``mypy tests/fakes`` checks this wiring as well as
    ``conformance.py`` does each fake.
    """
    return SyncContext(
        state=state,
        boards_for=lambda _iid, _config: boards,
        conviso_for=lambda _iid, _config: conviso,
        clock=clock,
    )


def configured(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> IntegrationConfig:
    """Store ``config`` as the integration's and return it as the service reads it back."""
    ctx.state.integrations.put(integration_id, config)
    found = ctx.state.integrations.get(integration_id)
    assert found is not None
    return found
