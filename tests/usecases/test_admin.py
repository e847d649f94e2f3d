"""The admin use cases on the fakes (PRODUCT.md §4): what a save, a delete and the deliveries
query answer when the input is wrong or Azure DevOps cannot be asked. Through the HTTP API
these are 4xx answers or warnings, never a 500 (``tests/property`` sends them at random)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sync_core.ports import AuthenticationError, ConfigurationError, TransientError
from sync_core.service.admin.deliveries import list_deliveries
from sync_core.service.admin.integrations import delete_integration, put_integration
from sync_core.service.errors import InvalidInput
from sync_core.service.hooks import provision_service_hooks
from sync_core.service.setup import discover_for_console
from tests.unit.builders import config_data

from .conftest import IID, World

JSON = {"content-type": "application/json"}


def raising(error: Exception) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise error

    return fail


def save(world: World, **overrides: Any) -> tuple[dict[str, Any], list[str], bool]:
    body = json.dumps(config_data(**overrides)).encode()
    return put_integration(world.ctx, "it-saved", JSON, body)


def test_a_save_azure_devops_refuses_for_a_route_names_the_route(world: World) -> None:
    world.boards.board_layout = raising(  # type: ignore[method-assign]
        ConfigurationError("VS800075: The project with id 'Payments' does not exist.")
    )
    with pytest.raises(InvalidInput) as refused:
        save(world)
    assert "routes[0]: VS800075" in refused.value.message
    assert "routes[1]: VS800075" in refused.value.message
    assert world.state.integrations.get("it-saved") is None  # nothing half-written


@pytest.mark.parametrize(
    ("error", "warning"),
    [
        (AuthenticationError("TF400813: not authorized", status=401), "authentication failed"),
        (TransientError("503 Service Unavailable", status=503), "it did not answer"),
        (OSError("connection reset"), "it did not answer (OSError)"),
    ],
    ids=["refused-credentials", "azure-devops-down", "network"],
)
def test_a_save_azure_devops_cannot_confirm_is_kept_with_a_warning(
    world: World, error: Exception, warning: str
) -> None:
    world.boards.board_layout = raising(error)  # type: ignore[method-assign]
    _, warnings, created = save(world)
    assert created is True
    assert len(warnings) == 1 and warning in warnings[0], warnings
    assert world.state.integrations.get("it-saved") is not None
    recorded = [d.message for d in world.state.deliveries.of("it-saved")]
    assert warnings[0] in recorded


def test_a_portal_url_that_is_not_http_is_refused_by_name(world: World) -> None:
    conviso = {"company_id": "77", "api_key": "key", "portal_url": "javascript:alert(1)"}
    with pytest.raises(InvalidInput) as refused:
        save(world, conviso=conviso)
    assert "portal_url must be an http(s) URL" in refused.value.message


def test_a_delete_when_azure_devops_cannot_be_asked_says_which_hooks_to_remove(
    world: World,
) -> None:
    world.boards.list_subscriptions = raising(  # type: ignore[method-assign]
        TransientError("503 Service Unavailable", status=503)
    )
    answer = delete_integration(world.ctx, IID)
    hooks = answer["service_hooks"]
    assert hooks["removed"] == []
    assert "503 Service Unavailable" in hooks["not_removed"]
    assert f"integrations/{IID}/boards-webhook" in hooks["not_removed"]
    assert world.state.integrations.get(IID) is None  # the configuration went all the same


def test_a_hook_that_cannot_be_deleted_is_named_with_azure_devops_reason(world: World) -> None:
    provision_service_hooks(world.ctx, IID, "https://sync.example.net")
    assert world.boards.subscriptions
    world.boards.delete_subscription = raising(  # type: ignore[method-assign]
        ConfigurationError("TF400813: The user is not authorized to access this resource.")
    )
    hooks = delete_integration(world.ctx, IID)["service_hooks"]
    assert hooks["removed"] == []
    reasons = json.dumps(hooks)
    assert "TF400813" in reasons and "pat-secret" not in reasons


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "ten"}, "limit must be a number between 1 and 200"),
        ({"limit": "0"}, "limit must be a number between 1 and 200"),
        ({"level": "debug"}, "level must be one of info, warn, error"),
        ({"since": "yesterday"}, "since must be an ISO 8601 time"),
        ({"cursor": "not-a-cursor"}, "cursor is not one this service handed out"),
    ],
    ids=["limit-not-a-number", "limit-zero", "unknown-level", "since-not-a-time", "bad-cursor"],
)
def test_a_deliveries_query_with_a_wrong_parameter_names_it(
    world: World, params: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        list_deliveries(world.ctx, IID, params)
    assert message in refused.value.message


def test_a_discovery_with_half_a_surrogate_pair_in_a_credential_is_a_400_naming_it(
    world: World,
) -> None:
    """JSON may escape half a surrogate pair; the console's discovery must refuse it by name,
    as a save does, not fail on it (``make reliability``'s 2,000 requests found a 500)."""
    auth = b'{"mode": "pat", "pat": "x\\ud800"}'
    body = b'{"what": "projects", "organization": "fabrikam", "auth": ' + auth + b"}"
    with pytest.raises(InvalidInput) as refused:
        discover_for_console(world.ctx, JSON, body)
    assert "auth.pat" in refused.value.message
