"""R2 and R4: which severities become cards, and the priority each one gets."""

from __future__ import annotations

from .models import IntegrationConfig
from .vocabulary import Severity

__all__ = ["LOWEST_PRIORITY", "passes_policy", "priority_for"]

#: Azure Boards' lowest priority; used for NOTIFICATION when the map leaves it out.
LOWEST_PRIORITY = 4


def passes_policy(config: IntegrationConfig, severity: Severity | None) -> bool:
    """ "Transform vulnerabilities into issues": all severities, or the chosen ones.

    A vulnerability without a severity only passes an "all" policy: a chosen list is a
    filter, and an unknown severity cannot be shown to be on it.
    """
    if config.severity_policy == "all":
        return True
    return severity is not None and severity in config.severity_policy


def priority_for(config: IntegrationConfig, severity: Severity | None) -> int:
    """The mapped priority; NOTIFICATION (optional in the map) or none falls to the lowest."""
    if severity is None:
        return LOWEST_PRIORITY
    return config.severity_map.get(severity, LOWEST_PRIORITY)
