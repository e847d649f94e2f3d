"""R15 (a): sign in with Entra ID (auth-code flow with PKCE, MSAL unpatched), tokens kept
sealed per integration, refreshed silently; a dead grant marks the integration."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from azure.storage.queue import QueueClient

from localdev.entra_emulator import EntraEmulator
from sync_core import bootstrap
from sync_core.adapters.state.oauth import _FLOWS, _state_key
from sync_core.adapters.state.properties import now
from sync_core.adapters.state.queues import OUTBOUND_QUEUE
from tests.auth.conftest import Browser, query_of
from tests.harness import Sync, wait_until

SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/user_impersonation"


def outbound_drained() -> bool:
    """No message waits or is being worked on (a finished one is deleted from the queue)."""
    queue = QueueClient.from_connection_string(os.environ["SYNC_STORAGE"], OUTBOUND_QUEUE)
    with queue:
        return queue.get_queue_properties().approximate_message_count == 0


def oauth_integration(sync: Sync) -> None:
    sync.configure(auth={"mode": "oauth"})


def status_of(sync: Sync) -> Any:
    return bootstrap.context().state.integrations.get_status(sync.id)


def test_start_redirects_to_the_authority_with_pkce_and_the_delegated_scope(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    oauth_integration(sync)
    url = browser.authorize_url(sync.id)
    assert url.startswith(f"{entra.authority}/oauth2/v2.0/authorize?")
    query = query_of(url)
    assert query["client_id"] == entra.client_id
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert set(query["scope"].split()) >= {SCOPE, "offline_access", "openid"}
    assert query["redirect_uri"].endswith("/api/oauth/callback")
    assert query["response_mode"] == "form_post"  # the code never travels in a URL
    assert len(query["state"]) >= 16


def test_full_flow_connects_and_the_sync_writes_with_the_delegated_token(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    oauth_integration(sync)
    done = browser.connect(sync.id)
    assert done == {"integration": sync.id, "connected": True, "account": "alice@fabrikam.example"}
    assert entra.app.token_requests == [("authorization_code", "ok")]
    vuln = sync.seed()
    sync.publish(vuln)
    items = wait_until(lambda: sync.work_items_of(vuln))
    assert len(items) == 1
    # The integration holds no PAT: the Boards emulator accepted the Entra ID token.
    assert sync.api.get(f"/integrations/{sync.id}").json()["secrets"]["auth.pat"] is False
    assert any("connected to Azure DevOps as" in d["message"] for d in sync.deliveries())


def test_callback_answers_a_browser_with_a_page(sync: Sync, browser: Browser) -> None:
    oauth_integration(sync)
    answer = browser.post(browser.sign_in(sync.id), Accept="text/html")
    assert answer.status_code == 200
    assert "text/html" in answer.headers["content-type"]
    assert f"<b>{sync.id}</b> is connected" in answer.text


def test_start_refuses_an_integration_that_does_not_use_oauth(sync: Sync) -> None:
    sync.configure()  # PAT
    answer = sync.api.get("/oauth/start", params={"integration": sync.id})
    assert answer.status_code == 400
    assert "auth.mode" in answer.json()["error"]["message"]


def test_start_for_an_unknown_integration_is_a_404(sync: Sync) -> None:
    answer = sync.api.get("/oauth/start", params={"integration": "nobody-here"})
    assert answer.status_code == 404


def test_unknown_state_is_a_400_and_nothing_is_stored(sync: Sync, browser: Browser) -> None:
    oauth_integration(sync)
    answer = browser.open(f"{sync.host.url}/api/oauth/callback?code=abc&state=forged-state")
    assert answer.status_code == 400
    assert "state" in answer.json()["error"]["message"]
    assert bootstrap.context().state.oauth.get_token_cache(sync.id) is None


def test_missing_state_is_a_400(sync: Sync, browser: Browser) -> None:
    answer = browser.open(f"{sync.host.url}/api/oauth/callback?code=abc")
    assert answer.status_code == 400
    assert "state" in answer.json()["error"]["message"]


def test_replayed_callback_is_a_400_and_redeems_nothing_twice(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    oauth_integration(sync)
    callback = browser.sign_in(sync.id)
    assert browser.post(callback).status_code == 200
    replay = browser.post(callback)
    assert replay.status_code == 400
    assert "already used" in replay.json()["error"]["message"]
    assert entra.app.token_requests == [("authorization_code", "ok")]


def test_expired_state_is_a_400(sync: Sync, browser: Browser) -> None:
    oauth_integration(sync)
    callback = browser.sign_in(sync.id)
    # Ten minutes pass: age the stored flow rather than wait.
    table = bootstrap.context().state.oauth._table
    row = table.get(_FLOWS, _state_key(callback.fields["state"]))
    assert row is not None
    table.replace({**dict(row), "expires_at": now() - timedelta(seconds=1)}, row.metadata["etag"])
    answer = browser.post(callback)
    assert answer.status_code == 400
    assert "expired" in answer.json()["error"]["message"]


def test_a_refused_consent_is_a_400_naming_the_error(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    oauth_integration(sync)
    entra.app.deny_consent = True
    answer = browser.post(browser.sign_in(sync.id))
    assert answer.status_code == 400
    assert "access_denied" in answer.json()["error"]["message"]


def test_tokens_are_refreshed_silently_and_the_new_cache_is_stored(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    entra.app.access_token_lifetime = 1  # every use finds the access token expired
    oauth_integration(sync)
    browser.connect(sync.id)
    before = bootstrap.context().state.oauth.get_token_cache(sync.id)
    vuln = sync.seed()
    sync.publish(vuln)
    wait_until(lambda: sync.work_items_of(vuln))
    assert ("refresh_token", "ok") in entra.app.token_requests
    after = bootstrap.context().state.oauth.get_token_cache(sync.id)
    assert before is not None and after is not None and after.etag != before.etag
    assert not status_of(sync).needs_reauthorization


def _dead_grant_marks_the_integration(sync: Sync, browser: Browser, entra: EntraEmulator,
                                      kill: str, code: str) -> None:  # fmt: skip
    entra.app.access_token_lifetime = 1
    oauth_integration(sync)
    browser.connect(sync.id)
    getattr(entra, kill)()
    first, second = sync.seed(), sync.seed()
    sync.publish(first)
    status = wait_until(lambda: status_of(sync).needs_reauthorization and status_of(sync))
    assert code in (status.reauthorization_reason or "")
    refreshes = [r for r in entra.app.token_requests if r[0] == "refresh_token"]
    sync.publish(second)
    wait_until(outbound_drained)
    errors = sync.deliveries(level="error")
    assert len(errors) == 1, errors  # recorded once, not once per message
    assert errors[0]["reason"] == "needs_reauthorization"
    assert f"/api/oauth/start?integration={sync.id}" in errors[0]["message"]
    # while marked, Entra ID is not asked again and no card is written
    assert [r for r in entra.app.token_requests if r[0] == "refresh_token"] == refreshes
    assert not sync.work_items_of(first) and not sync.work_items_of(second)
    # signing in again clears the mark and the next event goes through
    browser.connect(sync.id)
    assert not status_of(sync).needs_reauthorization
    sync.publish(second)
    wait_until(lambda: sync.work_items_of(second))


def test_expired_refresh_token_marks_needs_reauthorization_once(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    _dead_grant_marks_the_integration(sync, browser, entra, "expire_refresh_tokens", "AADSTS700082")


def test_revoked_grant_marks_needs_reauthorization_once(
    sync: Sync, browser: Browser, entra: EntraEmulator
) -> None:
    _dead_grant_marks_the_integration(sync, browser, entra, "revoke_grants", "AADSTS50173")
