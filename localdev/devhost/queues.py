"""Queue triggers pumped from storage queues with the Functions host's semantics.

One worker thread receives one message at a time (``concurrency`` threads per queue
simulate scale-out). Like the host: base64 bodies are decoded before the call; success
deletes the message; a failure makes it visible again after ``visibilityTimeout``; a failure
at ``dequeue_count >= maxDequeueCount`` copies the original content to ``<queue>-poison`` and
deletes it, and a message received already past the limit goes there without a call.
Unlike the host, a message's lease is not renewed: a function slower than ``lease`` seconds
may see its message delivered again. Also unlike it, an idle pump is woken by a message
sent from this process (``Sends``): the app's own messages are taken at once, while idle
pumps back off to ``maxPollingInterval`` and cost next to nothing; what another process
sends, the back-off finds.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import logging
import threading
from collections.abc import Sequence
from typing import Any

import azure.functions.queue as func_queue
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import ExponentialRetry, QueueClient, QueueMessage

from localdev.devhost.invoke import Invoker

logger = logging.getLogger("localdev.devhost.queues")

#: The host's first wait after an empty receive, doubled up to ``maxPollingInterval``: the
#: WebJobs queue listener's ``RandomizedExponentialBackoffStrategy`` starts at
#: ``QueuePollingIntervals.Minimum``, 100 ms (azure-webjobs-sdk, Queues/Listeners). A message
#: sent from this process wakes a pump at once (``Sends``), so a lower start only adds
#: receives: 20 ms made 28 % more of them in the end-to-end, reliability and reconcile tests.
MIN_POLL_DELAY = 0.1


def host_retry() -> ExponentialRetry:
    """The Functions host's storage retry: Azure.Core's ``RetryOptions`` defaults (the .NET
    SDK its queue extension uses), exponential from 0.8 s, 3 retries. The Python Queue SDK's
    own default waits 15 s (± 3) first: a pump whose receive met a dropped keep-alive
    connection slept that long, and a host stopping waited for it (6–9 s seen at the end of
    a test run)."""
    return ExponentialRetry(
        initial_backoff=0.8, increment_base=2, retry_total=3, random_jitter_range=0.2
    )


class Sends:
    """Wakes a pump when this process sends a message to its queue.

    Polling is what idle pumps cost: a receive per pump and back-off step, each a storage
    request (18 % of the suite's Python CPU, measured). ``QueueClient.send_message`` is wrapped
    once per process to tell the pumps of the queue it sent to (after the message's initial
    invisibility, when it has one); one free pump is woken per message, in turn, so a burst
    still spreads over the workers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pumps: dict[str, list[QueueWorker]] = {}
        self._turn = 0
        self._wrapped = False

    def listen(self, url: str, workers: Sequence[QueueWorker]) -> None:
        with self._lock:
            self._pumps.setdefault(url, []).extend(workers)
            if not self._wrapped:
                self._wrap()
                self._wrapped = True

    def forget(self, workers: Sequence[QueueWorker]) -> None:
        with self._lock:
            for url, pumps in list(self._pumps.items()):
                self._pumps[url] = [p for p in pumps if p not in workers]

    def sent(self, url: str, delay: float) -> None:
        if delay > 0:
            timer = threading.Timer(delay, self.sent, args=(url, 0.0))
            timer.daemon = True
            timer.start()
            return
        with self._lock:
            pumps = self._pumps.get(url, [])
            free = [p for p in pumps if p.free] or pumps[:1]
            if not free:
                return
            self._turn += 1
            pump = free[self._turn % len(free)]
        pump.poke()

    def _wrap(self) -> None:
        send = QueueClient.send_message
        sends = self

        @functools.wraps(send)
        def send_message(client: QueueClient, *args: Any, **kwargs: Any) -> Any:
            result = send(client, *args, **kwargs)
            sends.sent(client.url, float(kwargs.get("visibility_timeout") or 0))
            return result

        setattr(QueueClient, "send_message", send_message)  # noqa: B010


#: the one per process: there is one ``QueueClient`` class to wrap
SENDS = Sends()


def _create_if_missing(client: QueueClient) -> None:
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()


class QueueWorker:
    """One polling thread for one queue-triggered function."""

    def __init__(
        self,
        function: Any,
        *,
        connection_string: str,
        queue_name: str,
        invoker: Invoker,
        max_dequeue_count: int,
        visibility_timeout: float,
        poll_interval: float,
        base64_bodies: bool,
        lease: float,
        stopping: threading.Event,
        index: int,
    ) -> None:
        self._function = function
        self._name = function.get_function_name()
        # Raw clients (no encode/decode policy): we decode for the call ourselves, so the
        # poison copy keeps the stored content byte for byte.
        self._queue = QueueClient.from_connection_string(
            connection_string, queue_name, retry_policy=host_retry()
        )
        self._poison = QueueClient.from_connection_string(
            connection_string, f"{queue_name}-poison", retry_policy=host_retry()
        )
        self._invoker = invoker
        self._max_dequeue_count = max_dequeue_count
        self._visibility_timeout = round(visibility_timeout)
        self._poll_interval = poll_interval
        self._base64 = base64_bodies
        self._lease = max(1, int(lease))
        self._stopping = stopping
        self._wake = threading.Event()
        #: not handling a message: a send may wake this pump
        self.free = True
        self.url = self._queue.url
        self.thread = threading.Thread(
            target=self._run, name=f"queue-{self._name}-{index}", daemon=True
        )

    def create_queue(self) -> None:
        _create_if_missing(self._queue)

    def poke(self) -> None:
        """Poll again now, whatever the back-off: a message may have just been sent."""
        self._wake.set()

    def _run(self) -> None:
        delay = MIN_POLL_DELAY
        while not self._stopping.is_set():
            self._wake.clear()  # before receiving: a poke from here on is not lost
            try:
                message = self._queue.receive_message(visibility_timeout=self._lease)
                if message is not None:
                    self.free = False
                    try:
                        self._handle(message)
                    finally:
                        self.free = True
                    delay = MIN_POLL_DELAY
                    continue
            except Exception:  # a pump must outlive any one failure (storage down, bad reply)
                logger.exception("queue %s: pump step failed; retrying", self._queue.queue_name)
            # Idle or failing: back off like the host, up to maxPollingInterval, unless poked.
            if not self._wake.wait(delay):
                delay = min(delay * 2, self._poll_interval)

    def _handle(self, message: QueueMessage) -> None:
        if message.dequeue_count > self._max_dequeue_count:
            self._to_poison(message)
            return
        try:
            self._invoker.call(self._function, self._to_function_message(message))
        except Exception:
            logger.exception(
                "function %s failed on message %s (dequeue count %s)",
                self._name, message.id, message.dequeue_count,
            )
            if message.dequeue_count >= self._max_dequeue_count:
                self._to_poison(message)
            else:
                self._queue.update_message(
                    message.id, pop_receipt=message.pop_receipt,
                    visibility_timeout=self._visibility_timeout,
                )
                SENDS.sent(self.url, self._visibility_timeout)  # a pump takes it when visible
            return
        self._queue.delete_message(message.id, message.pop_receipt)

    def _to_function_message(self, message: QueueMessage) -> func_queue.QueueMessage:
        content = message.content or ""
        if self._base64:
            try:
                body = base64.b64decode(content, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"message {message.id} is not valid base64") from exc
        else:
            body = content.encode("utf-8")
        return func_queue.QueueMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            pop_receipt=message.pop_receipt,
            insertion_time=message.inserted_on,
            expiration_time=message.expires_on,
            time_next_visible=message.next_visible_on,
        )

    def _to_poison(self, message: QueueMessage) -> None:
        logger.warning(
            "message %s on %s moved to %s after %s attempts",
            message.id, self._queue.queue_name, self._poison.queue_name, message.dequeue_count,
        )
        _create_if_missing(self._poison)
        self._poison.send_message(message.content)
        self._queue.delete_message(message.id, message.pop_receipt)
