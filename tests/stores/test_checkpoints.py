"""Checkpoints that cannot be fooled: signed ones need their key, and malformed lines fail."""

from __future__ import annotations

import pytest
from ledger_workers import one

from rectify.errors import InvalidValueError
from rectify.stores import MemoryStore
from rectify.stores.chain import Checkpoint, checkpoint, verify

KEY = b"county seal"


def _store() -> MemoryStore:
    store = MemoryStore()
    store.append([one("2017-V1", 0, "c1")])
    store.append([one("2017-V1", 1, "c2")])
    return store


def test_a_signed_checkpoint_needs_its_key() -> None:
    """hmac= is checked, never ignored: without the key the verification is refused."""
    store = _store()
    signed = checkpoint(store, key=KEY)
    assert verify(store, signed, key=KEY).ok
    with pytest.raises(InvalidValueError, match="HMAC key of a signed checkpoint"):
        verify(store, signed)
    with pytest.raises(InvalidValueError, match=r"checkpoint\.mac"):
        verify(store, signed, key=b"another key")


def test_empty_keys_are_refused() -> None:
    """An empty key would sign nothing: signing and checking with one are refused."""
    head = checkpoint(_store())
    with pytest.raises(InvalidValueError, match="non-empty HMAC key"):
        head.signed(b"")
    with pytest.raises(InvalidValueError, match="non-empty HMAC key"):
        head.authentic(b"")


@pytest.mark.parametrize("line", [
    "",
    "rectify-ledger-head position=0 sha256=" + "0" * 64,
    "rectify-ledger-head position=-3 sha256=" + "0" * 64,
    "rectify-ledger-head position=２ sha256=" + "0" * 64,
    "rectify-ledger-head position=2 sha256=abc",
    "rectify-ledger-head position=2 sha256=" + "0" * 64 + " hmac=ünicode",
    "something-else position=2 sha256=" + "0" * 64,
])
def test_malformed_checkpoints_are_typed_errors(line: str) -> None:
    """Zero or negative positions, short hashes and non-hex HMACs never match any ledger."""
    with pytest.raises(InvalidValueError, match="rectify-ledger-head position=N"):
        Checkpoint.parse(line)


def test_printed_checkpoints_read_back() -> None:
    """What str() prints, signed or not, parses to the same checkpoint."""
    head = checkpoint(_store())
    assert Checkpoint.parse(str(head)) == head
    assert Checkpoint.parse(str(head.signed(KEY))) == head.signed(KEY)
