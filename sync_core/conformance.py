"""Proof, for the type checker, that the adapters implement the ports.

The service reaches the outside only through the Protocols of ``sync_core.ports``:
``Boards`` and ``Conviso`` from ``SyncContext``'s factories, ``State`` (and each store's
Protocol) as ``ctx.state``, ``SignInService`` for the Entra ID sign-in. Nothing in the
service casts to a narrower view, so what bootstrap hands it must match these Protocols
member by member. Each annotated assignment below is checked by ``make lint`` (mypy,
strict); a mismatch names the Protocol and the member (issue 19: ``AzureDevOpsClient``
once did not satisfy ``Boards``). Nothing here runs: the block exists only for mypy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .adapters.auth import EntraClient
    from .adapters.azure_devops import (
        Auth,
        AzureDevOpsClient,
        BearerTokenAuth,
        PatAuth,
        WorkItem,
    )
    from .adapters.conviso import ConvisoClient
    from .adapters.state import StateStore
    from .ports import (
        Boards,
        Conviso,
        Deliveries,
        Events,
        Integrations,
        Leases,
        Links,
        OAuthTokens,
        Queues,
        Refused,
        SignInService,
        State,
        Watermarks,
        WorkItemRecord,
    )

    def _azure_devops(client: AzureDevOpsClient) -> list[object]:
        # what bootstrap hands the service as ``ctx.boards_for(...)``
        boards: Boards = client
        return [boards]

    def _conviso(client: ConvisoClient) -> list[object]:
        # ``ctx.conviso_for(...)``
        conviso: Conviso = client
        return [conviso]

    def _state(store: StateStore) -> list[object]:
        # ``ctx.state``, and each store on its own (what a fake of one must match)
        state: State = store
        integrations: Integrations = store.integrations
        links: Links = store.links
        events: Events = store.events
        deliveries: Deliveries = store.deliveries
        watermarks: Watermarks = store.watermarks
        leases: Leases = store.leases
        refused: Refused = store.refused
        queues: Queues = store.queues
        oauth: OAuthTokens = store.oauth
        return [state, integrations, links, events, deliveries, watermarks, leases, refused,
                queues, oauth]  # fmt: skip

    def _sign_in(entra: EntraClient) -> list[object]:
        # what the OAuth triggers hand ``service.oauth``
        sign_in: SignInService = entra
        return [sign_in]

    def _answers(item: WorkItem, pat: PatAuth, bearer: BearerTokenAuth) -> list[object]:
        # what a work item read answers; the two ways a client authenticates
        record: WorkItemRecord = item
        by_pat: Auth = pat
        by_token: Auth = bearer
        return [record, by_pat, by_token]
