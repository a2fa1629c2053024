"""The SQL stores' row builder chains entries exactly as `entry_hash` defines it."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from rectify.events import PlanReturned
from rectify.stores.base import GENESIS, Append, chain_rows, entry_hash

_ids = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
               min_size=1, max_size=12)


@given(st.lists(st.tuples(_ids, _ids, st.integers(0, 10**6),
                          st.lists(st.binary(min_size=1, max_size=40), max_size=4),
                          st.booleans()), max_size=6),
       st.integers(0, 10**6), st.binary(min_size=32, max_size=32))
def test_rows_follow_the_entry_hash_rule(items: list[tuple[str, str, int, list[bytes], bool]],
                                         position: int, previous: bytes) -> None:
    """Every row's hash is entry_hash of the one before, its payload and its columns
    (ids with '%' and any Unicode included); refused items get no row."""
    event = PlanReturned(stream="s", version=1, actor="a", on=date(2017, 1, 1), policy="p",
                         command="c", reason="r")
    batch = [Append(stream, expected, (event,) * len(payloads), command)
             for stream, command, expected, payloads, _ in items]
    accepted = [ok for *_, ok in items]
    rows, last = chain_rows(batch, accepted, [p for *_, p, _ in items], position, previous)
    expected_rows = []
    at, before = position, previous
    for (stream, command, expected, payloads, ok) in items:
        if not ok:
            continue
        for offset, payload in enumerate(payloads, start=1):
            at += 1
            digest = entry_hash(before, payload, stream, expected + offset, command)
            expected_rows.append((at, stream, expected + offset, command, payload, before,
                                  digest))
            before = digest
    assert rows == expected_rows
    assert last == before


def test_an_empty_batch_keeps_the_head() -> None:
    """No accepted entry: no row, and the chain still ends at the given hash."""
    assert chain_rows([], [], [], 0, GENESIS) == ([], GENESIS)
