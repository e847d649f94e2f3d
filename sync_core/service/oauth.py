"""Connecting an integration to Azure DevOps with a person's Entra ID sign-in (R15 a).

``start_authorization`` remembers a fresh MSAL flow (state, PKCE verifier, nonce) sealed
in Table Storage and answers where to send the browser; ``complete_authorization`` takes
Entra's redirect, consumes the flow (single use, short expiry), redeems the code and
stores the integration's token cache sealed. ``mark_needs_reauthorization`` is what the
worker does when the grant is gone: one error delivery, then quiet until someone signs in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..ports import FlowRejected, ReauthorizationNeeded, SignInService
from ..rules import Level
from .context import SyncContext
from .errors import InvalidInput
from .intake import load_integration

__all__ = [
    "complete_authorization",
    "mark_needs_reauthorization",
    "start_authorization",
]

log = logging.getLogger(__name__)


def start_authorization(ctx: SyncContext, entra: SignInService, integration_id: str) -> str:
    """The Entra ID authorize URL for this integration's sign-in (R15 a)."""
    config = load_integration(ctx, integration_id)
    if config.auth.mode != "oauth":
        raise InvalidInput(
            f"auth.mode of integration {integration_id} is '{config.auth.mode}': "
            "set it to 'oauth' before signing in"
        )
    sign_in = entra.begin()
    ctx.state.oauth.save_flow(integration_id, sign_in.state, sign_in.flow)
    log.info("sign-in started for integration %s", integration_id)
    return sign_in.authorize_url


def complete_authorization(
    ctx: SyncContext, entra: SignInService, params: Mapping[str, str]
) -> dict[str, Any]:
    """Entra's redirect: check the state, redeem the code, keep the tokens sealed."""
    try:
        pending = ctx.state.oauth.consume_flow(params.get("state", ""))
    except FlowRejected as exc:
        raise InvalidInput(f"state: {exc}") from None
    iid = pending.integration_id
    # The flow stays marked used until the sweep removes it, so a replay says so.
    if params.get("error"):
        # Entra's error code (e.g. access_denied); its free-text description is not echoed.
        raise InvalidInput(f"the sign-in was not completed: {params['error'][:64]}")
    if not params.get("code"):
        raise InvalidInput("code: the callback carries no authorization code")
    try:
        serialized, who = entra.finish(pending.flow, params)
    except PermissionError as exc:
        ctx.record(iid, Level.ERROR, f"sign-in refused by Entra ID: {exc}", reason="auth")
        raise InvalidInput(f"code: Entra ID refused it ({exc})") from None
    ctx.state.oauth.put_token_cache(iid, serialized)
    ctx.state.integrations.update_status(
        iid,
        lambda s: s.model_copy(
            update={"needs_reauthorization": False, "reauthorization_reason": None}
        ),
    )
    ctx.record(iid, Level.INFO, f"connected to Azure DevOps as {who} (OAuth)", reason="auth")
    log.info("integration %s authorized with Entra ID", iid)
    return {"integration": iid, "connected": True, "account": who}


def mark_needs_reauthorization(ctx: SyncContext, error: ReauthorizationNeeded) -> bool:
    """Set "needs re-authorization" with one error delivery; False when already set.

    Work for the integration is then completed without retrying (the queue cannot fix a
    revoked consent); the next successful sign-in or check clears the flag.
    """
    iid = error.integration_id
    if ctx.state.integrations.get_status(iid).needs_reauthorization:
        return False
    reason = str(error)[:500]
    ctx.state.integrations.update_status(
        iid,
        lambda s: s.model_copy(
            update={"needs_reauthorization": True, "reauthorization_reason": reason}
        ),
    )
    ctx.record(iid, Level.ERROR, reason, reason="needs_reauthorization")
    return True
