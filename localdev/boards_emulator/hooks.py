"""Service hooks: Web Hooks subscriptions, payloads shaped like the official sample, delivery.

Deliveries run on one background thread, in order, and retry the way Azure DevOps does
(docs/service-hooks/troubleshoot.md): 408/502/503/504 and connection failures are
transient and retried after each delay of ``retry_delays``; 410 disables the subscription;
any other failure puts it on probation (its probation schedule is not emulated).
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .work_items import Change, now_iso
from .world import ApiError, World

__all__ = ["DEFAULT_RETRY_DELAYS", "Delivery", "HookDispatcher", "Subscriptions"]

log = logging.getLogger(__name__)

#: ~1, 2, 4, 8, 16, 32, 60, 60 s: the documented transient retry schedule (183 s in all).
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 60, 60)
TRANSIENT_STATUSES = frozenset({408, 502, 503, 504})
MASK = "********"
EVENT_TYPES = frozenset(
    {"workitem.created", "workitem.updated", "workitem.deleted", "workitem.restored",
     "workitem.commented"}
)  # fmt: skip
_NOISE = frozenset(
    {"System.Rev", "System.ChangedDate", "System.AuthorizedDate", "System.RevisedDate",
     "System.Watermark", "System.ChangedBy"}
)  # fmt: skip


@dataclass
class Delivery:
    """One notification and what became of it, for assertions."""

    subscription_id: str
    event_id: str
    event_type: str
    work_item_id: int
    payload: dict[str, Any]
    status_codes: list[int | None] = field(default_factory=list)
    result: str = "pending"  # pending | succeeded | failed


class Subscriptions:
    """The organization's subscriptions, as the hooks REST API shows them."""

    def __init__(self, world: World, org_url: Callable[[], str]) -> None:
        self._world = world
        self._org_url = org_url
        self.items: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, str] = {}

    def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "A subscription is required.", "ArgumentNullException")
        publisher_inputs = dict(body.get("publisherInputs") or {})
        consumer_inputs = dict(body.get("consumerInputs") or {})
        _require(body.get("publisherId") == "tfs", "publisherId must be 'tfs'.")
        _require(
            body.get("eventType") in EVENT_TYPES, f"Unknown event type {body.get('eventType')!r}."
        )
        _require(
            body.get("consumerId") == "webHooks", "The emulator only has the webHooks consumer."
        )
        _require(
            body.get("consumerActionId") == "httpRequest", "consumerActionId must be httpRequest."
        )
        _require(bool(consumer_inputs.get("url")), "The consumer input 'url' is required.")
        _require(
            bool(publisher_inputs.get("projectId")), "The publisher input 'projectId' is required."
        )
        project = self._world.project(str(publisher_inputs["projectId"]))
        subscription_id = str(uuid.uuid4())
        password = consumer_inputs.get("basicAuthPassword")
        if password:
            self.secrets[subscription_id] = str(password)
            consumer_inputs["basicAuthPassword"] = MASK
        stamp = now_iso()
        creator = {"id": self._world.service_identity.id}
        publisher_inputs.update(projectId=project.id, hostId=self._world.collection_id,
                                tfsSubscriptionId=str(uuid.uuid4()))  # fmt: skip
        for key in ("areaPath", "changedFields", "workItemType"):
            publisher_inputs.setdefault(key, "")
        subscription = {
            "id": subscription_id,
            "url": f"{self._org_url()}/_apis/hooks/subscriptions/{subscription_id}",
            "status": "enabled",
            "publisherId": "tfs",
            "eventType": body["eventType"],
            "resourceVersion": body.get("resourceVersion") or "1.0",
            "eventDescription": f"Project {project.name}",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "actionDescription": f"To host {httpx.URL(str(consumer_inputs['url'])).host}",
            "probationRetries": 0,
            "createdBy": creator,
            "createdDate": stamp,
            "modifiedBy": creator,
            "modifiedDate": stamp,
            "publisherInputs": publisher_inputs,
            "consumerInputs": consumer_inputs,
        }
        self.items[subscription_id] = subscription
        return subscription

    def get(self, subscription_id: str) -> dict[str, Any]:
        found = self.items.get(subscription_id.lower())
        if found is None:
            raise ApiError(
                404,
                f"Subscription {subscription_id} does not exist.",
                "SubscriptionNotFoundException",
            )
        return found

    def delete(self, subscription_id: str) -> None:
        self.get(subscription_id)
        del self.items[subscription_id.lower()]
        self.secrets.pop(subscription_id.lower(), None)

    def matching(self, change: Change, changed: set[str]) -> list[dict[str, Any]]:
        event_type = "workitem.created" if change.created else "workitem.updated"
        return [s for s in self.items.values() if _matches(s, event_type, change, changed)]


class HookDispatcher:
    """Builds payloads for each change and POSTs them from one background thread."""

    def __init__(
        self,
        world: World,
        subscriptions: Subscriptions,
        org_url: Callable[[], str],
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = 10.0,
    ) -> None:
        self._world = world
        self._subscriptions = subscriptions
        self._org_url = org_url
        self.retry_delays = tuple(retry_delays)
        self._timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._notification_id = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="boards-hooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def rebind(
        self, world: World, subscriptions: Subscriptions, retry_delays: Sequence[float]
    ) -> None:
        """Serve a fresh organization (``BoardsEmulator.reset``); call when idle."""
        with self._idle:
            self._world, self._subscriptions = world, subscriptions
            self.retry_delays = tuple(retry_delays)
            self.deliveries = []
            self._notification_id = 0

    # ------------------------------------------------------------------- publish

    def publish(self, change: Change) -> None:
        """Called with the emulator's lock held, right after a revision is stored."""
        changed = {k for k in set(change.before) | set(change.after)
                   if change.before.get(k) != change.after.get(k)}  # fmt: skip
        if change.after.get("System.History"):
            changed.add("System.History")
        for subscription in self._subscriptions.matching(change, changed):
            payload = self._payload(subscription, change, changed)
            delivery = Delivery(
                subscription["id"], payload["id"], payload["eventType"], change.item.id, payload
            )
            with self._idle:
                self._pending += 1
                self.deliveries.append(delivery)
            self._queue.put(delivery)

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _payload(
        self, subscription: dict[str, Any], change: Change, changed: set[str]
    ) -> dict[str, Any]:
        self._notification_id += 1
        item = change.item
        project = item.project
        title = change.after.get("System.Title", "")
        verb = "created" if change.created else "updated"
        text = f"{item.type_name} #{item.id} ({title}) {verb} by {change.actor.display_name}."
        link = f"{self._org_url()}/web/wi.aspx?pcguid={self._world.collection_id}&id={item.id}"
        details = f"\r\n\r\n- New State: {change.after.get('System.State')}\r\n"
        base = {
            "subscriptionId": subscription["id"],
            "notificationId": self._notification_id,
            "id": str(uuid.uuid4()),
            "eventType": f"workitem.{verb}",
            "publisherId": "tfs",
            "message": _message(text, link, ""),
            "detailedMessage": _message(text, link, details),
            "resource": None,
            "resourceVersion": subscription.get("resourceVersion") or "1.0",
            "resourceContainers": {
                "collection": {"id": self._world.collection_id, "baseUrl": self._org_url() + "/"},
                "account": {"id": self._world.account_id, "baseUrl": self._org_url() + "/"},
                "project": {"id": project.id, "baseUrl": self._org_url() + "/"},
            },
            "createdDate": now_iso(),
        }
        base["resource"] = (
            self._work_item_resource(change)
            if change.created
            else self._update_resource(change, changed)
        )
        return base

    def _update_resource(self, change: Change, changed: set[str]) -> dict[str, Any]:
        item = change.item
        rev = change.after["System.Rev"]
        items_url = f"{self._org_url()}/_apis/wit/workItems/{item.id}"
        fields: dict[str, Any] = {}
        # Every changed field, in the work item's own field order (fields it lost last), so
        # a State change that moves two boards' cards carries both boards'
        # WEF_<guid>_Kanban.Column, in the order the item shows them; a drag on one board
        # carries that board's field only. (A live payload shows the moved column as both
        # System.BoardColumn and the WEF field: research real-services-audit.md LIVE-615.)
        wanted = changed | _NOISE
        order = [*change.after, *(k for k in change.before if k not in change.after)]
        for name in order:
            if name not in wanted:
                continue
            entry: dict[str, Any] = {}
            if change.before.get(name) is not None:
                entry["oldValue"] = _v1(change.before[name])
            if change.after.get(name) is not None:
                entry["newValue"] = _v1(change.after[name])
            fields[name] = entry
        return {
            "id": rev - 1,
            "workItemId": item.id,
            "rev": rev,
            "revisedBy": {**change.actor.ref(self._org_url()), "name": change.actor.signature},
            "revisedDate": "9999-01-01T00:00:00Z",
            "fields": fields,
            "_links": {
                "self": {"href": f"{items_url}/updates/{rev - 1}"},
                "parent": {"href": items_url},
                "workItemUpdates": {"href": f"{items_url}/updates"},
            },
            "url": f"{items_url}/updates/{rev - 1}",
            "revision": {
                "id": item.id,
                "rev": rev,
                "fields": {k: _v1(v) for k, v in change.after.items()},
                "url": f"{items_url}/revisions/{rev}",
            },
        }

    def _work_item_resource(self, change: Change) -> dict[str, Any]:
        item = change.item
        items_url = f"{self._org_url()}/_apis/wit/workItems/{item.id}"
        return {
            "id": item.id,
            "rev": change.after["System.Rev"],
            "fields": {k: _v1(v) for k, v in change.after.items()},
            "_links": {
                "self": {"href": items_url},
                "workItemUpdates": {"href": f"{items_url}/updates"},
            },
            "url": items_url,
        }

    # ------------------------------------------------------------------- deliver

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout, follow_redirects=False) as http:
            while not self._stop.is_set():
                delivery = self._queue.get()
                if delivery is None:
                    break
                try:
                    self._deliver(http, delivery)
                except Exception:  # a bug here must not stop the deliveries behind it
                    log.exception("service hook delivery crashed")
                    delivery.result = "failed"
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()

    def _deliver(self, http: httpx.Client, delivery: Delivery) -> None:
        subscription = self._subscriptions.items.get(delivery.subscription_id)
        if subscription is None or subscription["status"].startswith("disabled"):
            delivery.result = "failed"
            return
        inputs = subscription["consumerInputs"]
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(_headers(inputs.get("httpHeaders")))
        password = self._subscriptions.secrets.get(subscription["id"])
        if inputs.get("basicAuthUsername") and password:
            token = base64.b64encode(f"{inputs['basicAuthUsername']}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        for delay in (*self.retry_delays, None):
            status = _post(http, str(inputs["url"]), headers, delivery.payload)
            delivery.status_codes.append(status)
            if status is not None and 200 <= status < 300:
                delivery.result = "succeeded"
                subscription.update(status="enabled", probationRetries=0)
                return
            if status == 410:
                subscription["status"] = "disabledBySystem"
                break
            transient = status is None or status in TRANSIENT_STATUSES
            if not transient or delay is None or self._stop.wait(delay):
                if not transient:
                    subscription["status"] = "onProbation"
                    subscription["probationRetries"] += 1
                break
        delivery.result = "failed"


def _post(
    http: httpx.Client, url: str, headers: dict[str, str], payload: dict[str, Any]
) -> int | None:
    try:
        return http.post(url, json=payload, headers=headers).status_code
    except httpx.HTTPError:
        return None


def _matches(
    subscription: dict[str, Any], event_type: str, change: Change, changed: set[str]
) -> bool:
    if subscription["eventType"] != event_type or subscription["status"].startswith("disabled"):
        return False
    inputs = subscription["publisherInputs"]
    item = change.item
    if inputs.get("projectId") != item.project.id:
        return False
    wanted_type = inputs.get("workItemType") or ""
    if wanted_type and wanted_type.lower() != item.type_name.lower():
        return False
    area = inputs.get("areaPath") or ""
    if area and not str(change.after.get("System.AreaPath", "")).startswith(area):
        return False
    fields = [f.strip() for f in (inputs.get("changedFields") or "").split(",") if f.strip()]
    return change.created or not fields or any(f in changed for f in fields)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ApiError(400, message, "InvalidSubscriptionException")


def _headers(text: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in str(text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            headers[key.strip()] = value.strip()
    return headers


def _message(text: str, link: str, details: str) -> dict[str, str]:
    return {
        "text": f"{text}\r\n({link}){details}",
        "html": f'<a href="{link}">{text}</a>',
        "markdown": f"[{text}]({link}){details}",
    }


def _v1(value: Any) -> Any:
    """resourceVersion 1.0 spells identities as ``Name <email>`` strings."""
    if isinstance(value, dict) and "uniqueName" in value:
        return f"{value.get('displayName')} <{value.get('uniqueName')}>"
    return value
