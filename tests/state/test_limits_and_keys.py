"""Keys and sizes Azure refuses are refused in code, before any request (Azurite is lenient)."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient

from localdev.azurite import connection_string, free_port
from sync_core.adapters.state.counting import OperationCounts
from sync_core.adapters.state.errors import EntityTooLarge, InvalidKey
from sync_core.adapters.state.keys import decode_part, encode_part, hashed_part, join_key
from sync_core.adapters.state.limits import (
    MAX_PROPERTIES,
    MAX_STRING_CHARS,
    check_entity,
    check_integration_id,
    check_key,
)
from sync_core.adapters.state.table import Table


@pytest.mark.parametrize(
    "bad", ["a/b", "a\\b", "a#b", "a?b", "tab\there", "nul\x00", "del\x7f", "c1\x9f"]
)
def test_key_with_a_character_azure_refuses_is_invalid(bad: str) -> None:
    with pytest.raises(InvalidKey, match="contains"):
        check_key(bad)


def test_key_over_one_kib_is_invalid_and_the_error_says_so() -> None:
    check_key("k" * 512)  # 1 KiB in UTF-16, as the service stores strings
    with pytest.raises(InvalidKey, match="1026 bytes"):
        check_key("k" * 513)


def test_empty_or_non_string_key_is_invalid() -> None:
    with pytest.raises(InvalidKey, match="empty"):
        check_key("")
    with pytest.raises(InvalidKey, match="string"):
        check_key(42)


def test_invalid_key_is_a_value_error_for_the_http_layer() -> None:
    assert issubclass(InvalidKey, ValueError)
    assert issubclass(EntityTooLarge, ValueError)


@pytest.mark.parametrize("good", ["fabrikam", "it-1", "A_b-9", "x" * 64])
def test_plain_integration_ids_are_accepted(good: str) -> None:
    assert check_integration_id(good) == good


@pytest.mark.parametrize("bad", ["", "-lead", "has space", "a/b", "x" * 65, "é", None])
def test_integration_id_outside_the_plain_alphabet_is_invalid(bad: object) -> None:
    with pytest.raises(InvalidKey, match="integration id"):
        check_integration_id(bad)


def test_string_property_over_32k_chars_is_too_large() -> None:
    base = {"PartitionKey": "p", "RowKey": "r"}
    check_entity({**base, "s": "x" * MAX_STRING_CHARS})
    with pytest.raises(EntityTooLarge, match="'s' holds 32769 characters"):
        check_entity({**base, "s": "x" * (MAX_STRING_CHARS + 1)})


def test_entity_over_one_mib_is_too_large() -> None:
    entity = {"PartitionKey": "p", "RowKey": "r"}
    entity.update({f"p{i}": "x" * 30_000 for i in range(18)})  # 18 × 60 KB ≈ 1.08 MB
    with pytest.raises(EntityTooLarge, match=r"entity is \d+ bytes"):
        check_entity(entity)


def test_more_than_252_properties_is_too_large() -> None:
    entity = {"PartitionKey": "p", "RowKey": "r"} | {f"p{i}": 1 for i in range(MAX_PROPERTIES + 1)}
    with pytest.raises(EntityTooLarge, match="253 properties"):
        check_entity(entity)


@pytest.mark.parametrize(
    "raw", ["123", "a/b#c?d\\e", "100%|~", "tab\tnul\x00c1\x85", "ação/日本", "😀/x"]
)
def test_encoded_ids_are_valid_keys_and_decode_back(raw: str) -> None:
    encoded = encode_part(raw)
    assert check_key(encoded) == encoded
    assert decode_part(encoded) == raw


def test_plain_ids_stay_readable() -> None:
    assert encode_part("vuln-123_x.y") == "vuln-123_x.y"


def test_long_event_ids_are_hashed_to_a_short_valid_key() -> None:
    hashed = hashed_part("e" * 5000)
    assert hashed.startswith("~sha256~")
    assert len(hashed) < 80
    assert hashed == hashed_part("e" * 5000)
    assert hashed != hashed_part("e" * 5001)
    # an id that looks like a hash is escaped, so it cannot collide with one
    assert encode_part(hashed) != hashed


def test_composite_keys_cannot_be_confused_by_the_separator() -> None:
    assert join_key(encode_part("a|b"), encode_part("c")) != join_key(
        encode_part("a"), encode_part("b|c")
    )


def test_table_refuses_bad_keys_before_any_request() -> None:
    """Nothing listens on this port: reaching the network would be a different error."""
    dead = connection_string(free_port(), free_port(), free_port())
    counts = OperationCounts()
    table = Table(TableClient.from_connection_string(dead, "nothing"), counts)
    with pytest.raises(InvalidKey):
        table.get("p", "a/b")
    with pytest.raises(InvalidKey):
        table.insert({"PartitionKey": "p#", "RowKey": "r"})
    with pytest.raises(EntityTooLarge):
        table.upsert({"PartitionKey": "p", "RowKey": "r", "s": "x" * 40_000})
    assert counts.table_total == 0
