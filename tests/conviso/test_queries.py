"""The client's documents stay inside Conviso's limits (depth 15, complexity 400) and the
emulator's own schema, and retry timing is what R14 asks for. No specs needed here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import parse, validate

from localdev.conviso_emulator import MAX_DEPTH, emulator_schema, measure
from sync_core.adapters.conviso.queries import OPERATIONS
from sync_core.adapters.conviso.retry import Backoff, parse_retry_after

#: Far below Conviso's 400, so a later field or two never gets near the limit.
COMPLEXITY_BUDGET = 100


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_documents_stay_well_inside_convisos_query_limits(operation: str) -> None:
    cost = measure(parse(OPERATIONS[operation]), operation)
    # CheckIssues (R25) asks only for ids: flat by design
    assert (2 if operation == "CheckIssues" else 3) <= cost.depth <= 5 < MAX_DEPTH
    # the documents reading issues carry IssueFields (20 points and more); the others
    # (UpdateIssueAssignee, R23; ListAssets) ask for a few fields only
    floor = 20 if "IssueFields" in OPERATIONS[operation] else 2
    assert floor <= cost.complexity <= COMPLEXITY_BUDGET


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_documents_validate_against_the_emulators_schema(operation: str) -> None:
    assert validate(emulator_schema(), parse(OPERATIONS[operation])) == []


def test_depth_counts_fields_through_fragments() -> None:
    document = parse("query Q { a { ...F } } fragment F on T { b { ... on U { c } } }")
    cost = measure(document)
    assert (cost.depth, cost.complexity) == (3, 3)


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(base=1.0, cap=8.0, jitter=lambda: 1.0)
    assert [backoff.delay(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert Backoff(base=1.0, cap=8.0, jitter=lambda: 0.0).delay(3) == 4.0


def test_retry_after_wins_over_backoff() -> None:
    assert Backoff().delay(5, retry_after=2.0) == 2.0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert (
        parse_retry_after({"retry-after": "Sat, 28 Nov 2026 10:00:30 GMT"}, now=lambda: now) == 30.0
    )
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
