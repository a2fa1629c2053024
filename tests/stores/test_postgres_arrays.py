"""PostgreSQL: many-row statements sent as one statement over binary arrays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import PostgresBackend, postgres_dsn
from rectify.stores import postgres


@pytest.fixture(scope="module")
def store() -> Iterator[Any]:
    """A PostgreSQL store with a scratch table beside its ledger."""
    backend = PostgresBackend(postgres_dsn())
    made = backend.new()
    made._execute_many(  # type: ignore[attr-defined]
        "CREATE TABLE {s}.scratch (k text PRIMARY KEY, a integer, b text, c bytea)", [()])
    yield made
    backend.close()


def _contents(store: Any) -> dict[str, tuple[Any, ...]]:
    rows = store._rows("SELECT k, a, b, c FROM {s}.scratch")
    return {k: (a, b, None if c is None else bytes(c)) for k, a, b, c in rows}


def test_update_statements_have_an_array_shape() -> None:
    """``UPDATE t SET a = %s, ... WHERE k = %s`` is recognised, other updates are not."""
    shape = postgres._array_shape(
        'UPDATE {s}.case_heads SET reach = %s, "state" = %s WHERE "case" = %s')
    assert shape == ("update", "{s}.case_heads", 'reach, "state"', '"case"', 3)
    assert postgres._array_shape("UPDATE {s}.t SET a = a + 1 WHERE k = %s") == ()
    assert postgres._array_shape("UPDATE {s}.t SET a = %s WHERE k = %s AND b = %s") == (
        "update", "{s}.t", "a", "k, b", 3)
    assert postgres._array_shape("UPDATE {s}.t SET a = %s WHERE k = %s OR b = %s") == ()


# PostgreSQL's text holds no NUL character (the read models' texts never do).
texts = st.text(st.characters(blacklist_characters="\x00"), max_size=4)
values = st.tuples(st.integers(-5, 5) | st.none(), texts | st.none(),
                   st.binary(max_size=6) | st.none())


@settings(max_examples=25, deadline=None)
@example(rows=[(k, (1, "first", None)) for k in "aabbccdd"] + [("a", (2, "last", b"z"))])
@example(rows=[("a", (n, str(n), None)) for n in range(12)])
@example(rows=[(k, (n, k * 2, bytes([n]))) for n, k in enumerate("abcdefghij")])
@given(rows=st.lists(st.tuples(st.sampled_from("abcdefghij"), values), max_size=20)
       | st.lists(st.tuples(st.sampled_from("abcdefghij"), values), min_size=8,
                  unique_by=lambda row: row[0]))
def test_many_row_updates_equal_row_after_row(store: Any,
                                              rows: list[tuple[str, Any]]) -> None:
    """An update of many rows leaves the table as updating row after row would: keys
    that are missing change nothing, and a key given twice ends with its last values
    (such a batch is sent row by row)."""
    store._execute_many("DELETE FROM {s}.scratch", [()])
    store._execute_many("INSERT INTO {s}.scratch VALUES (%s, %s, %s, %s)",
                        [(k, 0, "x", b"\x00") for k in "abcdefgh"])
    expected = _contents(store)
    for key, (a, b, c) in rows:
        if key in expected:
            expected[key] = (a, b, c)
    store._execute_many("UPDATE {s}.scratch SET a = %s, b = %s, c = %s WHERE k = %s",
                        [(a, b, c, key) for key, (a, b, c) in rows])
    assert _contents(store) == expected
