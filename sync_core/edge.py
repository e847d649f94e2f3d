"""Verify and parse inbound requests into typed events, failing closed, with no I/O.

Every webhook body is untrusted. Nothing past this module touches raw JSON: a request
is either refused here with a precise 4xx, or it becomes a typed event whose id is the
de-duplication key (R9). Secrets are compared in constant time and never echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import AnsweredError
from .hook_payload import WorkItemUpdatedEvent
from .rules import BoardChange, Vulnerability, WebhookConfig, is_status_move
from .rules.vocabulary import tagged_vulnerability

__all__ = [
    "MAX_BODY_BYTES",
    "AssessmentInfo",
    "BadRequest",
    "BoardsHook",
    "ConvisoEvent",
    "EdgeError",
    "PayloadTooLarge",
    "Unauthorized",
    "UnsupportedMediaType",
    "board_change_from_hook",
    "check_body",
    "parse_boards_hook",
    "parse_conviso_event",
    "sign_conviso",
    "verify_boards_caller",
    "verify_conviso_signature",
]

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_TOLERANCE_S = 300
MAX_EVENT_ID = 256
MAX_ASSESSMENT_ISSUES = 1000
#: Azure DevOps work item ids and revisions are 32-bit integers.
MAX_WORK_ITEM_NUMBER = 2**31 - 1
#: state, column and identity names in a hook; Azure DevOps' own names are far shorter
MAX_HOOK_NAME = 256
#: Conviso ids (issues, assets) are numbers or UUIDs. They become the ``conviso-vuln-<id>``
#: tag, WIQL text, a portal URL and Table keys, so anything else is refused, not encoded:
#: a ``;`` would split the tag into another vulnerability's, a control character would
#: make Azure DevOps refuse the write and pause the route (R14).
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
JSON_TYPES = ("application/json", "application/cloudevents+json")
VULNERABILITY_TYPES = (
    "com.convisoappsec.vulnerability.identified",
    "com.convisoappsec.vulnerability.status_changed",
    "com.convisoappsec.vulnerability.updated",
)
ASSESSMENT_COMPLETED = "com.convisoappsec.assessment.completed"


class EdgeError(AnsweredError):
    """A request refused at the edge; ``status`` and ``code`` become the JSON error."""

    status = 400
    code = "bad_request"


class BadRequest(EdgeError):
    pass


class Unauthorized(EdgeError):
    status = 401
    code = "unauthorized"


class PayloadTooLarge(EdgeError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(EdgeError):
    status = 415
    code = "unsupported_media_type"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def check_body(headers: Mapping[str, str], body: bytes) -> Any:
    """Size, content type and JSON syntax: the checks every webhook shares."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    content_type = (_header(headers, "content-type") or "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType(f"content type must be one of {', '.join(JSON_TYPES)}")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadRequest("body is not valid JSON: it is nested too deeply") from None
    except json.JSONDecodeError as exc:  # where it broke, so a person can find it
        raise BadRequest(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        # ValueError also covers integers past Python's 4,300-digit conversion limit and
        # the NaN/Infinity literals refused below: bad input, never a 500.
        raise BadRequest(f"body is not valid JSON: {exc.__class__.__name__}") from None


def _refuse_constant(literal: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259), though Python's
    reader accepts them; a body holding one is refused like any other malformed body."""
    raise ValueError(f"{literal} is not a JSON value")


# ---------------------------------------------------------------------------- Conviso


def sign_conviso(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Conviso-Signature`` value for a body (used by senders, tests and the demo)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_conviso_signature(
    header: str | None, body: bytes, *, secret: str | None, now: float
) -> None:
    """``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``, within ±300 s."""
    if not secret:
        raise Unauthorized("this integration has no event secret; events cannot be verified")
    if not header:
        raise Unauthorized("X-Conviso-Signature header is missing")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise Unauthorized("X-Conviso-Signature has no valid timestamp") from None
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_S:
        raise Unauthorized("X-Conviso-Signature timestamp is outside the ±300 s window")
    expected = sign_conviso(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise Unauthorized("X-Conviso-Signature does not match the body")


class AssessmentInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=64, coerce_numbers_to_str=True)
    name: str = Field(default="", max_length=512)
    result: str = Field(default="", max_length=2048)


class _CloudEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=MAX_EVENT_ID)
    source: str = Field(min_length=1, max_length=1024)
    type: str
    time: datetime | None = None
    data: dict[str, Any]


class ConvisoEvent(BaseModel):
    """A verified Conviso event: snapshots to apply, or ids whose snapshot must be fetched."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    snapshots: tuple[Vulnerability, ...] = ()
    issue_ids: tuple[str, ...] = ()
    assessment: AssessmentInfo | None = None


def _plain_id(value: object, where: str) -> str:
    """A Conviso id as text, or a 400 naming it (``True`` is not the number 1 here)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequest(f"{where} must be a string or number")
    text = str(value)
    if not _PLAIN_ID.match(text):
        raise BadRequest(
            f"{where} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return text


def _issue(raw: object, where: str) -> Vulnerability | str:
    if not isinstance(raw, dict) or "id" not in raw:
        raise BadRequest(f"{where} must be an object with an id")
    issue_id = _plain_id(raw["id"], f"{where}.id")
    if set(raw) == {"id"}:
        return issue_id
    try:
        vulnerability = Vulnerability.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(f"{where}: {_first_error(exc)}") from None
    _plain_id(vulnerability.asset.id, f"{where}.asset.id")
    return vulnerability


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{location}: {first['msg']}"


def parse_conviso_event(document: Any) -> ConvisoEvent:
    """A CloudEvents 1.0 structured event of one of the four types of PRODUCT.md §4."""
    if not isinstance(document, dict):
        raise BadRequest("body must be a JSON object (a CloudEvents 1.0 event)")
    try:
        event = _CloudEvent.model_validate(document)
    except ValidationError as exc:
        raise BadRequest(_first_error(exc)) from None
    found: list[Vulnerability | str] = []
    assessment = None
    if event.type in VULNERABILITY_TYPES:
        found.append(_issue(event.data.get("issue"), "data.issue"))
    elif event.type == ASSESSMENT_COMPLETED:
        try:
            assessment = AssessmentInfo.model_validate(event.data.get("assessment"))
        except ValidationError as exc:
            raise BadRequest(f"data.assessment: {_first_error(exc)}") from None
        issues = event.data.get("issues", [])
        if not isinstance(issues, list) or len(issues) > MAX_ASSESSMENT_ISSUES:
            raise BadRequest(f"data.issues must be a list of at most {MAX_ASSESSMENT_ISSUES}")
        found.extend(_issue(raw, f"data.issues[{i}]") for i, raw in enumerate(issues))
    else:
        raise BadRequest(f"type '{event.type[:80]}' is not a Conviso event this app accepts")
    return ConvisoEvent(
        id=event.id,
        type=event.type,
        snapshots=tuple(v for v in found if isinstance(v, Vulnerability)),
        issue_ids=tuple(v for v in found if isinstance(v, str)),
        assessment=assessment,
    )


# ------------------------------------------------------------------------ Azure Boards


def verify_boards_caller(
    headers: Mapping[str, str], query: Mapping[str, str], webhook: WebhookConfig
) -> None:
    """``?token=`` or Basic auth, whichever the integration configured; fail closed."""
    token = query.get("token")
    if token is not None and webhook.token is not None:
        if hmac.compare_digest(token.encode(), webhook.token.get_secret_value().encode()):
            return
        raise Unauthorized("the webhook token is not valid")
    authorization = _header(headers, "authorization") or ""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic" and webhook.basic_password is not None:
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
            raise Unauthorized("the Basic credentials are malformed") from None
        user_ok = hmac.compare_digest(user.encode(), (webhook.basic_username or "").encode())
        pass_ok = hmac.compare_digest(
            password.encode(), webhook.basic_password.get_secret_value().encode()
        )
        if user_ok and pass_ok:
            return
        raise Unauthorized("the Basic credentials are not valid")
    raise Unauthorized("the webhook needs ?token= or Basic credentials")


@dataclass(frozen=True)
class BoardsHook:
    """A verified service-hook delivery: the change (``None`` for event types with nothing
    to do) and whether the card's tags name a Conviso vulnerability at all (R19)."""

    event_id: str
    change: BoardChange | None
    ours: bool


def parse_boards_hook(document: Any) -> BoardsHook:
    """A service-hook payload as the intake needs it; a 400 names what is wrong.

    ``ours`` is False when the work item's tags (``System.Tags`` in ``resource.fields``'
    newValue, else ``resource.revision.fields``) hold no ``conviso-vuln-<id>``: a card the
    integration never made, whose event is dropped before any storage is touched (R19).
    Checked after validation, so a malformed payload is refused whatever its tags.
    """
    if not isinstance(document, dict):
        raise BadRequest("body must be a JSON object (an Azure DevOps service-hook event)")
    event_type = document.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise BadRequest("eventType must be a non-empty string")
    if event_type != "workitem.updated":
        if not isinstance(document.get("id"), str):
            raise BadRequest("body must carry the service-hook event's id and eventType")
        return BoardsHook(str(document["id"])[:MAX_EVENT_ID], None, ours=True)
    try:
        event = WorkItemUpdatedEvent.model_validate(document)
    except ValidationError as exc:
        raise BadRequest(_first_error(exc)) from None
    if not event.id or len(event.id) > MAX_EVENT_ID:
        raise BadRequest(f"id must be 1 to {MAX_EVENT_ID} characters")
    change = event.board_change()
    if not (
        0 < change.work_item_id <= MAX_WORK_ITEM_NUMBER and 0 < change.rev <= MAX_WORK_ITEM_NUMBER
    ):
        raise BadRequest(
            f"resource.workItemId and resource.rev must be between 1 and {MAX_WORK_ITEM_NUMBER}"
        )
    ours = tagged_vulnerability(event.tags()) is not None
    return BoardsHook(event.id, _bounded(change), ours=ours)


def board_change_from_hook(document: Any) -> BoardChange | None:
    """A ``workitem.updated`` service-hook payload as the rules see it.

    ``None`` for other event types (acknowledged, nothing to do). The payload model and
    its quirks (``resource.id`` is the update number; the sample's ``workItemId`` is 0)
    live in :mod:`sync_core.hook_payload` (:class:`WorkItemUpdatedEvent`).
    """
    return parse_boards_hook(document).change


def _bounded(change: BoardChange) -> BoardChange:
    """The change as it is queued: only the fields that can move a vulnerability, and
    names of a sane length.

    A work item update may list hundreds of changed fields; the inbound rule only asks
    whether State or a board column is among them (:func:`is_status_move`), so keeping
    just those keeps the queue message small (64 KiB) without changing any decision.
    Every board's column is kept (the route's board is known only in the worker, R7).
    """
    names = {
        "state": change.state,
        "column": change.column,
        "revisedBy.id": change.revised_by_id,
        "revisedBy.displayName": change.revised_by_name,
        "revisedBy.uniqueName": change.revised_by_email,
        "System.AssignedTo": change.assigned_to,
    }
    for field_name, value in change.columns.items():
        names[field_name[:MAX_HOOK_NAME]] = value
        if len(field_name) > MAX_HOOK_NAME:
            raise BadRequest(f"a board column field name is longer than {MAX_HOOK_NAME} characters")
    for name, text in names.items():
        if text is not None and len(text) > MAX_HOOK_NAME:
            raise BadRequest(f"the card's {name} is longer than {MAX_HOOK_NAME} characters")
    moving = frozenset(f for f in change.changed_fields if is_status_move(frozenset({f})))
    if change.assigned_to is not None:
        moving |= {"System.AssignedTo"}  # R23: a reassignment is carried to Conviso
    return change.model_copy(update={"changed_fields": moving})
