"""R3, R22: which route an asset's vulnerabilities take.

Precedence: the route naming the asset's id; else the first route, in configuration
order, sharing a tag with the asset (Conviso's ``assetsTagList``; tags compare without
regard to case or surrounding spaces); else the default route; else none (skipped, R2).
"""

from __future__ import annotations

from .models import Asset, IntegrationConfig, Route

__all__ = ["needs_asset_tags", "route_by_key", "route_for"]


def _tag(value: str) -> str:
    return value.strip().casefold()


def route_for(config: IntegrationConfig, asset: Asset | str) -> Route | None:
    """The asset's route. ``asset`` may be only its id (no tags known: id or default)."""
    asset_id, tags = (asset, ()) if isinstance(asset, str) else (asset.id, asset.tags)
    custom = next((r for r in config.routes if r.asset_id == asset_id), None)
    if custom is not None:
        return custom
    held = {_tag(t) for t in tags}
    if held:
        tagged = next(
            (
                r
                for r in config.routes
                if r.asset_tags is not None and held & {_tag(t) for t in r.asset_tags}
            ),
            None,
        )
        if tagged is not None:
            return tagged
    return next((r for r in config.routes if r.default), None)


def needs_asset_tags(config: IntegrationConfig, asset: Asset) -> bool:
    """Whether routing this asset needs tags the snapshot did not carry (an event may
    omit them): some route is chosen by tag and no route names the asset's id. The worker
    then reads the vulnerability from Conviso before choosing a route for a new card, so
    an event and the next poll never route the same asset differently."""
    if asset.tags_known or any(r.asset_id == asset.id for r in config.routes):
        return False
    return any(r.asset_tags is not None for r in config.routes)


def route_by_key(config: IntegrationConfig, key: str) -> Route | None:
    """The route a link names (R3: a linked card stays on its link's route), if it still
    exists in the configuration."""
    return next((r for r in config.routes if r.key == key), None)
