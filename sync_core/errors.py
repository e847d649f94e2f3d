"""The root of errors that carry an HTTP meaning, shared by the edge and the use cases.

Each has a ``status``, a stable ``code`` and a ``message`` that is safe to show a caller
(it never holds a secret), so the triggers map every one of them the same way.
"""

from __future__ import annotations

__all__ = ["AnsweredError"]


class AnsweredError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
