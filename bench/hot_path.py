"""A profile of the hot path with pyinstrument: one steady-state status change, from the
signed webhook body to the card written, called in this thread (pyinstrument samples
one thread) through the same service functions the triggers call.

The queue between the two halves is skipped on purpose (the host's receive and delete
are not ours to optimise); everything else — configuration cache, HMAC, parsing,
de-duplication, enqueue, link read, planning, the Azure DevOps PATCH, link save, the
delivery record — runs against Azurite and the Boards emulator as deployed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sync_core import bootstrap
from tests.harness import Sync

from .stack import signed_event, wait_until

__all__ = ["profile_hot_path"]


def _bodies(sync: Sync, issues: list[str], rounds: int) -> list[tuple[bytes, dict]]:
    """Status changes alternating IN_PROGRESS / IDENTIFIED, each snapshot newer (R9)."""
    bodies = []
    for n in range(rounds):
        for issue in issues:
            status = "IN_PROGRESS" if n % 2 == 0 else "IDENTIFIED"
            sync.conviso.store.change_status(issue, status, reason="benchmark", source="user")
            bodies.append(signed_event(sync.snapshot(issue)))
    return bodies


def profile_hot_path(sync: Sync, *, events: int, out: Path | None = None) -> dict[str, Any]:
    """Profile ``events`` status changes; stops ``sync.host`` first (its workers would race
    for the same messages). Returns the slowest frames and where the text report went."""
    from pyinstrument import Profiler

    from sync_core.edge import parse_conviso_event
    from sync_core.service import accept_conviso_event, run_outbound
    from sync_core.service.messages import OutboundMessage

    sync.configure()
    issues = [sync.seed() for _ in range(max(1, events // 10))]
    for issue in issues:
        sync.publish(issue)
    wait_until(lambda: all(sync.work_items_of(i) for i in issues), timeout=60)
    sync.host.stop()
    ctx = bootstrap.context()
    bodies = _bodies(sync, issues, max(1, events // len(issues)))
    messages = []
    for body, _ in bodies:
        event = parse_conviso_event(json.loads(body))
        messages.append(
            OutboundMessage(
                integration_id=sync.id, event_id=event.id, issue_id=event.snapshots[0].id,
                snapshot=event.snapshots[0],
            ).model_dump_json()
        )  # fmt: skip
    sync.boards.clear_requests()
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for (body, headers), message in zip(bodies, messages, strict=True):
            accept_conviso_event(ctx, sync.id, headers, body)
            run_outbound(ctx, message, message_id="profile", dequeue_count=1)
    seconds = time.perf_counter() - started
    writes = [r for r in sync.boards.requests if r.method == "PATCH" and r.status == 200]
    assert len(writes) == len(bodies), (len(writes), len(bodies))
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    if out is not None:
        out.write_text(text)
    return {
        "events": len(bodies),
        "ms_per_event": round(seconds * 1000 / len(bodies), 2),
        "report": str(out) if out else None,
        "top": _top_frames(profiler, 12),
        "by_call": _adapter_calls(profiler),
    }


def _name(frame: Any) -> str:
    owner = getattr(frame, "class_name", None)
    return f"{owner}.{frame.function}" if owner else str(frame.function)


def _top_frames(profiler: Any, limit: int) -> list[dict[str, Any]]:
    """Self time per function, largest first (pyinstrument's synthetic ``[self]`` frames
    are already counted in their parent's self time, so they are skipped)."""
    session = profiler.last_session
    totals: dict[str, float] = {}

    def walk(frame: Any) -> None:
        if frame.is_synthetic:
            return
        key = f"{_name(frame)} ({Path(frame.file_path or '?').name}:{frame.line_no})"
        totals[key] = totals.get(key, 0.0) + frame.total_self_time
        for child in frame.children:
            walk(child)

    root = session.root_frame()
    if root is not None:
        walk(root)
    whole = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [{"frame": k, "share": round(v / whole, 3)} for k, v in ranked]


def _adapter_calls(profiler: Any) -> list[dict[str, Any]]:
    """Where the time goes, by the outermost adapter call (a storage or Azure DevOps
    request with everything under it: SDK, HTTP, the emulator's answer); what is left is
    our own code (parsing, HMAC, planning) and the profiler."""
    session = profiler.last_session
    root = session.root_frame()
    totals: dict[str, float] = {}

    def walk(frame: Any) -> None:
        if frame.is_synthetic:
            return
        if "sync_core/adapters/" in (frame.file_path or ""):
            totals[_name(frame)] = totals.get(_name(frame), 0.0) + frame.time
            return
        for child in frame.children:
            walk(child)

    if root is None:
        return []
    walk(root)
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    calls = [{"call": k, "share": round(v / root.time, 3)} for k, v in ranked]
    rest = 1 - sum(v for v in totals.values()) / root.time
    return [
        *calls,
        {"call": "everything else (our code, pydantic, profiler)", "share": round(rest, 3)},
    ]
