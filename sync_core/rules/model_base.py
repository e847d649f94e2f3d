"""The two configurations every rule model is built with: frozen, validated at every boundary.

Kept apart so the Conviso, configuration and Boards modules share one definition without
importing each other. Each module declares its own base from these (a ``BaseModel``
subclass in the module itself, so linters see pydantic's copy-on-default semantics).
"""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["CONVISO_SHAPE", "FROZEN"]

#: Our own data: frozen so a decision is never taken on data that changed underneath it,
#: and strict (``extra="forbid"``) so a misspelt key is refused, not ignored.
FROZEN = ConfigDict(frozen=True, extra="forbid")

#: Conviso speaks camelCase (GraphQL and events); Python code uses snake_case. Unknown keys
#: are ignored: Conviso adds fields, and a snapshot must not fail for them.
CONVISO_SHAPE = ConfigDict(
    frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
)
