"""Integration configurations: secrets sealed at rest, write-only, and delete forgets all."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient
from cryptography.fernet import Fernet

from sync_core.adapters.state import (
    Delivery,
    IntegrationStatus,
    SecretsKeyError,
    StateStore,
    state_from_settings,
)
from sync_core.rules.decisions import Level
from sync_core.rules.models import Link

from .conftest import SECRETS, config_data, make_config

pytestmark = pytest.mark.azurite

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _raw_rows(raw_tables: TableServiceClient, state: StateStore, iid: str) -> list[dict]:
    rows = []
    for table in state.tables:
        client = raw_tables.get_table_client(table.name)
        rows += list(client.query_entities("PartitionKey eq @pk", parameters={"pk": iid}))
    return rows


def test_config_round_trips_with_secrets_opened(state: StateStore, iid: str) -> None:
    config = make_config()
    state.integrations.put(iid, config)
    got = state.integrations.get(iid)
    assert got == config
    assert got is not None
    assert got.auth.pat is not None and got.auth.pat.get_secret_value() == SECRETS["pat"]
    assert got.webhook.basic_password.get_secret_value() == SECRETS["basic_password"]


def test_no_secret_is_stored_in_clear(
    state: StateStore, iid: str, raw_tables: TableServiceClient
) -> None:
    state.integrations.put(iid, make_config())
    rows = _raw_rows(raw_tables, state, iid)
    assert rows
    dump = json.dumps([dict(r) for r in rows], default=str)
    for secret in SECRETS.values():
        assert secret not in dump
    assert "fabrikam" in dump  # the non-secret part is readable


def test_put_without_a_secret_keeps_the_stored_one(state: StateStore, iid: str) -> None:
    state.integrations.put(iid, make_config())
    state.integrations.put(
        iid, make_config(auth={"mode": "pat"}, organization="contoso", event_secret=None)
    )
    got = state.integrations.get(iid)
    assert got is not None and got.organization == "contoso"
    assert got.auth.pat.get_secret_value() == SECRETS["pat"]
    assert got.event_secret.get_secret_value() == SECRETS["event_secret"]


def test_put_with_a_new_secret_replaces_it(state: StateStore, iid: str) -> None:
    state.integrations.put(iid, make_config())
    state.integrations.put(iid, make_config(auth={"mode": "pat", "pat": "pat-NEW"}))
    got = state.integrations.get(iid)
    assert got is not None and got.auth.pat.get_secret_value() == "pat-NEW"


def test_forget_drops_a_secret(state: StateStore, iid: str) -> None:
    state.integrations.put(iid, make_config())
    state.integrations.put(iid, make_config(auth={"mode": "oauth"}), forget={"auth.pat"})
    got = state.integrations.get(iid)
    assert got is not None and got.auth.mode == "oauth" and got.auth.pat is None


def test_unknown_integration_is_none(state: StateStore, iid: str) -> None:
    assert state.integrations.get(iid) is None


def test_large_configuration_spans_several_properties(state: StateStore, iid: str) -> None:
    routes = config_data()["routes"][:1] + [
        {"asset_id": str(n), "project": "P" * 200, "team": "T" * 200, "board": "B",
         "work_item_type": "Bug", "status_map": {"IDENTIFIED": {"state": "New"}}}
        for n in range(200)
    ]
    config = make_config(routes=routes)
    assert len(config.model_dump_json()) > 32 * 1024
    state.integrations.put(iid, config)
    assert state.integrations.get(iid) == config


def test_list_ids_includes_stored_integrations(state: StateStore, iid: str) -> None:
    state.integrations.put(iid, make_config())
    assert iid in state.integrations.list_ids()


def test_delete_removes_every_row_of_the_integration(
    state: StateStore, iid: str, raw_tables: TableServiceClient
) -> None:
    other = iid + "-other"
    for integration in (iid, other):
        state.integrations.put(integration, make_config())
        state.integrations.set_status(integration, IntegrationStatus(needs_reauthorization=True))
        claim = state.links.claim(integration, "v1", "w")
        state.links.complete(integration, Link(vulnerability_id="v1", work_item_id=7), claim.etag)
        state.events.first_time(integration, "ado", "e1")
        state.deliveries.record(integration, Delivery(level=Level.INFO, message="m"))
        state.watermarks.advance(integration, "conviso", T0, None)
        state.leases.acquire(integration, "reconcile", "me", ttl=timedelta(minutes=1))

    state.integrations.delete(iid)

    assert _raw_rows(raw_tables, state, iid) == []
    assert state.integrations.get(iid) is None
    assert iid not in state.integrations.list_ids()
    assert len(_raw_rows(raw_tables, state, other)) == 8  # the other one is untouched


def test_status_defaults_then_updates_under_etag(state: StateStore, iid: str) -> None:
    assert state.integrations.get_status(iid) == IntegrationStatus()
    state.integrations.update_status(iid, lambda s: s.pause("default", "404 board not found"))
    state.integrations.update_status(iid, lambda s: s.pause("asset-45", "403"))
    status = state.integrations.get_status(iid)
    assert status.paused_routes == {"default": "404 board not found", "asset-45": "403"}
    assert status.updated_at is not None
    state.integrations.update_status(iid, lambda s: s.resume("default"))
    assert state.integrations.get_status(iid).paused_routes == {"asset-45": "403"}


def test_another_key_cannot_open_stored_secrets_and_says_so_without_them(
    make_state: Callable[..., StateStore], settings: dict[str, str], table_prefix: str,
    iid: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    make_state().integrations.put(iid, make_config())
    wrong = {**settings, "SECRETS_KEY": Fernet.generate_key().decode()}
    with pytest.raises(SecretsKeyError) as caught:
        state_from_settings(wrong, table_prefix=table_prefix).integrations.get(iid)
    text = str(caught.value) + caplog.text
    for secret in [*SECRETS.values(), settings["SECRETS_KEY"], wrong["SECRETS_KEY"]]:
        assert secret not in text


def test_config_repr_and_logs_never_show_secrets(
    state: StateStore, iid: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state.integrations.put(iid, make_config())
    got = state.integrations.get(iid)
    for secret in SECRETS.values():
        assert secret not in repr(got)
        assert secret not in caplog.text

