"""The fakes fit the ports, checked by the type checker, not by hope.

Each assignment below fails ``mypy tests/fakes`` when a fake's method drifts from its
Protocol (a parameter renamed, a keyword dropped, an answer of another type), as
``sync_core/conformance.py`` does for the adapters. Nothing runs here.
"""

from __future__ import annotations

from sync_core.ports import (
    Boards,
    Conviso,
    Deliveries,
    Events,
    Integrations,
    Leases,
    Links,
    OAuthTokens,
    Queues,
    Refused,
    State,
    Watermarks,
)

from .boards import FakeBoards
from .conviso import FakeConviso
from .links import FakeLinks
from .state import (
    FakeDeliveries,
    FakeEvents,
    FakeIntegrations,
    FakeLeases,
    FakeOAuth,
    FakeQueues,
    FakeRefused,
    FakeState,
    FakeWatermarks,
)


def _conforms() -> None:
    boards: Boards = FakeBoards()
    conviso: Conviso = FakeConviso()
    links: Links = FakeLinks()
    events: Events = FakeEvents()
    deliveries: Deliveries = FakeDeliveries()
    watermarks: Watermarks = FakeWatermarks()
    leases: Leases = FakeLeases()
    refused: Refused = FakeRefused()
    queues: Queues = FakeQueues()
    integrations: Integrations = FakeIntegrations()
    oauth: OAuthTokens = FakeOAuth()
    state: State = FakeState()
    del boards, conviso, links, events, deliveries, watermarks, leases, refused, queues
    del integrations, oauth, state
