"""Timer triggers on their NCRONTAB schedule, plus ``run`` to fire one now.

One thread per timer function. A lock per function keeps invocations of the same timer from
overlapping, as the host's singleton lock does. A scheduled run that fails is logged and the
schedule goes on; ``run`` (used by tests and the admin route) lets the exception propagate.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from azure.functions.timer import TimerRequest

from localdev.devhost.invoke import Invoker
from localdev.devhost.ncrontab import Schedule

logger = logging.getLogger("localdev.devhost.timers")

# A scheduled run that starts this late is reported as past due, as the host does.
PAST_DUE_AFTER = 1.0


class TimerFunction:
    """One timer-triggered function, its schedule and its scheduling thread."""

    def __init__(self, function: Any, schedule: str, *, invoker: Invoker) -> None:
        self.name: str = function.get_function_name()
        self.schedule = Schedule.parse(schedule)
        self.expression = schedule
        self._function = function
        self._invoker = invoker
        self._run_on_startup = bool(function.get_trigger().run_on_startup)
        self._lock = threading.Lock()
        self._last: datetime | None = None
        self.thread: threading.Thread | None = None

    def run(self, *, past_due: bool = False) -> Any:
        """Invoke now with a ``TimerRequest``; returns what the function returned."""
        now = datetime.now(UTC)
        status = {
            "Last": (self._last or now).isoformat(),
            "Next": self.schedule.next_after(now).isoformat(),
            "LastUpdated": now.isoformat(),
        }
        request = TimerRequest(
            past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True}
        )
        with self._lock:
            try:
                return self._invoker.call(self._function, request)
            finally:
                self._last = now

    def start(self, stopping: threading.Event) -> None:
        self.thread = threading.Thread(
            target=self._loop, args=(stopping,), name=f"timer-{self.name}", daemon=True
        )
        self.thread.start()

    def _loop(self, stopping: threading.Event) -> None:
        if self._run_on_startup:
            self._run_logged(past_due=False)
        due = datetime.now(UTC)
        while not stopping.is_set():
            # From the later of now and the last due time: an early wake-up never fires twice.
            due = self.schedule.next_after(max(datetime.now(UTC), due))
            if stopping.wait(max(0.0, (due - datetime.now(UTC)).total_seconds())):
                return
            late = (datetime.now(UTC) - due).total_seconds()
            self._run_logged(past_due=late > PAST_DUE_AFTER)

    def _run_logged(self, *, past_due: bool) -> None:
        try:
            self.run(past_due=past_due)
        except Exception:
            logger.exception("timer function %s (%s) failed", self.name, self.expression)
