"""Integration configurations and their status, with every secret sealed at rest.

One row per integration (PartitionKey = integration id, RowKey ``config``) holds the
configuration as JSON *without* its secrets, and one sealed blob holding them (R15), so a
dump of the table shows no secret in clear. Secrets are write-only: a PUT that omits one
keeps the stored value. A second row (RowKey ``status``) remembers paused routes and a
needed re-authorization (R14).

The identity the integration writes as (connectionData's ``authenticatedUser.id``, R8) is
learned by the app, never configured: it is kept as a property of the configuration row
(``writer_id``), outside the configuration JSON, so reading the configuration — which
every event does anyway — brings it along at no extra request, as
``IntegrationConfig.service_identity``. A PUT keeps it while the credentials stay the same
and drops it when they change (another PAT may be another person); a value given in the
PUT itself is ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from pydantic import SecretStr, ValidationError

from sync_core.ports.data import IntegrationStatus
from sync_core.rules.models import IntegrationConfig

from .errors import StaleEntity, StoredDataInvalid
from .limits import check_integration_id
from .properties import now, read_text, write_text
from .secret_box import SecretBox
from .table import Table, etag_of

__all__ = ["IntegrationStatus", "IntegrationStore"]

logger = logging.getLogger(__name__)

_CONFIG_ROW = "config"
_WRITER = "writer_id"
#: an identity id is a GUID; anything much longer is not one
_MAX_WRITER = 128
_STATUS_ROW = "status"
_SCHEMA = 1
_ATTEMPTS = 5


# ------------------------------------------------------------------ secret handling


def _split_secrets(config: IntegrationConfig) -> tuple[dict[str, Any], dict[str, str]]:
    """The configuration as JSON with every SecretStr replaced by None, and the secrets by path.

    Walks the model generically, so a secret field added to the rules' models later is
    sealed too without touching this module.
    """
    secrets: dict[str, str] = {}

    def strip(node: Any, path: str) -> Any:
        if isinstance(node, SecretStr):
            secrets[path] = node.get_secret_value()
            return None
        if isinstance(node, dict):
            return {key: strip(value, f"{path}{key}.") for key, value in node.items()}
        if isinstance(node, list | tuple):
            return [strip(value, f"{path}{i}.") for i, value in enumerate(node)]
        return node

    stripped = strip(config.model_dump(mode="python"), "")
    secrets = {path.rstrip("."): value for path, value in secrets.items()}
    public = IntegrationConfig.model_validate(stripped).model_dump(mode="json")
    return public, secrets


def _restore_secrets(public: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    for path, value in secrets.items():
        *parents, leaf = path.split(".")
        node: Any = public
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.get(part)
            if node is None:
                break
        if isinstance(node, dict):
            node[leaf] = value
    return public


def _credentials(row: Any, secrets: dict[str, str]) -> tuple[object, ...]:
    """What decides who the integration writes as: organization, auth mode and PAT."""
    try:
        public = json.loads(read_text(row, "config"))
    except ValueError:
        return ()
    auth = public.get("auth") if isinstance(public, dict) else None
    mode = auth.get("mode") if isinstance(auth, dict) else None
    return (public.get("organization"), mode, secrets.get("auth.pat"))


def _invalid(exc: ValidationError) -> StoredDataInvalid:
    """Name the failing fields only: pydantic's own message would quote stored values."""
    where = ", ".join(".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors())
    return StoredDataInvalid(f"stored integration configuration no longer validates at: {where}")


# ------------------------------------------------------------------------- the store


class IntegrationStore:
    """Configurations and status of integrations; ``delete`` wipes every trace of one."""

    def __init__(self, table: Table, box: SecretBox, partitions: Sequence[Table] = ()) -> None:
        self._table = table
        self._box = box
        #: other tables whose partition for an integration goes when it is deleted
        self._partitions = tuple(partitions)

    def put(
        self,
        integration_id: str,
        config: IntegrationConfig,
        *,
        forget: Collection[str] = (),
    ) -> None:
        """Store ``config``; secrets it omits keep their stored value (write-only secrets).

        ``forget`` names secret paths to drop instead (e.g. ``"auth.pat"`` when switching
        to OAuth). Concurrent PUTs are serialised by ETag, so neither loses secrets.
        """
        pk = check_integration_id(integration_id)
        public, fresh = _split_secrets(config)
        public["service_identity"] = None  # learned, not configured: see the module doc
        for _ in range(_ATTEMPTS):
            current = self._table.get(pk, _CONFIG_ROW)
            kept = self._open_secrets(current) if current is not None else {}
            merged = {k: v for k, v in kept.items() if k not in forget} | fresh
            entity: dict[str, Any] = {
                "PartitionKey": pk,
                "RowKey": _CONFIG_ROW,
                "schema": _SCHEMA,
                "updated_at": now(),
            }
            write_text(entity, "config", json.dumps(public, separators=(",", ":")))
            write_text(entity, "secrets", self._box.seal(json.dumps(merged)))
            writer = current.get(_WRITER) if current is not None else None
            if writer and _credentials(current, kept) == _credentials(entity, merged):
                entity[_WRITER] = writer
            try:
                if current is None:
                    if self._table.insert(entity) is not None:
                        return
                else:
                    self._table.replace(entity, etag_of(current))
                    return
            except StaleEntity:
                pass
            logger.info("integration %s changed during put; retrying", pk)
        raise StaleEntity(f"integration {pk} kept changing during put; try again")

    def set_writer_identity(self, integration_id: str, identity: str | None) -> bool:
        """Keep the identity the integration writes as (R8); False when the integration
        no longer exists. ``None`` forgets it (e.g. after signing in as someone else)."""
        pk = check_integration_id(integration_id)
        if identity is not None and not 0 < len(identity) <= _MAX_WRITER:
            raise ValueError(f"a writer identity is 1 to {_MAX_WRITER} characters")
        for _ in range(_ATTEMPTS):
            row = self._table.get(pk, _CONFIG_ROW)
            if row is None:
                return False
            if row.get(_WRITER) == identity:
                return True
            entity = {k: v for k, v in row.items() if k != _WRITER}
            if identity is not None:
                entity[_WRITER] = identity
            try:
                self._table.replace(entity, etag_of(row))
                return True
            except StaleEntity:
                continue
        raise StaleEntity(f"integration {pk} kept changing; its writer identity was not kept")

    def get(self, integration_id: str) -> IntegrationConfig | None:
        """The configuration with its secrets opened, or None for an unknown integration."""
        row = self._table.get(check_integration_id(integration_id), _CONFIG_ROW)
        if row is None:
            return None
        try:
            public = json.loads(read_text(row, "config"))
        except ValueError:
            raise StoredDataInvalid("stored integration configuration is not JSON") from None
        data = _restore_secrets(public, self._open_secrets(row))
        writer = row.get(_WRITER)
        data["service_identity"] = writer if isinstance(writer, str) and writer else None
        try:
            return IntegrationConfig.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc) from None

    def delete(self, integration_id: str) -> None:
        """Forget an integration: its configuration, status and every per-integration row."""
        pk = check_integration_id(integration_id)
        self._table.delete(pk, _CONFIG_ROW)  # first: no new work starts for it
        removed = sum(table.delete_partition(pk) for table in (self._table, *self._partitions))
        logger.info("deleted integration %s (%s more rows)", pk, removed)

    def list_ids(self) -> list[str]:
        return sorted(self._ids())

    def _ids(self) -> Iterator[str]:
        rows = self._table.query("RowKey eq @rk", {"rk": _CONFIG_ROW}, select=["PartitionKey"])
        for row in rows:
            yield str(row["PartitionKey"])

    # ------------------------------------------------------------------ status

    def get_status(self, integration_id: str) -> IntegrationStatus:
        row = self._table.get(check_integration_id(integration_id), _STATUS_ROW)
        return self._status_of(row)

    def set_status(self, integration_id: str, status: IntegrationStatus) -> None:
        """Overwrite the status (last writer wins); prefer :meth:`update_status` in workers."""
        self._table.upsert(self._status_entity(check_integration_id(integration_id), status))

    def update_status(
        self, integration_id: str, change: Callable[[IntegrationStatus], IntegrationStatus]
    ) -> IntegrationStatus:
        """Apply ``change`` to the current status under an ETag, retrying when another
        worker changed it meanwhile (e.g. two routes paused at once)."""
        pk = check_integration_id(integration_id)
        for _ in range(_ATTEMPTS):
            row = self._table.get(pk, _STATUS_ROW)
            status = change(self._status_of(row))
            entity = self._status_entity(pk, status)
            try:
                if row is None:
                    if self._table.insert(entity) is None:
                        continue
                else:
                    self._table.replace(entity, etag_of(row))
            except StaleEntity:
                continue
            return status.model_copy(update={"updated_at": entity["updated_at"]})
        raise StaleEntity(f"status of integration {pk} kept changing; try again")

    # ------------------------------------------------------------------ helpers

    def _open_secrets(self, row: Any) -> dict[str, str]:
        sealed = read_text(row, "secrets")
        return dict(json.loads(self._box.open(sealed))) if sealed else {}

    @staticmethod
    def _status_of(row: Any) -> IntegrationStatus:
        if row is None:
            return IntegrationStatus()
        try:
            return IntegrationStatus.model_validate_json(read_text(row, "status"))
        except ValidationError as exc:
            raise StoredDataInvalid(
                f"stored integration status no longer validates ({exc.error_count()} errors)"
            ) from None

    @staticmethod
    def _status_entity(pk: str, status: IntegrationStatus) -> dict[str, Any]:
        stamped = status.model_copy(update={"updated_at": now()})
        entity: dict[str, Any] = {
            "PartitionKey": pk,
            "RowKey": _STATUS_ROW,
            "updated_at": stamped.updated_at,
        }
        write_text(entity, "status", stamped.model_dump_json())
        return entity
