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

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".azurite"  # git-ignored; Azurite data and the dev secrets key persist here
AZURITE_PORTS = (10000, 10001, 10002)  # blob, queue, table: the standard ones

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


def apply_settings(stack: ExitStack) -> list[str]:
    """Fill in settings the environment lacks: local.settings.json first, then the defaults."""
    lines = []
    local = ROOT / "local.settings.json"
    if local.exists():
        values = json.loads(local.read_text("utf-8")).get("Values", {})
        for name, value in values.items():
            os.environ.setdefault(name, str(value))
        lines.append(f"settings {local.name} loaded (the environment wins)")
    storage = connection_string(*AZURITE_PORTS)
    defaults = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": storage,
        "SYNC_STORAGE": storage,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    if "SECRETS_KEY" not in os.environ:
        os.environ["SECRETS_KEY"] = _dev_secrets_key()
    return lines


BOARDS_PORT, CONVISO_PORT = 7072, 7073  # beside the functions on 7071


def start_emulators(stack: ExitStack) -> list[str]:
    """The Azure Boards and Conviso emulators, unless settings point at real services."""
    from localdev.boards_emulator import BoardsEmulator
    from localdev.conviso_emulator import ConvisoEmulator
    from localdev.demo import CONVISO_KEY

    lines = []
    if "AZURE_DEVOPS_BASE_URL" not in os.environ:
        boards = stack.enter_context(BoardsEmulator(port=BOARDS_PORT))
        os.environ["AZURE_DEVOPS_BASE_URL"] = boards.url
        stack.callback(os.environ.pop, "AZURE_DEVOPS_BASE_URL", None)
        _EMULATORS["boards"] = boards
        lines.append(f"boards   Azure Boards emulator {boards.organization_url} (PAT {boards.pat})")
    if "CONVISO_API_URL" not in os.environ:
        conviso = stack.enter_context(ConvisoEmulator(api_key=CONVISO_KEY, port=CONVISO_PORT))
        os.environ["CONVISO_API_URL"] = conviso.url
        stack.callback(os.environ.pop, "CONVISO_API_URL", None)
        _EMULATORS["conviso"] = conviso
        lines.append(f"conviso  Conviso emulator {conviso.url}")
    return lines


_EMULATORS: dict[str, Any] = {}


def start_functions(stack: ExitStack) -> list[str]:
    """The dev host over ``function_app.app`` (imported only now that the settings are set).

    Port 7071 like ``func start``; ``DEVHOST_PORT`` moves it when 7071 is taken.
    """
    host = DevHost(port=int(os.environ.get("DEVHOST_PORT", DEFAULT_PORT)))
    host.start()
    stack.callback(host.stop)
    os.environ["FUNCTIONS_URL"] = host.url
    return [f"functions {host.url}"] + [f"  {line}" for line in host.describe()]


def create_sample_integration(stack: ExitStack) -> list[str]:
    """Integration ``demo`` on the emulators, with its service hooks, ready for an event."""
    boards = _EMULATORS.get("boards")
    conviso = _EMULATORS.get("conviso")
    if boards is None or conviso is None:
        return ["sample  skipped: settings point at real services"]
    from localdev.demo import ASSETS, COMPANY, HOOK_TOKEN, INTEGRATION, integration_config

    conviso.add_company("Fabrikam", id=COMPANY)
    for asset_id, name in ASSETS.items():
        conviso.add_asset(COMPANY, name, id=asset_id)
    app = os.environ.get("FUNCTIONS_URL", "")
    with httpx.Client(base_url=f"{app}/api", timeout=30) as client:
        client.put(
            f"/integrations/{INTEGRATION}", json=integration_config(boards)
        ).raise_for_status()
    hook = f"{app}/api/integrations/{INTEGRATION}/boards-webhook?token={HOOK_TOKEN}"
    for project in ("Fabrikam", "Payments"):
        boards.subscribe(hook, project=project, changed_fields="System.BoardColumn")
        boards.subscribe(hook, project=project, changed_fields="System.State")
    return [
        f"sample  integration '{INTEGRATION}' configured on the emulators, service hooks set",
        "        send a vulnerability:  .venv/bin/python -m localdev.post_event",
        f"        recent deliveries:     curl {app}/api/integrations/{INTEGRATION}/deliveries",
    ]


# In start order; each registers its own stop on the stack. Emulators go before functions.
SERVICES: list[Service] = [
    start_storage,
    apply_settings,
    start_emulators,
    start_functions,
    create_sample_integration,
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
