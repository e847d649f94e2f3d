"""Proof, for the type checker, that the adapters implement the ports the service uses.

The service reaches Azure DevOps and Conviso through Protocols: ``ports.Boards`` and
``ports.Conviso`` from ``SyncContext``, then, per use case, a narrower Protocol named where
it is used (``cast(Inspectable, ctx.boards_for(...))``). A ``cast`` is not checked, so a
client method renamed or re-typed would pass unnoticed until a call failed at run time
(issue 19: ``AzureDevOpsClient`` once did not satisfy ``Boards``). Each annotated
assignment below is checked by ``make lint`` (mypy, strict); a mismatch names the Protocol
and the member. Nothing here runs: the block exists only for the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .adapters.azure_devops import (
        Auth,
        AzureDevOpsClient,
        BearerTokenAuth,
        PatAuth,
        WorkItem,
    )
    from .adapters.conviso import ConvisoClient
    from .ports import Boards, Conviso, WorkItemRecord
    from .service.admin import _HookRemover, _RouteChecker
    from .service.assets import _AssetLister
    from .service.check import Inspectable
    from .service.discovery import Discoverable
    from .service.hooks import HookProvisioner
    from .service.inbound import _Identifies
    from .service.reconcile import _Reader
    from .service.setup import Discoverable as SetupDiscoverable
    from .service.vanished import _MissingIssues

    def _azure_devops(client: AzureDevOpsClient) -> list[object]:
        # what bootstrap hands the service as ``ctx.boards_for(...)``
        boards: Boards = client
        # the narrower Protocols the service casts that to
        check: Inspectable = client
        discovery: Discoverable = client
        setup: SetupDiscoverable = client
        route_check: _RouteChecker = client
        hook_removal: _HookRemover = client
        hooks: HookProvisioner = client
        identity: _Identifies = client
        reconcile: _Reader = client
        return [boards, check, discovery, setup, route_check, hook_removal, hooks, identity,
                reconcile]  # fmt: skip

    def _conviso(client: ConvisoClient) -> list[object]:
        # ``ctx.conviso_for(...)``, and what the vanished check and the asset picker cast it to
        conviso: Conviso = client
        vanished: _MissingIssues = client
        assets: _AssetLister = client
        return [conviso, vanished, assets]

    def _answers(item: WorkItem, pat: PatAuth, bearer: BearerTokenAuth) -> list[object]:
        # what a work item read answers; the two ways a client authenticates
        record: WorkItemRecord = item
        by_pat: Auth = pat
        by_token: Auth = bearer
        return [record, by_pat, by_token]
