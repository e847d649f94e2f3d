"""The Azure DevOps client's errors: defined in the ports' one tree, re-exported here.

See :mod:`sync_core.ports.errors` for the tree. No error ever carries a credential.
"""

from __future__ import annotations

from sync_core.ports.errors import (
    AuthenticationError,
    AzureDevOpsError,
    ConfigurationError,
    RevisionConflict,
    TransientError,
    WorkItemNotFound,
)

__all__ = [
    "AuthenticationError",
    "AzureDevOpsError",
    "ConfigurationError",
    "RevisionConflict",
    "TransientError",
    "WorkItemNotFound",
]
