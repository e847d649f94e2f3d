"""Development host: runs the Functions app's triggers locally, without Core Tools.

Never imported by deployed code (``function_app.py`` and ``sync_core`` know nothing of it).
"""

from __future__ import annotations

from localdev.devhost.host import DEFAULT_PORT, DevHost, functions_of, load_app
from localdev.devhost.settings import DevHostError, HostSettings

__all__ = ["DEFAULT_PORT", "DevHost", "DevHostError", "HostSettings", "functions_of", "load_app"]
