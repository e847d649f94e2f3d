"""The names issue 19 moved into the ports and the rules are the same objects under their
old adapter paths, so an adapter's raise is caught by the service's except, and a value
built by a fake is the class the adapter returns."""

from __future__ import annotations

from typing import Never

import pytest

from sync_core import ports, rules
from sync_core.adapters import auth, azure_devops, conviso, state
from sync_core.adapters.azure_devops import layout, models
from sync_core.adapters.state import limits, oauth, queues

MOVED = [
    (azure_devops, "AzureDevOpsError"),
    (azure_devops, "TransientError"),
    (azure_devops, "ConfigurationError"),
    (azure_devops, "AuthenticationError"),
    (azure_devops, "RevisionConflict"),
    (azure_devops, "WorkItemNotFound"),
    (azure_devops, "MAX_BATCH_IDS"),
    (azure_devops, "WorkItem"),
    (azure_devops, "Identity"),
    (models, "Subscription"),
    (models, "TeamFieldValues"),
    (conviso, "ConvisoError"),
    (conviso, "ConvisoAuthError"),
    (conviso, "ConvisoQueryError"),
    (conviso, "ConvisoRequestError"),
    (conviso, "ConvisoUnavailable"),
    (conviso, "StatusNotPermitted"),
    (auth, "ReauthorizationNeeded"),
    (auth, "TokenServiceUnavailable"),
    (auth, "OAuthNotConfigured"),
    (state, "StateError"),
    (state, "StaleEntity"),
    (state, "InvalidKey"),
    (state, "StoredLink"),
    (state, "ClaimOutcome"),
    (state, "ClaimResult"),
    (state, "Delivery"),
    (state, "Watermark"),
    (state, "RefusedWork"),
    (state, "IntegrationStatus"),
    (state, "INBOUND_QUEUE"),
    (state, "OUTBOUND_QUEUE"),
    (queues, "RECONCILE_QUEUE"),
    (queues, "MAX_MESSAGE_BYTES"),
    (queues, "PoisonMessage"),
    (oauth, "FlowRejected"),
    (oauth, "PendingFlow"),
]


@pytest.mark.parametrize(("module", "name"), MOVED, ids=lambda v: getattr(v, "__name__", v))
def test_the_old_path_names_the_ports_object(module: object, name: str) -> None:
    assert getattr(module, name) is getattr(ports, name)


@pytest.mark.parametrize("name", ["work_item_view", "board_layout_from", "identity_id"])
def test_the_pure_functions_are_the_rules(name: str) -> None:
    assert getattr(layout, name) is getattr(rules, name)
    assert models.parse_tags is rules.parse_tags


def test_the_one_tree_sorts_an_expired_grant_as_a_configuration_error() -> None:
    error = ports.ReauthorizationNeeded("invalid_grant", integration_id="acme")
    assert isinstance(error, ports.AuthenticationError)
    assert isinstance(error, ports.ConfigurationError)
    assert isinstance(error, ports.AzureDevOpsError)
    assert isinstance(ports.InvalidKey("x"), ports.StateError | ValueError)


@pytest.mark.parametrize("good", ["acme", "a", "Acme_prod-2", "x" * 64])
def test_a_plain_integration_id_passes_both_checks(good: str) -> None:
    assert rules.check_integration_id(good) == good
    assert limits.check_integration_id(good) == good


@pytest.mark.parametrize("bad", ["", "-acme", "a/b", "x" * 65, 42, None])
def test_a_bad_integration_id_is_bad_input_at_both_levels(bad: object) -> None:
    """The rule refuses with a ValueError (a 400 where the service raises it); the state
    keeps refusing with its InvalidKey, the same words."""
    with pytest.raises(rules.InvalidIntegrationId) as by_rule:
        rules.check_integration_id(bad)
    with pytest.raises(ports.InvalidKey) as by_state:
        limits.check_integration_id(bad)
    assert isinstance(by_rule.value, ValueError)
    assert str(by_rule.value) == str(by_state.value)
    assert "integration id" in str(by_rule.value)


def test_discovery_with_a_bad_integration_id_is_still_a_400_naming_it() -> None:
    """The setup's id check moved from the state (InvalidKey → 400 by the HTTP layer) to
    the rules; the service turns its refusal into the same 400 itself, before any read."""
    import json
    from typing import cast

    from sync_core.service.context import SyncContext
    from sync_core.service.errors import InvalidInput
    from sync_core.service.setup import discover_for_console

    def unused(*_: object) -> Never:
        raise AssertionError("nothing is asked before the id is checked")

    ctx = SyncContext(state=cast(ports.State, None), boards_for=unused, conviso_for=unused)
    body = json.dumps({"what": "projects", "integration": "a/b"}).encode()
    with pytest.raises(InvalidInput) as refused:
        discover_for_console(ctx, {"content-type": "application/json"}, body)
    assert refused.value.status == 400 and refused.value.code == "bad_request"
    assert refused.value.message.startswith("integration id 'a/b' must be")
