"""The development host behaves like the Functions host where the app can tell.

Over real HTTP (httpx against a free port) and real queues (Azurite). Visibility timeouts
are zero and polling is fast so retries and poisoning take a fraction of a second.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import (
    ExponentialRetry,
    QueueClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from localdev.azurite import free_port
from localdev.devhost import DevHost
from localdev.devhost.ncrontab import Schedule
from localdev.devhost.queues import SENDS, host_retry
from tests.integration import devhost_sample_app as sample

pytestmark = pytest.mark.azurite


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def queue(connection: str, name: str) -> QueueClient:
    # The host's default: base64 on the wire.
    return QueueClient.from_connection_string(
        connection,
        name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


@pytest.fixture(scope="module")
def host() -> Iterator[DevHost]:
    """One host for the HTTP and timer tests (no queues: those get their own queue each)."""
    with DevHost(sample.app, port=0, environ={}, queues=False) as running:
        yield running


@pytest.fixture
def client(host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=10) as http:
        yield http


@pytest.fixture
def queue_host(storage_connection_string: str, unique_name: str) -> Iterator[DevHost]:
    """Queue pumps only, on this test's own queue; retries are immediate (visibility 0)."""
    environ = {"SAMPLE_STORAGE": storage_connection_string, "SAMPLE_QUEUE": unique_name}
    with DevHost(
        sample.app,
        environ=environ,
        http=False,
        timers=False,
        visibility_timeout=0,
        poll_interval=0.05,
    ) as running:
        yield running


def stored_bodies(connection: str, queue_name: str) -> list[str]:
    """Bodies waiting in a queue ([] when the queue does not exist yet)."""
    try:
        return [m.content for m in queue(connection, queue_name).peek_messages(max_messages=32)]
    except ResourceNotFoundError:
        return []


def send_task(connection: str, queue_name: str, *, fail_until: int) -> tuple[str, str]:
    key = uuid.uuid4().hex
    body = json.dumps({"key": key, "fail_until": fail_until})
    queue(connection, queue_name).send_message(body)
    return key, body


# --- HTTP -------------------------------------------------------------------------------


def test_route_parameter_and_query_reach_the_function(client: httpx.Client) -> None:
    response = client.get("/api/items/RETRO-CLOCK", params={"q": "blue"})
    assert response.status_code == 200
    assert response.json() == {"item_id": "RETRO-CLOCK", "q": "blue"}


def test_body_headers_status_and_response_headers_round_trip(client: httpx.Client) -> None:
    response = client.put("/api/echo", content=b"raw bytes", headers={"X-Sample": "yes"})
    assert response.status_code == 201
    assert response.headers["x-echo-method"] == "PUT"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"body": "raw bytes", "header": "yes"}


def test_async_function_with_constrained_and_catch_all_parameters(client: httpx.Client) -> None:
    assert client.get("/api/numbers/42/a/b/c").json() == {"n": "42", "rest": "a/b/c"}
    assert client.get("/api/numbers/forty-two/a").status_code == 404


def test_unknown_route_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/api/items/1")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_unhandled_exception_is_a_json_500(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "fails on purpose" not in response.text  # the traceback is logged, not sent
    assert any(r.exc_info for r in caplog.records if "boom" in r.getMessage())


# --- queues -----------------------------------------------------------------------------


@pytest.mark.usefixtures("queue_host")
def test_message_failing_every_time_is_tried_5_times_then_poisoned(
    storage_connection_string: str, unique_name: str
) -> None:
    key, body = send_task(storage_connection_string, unique_name, fail_until=99)
    poison = f"{unique_name}-poison"

    assert sample.wait_for(key, 5) == [1, 2, 3, 4, 5]
    eventually(lambda: stored_bodies(storage_connection_string, poison) != [])
    assert stored_bodies(storage_connection_string, poison) == [body]
    eventually(lambda: stored_bodies(storage_connection_string, unique_name) == [])
    time.sleep(0.2)  # no sixth attempt
    assert sample.CALLS[key] == [1, 2, 3, 4, 5]


@pytest.mark.usefixtures("queue_host")
def test_message_failing_twice_succeeds_on_third_attempt_and_is_not_poisoned(
    storage_connection_string: str, unique_name: str
) -> None:
    key, _ = send_task(storage_connection_string, unique_name, fail_until=3)

    assert sample.wait_for(f"{key}:done", 1) == [3]
    assert sample.CALLS[key] == [1, 2, 3]
    eventually(lambda: stored_bodies(storage_connection_string, unique_name) == [])
    poison = queue(storage_connection_string, f"{unique_name}-poison")
    with pytest.raises(ResourceNotFoundError):
        poison.get_queue_properties()


def test_several_workers_process_each_message_once(
    storage_connection_string: str, unique_name: str
) -> None:
    environ = {"SAMPLE_STORAGE": storage_connection_string, "SAMPLE_QUEUE": unique_name}
    with DevHost(
        sample.app,
        port=0,
        environ=environ,
        http=False,
        timers=False,
        concurrency=4,
        poll_interval=0.05,
    ):
        keys = [
            send_task(storage_connection_string, unique_name, fail_until=0)[0] for _ in range(12)
        ]
        for key in keys:
            assert sample.wait_for(f"{key}:done", 1) == [1]
    assert all(sample.CALLS[key] == [1] for key in keys)


def test_a_pumps_storage_retries_wait_like_the_functions_host_not_15_seconds(
    storage_connection_string: str, unique_name: str
) -> None:
    """A receive that met a dropped connection was retried after the Python SDK's 15 s (± 3),
    and a host stopping waited for it; the host's .NET SDK starts at 0.8 s."""
    waits = [host_retry().get_backoff_time({"count": n}) for n in range(3)]
    assert waits[0] <= 1.0 and max(waits) <= 5.0, waits
    assert ExponentialRetry().get_backoff_time({"count": 0}) >= 12  # the SDK's own first wait
    with DevHost(
        sample.app, port=0, environ={"SAMPLE_STORAGE": storage_connection_string,
        "SAMPLE_QUEUE": unique_name}, http=False, timers=False,
    ) as host:  # fmt: skip
        policies = [  # the SDK keeps no public accessor for a client's policy
            client._config.retry_policy
            for worker in host._workers
            for client in (worker._queue, worker._poison)
        ]
    assert policies and all(p.initial_backoff == 0.8 and p.total_retries == 3 for p in policies)


@dataclass
class _Pump:
    """Stands in for a queue worker: whether it holds a message, and how often it was woken."""

    free: bool = True
    pokes: int = 0

    def poke(self) -> None:
        self.pokes += 1


def test_a_message_sent_from_this_process_wakes_one_free_pump_in_turn(
    storage_connection_string: str, unique_name: str
) -> None:
    """Idle pumps back off to maxPollingInterval; what this process sends wakes one of them
    (the SDK's send is observed), one free pump per message, in turn; a message sent
    invisible wakes one when it becomes visible."""
    client = queue(storage_connection_string, unique_name)
    client.create_queue()
    pumps = [_Pump(), _Pump()]
    other = _Pump()
    SENDS.listen(client.url, pumps)  # type: ignore[arg-type]
    SENDS.listen(client.url + "-other", [other])  # type: ignore[list-item]
    try:
        for _ in range(4):
            client.send_message("task")
        assert sorted(p.pokes for p in pumps) == [2, 2]
        busy, free = pumps
        busy.free = False
        before = (busy.pokes, free.pokes)
        client.send_message("task")
        assert (busy.pokes, free.pokes) == (before[0], before[1] + 1)
        client.send_message("later", visibility_timeout=1)  # wakes one when it turns visible
        eventually(lambda: free.pokes == before[1] + 2)
        assert other.pokes == 0  # another queue's pumps sleep on
    finally:
        SENDS.forget([*pumps, other])  # type: ignore[list-item]


# --- timers -----------------------------------------------------------------------------


def test_timer_runs_when_triggered(host: DevHost) -> None:
    before = len(sample.CALLS["yearly"])
    assert host.run_timer("yearly", past_due=True) == "ran"
    assert sample.CALLS["yearly"][before:] == [True]


def test_timer_runs_from_the_admin_route(host: DevHost, client: httpx.Client) -> None:
    before = len(sample.CALLS["yearly"])
    assert client.post("/admin/functions/yearly", json={"input": ""}).status_code == 202
    assert sample.CALLS["yearly"][before:] == [False]


def test_timer_runs_on_its_schedule(host: DevHost) -> None:
    before = len(sample.CALLS["every_second"])
    assert len(sample.wait_for("every_second", before + 1, timeout=3)) > before


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * * *", "2026-01-01T10:00:03", "2026-01-01T10:00:05"),
        ("0 */15 * * * *", "2026-01-01T10:14:59", "2026-01-01T10:15:00"),
        ("0 30 9 * * 1-5", "2026-11-27T09:30:00", "2026-11-30T09:30:00"),  # Friday -> Monday
        ("0 0 0 29 2 *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("10,20 0 3 1 1 *", "2026-01-01T03:00:10", "2026-01-01T03:00:20"),
    ],
)
def test_ncrontab_next_occurrence(expression: str, after: str, expected: str) -> None:
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert Schedule.parse(expression).next_after(moment).isoformat() == f"{expected}+00:00"


def test_ncrontab_rejects_five_field_cron() -> None:
    with pytest.raises(ValueError, match="6 fields"):
        Schedule.parse("*/5 * * * *")


# --- the real app -----------------------------------------------------------------------


def test_function_app_loads_and_health_answers(
    storage_connection_string: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import function_app
    from sync_core import bootstrap

    # The app reads os.environ (through bootstrap), so the settings go there.
    monkeypatch.setenv("SYNC_STORAGE", storage_connection_string)
    monkeypatch.setenv("AzureWebJobsStorage", storage_connection_string)
    monkeypatch.setenv("SECRETS_KEY", base64.urlsafe_b64encode(bytes(32)).decode())
    bootstrap.reset()
    # Building the host checks every function (triggers, bindings, schedules). Its queue
    # pumps and timers stay off: other tests share this Azurite and the app's fixed queue
    # names, and a pump here would take their messages.
    try:
        with DevHost(function_app.app, port=0, queues=False, timers=False) as running:
            response = httpx.get(f"{running.url}/api/health", timeout=10)
    finally:
        bootstrap.reset()
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


# ------------------------------------------------------ make run with the sample settings


def _run_with_sample(root: Path, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m localdev.run`` with ``root`` as its folder (local.settings.json there),
    every port a free one on 127.0.0.1."""
    ports = [free_port() for _ in range(6)]
    env = {
        **{k: v for k, v in os.environ.items() if k not in RUN_SETTINGS},
        "LOCALDEV_ROOT": str(root),
        "LOCALDEV_AZURITE_PORTS": ",".join(map(str, ports[:3])),
        "LOCALDEV_EMULATOR_PORTS": ",".join(map(str, ports[3:5])),
        "DEVHOST_PORT": str(ports[5]),
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "localdev.run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _lines_until(process: subprocess.Popen[str], done: Callable[[str], bool]) -> list[str]:
    """The command's output up to the line ``done`` accepts, or to its exit (bounded by
    the test's timeout: readline returns at each line or at the end of the output)."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if done(line):
            break
    return lines


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


REPO = Path(__file__).resolve().parents[2]
#: settings the sample file provides; the test's own environment must not mask them
RUN_SETTINGS = {
    "AzureWebJobsStorage",
    "SYNC_STORAGE",
    "SECRETS_KEY",
    "ADMIN_KEY",
    "AZURE_DEVOPS_BASE_URL",
    "CONVISO_API_URL",
    "FUNCTIONS_URL",
}


@pytest.mark.timeout(180)
def test_make_run_serves_health_with_the_sample_settings_copied_as_they_are(
    tmp_path: Path,
) -> None:
    """Issue 21: ``cp local.settings.sample.json local.settings.json && make run`` works:
    emulators start, a development SECRETS_KEY is made and kept, the banner names the
    admin page and its key, and /api/health answers 200."""
    shutil.copy(REPO / "local.settings.sample.json", tmp_path / "local.settings.json")
    process = _run_with_sample(tmp_path)
    try:
        lines = _lines_until(process, lambda line: line.startswith("ready"))
        output = "\n".join(lines)
        assert lines and lines[-1].startswith("ready"), output
        assert "Azure Boards emulator" in output and "Conviso emulator" in output, output
        functions = next(line.split()[1] for line in lines if line.startswith("functions "))
        assert httpx.get(f"{functions}/api/health", timeout=10).status_code == 200
        admin_key = (tmp_path / ".azurite" / "dev-admin-key").read_text().strip()
        assert f"{functions}/api/console" in output and admin_key in output, output
        assert (tmp_path / ".azurite" / "dev-secrets-key").exists()
        session = httpx.get(
            f"{functions}/api/console/session", headers={"x-functions-key": admin_key}, timeout=10
        )
        assert session.status_code == 200
    finally:
        _stop(process)


@pytest.mark.timeout(120)
def test_make_run_stops_with_a_message_when_the_secrets_key_is_wrong(tmp_path: Path) -> None:
    sample = json.loads((REPO / "local.settings.sample.json").read_text())
    sample["Values"]["SECRETS_KEY"] = "not-a-fernet-key"
    (tmp_path / "local.settings.json").write_text(json.dumps(sample))
    process = _run_with_sample(tmp_path)
    try:
        output = "\n".join(_lines_until(process, lambda line: line.startswith("ready")))
        assert process.wait(timeout=60) != 0
        assert "SECRETS_KEY is set but is not a Fernet key" in output, output
        assert "ready" not in output
    finally:
        if process.poll() is None:
            _stop(process)


# ------------------------------------------- make run restarts: links and cards stay paired


def _run_until_ready(root: Path, ports: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = _run_with_sample(root, ports)
    lines = _lines_until(process, lambda line: line.startswith("ready"))
    output = "\n".join(lines)
    assert lines and lines[-1].startswith("ready"), output
    return process, output


def _fixed_ports() -> dict[str, str]:
    """The same ports for both runs, as ``make run`` has (its hooks name the app's port)."""
    ports = [free_port() for _ in range(6)]
    return {
        "LOCALDEV_AZURITE_PORTS": ",".join(map(str, ports[:3])),
        "LOCALDEV_EMULATOR_PORTS": ",".join(map(str, ports[3:5])),
        "DEVHOST_PORT": str(ports[5]),
    }


def _post(app: str, vulnerability: str, status: str = "IDENTIFIED") -> None:
    command = [sys.executable, "-m", "localdev.post_event", "--app", app, "--id", vulnerability]
    done = subprocess.run(
        [*command, "--status", status], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.startswith("202"), done.stdout + done.stderr


def _created(app: str, vulnerability: str) -> int:
    """The work item the app created for ``vulnerability`` (waits for the delivery)."""
    found: list[int] = []

    def created() -> bool:
        items = httpx.get(f"{app}/api/integrations/demo/deliveries", timeout=10).json()["items"]
        for item in items:
            if (
                item["message"].startswith("created work item #")
                and item.get("vulnerability_id") == vulnerability
            ):
                found.append(int(item["work_item_id"]))
                return True
        return False

    eventually(created, timeout=30)
    return found[0]


def _work_item(output: str, work_item_id: int) -> dict[str, object]:
    line = next(line for line in output.splitlines() if "Azure Boards emulator" in line)
    organization_url, pat = line.split()[4], line.split("(PAT ")[1].rstrip(")")
    answer = httpx.get(
        f"{organization_url}/_apis/wit/workitems/{work_item_id}",
        params={"api-version": "7.1"},
        auth=("", pat),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    fields: dict[str, object] = answer.json()["fields"]
    return fields


@pytest.mark.timeout(300)
def test_make_run_restarts_keep_cards_and_links_paired_and_start_over_together(
    tmp_path: Path,
) -> None:
    """Issue 21: Azurite's links survive a restart, and so do the emulators' cards, so a new
    vulnerability gets a new work item id and an update reaches its own card (before, the
    emulators restarted empty and an update for 5002 was written onto 5003's card). Never
    one without the other: without the Boards snapshot, Azurite's links go too.

    One folder through three runs (each start of ``make run`` is Azurite, both emulators
    and the app host in a process of their own)."""
    shutil.copy(REPO / "local.settings.sample.json", tmp_path / "local.settings.json")
    ports = _fixed_ports()
    process, output = _run_until_ready(tmp_path, ports)
    try:
        app = next(line.split()[1] for line in output.splitlines() if line.startswith("functions "))
        _post(app, "5002")
        first = _created(app, "5002")
    finally:
        _stop(process)
    snapshot = json.loads((tmp_path / ".azurite" / "boards-emulator.json").read_text())
    assert snapshot["clean"] is True

    # a restart: both sides restored, still paired
    process, output = _run_until_ready(tmp_path, ports)
    try:
        assert "restored the boards emulator" in output, output
        assert "restored the conviso emulator" in output, output
        _post(app, "5003")
        second = _created(app, "5003")
        assert second != first  # no id handed out twice
        _post(app, "5002", status="IN_PROGRESS")
        eventually(lambda: _work_item(output, first)["System.State"] == "Active", timeout=30)
        assert "conviso-vuln-5002" in str(_work_item(output, first)["System.Tags"])
        later = _work_item(output, second)
        assert "conviso-vuln-5003" in str(later["System.Tags"])
        assert later["System.State"] == "New"  # 5003's card did not take 5002's update
    finally:
        _stop(process)

    # the Boards snapshot gone: Azurite's data goes with it
    (tmp_path / ".azurite" / "boards-emulator.json").unlink()
    process, output = _run_until_ready(tmp_path, ports)
    try:
        assert "boards-emulator.json is missing" in output, output
        assert "Azurite's data in .azurite/ was deleted too" in output, output
        items = httpx.get(f"{app}/api/integrations/demo/deliveries", timeout=10).json()["items"]
        assert not [i for i in items if i.get("vulnerability_id") in ("5002", "5003")]
        _post(app, "5003")
        assert _created(app, "5003") == 1  # both sides start over together
    finally:
        _stop(process)


# ------------------------------------------------------ Azurite on ports picked free


def test_azurite_starts_again_on_other_ports_when_a_picked_port_is_taken_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A port free when picked can be taken before Azurite binds it (an outgoing
    connection's ephemeral port): Azurite exits at once, and is started on new ports."""
    import socket

    from localdev import azurite as module

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    picks = iter([taken.getsockname()[1]])  # the first pick is the taken port, then free ones
    monkeypatch.setattr(module, "free_port", lambda: next(picks, None) or free_port())
    try:
        with module.start_azurite() as running:
            assert taken.getsockname()[1] not in (running.blob_port, running.queue_port)
            with socket.create_connection(("127.0.0.1", running.table_port), timeout=5):
                pass
    finally:
        taken.close()
