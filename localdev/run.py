"""``python -m localdev.run`` (``make run``): the whole app on this machine, without Core Tools.

Starts each service in ``SERVICES`` in order, prints what listens where, and on Ctrl-C (or
SIGTERM) stops them in reverse order. Settings, strongest first: the environment, then
``local.settings.json`` ``Values``, then the development defaults below, so a developer can
point any setting elsewhere without editing files. To add a local emulator, write a
``start_<name>(stack) -> list[str]`` that starts it, registers its stop on ``stack``, sets its
base-URL setting with ``os.environ.setdefault`` and returns banner lines, then list it before
``start_functions``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from localdev.azurite import connection_string, start_azurite
from localdev.devhost import DEFAULT_PORT, DevHost

#: where ``local.settings.json`` is read from; ``LOCALDEV_ROOT`` points elsewhere (tests)
ROOT = Path(os.environ.get("LOCALDEV_ROOT") or Path(__file__).resolve().parent.parent)
#: git-ignored; Azurite data, the dev secrets key and the dev admin key persist here
STATE_DIR = ROOT / ".azurite"


def _ports(setting: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Ports from a comma-separated setting (tests bind free ones), else the defaults."""
    raw = os.environ.get(setting, "").strip()
    if not raw:
        return default
    try:
        return tuple(int(p) for p in raw.split(","))
    except ValueError:
        raise SystemExit(f"{setting} must be comma-separated port numbers, not {raw!r}") from None


AZURITE_PORTS = _ports("LOCALDEV_AZURITE_PORTS", (10000, 10001, 10002))  # blob, queue, table

Service = Callable[[ExitStack], list[str]]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_storage(stack: ExitStack) -> list[str]:
    """Azurite on the standard ports with data in ``.azurite/``, or the one already running."""
    listening = [_listening(port) for port in AZURITE_PORTS]
    ports = "/".join(map(str, AZURITE_PORTS))
    if all(listening):
        return [f"storage  Azurite already running on 127.0.0.1:{ports} (reused)"]
    if any(listening):
        raise SystemExit(f"ports {ports} are partly in use: stop what holds them or start Azurite")
    STATE_DIR.mkdir(exist_ok=True)
    azurite = start_azurite(in_memory=False, ports=AZURITE_PORTS, location=str(STATE_DIR))
    stack.enter_context(azurite)
    return [f"storage  Azurite on 127.0.0.1:{ports}, data in {STATE_DIR.name}/"]


def _dev_secrets_key() -> str:
    """A Fernet-format key (32 random bytes, URL-safe base64) made once and kept in .azurite/."""
    path = STATE_DIR / "dev-secrets-key"
    if not path.exists():
        STATE_DIR.mkdir(exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def _dev_admin_key() -> str:
    """The local admin page's key, made once and kept in .azurite/ (the banner prints it)."""
    path = STATE_DIR / "dev-admin-key"
    if not path.exists():
        STATE_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def _local_values(local: Path) -> dict[str, str]:
    """``Values`` of local.settings.json; a file that cannot be read stops start-up."""
    try:
        values = json.loads(local.read_text("utf-8")).get("Values", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise SystemExit(
            f"{local.name} cannot be read ({exc.__class__.__name__}: {exc}); fix it, or "
            f"copy local.settings.sample.json over it"
        ) from None
    if not isinstance(values, dict):
        raise SystemExit(f"{local.name}: 'Values' must be an object of setting names to text")
    return {str(name): str(value) for name, value in values.items()}


def _check_secrets_key(value: str) -> None:
    """A SECRETS_KEY that is set must be a Fernet key: say so now, not as a 503 later."""
    from cryptography.fernet import Fernet

    try:
        Fernet(value.split(",")[0].strip())
    except (ValueError, TypeError):
        raise SystemExit(
            "SECRETS_KEY is set but is not a Fernet key (32 random bytes, URL-safe base64). "
            'Set it to the output of: .venv/bin/python -c "from cryptography.fernet import '
            'Fernet; print(Fernet.generate_key().decode())", or leave it empty for a '
            f"development key kept in {STATE_DIR.name}/"
        ) from None


#: the settings this command reads or fills in; an empty one means "the default"
_SETTINGS = {
    "AzureWebJobsStorage",
    "SYNC_STORAGE",
    "SECRETS_KEY",
    "ADMIN_KEY",
    "AZURE_DEVOPS_BASE_URL",
    "CONVISO_API_URL",
}


def apply_settings(stack: ExitStack) -> list[str]:
    """Fill in settings the environment lacks: local.settings.json first, then the defaults.

    An empty value counts as not set, so local.settings.sample.json works as it is: empty
    ``AZURE_DEVOPS_BASE_URL``/``CONVISO_API_URL`` start the emulators, an empty
    ``SECRETS_KEY`` gets a development key kept in the git-ignored state folder, and
    ``UseDevelopmentStorage=true`` is the Azurite this command starts.
    """
    lines = []
    local = ROOT / "local.settings.json"
    values = _local_values(local) if local.exists() else {}
    if local.exists():
        for name, value in values.items():
            if value.strip() and not os.environ.get(name, "").strip():
                os.environ[name] = value
        lines.append(f"settings {local.name} loaded (the environment wins; empty = default)")
    for name in _SETTINGS | set(values):
        if not os.environ.get(name, "x").strip():
            os.environ.pop(name)  # empty means "use the default" everywhere below
    storage = connection_string(*AZURITE_PORTS)
    for name in ("AzureWebJobsStorage", "SYNC_STORAGE"):
        if os.environ.get(name, "").replace(" ", "").lower() == "usedevelopmentstorage=true":
            os.environ[name] = storage  # the same emulator, named explicitly
    defaults = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": storage,
        "SYNC_STORAGE": storage,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    if "SECRETS_KEY" in os.environ:
        _check_secrets_key(os.environ["SECRETS_KEY"])
    else:
        os.environ["SECRETS_KEY"] = _dev_secrets_key()
        lines.append(f"settings SECRETS_KEY: a development key, kept in {STATE_DIR.name}/")
    if "ADMIN_KEY" not in os.environ:
        os.environ["ADMIN_KEY"] = _dev_admin_key()
    return lines


# beside the functions on 7071; LOCALDEV_EMULATOR_PORTS="boards,conviso" moves them
BOARDS_PORT, CONVISO_PORT = _ports("LOCALDEV_EMULATOR_PORTS", (7072, 7073))
#: the emulators' state, beside Azurite's (localdev/emulator_state.py)
SNAPSHOTS = {"boards": "boards-emulator.json", "conviso": "conviso-emulator.json"}
#: how often a changed state is saved while running (a crash loses at most this much)
SNAPSHOT_EVERY_S = 2.0
#: ids skipped after a restore from a snapshot saved while running (not at a clean stop)
ID_GAP = 1000

_EMULATORS: dict[str, Any] = {}


def _wanted_emulators() -> list[str]:
    """The emulators this run starts: those whose service no setting points elsewhere."""
    wanted = []
    if "AZURE_DEVOPS_BASE_URL" not in os.environ:
        wanted.append("boards")
    if "CONVISO_API_URL" not in os.environ:
        wanted.append("conviso")
    return wanted


def _azurite_data() -> list[Path]:
    """Azurite's own files in the state folder (``__azurite_db_*.json``, ``__*storage__``)."""
    if not STATE_DIR.exists():
        return []
    return sorted(p for p in STATE_DIR.iterdir() if p.name.startswith("__"))


def _read_snapshot(name: str) -> tuple[dict[str, Any] | None, str]:
    """The snapshot file's content, or None and why not."""
    path = STATE_DIR / SNAPSHOTS[name]
    if not path.exists():
        return None, f"{path.name} is missing"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{path.name} cannot be read ({exc.__class__.__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("state"), dict):
        return None, f"{path.name} is not an emulator snapshot"
    return data, ""


def _new_emulator(name: str) -> Any:
    from localdev.boards_emulator import BoardsEmulator
    from localdev.conviso_emulator import ConvisoEmulator
    from localdev.demo import CONVISO_KEY

    if name == "boards":
        return BoardsEmulator(port=BOARDS_PORT)
    return ConvisoEmulator(api_key=CONVISO_KEY, port=CONVISO_PORT)


def _wipe(reason: str) -> list[str]:
    """Start over on both sides: Azurite's data and the emulators' snapshots go."""
    for path in _azurite_data():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for file_name in SNAPSHOTS.values():
        (STATE_DIR / file_name).unlink(missing_ok=True)
    return [
        f"state    {reason}: Azurite's data in {STATE_DIR.name}/ was deleted too, so that "
        "links and cards start over together (never one without the other)"
    ]


def restore_state(stack: ExitStack) -> list[str]:
    """Keep both Azurite's data and the emulators' state, or reset both (never one).

    Azurite's data persists in ``.azurite/`` and names work item and vulnerability ids; the
    emulators are restored from their snapshots there, so their ids go on where they
    stopped. When Azurite has data but a snapshot is missing or does not load, Azurite's
    data is deleted too; when Azurite has none, the snapshots are not loaded either. Runs
    before Azurite starts, so that its data can still be deleted.
    """
    wanted = _wanted_emulators()
    for name in wanted:
        _EMULATORS[name] = _new_emulator(name)
    if not wanted:
        return []
    has_data = bool(_azurite_data())
    reused = all(_listening(port) for port in AZURITE_PORTS)
    if not has_data and not reused:
        for file_name in SNAPSHOTS.values():
            (STATE_DIR / file_name).unlink(missing_ok=True)
        return ["state    a fresh start: no Azurite data, empty emulators"]
    snapshots: dict[str, dict[str, Any]] = {}
    problem = ""
    for name in wanted:
        data, why = _read_snapshot(name)
        if data is None:
            problem = problem or why
            continue
        try:
            _EMULATORS[name].restore(data["state"])
        except ValueError as exc:
            problem = problem or f"{SNAPSHOTS[name]} does not load ({exc})"
            continue
        snapshots[name] = data
    if problem:
        for name in wanted:  # whatever was loaded goes: both start empty
            _EMULATORS[name] = _new_emulator(name)
        if reused:
            return [
                f"state    WARNING {problem}, and Azurite was already running (not ours to "
                "wipe): stop it and delete its data, or cards may be cross-wired"
            ]
        return _wipe(problem)
    lines = [
        f"state    restored the {name} emulator from {STATE_DIR.name}/{SNAPSHOTS[name]} "
        f"(saved {data.get('saved_at', '?')})"
        for name, data in snapshots.items()
    ]
    if not all(data.get("clean") for data in snapshots.values()):
        from localdev.emulator_state import advance_ids

        advance_ids(_EMULATORS.get("boards"), _EMULATORS.get("conviso"), ID_GAP)
        lines.append(
            "state    the last run did not stop cleanly: restored its latest snapshot, and new "
            f"ids start {ID_GAP} further on, so no id is handed out twice"
        )
    return lines


def _save_snapshots(*, clean: bool, last: dict[str, str]) -> None:
    """Write each running emulator's state if it changed (atomically: write, then rename)."""
    from datetime import UTC, datetime

    for name, emulator in _EMULATORS.items():
        state = json.dumps(emulator.snapshot(), sort_keys=True)
        if not clean and last.get(name) == state:
            continue
        last[name] = state
        document = {"saved_at": datetime.now(UTC).isoformat(), "clean": clean}
        text = json.dumps(document)[:-1] + ', "state": ' + state + "}"
        path = STATE_DIR / SNAPSHOTS[name]
        partial = path.with_suffix(".json.partial")
        partial.write_text(text, "utf-8")
        os.replace(partial, path)


def start_emulators(stack: ExitStack) -> list[str]:
    """The Azure Boards and Conviso emulators, unless settings point at real services.

    Their state is saved beside Azurite's every ``SNAPSHOT_EVERY_S`` while it changes, and
    once more when they stop (marked clean), for :func:`restore_state` to load next time.
    """
    lines = []
    boards = _EMULATORS.get("boards")
    if boards is not None:
        stack.enter_context(boards)
        os.environ["AZURE_DEVOPS_BASE_URL"] = boards.url
        stack.callback(os.environ.pop, "AZURE_DEVOPS_BASE_URL", None)
        lines.append(f"boards   Azure Boards emulator {boards.organization_url} (PAT {boards.pat})")
        for project, team, board in BOARD_PAGES:
            lines.append(f"         board page  {boards.board_page_url(project, team, board)}")
    conviso = _EMULATORS.get("conviso")
    if conviso is not None:
        stack.enter_context(conviso)
        os.environ["CONVISO_API_URL"] = conviso.url
        stack.callback(os.environ.pop, "CONVISO_API_URL", None)
        lines.append(f"conviso  Conviso emulator {conviso.url}")
    if _EMULATORS:
        STATE_DIR.mkdir(exist_ok=True)
        last: dict[str, str] = {}
        stop = threading.Event()

        def keep_saving() -> None:
            while not stop.wait(SNAPSHOT_EVERY_S):
                try:
                    _save_snapshots(clean=False, last=last)
                except Exception as exc:  # the next round tries again; the stop saves
                    logging.getLogger(__name__).warning("snapshot failed: %r", exc)

        saver = threading.Thread(target=keep_saving, name="emulator-snapshots", daemon=True)
        saver.start()
        # LIFO: after the functions host stops (no more writes), before the emulators stop
        stack.callback(_save_snapshots, clean=True, last=last)
        stack.callback(saver.join, 10)
        stack.callback(stop.set)
        names = ", ".join(SNAPSHOTS[n] for n in _EMULATORS)
        lines.append(f"         emulator state kept in {STATE_DIR.name}/ ({names})")
    return lines


#: the board pages the banner names (the sample integration's two routes)
BOARD_PAGES = (("Fabrikam", "Fabrikam Team", "Issues"), ("Payments", "Payments Team", "Bugs"))


def start_functions(stack: ExitStack) -> list[str]:
    """The dev host over ``function_app.app`` (imported only now that the settings are set).

    Port 7071 like ``func start``; ``DEVHOST_PORT`` moves it when 7071 is taken.
    """
    host = DevHost(port=int(os.environ.get("DEVHOST_PORT", DEFAULT_PORT)))
    host.start()
    stack.callback(host.stop)
    os.environ["FUNCTIONS_URL"] = host.url
    return [f"functions {host.url}"] + [f"  {line}" for line in host.describe()]


def admin_page_banner(stack: ExitStack) -> list[str]:
    """Where the admin page is and the key it asks for: the first thing an operator needs."""
    app = os.environ.get("FUNCTIONS_URL", "")
    return [
        f"admin    page  {app}/api/console",
        f"         admin key  {os.environ.get('ADMIN_KEY', '')}",
        "         (the ADMIN_KEY setting; in Azure, the function app's default host key)",
    ]


def create_sample_integration(stack: ExitStack) -> list[str]:
    """Integration ``demo`` on the emulators, with its service hooks, ready for an event."""
    boards = _EMULATORS.get("boards")
    conviso = _EMULATORS.get("conviso")
    if boards is None or conviso is None:
        return ["sample  skipped: settings point at real services"]
    from localdev.demo import ASSETS, COMPANY, HOOK_TOKEN, INTEGRATION, integration_config

    if COMPANY not in conviso.store.companies:  # a restored emulator has them already
        conviso.add_company("Fabrikam", id=COMPANY)
    for asset_id, name in ASSETS.items():
        if asset_id not in conviso.store.assets:
            conviso.add_asset(COMPANY, name, id=asset_id)
    app = os.environ.get("FUNCTIONS_URL", "")
    with httpx.Client(base_url=f"{app}/api", timeout=30) as client:
        client.put(
            f"/integrations/{INTEGRATION}", json=integration_config(boards)
        ).raise_for_status()
    hook = f"{app}/api/integrations/{INTEGRATION}/boards-webhook?token={HOOK_TOKEN}"
    existing = {
        (s["publisherInputs"]["projectId"], s["publisherInputs"]["changedFields"])
        for s in boards.subscriptions.items.values()
        if s["consumerInputs"].get("url") == hook
    }
    for project in ("Fabrikam", "Payments"):
        project_id = boards.world.project(project).id
        for changed in ("System.BoardColumn", "System.State"):
            if (project_id, changed) not in existing:  # restored ones are kept
                boards.subscribe(hook, project=project, changed_fields=changed)
    return [
        f"sample  integration '{INTEGRATION}' configured on the emulators, service hooks set",
        "        send a vulnerability:  .venv/bin/python -m localdev.post_event",
        f"        recent deliveries:     curl {app}/api/integrations/{INTEGRATION}/deliveries",
    ]


# In start order; each registers its own stop on the stack. Emulators go before functions.
SERVICES: list[Service] = [
    apply_settings,
    restore_state,
    start_storage,
    start_emulators,
    start_functions,
    create_sample_integration,
    admin_page_banner,
]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The storage SDK logs every request at INFO, and the queue pumps poll all the time.
    logging.getLogger("azure").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with ExitStack() as stack:
        try:
            for service in SERVICES:
                for line in service(stack):
                    print(line, flush=True)
            print("ready; Ctrl-C stops everything", flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)


if __name__ == "__main__":
    main()
