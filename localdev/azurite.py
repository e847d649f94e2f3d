"""Start and stop Azurite (the storage emulator from npm) on free loopback ports."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "devstoreaccount1"
# The well-known, public development key of the emulator (not a secret).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def azurite_binary() -> str:
    local = ROOT / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if not found:
        raise RuntimeError("Azurite is not installed: run `npm ci` (make does it for you)")
    return found


def connection_string(blob: int, queue: int, table: int) -> str:
    base = "http://127.0.0.1"
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={base}:{blob}/{ACCOUNT};QueueEndpoint={base}:{queue}/{ACCOUNT};"
        f"TableEndpoint={base}:{table}/{ACCOUNT};"
    )


@dataclass
class Azurite:
    """A running Azurite; ``stop()`` ends it. Use as a context manager."""

    blob_port: int
    queue_port: int
    table_port: int
    process: subprocess.Popen[bytes]
    workdir: str = field(default="")

    @property
    def connection_string(self) -> str:
        return connection_string(self.blob_port, self.queue_port, self.table_port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: starts on freshly picked ports before giving up
_PORT_ATTEMPTS = 3


class _ExitedEarly(RuntimeError):
    """Azurite stopped before opening its ports (a port taken, a bad argument)."""


def _wait_for_ports(ports: list[int], process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if process.poll() is not None:
            raise _ExitedEarly(f"Azurite exited early with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Azurite did not open ports {pending} in {timeout} s")
        port = pending[0]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pending.pop(0)
        except OSError:
            time.sleep(0.05)


def start_azurite(
    *,
    in_memory: bool = True,
    ports: tuple[int, int, int] | None = None,
    location: str | None = None,
    timeout: float = 30.0,
) -> Azurite:
    """Start Azurite bound to 127.0.0.1 only; in memory unless a ``location`` is given.

    Without ``ports``, free ones are picked; a port free when picked can be taken before
    Azurite binds it (by an outgoing connection's ephemeral port: seen once in a full test
    run, "Azurite exited early with code 1"), so that start is tried again on new ports."""
    if ports is not None:
        return _start(in_memory, ports, location, timeout)
    for _ in range(_PORT_ATTEMPTS - 1):
        with contextlib.suppress(_ExitedEarly):
            return _start(in_memory, (free_port(), free_port(), free_port()), location, timeout)
    return _start(in_memory, (free_port(), free_port(), free_port()), location, timeout)


def _start(
    in_memory: bool, ports: tuple[int, int, int], location: str | None, timeout: float
) -> Azurite:
    blob, queue, table = ports
    workdir = tempfile.mkdtemp(prefix="azurite-")
    args = [
        azurite_binary(),
        "--silent",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        "--blobHost", "127.0.0.1", "--blobPort", str(blob),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue),
        "--tableHost", "127.0.0.1", "--tablePort", str(table),
    ]
    if in_memory and location is None:
        args.append("--inMemoryPersistence")
    else:
        args += ["--location", location or workdir]
    process = subprocess.Popen(
        args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_ports([blob, queue, table], process, timeout)
    except Exception:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Azurite(blob, queue, table, process, workdir)
