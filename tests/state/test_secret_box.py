"""Secrets at rest are Fernet tokens; a bad key is a clear error that never shows the key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from sync_core.adapters.state import SecretBox, SecretsKeyError, StateConfigurationError


def test_sealed_secret_opens_and_does_not_show_the_plaintext() -> None:
    box = SecretBox(Fernet.generate_key().decode())
    token = box.seal("my-pat")
    assert "my-pat" not in token
    assert box.open(token) == "my-pat"


def test_missing_key_is_a_configuration_error() -> None:
    with pytest.raises(SecretsKeyError, match="SECRETS_KEY is not set"):
        SecretBox.from_settings({})
    assert issubclass(SecretsKeyError, StateConfigurationError)


@pytest.mark.parametrize("bad", ["short-but-secret-value", "x" * 44, "not base64 at all!!!" * 3])
def test_malformed_key_is_a_clear_error_that_never_prints_it(bad: str) -> None:
    with pytest.raises(SecretsKeyError) as caught:
        SecretBox.from_settings({"SECRETS_KEY": bad})
    assert "32 random bytes" in str(caught.value)
    assert bad not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_token_from_another_key_or_altered_fails_without_leaking() -> None:
    token = SecretBox(Fernet.generate_key()).seal("my-pat")
    other = SecretBox(Fernet.generate_key())
    with pytest.raises(SecretsKeyError, match="cannot be opened") as caught:
        other.open(token)
    assert "my-pat" not in str(caught.value)
    with pytest.raises(SecretsKeyError):
        SecretBox(Fernet.generate_key()).open(token[:-4] + "AAAA")


def test_keys_rotate_first_seals_all_open() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = SecretBox(old).seal("v1")
    rotated = SecretBox(f"{new},{old}")
    assert rotated.open(sealed_before) == "v1"
    assert SecretBox(new).open(rotated.seal("v2")) == "v2"


def test_repr_hides_the_key() -> None:
    key = Fernet.generate_key().decode()
    assert key not in repr(SecretBox(key))
