"""In-memory fakes of every port the service talks through (Boards, Conviso, the state).

Small and honest: each keeps the semantics the service relies on (the links' claim and
ETags, the test /rev of a work item, a create only in the initial state...), so a use
case tested on them fails where it would fail on the real adapters. The links fake is
held to that by a contract test run against both it and the Azurite-backed store
(``tests/fakes/test_links_contract.py``).
"""

from .boards import FakeBoards
from .context import fake_context
from .conviso import FakeConviso
from .state import FakeState

__all__ = ["FakeBoards", "FakeConviso", "FakeState", "fake_context"]
