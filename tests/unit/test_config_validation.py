"""The integration configuration of PRODUCT.md §4 and what makes it invalid."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sync_core.rules import IntegrationConfig

from .builders import config_data, route


def test_the_product_example_is_valid() -> None:
    cfg = IntegrationConfig.model_validate(config_data())
    assert [r.key for r in cfg.routes] == ["default", "asset-45"]
    assert cfg.auth.pat is not None and cfg.auth.pat.get_secret_value() == "pat-secret"


def test_secrets_never_show_in_the_model_repr() -> None:
    cfg = IntegrationConfig.model_validate(config_data())
    shown = repr(cfg) + str(cfg.model_dump())
    for secret in ("pat-secret", "event-secret", "hook-token"):
        assert secret not in shown


def _without_identified() -> list[dict[str, Any]]:
    default = route(status_map={"IDENTIFIED": {"state": "New"}}).model_dump(mode="json")
    custom = {**config_data()["routes"][1], "status_map": {"IN_PROGRESS": {"state": "Active"}}}
    return [default, custom]


INVALID = [
    pytest.param(
        {"routes": _without_identified()}, "IDENTIFIED is required", id="identified-required"
    ),
    pytest.param(
        {"severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2}},
        "CRITICAL",
        id="critical-priority-missing",
    ),
    pytest.param(
        {"severity_map": {"LOW": 5, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1}},
        "less than or equal to 4",
        id="priority-out-of-range",
    ),
    pytest.param(
        {"routes": [route().model_dump(mode="json"), route().model_dump(mode="json")]},
        "at most one default route",
        id="two-default-routes",
    ),
    pytest.param(
        {
            "routes": [
                route(default=False, asset_id="45").model_dump(mode="json"),
                route(default=False, asset_id="45", board="Other").model_dump(mode="json"),
            ]
        },
        "more than one custom route",
        id="two-custom-routes-for-one-asset",
    ),
    pytest.param(
        {"routes": [{**route().model_dump(mode="json"), "status_map": {"IDENTIFIED": {}}}]},
        "names a state, a column or both",
        id="empty-target",
    ),
    pytest.param(
        {"routes": [{**route().model_dump(mode="json"), "asset_id": "45"}]},
        "either default",
        id="default-route-with-asset",
    ),
    pytest.param(
        {
            "routes": [
                {
                    **route().model_dump(mode="json"),
                    "status_map": {
                        "IDENTIFIED": {"state": "New"},
                        "SUPPRESSED": {"state": "Removed"},
                    },
                }
            ]
        },
        "cannot be mapped",
        id="suppressed-is-not-mappable",
    ),
    pytest.param({"organization": "fab rikam/x"}, "organization", id="bad-organization-name"),
    pytest.param({"routes": []}, "at least 1", id="no-route"),
    pytest.param({"severity_policy": ["URGENT"]}, "severity_policy", id="unknown-severity"),
    pytest.param({"auth": {"mode": "password"}}, "auth.mode", id="unknown-auth-mode"),
]


@pytest.mark.parametrize(("change", "expected"), INVALID)
def test_invalid_configuration_is_refused_naming_the_problem(
    change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        IntegrationConfig.model_validate(config_data(**change))
    assert expected in str(refused.value)
