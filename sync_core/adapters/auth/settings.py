"""The app settings of Entra ID sign-in (PRODUCT.md: ``ENTRA_*``, ``OAUTH_REDIRECT_URI``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import OAuthNotConfigured

__all__ = ["AZURE_DEVOPS_RESOURCE", "DELEGATED_SCOPES", "SERVICE_PRINCIPAL_SCOPE", "EntraSettings"]

AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
#: Delegated: act as the person who signed in. ``offline_access`` is added by MSAL itself
#: (it refuses to be given it), so the refresh token comes without asking twice.
DELEGATED_SCOPES = (f"{AZURE_DEVOPS_RESOURCE}/user_impersonation",)
#: App-only (service principal, managed identity): whatever the app was granted.
SERVICE_PRINCIPAL_SCOPE = f"{AZURE_DEVOPS_RESOURCE}/.default"
_REQUIRED = ("ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET", "ENTRA_AUTHORITY", "OAUTH_REDIRECT_URI")


@dataclass(frozen=True)
class EntraSettings:
    """One app registration (a confidential client) and where Entra sends the browser back."""

    client_id: str
    client_secret: str = field(repr=False)
    authority: str
    redirect_uri: str
    #: a CA bundle to trust for the authority (the local emulator's certificate); else
    #: the system's trust store
    ca_bundle: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> EntraSettings:
        values = {name: (settings.get(name) or "").strip() for name in _REQUIRED}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise OAuthNotConfigured(
                f"OAuth with Entra ID is not configured: set {', '.join(missing)}"
            )
        authority = values["ENTRA_AUTHORITY"].rstrip("/")
        if not authority.startswith("https://"):
            raise OAuthNotConfigured(
                "ENTRA_AUTHORITY must be an https:// URL, e.g. "
                "https://login.microsoftonline.com/<tenant id>"
            )
        return cls(
            client_id=values["ENTRA_CLIENT_ID"],
            client_secret=values["ENTRA_CLIENT_SECRET"],
            authority=authority,
            redirect_uri=values["OAUTH_REDIRECT_URI"],
            ca_bundle=(settings.get("ENTRA_CA_BUNDLE") or "").strip() or None,
        )
