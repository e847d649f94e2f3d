"""R15 (b): app-only tokens from azure-identity (client credentials here; managed identity
in Azure), for scope ``499b84ac-…/.default``, against the Entra ID emulator over HTTPS."""

from __future__ import annotations

import pytest

from localdev.boards_emulator import BoardsEmulator
from localdev.entra_emulator import EntraEmulator
from sync_core.adapters.auth import ServicePrincipalTokenProvider
from sync_core.adapters.auth.providers import TokenProviders
from sync_core.adapters.azure_devops import AuthenticationError, AzureDevOpsClient
from sync_core.adapters.azure_devops.auth import BearerTokenAuth
from tests.fakes import FakeState


def settings(entra: EntraEmulator, **changes: str) -> dict[str, str]:
    return {
        "AZURE_TENANT_ID": entra.app.tenant,
        "AZURE_CLIENT_ID": entra.client_id,
        "AZURE_CLIENT_SECRET": entra.client_secret,
        "AZURE_AUTHORITY_HOST": entra.url,
        "ENTRA_CA_BUNDLE": str(entra.ca_file),
        **changes,
    }


def test_client_credentials_give_a_token_azure_devops_accepts(
    entra: EntraEmulator, boards: BoardsEmulator
) -> None:
    entra.reset()
    provider = ServicePrincipalTokenProvider(settings(entra))
    with AzureDevOpsClient(
        organization=boards.organization, auth=BearerTokenAuth(provider), base_url=boards.url
    ) as client:
        assert client.check_connection().id == boards.service_identity_id
    assert entra.app.token_requests == [("client_credentials", "ok")]
    provider()  # cached by azure-identity: no second request
    assert entra.app.token_requests == [("client_credentials", "ok")]


def test_a_wrong_client_secret_is_an_authentication_error_without_the_secret(
    entra: EntraEmulator,
) -> None:
    entra.reset()
    provider = ServicePrincipalTokenProvider(settings(entra, AZURE_CLIENT_SECRET="wrong-secret"))
    with pytest.raises(AuthenticationError) as raised:
        provider()
    assert "wrong-secret" not in str(raised.value)
    assert entra.app.token_requests == [("client_credentials", "invalid_client")]


def test_a_client_secret_without_its_tenant_and_client_ids_is_refused_before_any_request(
    entra: EntraEmulator,
) -> None:
    entra.reset()
    provider = ServicePrincipalTokenProvider(settings(entra, AZURE_TENANT_ID=""))
    with pytest.raises(AuthenticationError, match="need AZURE_TENANT_ID and AZURE_CLIENT_ID"):
        provider()
    assert entra.app.token_requests == []


def test_every_service_principal_integration_shares_one_credential(entra: EntraEmulator) -> None:
    """One app identity per Function App: its credential (and azure-identity's token cache)
    is made once, whichever integration asks first."""
    providers = TokenProviders(settings(entra), FakeState().oauth)  # type: ignore[arg-type]
    first = providers.for_mode("service_principal", "integration-a")
    assert providers.for_mode("service_principal", "integration-b") is first
    with pytest.raises(ValueError, match="no token provider"):
        providers.for_mode("pat", "integration-a")
