"""Store back-ends for the contract suite: memory, SQLite and PostgreSQL.

Each back-end makes fresh stores, reopens the same ledger, and tampers with
it the way an intruder with database access would (raw SQL for SQLite and
PostgreSQL).  PostgreSQL tests use a schema of their own per test, dropped
afterwards, and skip with the reason when ``RECTIFY_TEST_POSTGRES_DSN`` is
unset or the server cannot be reached.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from rectify.stores import Entry, LedgerStore, MemoryStore, SQLiteStore

DSN_VARIABLE = "RECTIFY_TEST_POSTGRES_DSN"


def postgres_dsn() -> str:
    """The test server's DSN, or skip the test with the reason."""
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        pytest.skip(f"{DSN_VARIABLE} is not set: PostgreSQL store tests need a server "
                    "(.ci/run sets it to postgresql://postgres@127.0.0.1:5432/test)")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'rectify[postgres]')")
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {DSN_VARIABLE} is unreachable: {exc}".strip())
    return dsn


class Backend:
    """Makes stores of one kind and tampers with their ledger."""

    name = ""

    def new(self, **options: Any) -> LedgerStore:
        """A store over the (initially empty) ledger of this back-end."""
        raise NotImplementedError

    def target(self) -> tuple[str, dict[str, Any]]:
        """``open_store`` arguments reaching the same ledger from another process."""
        raise NotImplementedError

    def edit(self, position: int) -> None:
        """Change the content of the entry at ``position`` (its hash left as it was)."""
        raise NotImplementedError

    def delete(self, position: int) -> None:
        """Delete the entry at ``position``."""
        raise NotImplementedError

    def swap(self, a: int, b: int) -> None:
        """Exchange the positions of two entries."""
        raise NotImplementedError

    def truncate(self, keep: int) -> None:
        """Delete every entry after position ``keep``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the back-end holds."""

    def fresh(self) -> LedgerStore:
        """A store over a new, empty ledger of this back-end (``target()`` follows it)."""
        raise NotImplementedError


class MemoryBackend(Backend):
    """In-memory stores; tampering edits the store's entry list directly."""

    name = "memory"

    def __init__(self) -> None:
        self.store: MemoryStore | None = None

    def new(self, **options: Any) -> LedgerStore:
        if self.store is None or options:
            self.store = MemoryStore(**options)
        return self.store

    def _entries(self) -> list[Entry]:
        assert self.store is not None
        return self.store._entries

    def edit(self, position: int) -> None:
        entries = self._entries()
        old = entries[position - 1]
        entries[position - 1] = attrs.evolve(old, payload=old.payload.replace(b'"D1"', b'"XX"'))

    def delete(self, position: int) -> None:
        del self._entries()[position - 1]

    def swap(self, a: int, b: int) -> None:
        entries = self._entries()
        ea, eb = entries[a - 1], entries[b - 1]
        entries[a - 1] = attrs.evolve(eb, position=a)
        entries[b - 1] = attrs.evolve(ea, position=b)

    def truncate(self, keep: int) -> None:
        del self._entries()[keep:]


class SQLiteBackend(Backend):
    """A SQLite file in the test's temporary directory; tampering through ``sqlite3``."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "ledger.db"
        self.stores: list[SQLiteStore] = []

    def new(self, **options: Any) -> LedgerStore:
        store = SQLiteStore(self.path, **options)
        self.stores.append(store)
        return store

    def fresh(self) -> LedgerStore:
        self.path = self.path.with_name(f"ledger-{len(self.stores)}.db")
        return self.new()

    def target(self) -> tuple[str, dict[str, Any]]:
        return str(self.path), {}

    def sql(self, statement: str, *params: Any) -> None:
        """Run one statement on the ledger file behind the store's back."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute(statement, params)
        finally:
            conn.close()

    def edit(self, position: int) -> None:
        self.sql("UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"D1\"',"
                 " '\"XX\"') AS BLOB) WHERE position = ?", position)

    def delete(self, position: int) -> None:
        self.sql("DELETE FROM events WHERE position = ?", position)

    def swap(self, a: int, b: int) -> None:
        self.sql("UPDATE events SET position = CASE position WHEN ? THEN ? ELSE ? END"
                 " WHERE position IN (?, ?)", a, -b, -a, a, b)
        self.sql("UPDATE events SET position = -position WHERE position < 0")

    def truncate(self, keep: int) -> None:
        self.sql("DELETE FROM events WHERE position > ?", keep)

    def close(self) -> None:
        for store in self.stores:
            store.close()


#: Prefix of the test schemas (set RECTIFY_TEST_SCHEMA_PREFIX to tell runs apart).
_SCHEMA_PREFIX = os.environ.get("RECTIFY_TEST_SCHEMA_PREFIX", "rectify_test")


class PostgresBackend(Backend):
    """A fresh schema on the test server; tampering through ``psycopg``."""

    name = "postgres"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.schema = f"{_SCHEMA_PREFIX}_{uuid.uuid4().hex[:12]}"
        self.schemas: list[str] = []
        self.stores: list[Any] = []

    def new(self, **options: Any) -> LedgerStore:
        from rectify.stores.postgres import PostgresStore

        store = PostgresStore(self.dsn, schema=self.schema, **options)
        self.stores.append(store)
        return store

    def fresh(self) -> LedgerStore:
        self.schemas.append(self.schema)
        self.schema = f"{_SCHEMA_PREFIX}_{uuid.uuid4().hex[:12]}"
        return self.new()

    def target(self) -> tuple[str, dict[str, Any]]:
        return self.dsn, {"schema": self.schema}

    def sql(self, statement: str, *params: Any) -> None:
        """Run one statement on the ledger's schema behind the store's back."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"SET search_path TO {self.schema}")
            conn.execute(statement, params)  # type: ignore[arg-type]

    def edit(self, position: int) -> None:
        self.sql("UPDATE events SET payload = replace(payload, '\"D1\"', '\"XX\"')"
                 " WHERE position = %s", position)

    def delete(self, position: int) -> None:
        self.sql("DELETE FROM events WHERE position = %s", position)

    def swap(self, a: int, b: int) -> None:
        self.sql("UPDATE events SET position = CASE position WHEN %s THEN %s ELSE %s END"
                 " WHERE position IN (%s, %s)", a, -b, -a, a, b)
        self.sql("UPDATE events SET position = -position WHERE position < 0")

    def truncate(self, keep: int) -> None:
        self.sql("DELETE FROM events WHERE position > %s", keep)

    def close(self) -> None:
        import psycopg

        for store in self.stores:
            store.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for schema in (*self.schemas, self.schema):
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each store back-end in turn (PostgreSQL skips without a server)."""
    made: Backend
    if request.param == "memory":
        made = MemoryBackend()
    elif request.param == "sqlite":
        made = SQLiteBackend(tmp_path)
    else:
        made = PostgresBackend(postgres_dsn())
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The durable back-ends only (SQLite and PostgreSQL)."""
    made: Backend = (SQLiteBackend(tmp_path) if request.param == "sqlite"
                     else PostgresBackend(postgres_dsn()))
    yield made
    made.close()
