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
