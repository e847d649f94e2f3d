"""The benchmarks' smoke runs share the end-to-end harness: one app host per session."""

from __future__ import annotations

from tests.e2e.conftest import api, app_host, boards, conviso, sync

__all__ = ["api", "app_host", "boards", "conviso", "sync"]
