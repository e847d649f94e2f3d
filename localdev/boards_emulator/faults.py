"""Fault injection and request recording, so reliability tests can drive and observe.

A fault matches by method and path fragment and is used up after ``times`` requests;
faults apply in the order they were added. Recorded requests never keep credentials.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultPlan", "RecordedRequest", "Recorder"]

FaultKind = Literal["latency", "status", "drop", "headers"]
_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass
class Fault:
    kind: FaultKind
    times: int = 1
    status: int = 503
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or self.path.lower() in path.lower()


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults for this request: at most one latency and one other, first added first."""
        taken: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if fault.times <= 0 or not fault.matches(method, path):
                    continue
                if any((f.kind == "latency") == (fault.kind == "latency") for f in taken):
                    continue
                fault.times -= 1
                taken.append(fault)
            self._faults = [f for f in self._faults if f.times > 0]
        return taken


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int | None = None
    response: Any = None
    #: seconds the consumption limit held this request before answering (ratelimit.py)
    throttle_delay: float = 0.0

    def json_body(self) -> Any:
        return self.body


class Recorder:
    def __init__(self) -> None:
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def record(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> RecordedRequest:
        safe_headers = {k: v for k, v in headers.items() if k.lower() not in _SECRET_HEADERS}
        entry = RecordedRequest(method, path, query, safe_headers, _mask(_decode(raw)))
        with self._lock:
            self._requests.append(entry)
        return entry

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _mask(body: Any) -> Any:
    """A subscription's webhook password is a secret too: keep it out of the record."""
    if isinstance(body, dict) and isinstance(body.get("consumerInputs"), dict):
        inputs = body["consumerInputs"]
        if inputs.get("basicAuthPassword"):
            body = {**body, "consumerInputs": {**inputs, "basicAuthPassword": "********"}}
    return body
