"""PRODUCT.md §4's example configuration, pointed at the emulators: the one copy that the
demo, ``make run``'s sample integration and the tests' harness each fill with their own
secrets (``tests/harness.py`` ``example_config``, ``localdev/demo.py``
``integration_config``)."""

from __future__ import annotations

from typing import Any

from localdev.boards_emulator import BoardsEmulator

__all__ = ["example_configuration"]


def example_configuration(
    boards: BoardsEmulator,
    *,
    company: str,
    api_key: str,
    event_secret: str,
    hook_token: str,
    portal_url: str,
) -> dict[str, Any]:
    """Two routes: the default one to Fabrikam's Issues board, asset 45 to Payments' Bugs."""
    return {
        "organization": boards.organization,
        "auth": {"mode": "pat", "pat": boards.pat},
        "conviso": {"company_id": company, "api_key": api_key, "portal_url": portal_url},
        "event_secret": event_secret,
        "webhook": {"token": hook_token, "basic_username": "boards", "basic_password": "pw"},
        "severity_policy": ["MEDIUM", "HIGH", "CRITICAL"],
        "severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1},
        "routes": [
            {
                "default": True,
                "project": "Fabrikam",
                "team": "Fabrikam Team",
                "board": "Issues",
                "work_item_type": "Bug",
                "lane": None,
                "status_map": {
                    "IDENTIFIED": {"state": "New"},
                    "IN_PROGRESS": {"state": "Active"},
                    "AWAITING_VALIDATION": {"column": "Testing"},
                    "RISK_ACCEPTED": {"state": "Risk Accepted"},
                    "FALSE_POSITIVE": {"state": "Closed"},
                },
            },
            {
                "asset_id": "45",
                "project": "Payments",
                "team": "Payments Team",
                "board": "Bugs",
                "work_item_type": "Bug",
                "lane": "Security",
                "status_map": {"IDENTIFIED": {"column": "Triage"}},
            },
        ],
    }
