"""Bad ledgers and failing writes: clear typed errors, the existing ledger untouched."""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
from ledger_workers import one

from conftest import postgres_dsn
from rectify.errors import RectifyError
from rectify.stores import (
    LedgerCorrupt,
    LedgerError,
    LedgerFull,
    LedgerReadOnly,
    LedgerSchemaError,
    LedgerUnavailable,
    SQLiteStore,
    open_store,
)
from rectify.stores.base import STORAGE_SCHEMA
from rectify.stores.chain import verify


def _ledger(path: Path, events: int = 3) -> bytes:
    store = SQLiteStore(path)
    for v in range(events):
        store.append([one("A", v, f"a{v}")])
    store.close()
    return path.read_bytes()


def test_foreign_file_is_refused_untouched(tmp_path: Path) -> None:
    """A file that is not SQLite at all is a LedgerCorrupt, and is not modified."""
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the events you are looking for" * 10)
    before = path.read_bytes()
    with pytest.raises(LedgerCorrupt, match="not a SQLite file") as info:
        SQLiteStore(path)
    assert isinstance(info.value, RectifyError)
    assert isinstance(info.value, OSError)
    assert path.read_bytes() == before


def test_corrupt_ledger_is_refused(tmp_path: Path) -> None:
    """A ledger whose pages were overwritten is a LedgerCorrupt naming the file."""
    path = tmp_path / "ledger.db"
    data = bytearray(_ledger(path))
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerCorrupt, match=str(path.name)):
        SQLiteStore(path)


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    """Another application's SQLite database is not mistaken for a ledger."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LedgerCorrupt, match="not a rectify ledger"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_missing_table_is_reported(tmp_path: Path) -> None:
    """A ledger missing one of its tables names it."""
    path = tmp_path / "ledger.db"
    _ledger(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE commands")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerCorrupt, match="missing table\\(s\\) commands"):
        SQLiteStore(path)


@pytest.mark.parametrize("version", [0, STORAGE_SCHEMA + 1])
def test_wrong_schema_version_is_reported(tmp_path: Path, version: int) -> None:
    """An unknown or newer storage schema is a LedgerSchemaError with both versions."""
    path = tmp_path / "ledger.db"
    _ledger(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE ledger_schema SET version = ?", (version,))
    conn.commit()
    conn.close()
    with pytest.raises(LedgerSchemaError) as info:
        SQLiteStore(path)
    assert (info.value.expected, info.value.actual) == (STORAGE_SCHEMA, version)
    assert ("upgrade rectify" in str(info.value)) == (version > STORAGE_SCHEMA)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_reads_but_refuses_writes(tmp_path: Path) -> None:
    """A read-only ledger opens with readonly=True, verifies, and refuses appends clearly."""
    path = tmp_path / "ledger.db"
    _ledger(path)
    path.chmod(stat.S_IRUSR)
    try:
        store = SQLiteStore(path, readonly=True)
        assert verify(store).ok
        assert len(store) == 3
        with pytest.raises(LedgerReadOnly):
            store.append([one("A", 3, "a3")])
        store.close()
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_readonly_mode_refuses_writes(tmp_path: Path) -> None:
    """readonly=True never writes: an append is a LedgerReadOnly, the file unchanged."""
    path = tmp_path / "ledger.db"
    before = _ledger(path)
    store = SQLiteStore(path, readonly=True)
    assert [e.version for e in store.replay()] == [1, 2, 3]
    with pytest.raises(LedgerReadOnly, match="readonly"):
        store.append([one("A", 3, "a3")])
    store.close()
    assert path.read_bytes() == before
    with pytest.raises(LedgerError, match="no ledger"):
        SQLiteStore(tmp_path / "missing.db", readonly=True)


def test_full_disk_rolls_back_the_batch(tmp_path: Path) -> None:
    """A full disk (simulated by max_page_count) is a LedgerFull; earlier batches stay."""
    path = tmp_path / "ledger.db"
    _ledger(path)
    store = SQLiteStore(path)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store.close()
    store = SQLiteStore(path, pragmas={"max_page_count": pages + 2})
    big = [one(f"F{i}", 0, f"f{i}") for i in range(3000)]
    with pytest.raises(LedgerFull, match="full"):
        store.append(big)
    assert len(store) == 3
    assert not store.has_command("f0")
    assert store.append([one("A", 3, "a3")]) == [True]  # a small batch still fits
    assert verify(store).ok
    store.close()


def test_missing_directory_is_a_ledger_error(tmp_path: Path) -> None:
    """A path in a directory that does not exist gives a LedgerError with the fix."""
    with pytest.raises(LedgerError, match="directory"):
        SQLiteStore(tmp_path / "nowhere" / "ledger.db")


def test_unreachable_postgres_is_a_typed_error() -> None:
    """A server that does not answer is a LedgerUnavailable (a ConnectionError)."""
    pytest.importorskip("psycopg")
    with pytest.raises(LedgerUnavailable) as info:
        open_store("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=2)
    assert isinstance(info.value, ConnectionError)
    assert "secret" not in str(info.value)


def test_postgres_schema_with_foreign_tables_is_refused() -> None:
    """A PostgreSQL schema holding other tables is a LedgerCorrupt, left untouched."""
    dsn = postgres_dsn()
    import psycopg

    from rectify.stores.postgres import PostgresStore

    schema = f"rectify_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
        conn.execute(f"CREATE TABLE {schema}.events (id int)")  # type: ignore[arg-type]
        try:
            with pytest.raises(LedgerCorrupt, match="missing table"):
                PostgresStore(dsn, schema=schema)
            tables = conn.execute("SELECT count(*) FROM information_schema.tables"
                                  " WHERE table_schema = %s", (schema,)).fetchone()
            assert tables == (1,)
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


def test_postgres_wrong_schema_version() -> None:
    """A PostgreSQL ledger of another storage schema version is a LedgerSchemaError."""
    dsn = postgres_dsn()
    from rectify.stores.postgres import PostgresStore

    schema = f"rectify_test_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(dsn, schema=schema)
    try:
        store._rows(f"UPDATE {schema}.ledger_schema SET version = 9 RETURNING version")
        with pytest.raises(LedgerSchemaError):
            PostgresStore(dsn, schema=schema)
    finally:
        store.drop()
        store.close()
