"""What the Functions host reads from host.json and app settings, for the development host.

Kept apart from the pumps so each of them reads one frozen ``HostSettings`` instead of
parsing JSON, and so the ``%SETTING%`` / connection rules live in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOST_JSON = ROOT / "host.json"
DEFAULT_CONNECTION = "AzureWebJobsStorage"

_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")
_SETTING_REF = re.compile(r"%([^%]+)%")


class DevHostError(RuntimeError):
    """The app or its settings cannot be run by the development host (message says why)."""


def parse_timespan(value: str) -> float:
    """Seconds in a .NET TimeSpan as host.json writes it: ``[d.]hh:mm:ss[.fff]``."""
    match = _TIMESPAN.match(value.strip())
    if not match:
        raise DevHostError(f"not a TimeSpan (expected [d.]hh:mm:ss): {value!r}")
    days = int(match["days"] or 0)
    return ((days * 24 + int(match["h"])) * 60 + int(match["m"])) * 60 + float(match["s"])


@dataclass(frozen=True)
class HostSettings:
    """The host.json values the development host honours (defaults: the host's own)."""

    route_prefix: str = "api"
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    max_polling_interval: float = 2.0
    message_encoding: str = "base64"

    @classmethod
    def from_host_json(cls, path: Path = DEFAULT_HOST_JSON) -> HostSettings:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        extensions = data.get("extensions", {})
        http = extensions.get("http", {})
        queues = extensions.get("queues", {})
        defaults = cls()
        return cls(
            route_prefix=str(http.get("routePrefix", defaults.route_prefix)).strip("/"),
            visibility_timeout=parse_timespan(queues.get("visibilityTimeout", "00:00:00")),
            max_dequeue_count=int(queues.get("maxDequeueCount", defaults.max_dequeue_count)),
            max_polling_interval=parse_timespan(queues.get("maxPollingInterval", "00:00:02")),
            message_encoding=str(queues.get("messageEncoding", "base64")).lower(),
        )


def resolve_setting_refs(value: str, environ: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` with the app setting, as the host does for binding expressions."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise DevHostError(f"app setting {name!r} (used as %{name}%) is not set")
        return environ[name]

    return _SETTING_REF.sub(lookup, value)


def storage_connection_string(connection: str | None, environ: Mapping[str, str]) -> str:
    """The connection string a trigger's ``connection`` names (host lookup order).

    The host also accepts the identity form (``NAME__queueServiceUri``); the development host
    runs against Azurite, so it needs the connection-string form and says so.
    """
    name = connection or DEFAULT_CONNECTION
    for key in (name, f"AzureWebJobs{name}"):
        if environ.get(key):
            return environ[key]
    if any(key.startswith(f"{name}__") for key in environ):
        raise DevHostError(
            f"connection {name!r} uses the identity form; the dev host needs a connection string"
        )
    raise DevHostError(f"connection setting {name!r} is not set")
