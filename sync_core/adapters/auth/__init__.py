"""Entra ID tokens for Azure DevOps (R15): the OAuth auth-code flow with PKCE (MSAL),
silent refresh from a sealed per-integration cache, and app-only tokens (azure-identity).

Importing this package imports neither msal nor azure-identity; they load on first use.
"""

from __future__ import annotations

from .delegated import DelegatedTokenProvider
from .entra import EntraClient, SignIn, TokenResult
from .errors import OAuthNotConfigured, ReauthorizationNeeded, TokenServiceUnavailable
from .providers import TokenProvider, TokenProviders
from .service_principal import ServicePrincipalTokenProvider
from .settings import (
    AZURE_DEVOPS_RESOURCE,
    DELEGATED_SCOPES,
    SERVICE_PRINCIPAL_SCOPE,
    EntraSettings,
)

__all__ = [
    "AZURE_DEVOPS_RESOURCE",
    "DELEGATED_SCOPES",
    "SERVICE_PRINCIPAL_SCOPE",
    "DelegatedTokenProvider",
    "EntraClient",
    "EntraSettings",
    "OAuthNotConfigured",
    "ReauthorizationNeeded",
    "ServicePrincipalTokenProvider",
    "SignIn",
    "TokenProvider",
    "TokenProviders",
    "TokenResult",
    "TokenServiceUnavailable",
]
