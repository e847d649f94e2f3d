"""The backfill benchmark at a small size (``bench/backfill.py``; the 10,000 run is its
default): counts only, never a time. Every expected card exists once, each create was
sent once (plus the throttled attempts Azure DevOps refused), and a second pass writes
nothing."""

from __future__ import annotations

import pytest

from bench.backfill import measure
from localdev.azurite import Azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator

pytestmark = pytest.mark.smoke
#: two of Conviso's pages (100 each): the mix of bench/backfill.py once (80 IDENTIFIED HIGH,
#: 10 IN_PROGRESS, 5 LOW, 5 DRAFT) and its first 20 again (IDENTIFIED HIGH)
SIZE = 120
CARDS, MOVES = 110, 10


def test_a_small_backfill_has_no_duplicates_and_about_one_request_per_card(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator
) -> None:
    figures = measure(
        size=SIZE, connection_string=azurite.connection_string, boards=boards, conviso=conviso
    )
    assert figures.duplicates == 0 and figures.missing == 0
    assert figures.cards == figures.expected_cards == CARDS  # DRAFT and LOW make none (R2)
    # Three creates were answered 429 with Retry-After and sent again after waiting.
    assert figures.throttled_answers == 3
    assert figures.requests_by_kind["create"] == figures.expected_cards + 3
    # Azure Boards creates only in the initial state (R5): the IN_PROGRESS tenth of the mix
    # is moved to Active by one update each, two requests per such card, never more.
    assert figures.requests_by_kind.get("update", 0) == MOVES
    # Besides the creates and those moves: the board layout (board, states, the team's
    # areas), connectionData, one WIQL, one batch read.
    writes = figures.requests_by_kind["create"] + figures.requests_by_kind.get("update", 0)
    overhead = figures.azure_devops_requests - writes
    assert overhead <= 6, figures.requests_by_kind
    assert figures.second_run_writes == 0
    assert figures.report["complete"]
