"""R3: which route an asset's vulnerabilities take. A custom route always wins."""

from __future__ import annotations

from .models import IntegrationConfig, Route

__all__ = ["route_for"]


def route_for(config: IntegrationConfig, asset_id: str) -> Route | None:
    """The asset's custom route, else the default route, else ``None`` (skipped, R2)."""
    custom = next((r for r in config.routes if r.asset_id == asset_id), None)
    if custom is not None:
        return custom
    return next((r for r in config.routes if r.default), None)
