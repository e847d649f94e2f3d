"""Errors of getting a token: defined in the ports' one tree, re-exported here.

They sit in the Azure DevOps client's branch (see :mod:`sync_core.ports.errors`), so
callers that already sort its errors (the worker, check connection) sort these too.
Messages name Entra's error code (``invalid_grant``, ``AADSTS50173``) and never a token.
"""

from __future__ import annotations

from sync_core.ports.errors import (
    OAuthNotConfigured,
    ReauthorizationNeeded,
    TokenServiceUnavailable,
)

__all__ = ["OAuthNotConfigured", "ReauthorizationNeeded", "TokenServiceUnavailable"]
