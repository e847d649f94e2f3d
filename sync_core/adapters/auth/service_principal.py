"""App-only tokens (``auth.mode = service_principal``): managed identity in Azure, or a
client secret or certificate where the operator configured one (R15 b).

The settings are azure-identity's own names, read from the app settings:
``AZURE_CLIENT_SECRET`` or ``AZURE_CLIENT_CERTIFICATE_PATH`` (with ``AZURE_TENANT_ID`` and
``AZURE_CLIENT_ID``) choose a client credential; otherwise the managed identity is used
(``AZURE_CLIENT_ID`` picks a user-assigned one). The choice is explicit rather than
``DefaultAzureCredential``'s chain, so a production app never quietly probes developer
credentials. azure-identity is imported on first use and caches its tokens itself.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..azure_devops.errors import AuthenticationError
from .errors import TokenServiceUnavailable
from .settings import SERVICE_PRINCIPAL_SCOPE

__all__ = ["ServicePrincipalTokenProvider"]


def _get(settings: Mapping[str, str], name: str) -> str | None:
    return (settings.get(name) or "").strip() or None


class ServicePrincipalTokenProvider:
    """``provider()`` -> an app-only access token for Azure DevOps."""

    def __init__(self, settings: Mapping[str, str]) -> None:
        self._settings = dict(settings)
        self._lock = threading.Lock()
        self._credential: Any = None

    def _build(self) -> Any:
        from azure import identity

        s = self._settings
        options: dict[str, Any] = {}
        if _get(s, "AZURE_AUTHORITY_HOST"):
            options["authority"] = _get(s, "AZURE_AUTHORITY_HOST")
            # an operator's choice of host: no need to ask Microsoft whether it is genuine
            options["disable_instance_discovery"] = True
        if _get(s, "ENTRA_CA_BUNDLE"):
            options["connection_verify"] = _get(s, "ENTRA_CA_BUNDLE")
        tenant, client = _get(s, "AZURE_TENANT_ID"), _get(s, "AZURE_CLIENT_ID")
        if _get(s, "AZURE_CLIENT_SECRET") or _get(s, "AZURE_CLIENT_CERTIFICATE_PATH"):
            if not (tenant and client):
                raise AuthenticationError(
                    "service principal credentials need AZURE_TENANT_ID and AZURE_CLIENT_ID"
                )
            if _get(s, "AZURE_CLIENT_SECRET"):
                return identity.ClientSecretCredential(
                    tenant, client, str(_get(s, "AZURE_CLIENT_SECRET")), **options
                )
            return identity.CertificateCredential(
                tenant, client, str(_get(s, "AZURE_CLIENT_CERTIFICATE_PATH")), **options
            )
        return identity.ManagedIdentityCredential(client_id=client)

    def __call__(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
        from azure.identity import CredentialUnavailableError

        with self._lock:
            if self._credential is None:
                self._credential = self._build()
        # azure-identity's messages can quote the token endpoint's answer: keep the class.
        try:
            return str(self._credential.get_token(SERVICE_PRINCIPAL_SCOPE).token)
        except (CredentialUnavailableError, ServiceRequestError) as exc:
            raise TokenServiceUnavailable(
                f"no app-only token for Azure DevOps now ({type(exc).__name__}); will retry"
            ) from None
        except ClientAuthenticationError as exc:
            raise AuthenticationError(
                f"Entra ID refused the app-only credential ({type(exc).__name__}); check the "
                "managed identity or the AZURE_CLIENT_* settings",
                status=401,
            ) from None

    def __repr__(self) -> str:
        return "ServicePrincipalTokenProvider(<credential from settings>)"
