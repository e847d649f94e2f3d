"""Errors of getting a token, placed in the Azure DevOps client's tree so callers that
already sort its errors (the worker, check connection) sort these too.

::

    AzureDevOpsError
    ├── TransientError
    │   └── TokenServiceUnavailable   Entra ID did not answer, or answered 5xx: retry later
    └── ConfigurationError
        └── AuthenticationError
            └── ReauthorizationNeeded  no usable grant: the refresh token expired, the
                                       consent was revoked, or nobody signed in yet
    OAuthNotConfigured                 ENTRA_* settings missing (an operator's fix)

Messages name Entra's error code (``invalid_grant``, ``AADSTS50173``) and never a token.
"""

from __future__ import annotations

from ..azure_devops.errors import AuthenticationError, TransientError

__all__ = ["OAuthNotConfigured", "ReauthorizationNeeded", "TokenServiceUnavailable"]


class ReauthorizationNeeded(AuthenticationError):
    """Someone must sign in again at ``/api/oauth/start?integration=<id>``."""

    def __init__(self, message: str, *, integration_id: str) -> None:
        super().__init__(message, status=401)
        self.integration_id = integration_id


class TokenServiceUnavailable(TransientError):
    """Entra ID (or the managed identity endpoint) could not be reached or was busy."""


class OAuthNotConfigured(Exception):
    """The app settings lack what the OAuth flow needs; the message names the settings."""
