"""The benchmarks at a tiny size, inside ``make test``: request and operation counts
only, never a time (times on a shared CI machine are noise; ``make bench`` measures them).
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError

from bench.__main__ import SMOKE
from bench.cold_start import guarded_import, measure_cold_start
from bench.counts import measure_counts
from bench.idle import measure_event_storage, measure_quiet_hooks, measure_quiet_polls
from bench.memory import measure_memory
from bench.report import BEGIN, END, render, rows
from bench.stack import Stack
from bench.throughput import measure_acceptance, measure_end_to_end
from bench.transport import measure_transport
from localdev.azurite import Azurite, start_azurite
from localdev.boards_emulator import BoardsEmulator, RateLimit
from localdev.conviso_emulator import ConvisoEmulator
from sync_core.adapters.state.connection import (
    STORAGE_LIMITS,
    _transport_options,
    storage_clients,
)
from tests.harness import Sync

pytestmark = [pytest.mark.smoke, pytest.mark.azurite]


def test_a_status_change_costs_one_request_and_four_table_operations(
    sync: Sync, storage_connection_string: str
) -> None:
    phases = measure_counts(sync, storage_connection_string, events=SMOKE.count_events)
    change, no_op, echo, new = (phases[k] for k in ("status_change", "no_op", "echo", "new"))
    assert change["azure_devops"] == {"update": SMOKE.count_events}
    assert change["conviso_requests"] == 0
    # per event: the event id (insert), the link (read, ETag-guarded replace), the
    # delivery (insert), and nothing else: the reconcile pass trims the deliveries
    by_kind = {k: n for k, n in change["table_ops_per_event_by_kind"].items() if n}
    assert by_kind == {"reads": 1, "inserts": 2, "updates": 1}
    assert change["table_ops_per_event"] == 4
    assert no_op["azure_devops"] == {} and no_op["table_ops_per_event_by_kind"]["updates"] == 0
    assert echo["events"] >= SMOKE.count_events  # one or two hooks per write
    assert echo["azure_devops"] == {} and echo["conviso_requests"] == 0
    assert new["azure_devops"] == {"create": SMOKE.count_events}


def test_end_to_end_writes_each_event_once_and_the_raw_replay_matches(
    sync: Sync, storage_connection_string: str
) -> None:
    figures = measure_end_to_end(
        sync, storage_connection_string, events=SMOKE.throughput_events, runs=2
    )
    assert figures["writes_per_event"] == 1  # the raw replay asserts each of its 200s
    assert len(figures["ratios"]) == 2


def test_webhook_acceptance_enqueues_one_message_per_event(
    sync: Sync, storage_connection_string: str
) -> None:
    figures = measure_acceptance(
        sync, storage_connection_string, requests=SMOKE.acceptance_requests, runs=1,
        stop_workers=False,
    )  # fmt: skip
    assert figures["messages_per_accepted_event"] == 1


def test_importing_the_app_opens_no_socket() -> None:
    figures = measure_cold_start(runs=SMOKE.cold_start_runs)
    assert figures["network_calls_at_import"] == []
    assert figures["context_built_at_import"] is False
    assert figures["functions_indexed"] >= 10


def test_the_import_guard_would_see_a_storage_call() -> None:
    storage_call = (
        "import os\n"
        "from azure.data.tables import TableServiceClient\n"
        "try:\n"
        "    TableServiceClient.from_connection_string(\n"
        "        os.environ['SYNC_STORAGE'], retry_total=0).get_service_properties()\n"
        "except Exception:\n"
        "    pass\n"
    )
    assert guarded_import(storage_call)["calls"]


def test_the_memory_run_writes_once_per_event(
    boards: BoardsEmulator, conviso: ConvisoEmulator
) -> None:
    # An Azurite of its own: the session's app host would otherwise take the child's
    # messages off the shared queues (and could not open their secrets).
    with start_azurite() as own:
        figures = measure_memory(
            Stack(own, boards, conviso), events=SMOKE.memory_events, vulnerabilities=5
        )
    assert figures["events"] == SMOKE.memory_events  # measured after the warm-up
    assert figures["azure_devops_writes"] == figures["events"] + figures["warm_up_events"]
    assert figures["end_kib"] > 0


def test_backfill_makes_every_card_once(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator
) -> None:
    backfill = pytest.importorskip("bench.backfill")
    figures = backfill.measure(
        size=SMOKE.backfill, connection_string=azurite.connection_string,
        boards=boards, conviso=conviso,
    )  # fmt: skip
    assert (figures.duplicates, figures.missing, figures.second_run_writes) == (0, 0, 0)
    # one create per card, plus the ones answered 429 on purpose (and honoured)
    creates = figures.requests_by_kind.get("create")
    assert creates == figures.expected_cards + figures.throttled_answers
    assert figures.requests_per_card >= figures.requests_per_vulnerability


def test_a_backfill_against_the_limit_is_refused_nothing_and_shows_progress(
    azurite: Azurite, boards: BoardsEmulator, conviso: ConvisoEmulator
) -> None:
    backfill = pytest.importorskip("bench.backfill")
    budget, window, cost = SMOKE.backfill_limit
    figures = backfill.measure(
        size=SMOKE.backfill, connection_string=azurite.connection_string, boards=boards,
        conviso=conviso, rate_limit=RateLimit(budget=budget, window=window, cost=cost),
    )  # fmt: skip
    assert (figures.duplicates, figures.missing, figures.second_run_writes) == (0, 0, 0)
    limit = figures.limit
    assert limit["charged_tstu"] > budget  # the limit was reached...
    assert limit["refused"] == 0  # ...and nothing was refused
    assert figures.requests_by_kind["create"] == figures.expected_cards
    progress = figures.report["conviso_to_boards"]["progress"]
    assert progress["done"] == progress["total"] == SMOKE.backfill
    assert limit["progress_notes_during_run"] >= 1
    assert boards.rate_limiter is None  # switched off again for whoever comes next


def test_a_quiet_poll_costs_one_conviso_request_and_no_azure_devops_request(
    sync: Sync, storage_connection_string: str
) -> None:
    figures = measure_quiet_polls(sync, storage_connection_string, polls=SMOKE.quiet_polls)
    assert (figures["conviso_per_poll"], figures["azure_devops_per_poll"]) == (1, 0)
    assert figures["applied"] == 0


def test_unrelated_hooks_write_nothing(sync: Sync, storage_connection_string: str) -> None:
    figures = measure_quiet_hooks(sync, storage_connection_string, hooks=SMOKE.quiet_hooks)
    assert figures["answers"] == {202: SMOKE.quiet_hooks}
    assert figures["table_writes_per_hook"] == 0
    assert figures["queue_messages_per_hook"] == 0
    assert figures["delivery_rows_per_hook"] == 0


def test_event_id_rows_stay_within_the_retention_window(azurite: Azurite) -> None:
    figures = measure_event_storage(azurite.connection_string, events_total=SMOKE.stored_events)
    assert figures["events"] == SMOKE.stored_events
    assert figures["purged"] > 0
    assert figures["highest_rows_after_a_purge"] <= figures["bound"] < figures["events"]


def test_a_conviso_change_reaches_its_card_by_the_poll_timer(
    boards: BoardsEmulator, conviso: ConvisoEmulator
) -> None:
    from bench.poll_latency import measure_poll_latency

    # An Azurite of its own, as the memory run's: a second host in the session's would
    # share its queues with the session's app host.
    with start_azurite() as own:
        figures = measure_poll_latency(
            Stack(own, boards, conviso), changes=SMOKE.poll_changes,
            schedule=SMOKE.poll_schedule, spread=SMOKE.poll_spread, timeout=60,
        )  # fmt: skip
    assert figures["reached"] == figures["changes"] == SMOKE.poll_changes


def test_the_report_marks_each_goal_and_keeps_the_prose_around_it(tmp_path: Path) -> None:
    phase = {
        "events": 2, "azure_devops_per_event": 1, "conviso_per_event": 0,
        "table_ops_per_event": 4, "table_ops_per_event_by_kind": {"reads": 1, "inserts": 2},
    }  # fmt: skip
    zero = {**phase, "azure_devops_per_event": 0}
    results = {
        "counts": {"status_change": phase, "echo": zero, "no_op": zero, "new": phase},
        "acceptance": {"ratio": 0.4, "webhook_per_s": 4, "bare_per_s": 10, "requests": 2,
                       "runs": 1, "concurrency": 4},
        "backfill": {"pending": "not yet"},
    }  # fmt: skip
    marks = {figure: met for figure, _, _, met in rows(results)}
    assert marks["Azure DevOps requests per steady-state status change"] is True
    assert marks["Webhook acceptance ÷ bare 202 from the same host"] is False
    assert marks["Backfill: Azure DevOps requests per vulnerability; duplicates"] is None
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n")
    text = render(results, stamp="X", template=doc)
    assert "before" in text and "after" in text and "old" not in text
    assert "**not met**" in text


_STORAGE_HOST = "storage.example.invalid"
_CONNECTION = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
    f"KBHBeksoGMGw==;TableEndpoint=http://{_STORAGE_HOST}/devstoreaccount1;"
    f"QueueEndpoint=http://{_STORAGE_HOST}/devstoreaccount1;"
)
_ENVIRONMENT = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE")  # fmt: skip


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_storage_clients_read_proxy_and_ca_settings_once_not_per_request(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    url = f"http://{_STORAGE_HOST}/devstoreaccount1"
    assert _transport_options(url) == {**STORAGE_LIMITS, "use_env_settings": False}
    bare_environment.setenv("CURL_CA_BUNDLE", "/etc/curl.pem")
    bare_environment.setenv("REQUESTS_CA_BUNDLE", "/etc/requests.pem")  # wins, as in requests
    bare_environment.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert _transport_options(url) == {
        **STORAGE_LIMITS,
        "use_env_settings": False,
        "connection_verify": "/etc/requests.pem",
        "proxies": {"http": "http://proxy.example:3128"},
    }
    bare_environment.setenv("NO_PROXY", f".example.invalid,{_STORAGE_HOST}")
    assert "proxies" not in _transport_options(url)
    clients = storage_clients({"SYNC_STORAGE": _CONNECTION})
    for client in clients:
        transport = client._client._client._pipeline._transport
        assert transport.connection_config.verify == "/etc/requests.pem"
        transport.open()
        assert transport.session.trust_env is False


def test_a_proxy_in_the_environment_still_carries_storage_requests(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        bare_environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        tables, _ = storage_clients({"SYNC_STORAGE": _CONNECTION})
        with pytest.raises(HttpResponseError):
            tables.get_table_client("links").get_entity("a", "b")
        proxy.shutdown()
    # (a development host still running in this session may send its own polls too:
    # its clients are the SDK's defaults, which read the environment on every request)
    assert any(path.startswith(f"http://{_STORAGE_HOST}/devstoreaccount1/links(") for path in seen)


def test_the_transport_comparison_runs_both_sides(azurite: Azurite) -> None:
    figures = measure_transport(azurite.connection_string, operations=2, runs=2)
    assert figures["operations"] == 2 and figures["runs"] == 2  # its times are make bench's
