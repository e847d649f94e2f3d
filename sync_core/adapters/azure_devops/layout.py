"""From Azure DevOps' answers to the rules' models: the rules' own functions, re-exported.

See :mod:`sync_core.rules.boards`; kept so existing imports keep working.
"""

from __future__ import annotations

from sync_core.rules.boards import board_layout_from, identity_id, work_item_view

__all__ = ["board_layout_from", "identity_id", "work_item_view"]
