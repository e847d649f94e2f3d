"""A state layer on the session's Azurite: one set of tables per session, and a fresh
integration id per test, so tests share tables but never see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from azure.data.tables import TableServiceClient
from cryptography.fernet import Fernet

from sync_core.adapters.state import StateStore, state_from_settings
from sync_core.rules.models import IntegrationConfig

SECRETS = {
    "pat": "pat-SECRET-0001",
    "api_key": "conviso-SECRET-0002",
    "event_secret": "event-SECRET-0003",
    "token": "hook-SECRET-0004",
    "basic_password": "basic-SECRET-0005",
}


@pytest.fixture(scope="session")
def secrets_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def table_prefix() -> str:
    return "s" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def settings(storage_connection_string: str, secrets_key: str) -> dict[str, str]:
    return {"SYNC_STORAGE": storage_connection_string, "SECRETS_KEY": secrets_key}


@pytest.fixture(scope="session")
def make_state(settings: dict[str, str], table_prefix: str) -> Callable[..., StateStore]:
    """Stores over the session's tables; keyword arguments go to state_from_settings."""

    def make(**options: Any) -> StateStore:
        return state_from_settings(settings, table_prefix=table_prefix, **options)

    make().ensure()
    return make


@pytest.fixture(scope="session")
def state(make_state: Callable[..., StateStore]) -> StateStore:
    return make_state()


@pytest.fixture
def iid() -> str:
    """An integration id no other test uses."""
    return "it-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def raw_tables(storage_connection_string: str) -> TableServiceClient:
    """The SDK itself, to look at what is really stored."""
    return TableServiceClient.from_connection_string(storage_connection_string)


def config_data(**overrides: Any) -> dict[str, Any]:
    """The §4 sample configuration, with every secret set."""
    data: dict[str, Any] = {
        "organization": "fabrikam",
        "auth": {"mode": "pat", "pat": SECRETS["pat"]},
        "conviso": {"company_id": "77", "api_key": SECRETS["api_key"]},
        "event_secret": SECRETS["event_secret"],
        "webhook": {
            "token": SECRETS["token"], "basic_username": "boards",
            "basic_password": SECRETS["basic_password"],
        },
        "severity_policy": ["MEDIUM", "HIGH", "CRITICAL"],
        "severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1},
        "routes": [
            {"default": True, "project": "Fabrikam", "team": "Fabrikam Team", "board": "Issues",
             "work_item_type": "Bug",
             "status_map": {"IDENTIFIED": {"state": "New"}, "IN_PROGRESS": {"state": "Active"},
                            "AWAITING_VALIDATION": {"column": "Testing"}}},
            {"asset_id": "45", "project": "Payments", "team": "Payments Team", "board": "Bugs",
             "work_item_type": "Bug", "lane": "Security",
             "status_map": {"IDENTIFIED": {"column": "Triage"}}},
        ],
    }
    data.update(overrides)
    return data


def make_config(**overrides: Any) -> IntegrationConfig:
    return IntegrationConfig.model_validate(config_data(**overrides))
