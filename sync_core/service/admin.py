"""Integration configuration and recent deliveries, for the admin API (PRODUCT.md §4).

A configuration is validated twice before it is stored: by the rules' models (shape,
required statuses and priorities), then against Azure DevOps (every mapped state and
column, the lane) where Azure DevOps answers. Secrets are write-only: a PUT that omits
one keeps the stored value, and no answer ever contains one.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from pydantic import SecretStr, ValidationError

from ..adapters.azure_devops import AuthenticationError, AzureDevOpsError, ConfigurationError
from ..adapters.azure_devops.models import Subscription
from ..edge import BadRequest, check_body
from ..ports import Boards
from ..rules import IntegrationConfig, Level, route_problems
from .check import FieldInspectable, PathInspectable, route_field_findings, route_path_findings
from .context import SyncContext
from .errors import InvalidInput
from .inbound import learn_writer_identity_on_save
from .intake import load_integration

__all__ = [
    "SECRET_PATHS",
    "delete_integration",
    "get_integration",
    "list_deliveries",
    "public_view",
    "put_integration",
    "record_refused_call",
    "refused_calls",
    "validation_message",
]

log = logging.getLogger(__name__)

#: Every secret of a configuration, as dotted paths.
SECRET_PATHS = (
    "auth.pat",
    "conviso.api_key",
    "event_secret",
    "webhook.token",
    "webhook.basic_password",
)


def _get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def public_view(integration_id: str, config: IntegrationConfig) -> dict[str, Any]:
    """The configuration as an answer: every secret replaced by whether it is set."""
    data = config.model_dump(mode="json")
    secrets: dict[str, bool] = {}
    for path in SECRET_PATHS:
        parent_path, _, leaf = path.rpartition(".")
        parent = _get_path(data, parent_path) if parent_path else data
        if isinstance(parent, dict) and leaf in parent:
            secrets[path] = parent.pop(leaf) is not None
    return {"id": integration_id, **data, "secrets": secrets}


def _with_stored_secrets(
    new: IntegrationConfig, old: IntegrationConfig | None
) -> IntegrationConfig:
    """The configuration as it will be once stored: omitted secrets keep their old value."""
    if old is None:
        return new

    def keep(mine: SecretStr | None, theirs: SecretStr | None) -> SecretStr | None:
        return mine if mine is not None else theirs

    return new.model_copy(
        update={
            "auth": new.auth.model_copy(update={"pat": keep(new.auth.pat, old.auth.pat)}),
            "conviso": new.conviso.model_copy(
                update={"api_key": keep(new.conviso.api_key, old.conviso.api_key)}
            ),
            "event_secret": keep(new.event_secret, old.event_secret),
            "webhook": new.webhook.model_copy(
                update={
                    "token": keep(new.webhook.token, old.webhook.token),
                    "basic_password": keep(new.webhook.basic_password, old.webhook.basic_password),
                }
            ),
        }
    )


#: how many problems one answer lists; the first few are what a person fixes next
MAX_PROBLEMS = 5
#: pydantic's names for the members of a union (``list[str-enum[Severity]]``,
#: ``literal['all']``, ``int``): they name a type, not a field, so a path never shows them
_UNION_TAG = re.compile(r"^[a-z][\w-]*\[.*\]$|^(?:str|int|float|bool|none|list|dict)$")
#: pydantic's wording, in the words the rest of the API uses
_WORDING = (
    ("Value error, ", ""),
    ("Assertion failed, ", ""),
    ("Input should be ", "must be "),
    ("String should ", "must "),
    ("List should ", "must "),
    ("Dictionary should ", "must "),
)
_PLAIN_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a setting of this configuration (check its spelling)",
}


def _plain(error: Mapping[str, Any]) -> str:
    message = _PLAIN_MESSAGES.get(str(error.get("type")))
    if message is not None:
        return message
    text = str(error.get("msg", "is not valid"))
    for theirs, ours in _WORDING:
        text = text.replace(theirs, ours)
    return text


def _split_loc(loc: Sequence[int | str]) -> tuple[str, bool, str, str]:
    """``(path, is_key, union prefix, union tag)`` of one error location.

    The path is spelled as the configuration is written: ``routes[1].status_map.IDENTIFIED``,
    ``severity_policy[1]``. A dict key that is itself wrong is followed by ``[key]`` in
    pydantic's location; it is kept as a key, whatever it looks like.
    """
    path, prefix, tag, is_key = "", "", "", False
    parts = list(loc)
    for index, part in enumerate(parts):
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part == "[key]":
            is_key = True
        elif isinstance(part, int):
            path += f"[{part}]"
        elif following != "[key]" and _UNION_TAG.match(part):
            prefix, tag = path, part
        else:
            path += f".{part}" if path else part
    return path or "body", is_key, prefix, tag


def validation_message(exc: ValidationError, *, limit: int = MAX_PROBLEMS) -> str:
    """A pydantic refusal as ``path: problem; ...`` in the configuration's own terms.

    No type names, no ``Value error,`` prefixes, no input values (a value may be a
    secret). For a union (``severity_policy``: a list or ``"all"``) the member that got
    further wins; when none did, one line says what the field may be.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    deeper = {
        _split_loc(e["loc"])[2]
        for e in errors
        if _split_loc(e["loc"])[3] and _split_loc(e["loc"])[0] != _split_loc(e["loc"])[2]
    }
    alternatives: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}
    for error in errors:
        path, is_key, prefix, tag = _split_loc(error["loc"])
        problem = _plain(error)
        if is_key:
            key = path.rsplit(".", 1)[-1][:64]
            problem = f"'{key}' is not a valid key: keys {problem}"
        if tag and path == prefix:
            if prefix not in deeper:
                alternatives.setdefault(path, []).append(problem.removeprefix("must be "))
                lines.setdefault(path, [])  # keeps the field's place in the answer
            continue
        lines.setdefault(path, []).append(problem)
    for path, options in alternatives.items():
        lines[path].append("must be " + " or ".join(dict.fromkeys(options)))
    parts = [f"{path}: {'; '.join(dict.fromkeys(problems))}" for path, problems in lines.items()]
    shown = parts[:limit]
    if len(parts) > limit:
        shown.append(f"and {len(parts) - limit} more problem(s)")
    return "; ".join(shown)


#: the name ``service/setup.py`` imports
_validation_message = validation_message


_FIELD_FIRST = re.compile(r"^[a-z_]+(?:\.[A-Za-z_]+)*: ")


def _route_problem(index: int, problem: str) -> str:
    """``routes[1].status_map.IDENTIFIED: ...``: a rule's problem under its route's path."""
    if _FIELD_FIRST.match(problem):
        return f"routes[{index}].{problem}"
    return f"routes[{index}]: {problem}"


def _missing_secret(config: IntegrationConfig) -> str | None:
    """The problem when the mode needs a secret that is neither sent nor stored."""
    if config.auth.mode == "pat" and config.auth.pat is None:
        return (
            "auth.pat: a personal access token is required when auth.mode is 'pat' "
            "(or choose 'oauth' or 'service_principal')"
        )
    return None


class _RouteChecker(Boards, PathInspectable, FieldInspectable, Protocol):
    """The Azure DevOps client calls checking a route on save makes (R3, R21)."""


def _check_against_boards(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> list[str]:
    """Problems Azure DevOps confirms (→ 400), or warnings when it cannot be asked."""
    try:
        boards = cast(_RouteChecker, ctx.boards_for(integration_id, config))
    except AuthenticationError as exc:
        # no client can be made at all: the app settings lack what this mode needs
        # (ENTRA_* for "oauth"); the person saving must hear it now, not at the first event
        raise InvalidInput(f"auth.mode: '{config.auth.mode}' cannot be used here: {exc}") from None
    warnings: list[str] = []
    problems: list[str] = []
    for index, route in enumerate(config.routes):
        try:
            # area/iteration paths exist and the team shows the area (R3), named per field
            problems += [
                f"routes[{index}].{f.field}: {f.reason}"
                for f in route_path_findings(boards, route)
                if not f.ok
            ]
            layout = boards.board_layout(
                route.project, route.team, route.board, route.work_item_type
            )
            # the named fields exist on the type, take the values written (R21)
            problems += [
                f"routes[{index}].{f.field}: {f.reason}"
                for f in route_field_findings(boards, route)
                if not f.ok
            ]
        except AuthenticationError as exc:
            return [f"not checked against Azure DevOps: authentication failed ({exc})"]
        except ConfigurationError as exc:
            problems.append(f"routes[{index}]: {exc}")
            continue
        except (AzureDevOpsError, OSError) as exc:
            return [
                f"not checked against Azure DevOps: it did not answer ({exc.__class__.__name__})"
            ]
        problems += [_route_problem(index, p) for p in route_problems(route, layout)]
    if problems:
        raise InvalidInput("; ".join(problems))
    return warnings


def _check_text(node: Any, path: str) -> None:
    """Every string is Unicode that can be stored: JSON may escape half a surrogate pair
    (``"\\ud800"``), which Python reads but no UTF-8 encoder (Table Storage's) accepts."""
    if isinstance(node, str):
        texts = [node]
    elif isinstance(node, dict):
        texts = [k for k in node if isinstance(k, str)]
        for key, value in node.items():
            _check_text(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        texts = []
        for index, value in enumerate(node):
            _check_text(value, f"{path}[{index}]")
    else:
        return
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            where = path.encode("utf-8", "replace").decode() or "body"
            raise InvalidInput(
                f"{where}: holds a lone surrogate escape (\\ud800-\\udfff); text must be "
                "valid Unicode"
            ) from None


def put_integration(
    ctx: SyncContext, integration_id: str, headers: dict[str, str], body: bytes
) -> tuple[dict[str, Any], list[str], bool]:
    """Validate and store; returns (public view, warnings, created)."""
    try:
        document = check_body(headers, body)
    except BadRequest as exc:
        raise InvalidInput(exc.message) from None
    if not isinstance(document, dict):
        raise InvalidInput("body must be a JSON object (an integration configuration)")
    _check_text(document, "")
    try:
        config = IntegrationConfig.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc)) from None
    old = ctx.state.integrations.get(integration_id)
    effective = _with_stored_secrets(config, old)
    missing = _missing_secret(effective)
    if missing:
        raise InvalidInput(missing)
    warnings = _check_against_boards(ctx, integration_id, effective)
    ctx.state.integrations.put(integration_id, config)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)
    learn_writer_identity_on_save(ctx, integration_id, effective)  # R8: whom our writes are by
    for warning in warnings:
        ctx.record(integration_id, Level.WARN, warning, reason="configuration")
    ctx.record(integration_id, Level.INFO, "configuration saved", reason="configuration")
    return public_view(integration_id, effective), warnings, old is None


def get_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    view = public_view(integration_id, load_integration(ctx, integration_id, fresh=True))
    return {**view, "refused_calls": refused_calls(ctx, integration_id)}


class _HookRemover(Protocol):
    """The Azure DevOps client calls removing an integration's hooks makes."""

    def list_subscriptions(self, *, event_type: str | None = None) -> list[Subscription]: ...
    def delete_subscription(self, subscription_id: str) -> None: ...


def _remove_service_hooks(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> dict[str, Any]:
    """Delete the subscriptions that post to this integration's webhook (R17).

    Those are the ones the app created (``POST .../service-hooks``) and any made by hand
    with the same URL: after the delete every one of them would only be refused. When
    Azure DevOps cannot be asked, the integration is deleted all the same and the answer
    says which hooks to remove by hand; the URL (and its token) is never shown.
    """
    from .hooks import EVENT_TYPE, sends_to

    removed: list[dict[str, Any]] = []
    try:
        client = cast(_HookRemover, ctx.boards_for(integration_id, config))
        listed = client.list_subscriptions(event_type=EVENT_TYPE)
    except (AzureDevOpsError, OSError) as exc:
        return {
            "removed": [],
            "not_removed": f"Azure DevOps could not be asked ({_safe_reason(exc)}); remove "
            f"the service hooks that post to .../integrations/{integration_id}/boards-webhook "
            "by hand",
        }
    failed: list[dict[str, Any]] = []
    for subscription in (s for s in listed if sends_to(s, integration_id)):
        entry = {
            "id": subscription.id,
            "project_id": subscription.publisher_inputs.get("projectId"),
            "changed_fields": subscription.publisher_inputs.get("changedFields") or "",
        }
        try:
            client.delete_subscription(subscription.id)
        except ConfigurationError as exc:
            if exc.status != 404:  # a 404: gone already, which is what was wanted
                failed.append({**entry, "reason": _safe_reason(exc)})
                continue
        except (AzureDevOpsError, OSError) as exc:
            failed.append({**entry, "reason": _safe_reason(exc)})
            continue
        removed.append(entry)
    report: dict[str, Any] = {"removed": removed}
    if failed:
        report["not_removed"] = failed
    return report


def _safe_reason(exc: Exception) -> str:
    """An Azure DevOps error's own message (never a credential), or its class name."""
    message = getattr(exc, "message", None)
    return str(message)[:300] if message else exc.__class__.__name__


def delete_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Delete the configuration and the service hooks that post to it; says what went."""
    config = load_integration(ctx, integration_id, fresh=True)
    hooks = _remove_service_hooks(ctx, integration_id, config)
    ctx.state.integrations.delete(integration_id)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)
    return {"service_hooks": hooks}


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone (e.g. Z)")
    return parsed


def list_deliveries(
    ctx: SyncContext, integration_id: str, params: dict[str, str]
) -> dict[str, Any]:
    """Recent deliveries, newest first, filtered by level, text and time (R11)."""
    load_integration(ctx, integration_id)
    level = params.get("level")
    if level is not None and level not in {lv.value for lv in Level}:
        raise InvalidInput("level must be one of info, warn, error")
    try:
        limit = int(params.get("limit", "50"))
    except ValueError:
        raise InvalidInput("limit must be a number between 1 and 200") from None
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be a number between 1 and 200")
    try:
        page = ctx.state.deliveries.query(
            integration_id,
            level=level,
            text=params.get("text") or None,
            since=_time(params.get("since"), "since"),
            until=_time(params.get("until"), "until"),
            limit=limit,
            cursor=params.get("cursor") or None,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return {
        "items": [d.model_dump(mode="json", exclude_none=True) for d in page.items],
        "next_cursor": page.next_cursor,
    }


def replay_poison(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Move the integration's poison messages back to their queues (R12)."""
    from ..adapters.state.queues import INBOUND_QUEUE, OUTBOUND_QUEUE, RECONCILE_QUEUE

    load_integration(ctx, integration_id)
    moved = {
        queue: ctx.state.queues.replay_poison(queue, integration_id=integration_id)
        for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE)
    }
    total = sum(moved.values())
    ctx.record(integration_id, Level.INFO, f"replayed {total} poison message(s)", reason="replay")
    return {"replayed": moved, "total": total}


def storage_health(ctx: SyncContext) -> tuple[bool, str]:
    """Whether Table Storage answers a cheap read (no remote service is called)."""
    try:
        ctx.state.integrations.list_ids()
    except Exception as exc:
        log.warning("health: storage did not answer (%s)", exc.__class__.__name__)
        return False, "storage did not answer"
    return True, "ok"


# --------------------------------------------------------- refused webhook calls

#: what a refusal's message says -> the reason it is counted under (edge.py's messages)
_REFUSAL_REASONS = (
    ("has no event secret", "no_event_secret"),
    ("X-Conviso-Signature header is missing", "missing_signature"),
    ("outside the", "stale_timestamp"),
    ("has no valid timestamp", "bad_signature"),
    ("does not match the body", "bad_signature"),
    ("webhook token is not valid", "wrong_token"),
    ("Basic credentials are malformed", "wrong_basic_credentials"),
    ("Basic credentials are not valid", "wrong_basic_credentials"),
    ("needs ?token= or Basic credentials", "missing_credentials"),
)
_REFUSAL_TTL = timedelta(hours=2)
_MAX_COUNTERS = 10_000


def refusal_reason(message: str) -> str:
    """The counted reason of a 401 from a webhook (``bad_signature``, ``wrong_token``...)."""
    return next((reason for text, reason in _REFUSAL_REASONS if text in message), "refused")


class RefusedCalls:
    """Webhook calls refused as unauthenticated, counted per integration, source and reason.

    A wrong secret on the sender's side (or someone probing) can mean thousands of calls
    an hour; each is counted here, in this instance's memory, and the first of each reason
    in each hour becomes one warning delivery, so the operator sees the problem once per
    hour instead of a flood, and storage pays one write per reason per hour.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str, str], int] = {}

    def add(self, integration_id: str, source: str, reason: str, hour: str) -> int:
        """Count one; returns the count of this (integration, source, reason) this hour."""
        key = (integration_id, source, reason, hour)
        with self._lock:
            if key not in self._counts and len(self._counts) >= _MAX_COUNTERS:
                # bounded memory: past hours go first (they are no longer shown)
                for old in [k for k in self._counts if k[3] < hour]:
                    del self._counts[old]
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def of(self, integration_id: str, hours: set[str]) -> list[dict[str, object]]:
        with self._lock:
            return [
                {"source": s, "reason": r, "hour": h, "count": n}
                for (i, s, r, h), n in sorted(self._counts.items())
                if i == integration_id and h in hours
            ]


#: this process's count of refused webhook calls
REFUSED_CALLS = RefusedCalls()


def _hour(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:00Z")


def record_refused_call(ctx: SyncContext, integration_id: str, source: str, message: str) -> None:
    """Count a refused webhook call; the first per reason and hour is a warning delivery.

    ``message`` is the refusal's own text, which names no secret. Never raises: the
    caller answers 401 whatever happens here.
    """
    now = ctx.clock()
    reason = refusal_reason(message)
    hour = _hour(now)
    if REFUSED_CALLS.add(integration_id, source, reason, hour) != 1:
        return
    try:
        # one delivery per reason and hour across instances: the first to mark it records
        if not ctx.state.events.first_time(
            integration_id, "refused", f"{source}:{reason}:{hour}", ttl=_REFUSAL_TTL
        ):
            return
        ctx.record(
            integration_id,
            Level.WARN,
            f"refused a call to the {source} webhook: {message}. Further refusals for this "
            f"reason are counted, not recorded, until {hour[:13]}:59 UTC (see refused_calls "
            "in the integration's GET)",
            reason=f"refused_{reason}",
        )
    except Exception as exc:  # recording is best effort; the 401 stands
        log.warning("recording a refused %s call failed (%s)", source, type(exc).__name__)


def refused_calls(ctx: SyncContext, integration_id: str) -> dict[str, object]:
    """This instance's counts of refused webhook calls, this hour and the one before."""
    now = ctx.clock()
    hours = {_hour(now), _hour(now - timedelta(hours=1))}
    return {"scope": "this instance", "counts": REFUSED_CALLS.of(integration_id, hours)}
