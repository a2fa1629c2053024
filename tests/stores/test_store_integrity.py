"""The chain covers everything that decides behaviour: payload, stream, version, command id.

Tampering is done the way an intruder with database access would (raw SQL),
and found by what ``rectify ledger verify`` runs: the chain (`verify`) and
the cross-check of the commands table and read models (`verify_read_models`).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_workers import one, returned
from typer.testing import CliRunner

from conftest import Backend, MemoryBackend, PostgresBackend, SQLiteBackend
from rectify.cli import EXIT_BAD_INPUT, app
from rectify.errors import InvalidValueError
from rectify.stores import GENESIS, Append, MemoryStore, SQLiteStore
from rectify.stores.base import Entry, LedgerStore, entry_hash
from rectify.stores.chain import checkpoint, hashed_columns_from, link, verify
from rectify.stores.readmodel import verify_read_models

runner = CliRunner()
COMMANDS = 8


def _fill(store: LedgerStore, commands: int = COMMANDS) -> None:
    for n in range(commands):
        store.append([one(f"2017-V{n % 3}", n // 3, f"c{n}")])


def _problems(store: LedgerStore) -> tuple[str | None, list[str]]:
    """What ``rectify ledger verify`` reports: the first bad entry and the other problems."""
    report = verify(store)
    return (None if report.ok else str(report.first_bad),
            verify_read_models(store) if report.ok else [])  # type: ignore[arg-type]


class _Slow:
    """A store seen without its fast verification path (entries one by one)."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name == "chain_pages":
            raise AttributeError(name)
        return getattr(self._store, name)

    def entries(self, after: int = 0) -> Iterator[Entry]:
        return self._store.entries(after)

    def head(self) -> Any:
        return self._store.head()


def _set_column(backend: Backend, position: int, column: str, value: Any) -> None:
    if isinstance(backend, MemoryBackend):
        entries = backend._entries()
        entries[position - 1] = attrs.evolve(entries[position - 1], **{column: value})
        return
    mark = "?" if isinstance(backend, SQLiteBackend) else "%s"
    backend.sql(f"UPDATE events SET {column} = {mark} WHERE position = {mark}",  # type: ignore[attr-defined]
                value, position)


@pytest.mark.parametrize(("column", "value"), [("command", "forged"), ("stream", "2017-V9"),
                                               ("version", 7)])
def test_an_edited_column_is_found_by_the_chain(backend: Backend, column: str,
                                                value: Any) -> None:
    """Editing events.command (or stream, version) alone breaks that entry's hash."""
    store = backend.new()
    _fill(store)
    _set_column(backend, 5, column, value)
    report = verify(store)
    assert not report.ok
    assert report.first_bad is not None
    assert (report.first_bad.position, report.first_bad.problem) == (5, "edited")
    assert "command id" in report.first_bad.detail
    if not isinstance(backend, MemoryBackend):
        assert verify(_Slow(store)) == report  # type: ignore[arg-type]


def test_command_edited_in_both_tables_is_still_found(durable: Backend) -> None:
    """Editing a command id consistently in events and commands passes the cross-check,
    but not the chain."""
    store = durable.new()
    _fill(store)
    _set_column(durable, 3, "command", "c-forged")
    durable.sql("UPDATE commands SET command = 'c-forged' WHERE command = 'c2'")  # type: ignore[attr-defined]
    assert store.stray_commands() == ([], [])  # type: ignore[attr-defined]
    bad, _ = _problems(store)
    assert bad is not None
    assert bad.startswith("entry 3")
    assert "edited" in bad


@pytest.mark.parametrize("tamper", [
    "UPDATE commands SET command = 'c-other' WHERE command = 'c4'",
    "DELETE FROM commands WHERE command = 'c4'",
    "INSERT INTO commands VALUES ('c-future')",
])
def test_commands_table_tampering_is_found(durable: Backend, tamper: str) -> None:
    """An edited, deleted or pre-inserted commands row is named by the cross-check."""
    store = durable.new()
    _fill(store)
    assert _problems(store) == (None, [])
    durable.sql(tamper)  # type: ignore[attr-defined]
    bad, problems = _problems(store)
    assert bad is None  # the chain is intact: the commands table is not chained
    assert problems
    assert all("command" in p for p in problems)
    if "future" in tamper:
        # The harm it prevents: the real command would later be skipped as a retry.
        assert store.append([one("2017-V0", store.version("2017-V0"), "c-future")]) == [False]


def test_ledger_verify_exits_3_for_a_pre_inserted_command(tmp_path: Path) -> None:
    """The CLI names a command id recorded before any event carries it."""
    backend = SQLiteBackend(tmp_path)
    store = backend.new()
    _fill(store)
    store.close()  # type: ignore[attr-defined]
    db = str(backend.path)
    assert runner.invoke(app, ["ledger", "verify", "--db", db]).exit_code == 0
    backend.sql("INSERT INTO commands VALUES ('c-future')")
    result = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "c-future" in result.output
    backend.sql("DELETE FROM commands WHERE command = 'c-future'")
    backend.sql("UPDATE events SET command = 'c-x' WHERE position = 2")
    backend.sql("UPDATE commands SET command = 'c-x' WHERE command = 'c1'")
    result = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "entry 2" in result.output
    assert "edited" in result.output


def test_zero_bytes_in_ids_are_refused(backend: Backend) -> None:
    """A NUL in a stream or command id is a typed error and nothing is stored."""
    store = backend.new()
    _fill(store, 2)
    for stream, command in (("2017-V1\x00", "c-nul"), ("2017-V5", "c\x00nul")):
        event = returned(stream, 1, command)
        with pytest.raises(InvalidValueError, match="without zero bytes"):
            store.append([Append(stream, 0, (event,), command)])
    assert len(store) == 2
    assert verify(store).ok


# -- the previous schema: upgraded in place, never re-hashed ------------------------------


def _legacy_chain(rows: list[tuple[int, bytes]]) -> list[tuple[bytes, bytes, int]]:
    previous, out = GENESIS, []
    for position, payload in rows:
        digest = hashlib.sha256(previous + payload).digest()
        out.append((previous, digest, position))
        previous = digest
    return out


def to_schema_2(path: Path) -> None:
    """Turn a SQLite ledger into one of storage schema 2 (payload-only hashes)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT position, payload FROM events ORDER BY position").fetchall()
        conn.executemany("UPDATE events SET previous = ?, hash = ? WHERE position = ?",
                         _legacy_chain([(p, bytes(b)) for p, b in rows]))
        conn.execute("ALTER TABLE ledger_schema DROP COLUMN hashed_from")
        conn.execute("UPDATE ledger_schema SET version = 2")
    conn.close()


def _pg_to_schema_2(backend: PostgresBackend) -> None:
    import psycopg

    with psycopg.connect(backend.dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {backend.schema}")  # type: ignore[arg-type]
        rows = conn.execute("SELECT position, payload FROM events ORDER BY position").fetchall()
        chain = _legacy_chain([(p, str(t).encode()) for p, t in rows])
        with conn.cursor() as cur:
            cur.executemany("UPDATE events SET previous = %s, hash = %s WHERE position = %s",
                            chain)
        if chain:
            conn.execute("UPDATE head SET hash = %s", (chain[-1][1],))
        conn.execute("ALTER TABLE ledger_schema DROP COLUMN hashed_from")
        conn.execute("UPDATE ledger_schema SET version = 2")


def _downgrade(backend: Backend) -> None:
    for store in getattr(backend, "stores", []):
        store.close()
    if isinstance(backend, SQLiteBackend):
        to_schema_2(backend.path)
    else:
        assert isinstance(backend, PostgresBackend)
        _pg_to_schema_2(backend)


def test_a_schema_2_ledger_is_upgraded_without_rehashing(durable: Backend) -> None:
    """Old entries keep their payload-only hashes; entries from the upgrade on hash columns."""
    store = durable.new()
    _fill(store, 6)
    _downgrade(durable)
    old = durable.new()
    assert old.hashed_columns_from() == 7  # type: ignore[attr-defined]
    legacy = list(old.entries())
    assert all(e.hash == link(e.previous, e.payload) for e in legacy)
    assert verify(old).ok
    old.append([one("2017-V9", 0, "c-after")])
    new = next(iter(old.entries(6)))
    assert new.hash == entry_hash(legacy[-1].hash, new.payload, "2017-V9", 1, "c-after")
    report = verify(old)
    assert report.ok
    assert report.checked == 7
    assert verify(_Slow(old)) == report  # type: ignore[arg-type]
    # an old entry's command column is not under its hash: the cross-check finds it
    _set_column(durable, 2, "command", "c-forged")
    bad, problems = _problems(old)
    assert bad is None
    assert any("c-forged" in p for p in problems)
    _set_column(durable, 2, "command", "c1")
    # a new entry's is
    _set_column(durable, 7, "command", "c-forged")
    bad, _ = _problems(old)
    assert bad is not None
    assert bad.startswith("entry 7")
    _set_column(durable, 7, "command", "c-after")
    assert verify(old).ok
    # moving the mark either way makes entries fail
    for mark in (3, 9):
        durable.sql(f"UPDATE ledger_schema SET hashed_from = {mark}")  # type: ignore[attr-defined]
        report = verify(old)
        assert not report.ok
        assert report.first_bad is not None
        assert report.first_bad.position == min(mark, 7), mark


# -- properties ---------------------------------------------------------------------------

_IDS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
               min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(st.tuples(_IDS, _IDS), min_size=1, max_size=12,
                    unique_by=lambda t: t[1]),
       tamper=st.integers(0, 11))
def test_the_database_hashes_what_python_hashes(tmp_path_factory: pytest.TempPathFactory,
                                                ids: list[tuple[str, str]],
                                                tamper: int) -> None:
    """Any stream and command id (any script, quotes, tabs): the SQL-built tails hash
    exactly as `entry_hash`, and an edited command is found at its own position."""
    path = tmp_path_factory.mktemp("h") / "ledger.db"
    store = SQLiteStore(path)
    memory = MemoryStore()
    try:
        versions: dict[str, int] = {}
        for stream, command in ids:
            at = versions.get(stream, 0)
            batch = [Append(stream, at, (returned(stream, at + 1, command),), command)]
            store.append(batch)
            memory.append(batch)
            versions[stream] = at + 1
        assert verify(store).ok
        assert checkpoint(store) == checkpoint(memory)
        position = tamper % len(ids) + 1
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE events SET command = command || 'x' WHERE position = ?",
                         (position,))
        conn.close()
        report = verify(store)
        assert report.first_bad is not None
        assert report.first_bad.position == position
        assert verify(_Slow(store)) == report  # type: ignore[arg-type]
    finally:
        store.close()


def test_postgres_hashes_what_python_hashes(tmp_path: Path) -> None:
    """Stream and command ids in many scripts and with escapes verify on PostgreSQL."""
    from conftest import postgres_dsn

    backend = PostgresBackend(postgres_dsn())
    try:
        store = backend.new()
        memory = MemoryStore()
        for n, (stream, command) in enumerate([("整顿-村\t1", "命令\\1"), ("a'b\"c", "c\n2"),
                                              ("ü€𝄞", "c 3")]):
            batch = [Append(stream, 0, (returned(stream, 1, command),), command)]
            store.append(batch)
            memory.append(batch)
            assert checkpoint(store) == checkpoint(memory), n
        assert verify(store).ok
    finally:
        backend.close()


# -- a forged tail against signed checkpoints ---------------------------------------------

KEY = b"county seal"


def test_a_forged_tail_is_found_against_the_next_signed_checkpoint(backend: Backend) -> None:
    """Checkpoints anchored periodically: history rewritten after the last-but-one is found
    by the last; entries after the last are counted as not yet anchored."""
    store = backend.new()
    _fill(store, 6)
    monday = checkpoint(store, key=KEY)            # printed in Monday's bulletin
    store.append([one("2017-V9", 0, "c-tue-1"), one("2017-V8", 0, "c-tue-2")])
    tuesday = checkpoint(store, key=KEY)           # printed in Tuesday's bulletin
    # an intruder without the key drops Tuesday's entries and appends forged ones
    backend.truncate(6)
    if isinstance(backend, PostgresBackend):
        backend.sql("UPDATE head SET position = 6, hash = (SELECT hash FROM events"
                    " WHERE position = 6)")
    store = backend.new() if not isinstance(backend, MemoryBackend) else store
    store.append([one("2017-F1", 0, "c-forged-1"), one("2017-F2", 0, "c-forged-2"),
                  one("2017-F3", 0, "c-forged-3")])
    assert verify(store).ok                         # a valid chain on its own
    assert verify(store, monday, key=KEY).ok        # Monday's entries are untouched
    assert verify(store, monday, key=KEY).unanchored == 3
    report = verify(store, tuesday, key=KEY)
    assert not report.ok
    assert report.first_bad is not None
    assert (report.first_bad.position, report.first_bad.problem) == (8, "rewritten")
    forged = attrs.evolve(checkpoint(store), mac="0" * 64)
    with pytest.raises(InvalidValueError, match="may be forged"):
        verify(store, forged, key=KEY)


def test_hashed_columns_from_defaults_to_every_entry() -> None:
    """A store without the mark (any other LedgerStore) hashes every entry's columns."""
    store = MemoryStore()
    _fill(store, 2)
    assert hashed_columns_from(store) == 1
    assert hashed_columns_from(_Slow(store)) == 1  # type: ignore[arg-type]
