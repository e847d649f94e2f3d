"""Encryption of secrets at rest (R15): Fernet, keyed by the ``SECRETS_KEY`` setting.

Fernet is authenticated encryption (AES-128-CBC + HMAC-SHA256), so a stored secret that
was tampered with fails to open instead of decrypting to garbage. ``SECRETS_KEY`` is
32 random bytes in URL-safe base64, as ``Fernet.generate_key()`` makes them. Several keys
may be given, comma-separated, to rotate: the first seals, all of them open.

Nothing here ever puts the key or a plaintext in an exception message or a log line.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import SecretsKeyError

__all__ = ["SECRETS_KEY_SETTING", "SecretBox"]

SECRETS_KEY_SETTING = "SECRETS_KEY"


class SecretBox:
    """Seal and open short secrets (tokens, passwords) with the deployment's key."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.decode("ascii", "replace") if isinstance(key, bytes) else key
        keys = [part.strip() for part in raw.split(",") if part.strip()]
        if not keys:
            raise SecretsKeyError(f"{SECRETS_KEY_SETTING} is empty")
        fernets = []
        for position, part in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(part))
            except (ValueError, TypeError):
                # Deliberately no chaining: the library's error may quote the input.
                raise SecretsKeyError(
                    f"{SECRETS_KEY_SETTING} key #{position} is malformed: it must be 32 random "
                    "bytes in URL-safe base64 (as Fernet.generate_key() makes them)"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> SecretBox:
        key = settings.get(SECRETS_KEY_SETTING)
        if not key:
            raise SecretsKeyError(
                f"{SECRETS_KEY_SETTING} is not set: secrets cannot be stored without it "
                "(generate one with cryptography's Fernet.generate_key())"
            )
        return cls(key)

    def seal(self, plaintext: str) -> str:
        """An opaque, authenticated token for ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """The plaintext of a token sealed with one of the configured keys."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretsKeyError(
                f"a stored secret cannot be opened with {SECRETS_KEY_SETTING}: "
                "the key changed, or the stored value was altered"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"
