"""The Bicep parses offline and has the security-relevant properties the product promises.

No Bicep compiler can be installed here (it downloads itself), so the files are parsed with
pycep and their properties asserted on that parse; ``bicep build``/``what-if`` is left to a
pipeline with Azure access. Names the app uses (tables, queues, connections) are taken from
the code, so a new table in ``store.py`` fails here until the infrastructure has it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cryptography.fernet import Fernet

from localdev.devhost import functions_of, load_app
from sync_core.adapters.state import state_from_settings
from sync_core.adapters.state.queues import (
    INBOUND_QUEUE,
    OUTBOUND_QUEUE,
    RECONCILE_QUEUE,
    poison_queue,
)

from .conftest import BICEP_FILES, INFRA, MAIN, RESOURCES, ROOT, parse_bicep

ROLE_IDS = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}
#: where the app's identity needs each role
ROLE_SCOPES = {
    "Storage Blob Data Owner": "storage",
    "Storage Queue Data Contributor": "storage",
    "Storage Table Data Contributor": "storage",
    "Monitoring Metrics Publisher": "appInsights",
    "Key Vault Secrets User": "vault",
}
KEY_VAULT_REFERENCE = re.compile(
    r"^@Microsoft\.KeyVault\(SecretUri=\$\{vault\.properties\.vaultUri\}"
)
#: the secret a reference names: ``…secrets/${<variable holding the secret's name>})``
KEY_VAULT_SECRET_NAME = re.compile(r"secrets/\$\{(?P<variable>\w+)\}\)$")
#: Flex Consumption's scale bounds: "The lowest maximum scale is currently `40`. The highest
#: currently supported value is `1000`." (MicrosoftDocs/azure-docs
#: articles/azure-functions/flex-consumption-plan.md, Considerations: Scale)
FLEX_MAXIMUM_INSTANCE_COUNT = (40, 1000)
#: A Fernet key is 32 bytes in URL-safe base64: 44 characters (a key list is longer).
FERNET_KEY_LENGTH = 44
#: Site properties a Flex Consumption site must not carry (lower case; siteConfig and the
#: site's own properties). Sources: the "Deprecated properties and settings" table of
#: MicrosoftDocs flex-consumption-plan.md (``properties.ftpsState``: "FTPS not supported",
#: use32BitWorkerProcess, isReserved, IsXenon, windowsFxVersion, alwaysOn,
#: preWarmedInstanceCount, functionAppScaleLimit, containerSize, javaVersion,
#: powerShellVersion, netFrameworkVersion, LinuxFxVersion); ARM refuses them with error 51021
#: "The following list of … site configuration properties (Site.SiteConfig.FtpsState,
#: Site.SiteConfig.Use32BitWorkerProcess, Site.SiteConfig.NetFrameworkVersion,
#: Site.SiteConfig.FunctionsRuntimeScaleMonitoringEnabled) for Flex Consumption sites is
#: invalid" in regions that enforce it (microsoft/azure-pipelines-tasks#21032;
#: Azure/terraform-azurerm-avm-res-web-site PR #345 and issue #360; azure-functions-host#10643
#: for FunctionAppScaleLimit).
FLEX_REJECTED_SITE_PROPERTIES = frozenset(
    {
        "ftpsstate",
        "use32bitworkerprocess",
        "isreserved",
        "isxenon",
        "windowsfxversion",
        "linuxfxversion",
        "alwayson",
        "prewarmedinstancecount",
        "functionappscalelimit",
        "containersize",
        "javaversion",
        "powershellversion",
        "netframeworkversion",
        "functionsruntimescalemonitoringenabled",
    }
)


def _config(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's body; pycep nests a conditional (``if``) resource's one level deeper."""
    config = resource["config"]
    return config["config"] if "condition" in config else config


def _resource(bicep: dict[str, Any], name: str) -> dict[str, Any]:
    return _config(bicep["resources"][name])


def _accessor(value: Any) -> str:
    """``a.b.c`` for pycep's nested property accessors, the string itself otherwise."""
    if isinstance(value, dict) and "operator" in value:
        operands = value["operator"]["operands"]
        return f"{_accessor(operands['operand_1'])}.{_accessor(operands['operand_2'])}"
    return str(value)


def _negated(condition: Any) -> dict[str, Any]:
    """``!condition`` in pycep's shape, with ``!!x`` folded back to ``x``."""
    if isinstance(condition, dict) and condition.get("operator", {}).get("type") == "not":
        return condition["operator"]["operands"]["bool_value"]
    return {"operator": {"type": "not", "operands": {"bool_value": condition}}}


def _app_settings_with_conditions(bicep: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Every app setting the site can get, each with the condition under which it is set.

    A plain list is always set (condition ``None``); a list written ``cond ? [...] : []`` is set
    when ``cond`` holds (``!cond`` for ``cond ? [] : [...]``).
    """
    site = _resource(bicep, "functionApp")
    parts = site["properties"]["siteConfig"]["appSettings"]["function"]["parameters"]
    settings: dict[str, tuple[Any, Any]] = {}
    for variable in parts.values():
        value = bicep["variables"][variable]["value"]
        branches: list[tuple[Any, list[dict[str, Any]]]] = [(None, value)]
        if isinstance(value, dict):  # a conditional list: each branch under its condition
            operands = value["operator"]["operands"]
            condition = operands["condition"]
            branches = [
                (condition, operands["true_value"]),
                (_negated(condition), operands["false_value"]),
            ]
        for condition, entries in branches:
            for entry in entries:
                assert entry["name"] not in settings, f"app setting {entry['name']} set twice"
                settings[entry["name"]] = (entry["value"], condition)
    return settings


def _app_settings(bicep: dict[str, Any]) -> dict[str, Any]:
    """Every app setting the site can get: the concat of its setting lists, both branches."""
    site = _resource(bicep, "functionApp")
    parts = site["properties"]["siteConfig"]["appSettings"]["function"]["parameters"]
    settings: dict[str, Any] = {}
    for variable in parts.values():
        value = bicep["variables"][variable]["value"]
        if isinstance(value, dict):  # a conditional list: take both branches
            operands = value["operator"]["operands"]
            value = [*operands["true_value"], *operands["false_value"]]
        for entry in value:
            assert entry["name"] not in settings, f"app setting {entry['name']} set twice"
            settings[entry["name"]] = entry["value"]
    return settings


# --------------------------------------------------------------------- parsing


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_each_bicep_file_parses_offline_without_registry_modules(path) -> None:
    parsed = parse_bicep(path)
    assert parsed["resources"] or parsed.get("modules")
    assert not re.search(r"""['"](br|ts)[:/]""", path.read_text("utf-8")), (
        "registry modules need a restore from the internet; use raw resources"
    )


def test_a_syntax_error_is_reported_so_the_parse_check_means_something(tmp_path) -> None:
    broken = tmp_path / "broken.bicep"
    broken.write_text(MAIN.read_text("utf-8").replace("targetScope = ", "targetScope = = "))
    with pytest.raises(Exception, match="line"):
        parse_bicep(broken)


def test_main_provisions_its_resource_group_and_calls_the_local_module(main_bicep) -> None:
    assert main_bicep["globals"]["scope"]["value"] == "subscription"
    module = main_bicep["modules"]["resources"]
    assert (INFRA / module["detail"]["path"]).is_file()
    assert set(module["config"]["params"]) <= set(
        parse_bicep(INFRA / "app" / "resources.bicep")["parameters"]
    )


def test_parameters_file_fills_every_required_parameter_from_the_azd_environment(
    main_bicep,
) -> None:
    values = json.loads((INFRA / "main.parameters.json").read_text("utf-8"))["parameters"]
    declared = main_bicep["parameters"]
    assert set(values) <= set(declared)
    required = {name for name, p in declared.items() if p.get("default") is None}
    assert required <= set(values)
    for name, entry in values.items():
        # secrets and settings come from `azd env`, never as literals in the repository
        assert re.fullmatch(r"\$\{[A-Z0-9_]+(=[^}]*)?\}", entry["value"]), name


def test_azure_yaml_deploys_this_folder_as_a_python_function_app() -> None:
    text = (ROOT / "azure.yaml").read_text("utf-8")
    assert re.search(r"^\s+project: \.\s*$", text, re.M)
    assert re.search(r"^\s+language: python\s*$", text, re.M)
    assert re.search(r"^\s+host: function\s*$", text, re.M)
    assert "azd env set SECRETS_KEY" in text  # the preprovision hook makes the key once


# ---------------------------------------------------------------- the runtime


def test_flex_consumption_plan_runs_python_311(resources_bicep) -> None:
    plan = _resource(resources_bicep, "plan")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True  # Linux
    site = _resource(resources_bicep, "functionApp")
    assert site["kind"] == "functionapp,linux"
    assert site["properties"]["functionAppConfig"]["runtime"] == {
        "name": "python",
        "version": "3.11",
    }
    # On Flex the runtime lives in functionAppConfig; these settings are deprecated there.
    settings = _app_settings(resources_bicep)
    assert not {"FUNCTIONS_WORKER_RUNTIME", "WEBSITE_RUN_FROM_PACKAGE"} & set(settings)


def test_host_json_uses_the_extension_bundle_range_flex_requires() -> None:
    host = json.loads((ROOT / "host.json").read_text("utf-8"))
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }


# ------------------------------------------------------------ identity, no keys


def test_the_app_runs_as_a_managed_identity_for_storage_deployment_and_key_vault(
    resources_bicep,
) -> None:
    site = _resource(resources_bicep, "functionApp")
    assert site["identity"]["type"] in ("UserAssigned", "SystemAssigned")
    assert _accessor(site["properties"]["keyVaultReferenceIdentity"]) == "identity.id"
    auth = site["properties"]["functionAppConfig"]["deployment"]["storage"]["authentication"]
    assert auth["type"] == "UserAssignedIdentity"
    settings = _app_settings(resources_bicep)
    for prefix in ("AzureWebJobsStorage", "SYNC_STORAGE"):
        assert settings[f"{prefix}__credential"] == "managedidentity"
        assert _accessor(settings[f"{prefix}__clientId"]) == "identity.properties.clientId"
    for service in ("blob", "queue", "table"):
        assert f"primaryEndpoints.{service}" in _accessor(
            settings[f"AzureWebJobsStorage__{service}ServiceUri"]
        )
    for service in ("queue", "table"):
        assert f"primaryEndpoints.{service}" in _accessor(
            settings[f"SYNC_STORAGE__{service}ServiceUri"]
        )


def test_no_account_key_or_connection_string_with_keys_anywhere(resources_bicep) -> None:
    settings = _app_settings(resources_bicep)
    # the connection-string forms would need a key; only the identity forms are set
    assert "AzureWebJobsStorage" not in settings and "SYNC_STORAGE" not in settings
    for path in BICEP_FILES:
        text = path.read_text("utf-8")
        for forbidden in ("AccountKey=", "listKeys(", "SharedAccessSignature", "listKeys "):
            assert forbidden not in text, f"{path.name} contains {forbidden}"


def test_every_queue_trigger_connection_has_identity_settings(resources_bicep) -> None:
    settings = _app_settings(resources_bicep)
    connections = {
        f.get_trigger().connection
        for f in functions_of(load_app())
        if f.get_trigger().get_binding_name() == "queueTrigger"
    }
    assert connections, "the app has queue triggers"
    for connection in connections:
        assert f"{connection}__queueServiceUri" in settings
        assert settings[f"{connection}__credential"] == "managedidentity"


def _dangling_key_vault_references(bicep: dict[str, Any]) -> list[str]:
    """Each Key Vault reference setting whose secret the template does not create whenever the
    setting is set (same condition), described; ``[]`` when every reference resolves."""
    secrets = {
        _config(r)["name"]: r["config"].get("condition")
        for r in bicep["resources"].values()
        if r["type"] == "Microsoft.KeyVault/vaults/secrets" and _config(r)["parent"] == "vault"
    }
    problems = []
    for name, (value, condition) in _app_settings_with_conditions(bicep).items():
        if not (isinstance(value, str) and value.startswith("@Microsoft.KeyVault(")):
            continue
        secret = KEY_VAULT_SECRET_NAME.search(value)
        if not KEY_VAULT_REFERENCE.match(value) or secret is None:
            problems.append(f"{name}: not a reference to a secret of this template's vault")
        elif secret["variable"] not in secrets:
            problems.append(f"{name}: no secret resource is named {secret['variable']}")
        elif secrets[secret["variable"]] != condition:
            problems.append(
                f"{name}: set when {condition}, its secret created when "
                f"{secrets[secret['variable']]}"
            )
    return problems


def test_every_key_vault_reference_names_a_secret_created_under_the_same_condition(
    resources_bicep,
) -> None:
    """A reference to a secret that was never created resolves to nothing: the app then reads
    the literal ``@Microsoft.KeyVault(...)`` string as the value (MSAL: invalid_client)."""
    settings = _app_settings(resources_bicep)
    assert {n for n, v in settings.items() if str(v).startswith("@Microsoft.KeyVault(")} == {
        "SECRETS_KEY",
        "ENTRA_CLIENT_SECRET",
    }
    assert _dangling_key_vault_references(resources_bicep) == []


def test_a_reference_set_on_another_condition_is_caught(tmp_path) -> None:
    """The check above means something: the Entra secret's reference keyed on the client id
    (the secret itself on the client secret) is reported."""
    text = RESOURCES.read_text("utf-8")
    broken = tmp_path / "resources.bicep"
    broken.write_text(
        text.replace(
            "var entraSecretSettings = empty(entraClientSecret) ?",
            "var entraSecretSettings = empty(entraClientId) ?",
        )
    )
    assert broken.read_text("utf-8") != text
    problems = _dangling_key_vault_references(parse_bicep(broken))
    assert len(problems) == 1 and problems[0].startswith("ENTRA_CLIENT_SECRET: set when")


def test_secrets_key_is_required_so_its_secret_always_exists(main_bicep, resources_bicep) -> None:
    """The app cannot store any secret without SECRETS_KEY: a deployment without one fails at
    validation instead of leaving the app with a reference that resolves to nothing."""
    for bicep in (main_bicep, resources_bicep):
        parameter = bicep["parameters"]["secretsKey"]
        assert parameter.get("default") is None, "secretsKey must be required (no default)"
        bounds = {d["type"]: d["argument"] for d in parameter["decorators"] if "argument" in d}
        assert bounds.get("min_length") == FERNET_KEY_LENGTH
    assert "condition" not in resources_bicep["resources"]["secretsKeySecret"]["config"]


def test_secrets_are_key_vault_references_never_values(resources_bicep) -> None:
    settings = _app_settings(resources_bicep)
    for name in ("SECRETS_KEY", "ENTRA_CLIENT_SECRET"):
        assert KEY_VAULT_REFERENCE.match(settings[name]), name
    for name in ("secretsKey", "entraClientSecret"):
        decorators = resources_bicep["parameters"][name]["decorators"]
        assert any(d.get("type") == "secure" for d in decorators), f"{name} must be @secure()"


def test_the_app_settings_the_product_documents_are_set(resources_bicep) -> None:
    settings = _app_settings(resources_bicep)
    for name in (
        "AZURE_DEVOPS_BASE_URL",
        "CONVISO_API_URL",
        "ENTRA_CLIENT_ID",
        "ENTRA_AUTHORITY",
        "OAUTH_REDIRECT_URI",
        "PUBLIC_BASE_URL",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
    ):
        assert name in settings, name
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].endswith(";Authorization=AAD")


@pytest.mark.parametrize("role", ROLE_IDS)
def test_the_app_identity_holds_each_role_on_its_scope(resources_bicep, role) -> None:
    roles = resources_bicep["variables"]["roles"]["value"]
    key = next((k for k, guid in roles.items() if guid == ROLE_IDS[role]), None)
    assert key, f"{role} ({ROLE_IDS[role]}) is not in the roles table"
    assignments = [
        _config(r)
        for r in resources_bicep["resources"].values()
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and _accessor(
            _config(r)["properties"]["roleDefinitionId"]["function"]["parameters"][
                "resource_name_1"
            ]
        )
        == f"roles.{key}"
    ]
    assert len(assignments) == 1, role
    granted = assignments[0]
    assert granted["scope"] == ROLE_SCOPES[role]
    assert _accessor(granted["properties"]["principalId"]) == "identity.properties.principalId"
    assert granted["properties"]["principalType"] == "ServicePrincipal"


# ------------------------------------------------------------ the resources


def test_storage_refuses_shared_keys_public_blobs_and_old_tls(resources_bicep) -> None:
    properties = _resource(resources_bicep, "storage")["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True


def test_the_site_is_https_only_with_tls_12_and_no_ftp(resources_bicep) -> None:
    site = _resource(resources_bicep, "functionApp")["properties"]
    assert site["httpsOnly"] is True
    assert site["siteConfig"]["minTlsVersion"] == "1.2"
    # Flex has no FTP(S) at all; the basic publishing credentials are what stays switched off
    for policy in ("ftpPublishing", "scmPublishing"):
        assert _resource(resources_bicep, policy)["properties"] == {"allow": False}


def _refused_site_properties(bicep: dict[str, Any]) -> list[str]:
    site = _resource(bicep, "functionApp")["properties"]
    given = {name.lower() for name in (*site, *site["siteConfig"])}
    return sorted(given & FLEX_REJECTED_SITE_PROPERTIES)


def test_the_flex_site_carries_no_property_flex_consumption_refuses(resources_bicep) -> None:
    refused = _refused_site_properties(resources_bicep)
    assert not refused, f"Flex Consumption refuses these site properties (ARM 51021): {refused}"


def test_a_refused_property_is_caught_so_the_check_means_something(tmp_path) -> None:
    text = RESOURCES.read_text("utf-8")
    broken = tmp_path / "resources.bicep"
    broken.write_text(
        text.replace("minTlsVersion: '1.2'", "minTlsVersion: '1.2'\n      FtpsState: 'Disabled'")
    )
    assert _refused_site_properties(parse_bicep(broken)) == ["ftpsstate"]


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_maximum_instance_count_stays_within_what_flex_consumption_allows(path) -> None:
    parameter = parse_bicep(path)["parameters"]["maximumInstanceCount"]
    bounds = {d["type"]: d["argument"] for d in parameter["decorators"] if "argument" in d}
    assert (bounds.get("min_value"), bounds.get("max_value")) == FLEX_MAXIMUM_INSTANCE_COUNT
    low, high = FLEX_MAXIMUM_INSTANCE_COUNT
    assert low <= parameter["default"] <= high


def test_the_site_scales_to_the_bounded_parameter(resources_bicep) -> None:
    site = _resource(resources_bicep, "functionApp")["properties"]
    scale = site["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["maximumInstanceCount"] == "maximumInstanceCount"


def test_monitoring_and_key_vault_accept_entra_id_only(resources_bicep) -> None:
    assert _resource(resources_bicep, "appInsights")["properties"]["DisableLocalAuth"] is True
    assert _resource(resources_bicep, "logs")["properties"]["features"] == {
        "disableLocalAuth": True
    }
    vault = _resource(resources_bicep, "vault")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True


def test_the_tables_are_exactly_those_the_state_layer_uses(resources_bicep) -> None:
    # building the store makes no network call: it only names its tables
    store = state_from_settings(
        {
            "SYNC_STORAGE": "UseDevelopmentStorage=true",
            "SECRETS_KEY": Fernet.generate_key().decode(),
        }
    )
    expected = {table.name for table in store.tables}
    assert set(resources_bicep["variables"]["tableNames"]["value"]) == expected
    loop = resources_bicep["resources"]["stateTables"]["config"]["loop_type"]["detail"]
    assert loop["array_name"] == "tableNames"


def test_the_queues_are_the_work_queues_and_their_poison_queues(resources_bicep) -> None:
    work = (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE)
    expected = {q for name in work for q in (name, poison_queue(name))}
    assert set(resources_bicep["variables"]["queueNames"]["value"]) == expected
    loop = resources_bicep["resources"]["workQueues"]["config"]["loop_type"]["detail"]
    assert loop["array_name"] == "queueNames"
