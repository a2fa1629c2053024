"""The embedded default ledger: one SQLite file (standard library ``sqlite3``).

The file holds three tables:

``ledger_schema``
    one row: the storage schema version (`STORAGE_SCHEMA`), the
    date the ledger was created and ``hashed_from``, the first position whose
    hash covers its columns too (1 unless upgraded from schema 2, see
    `rectify.stores.chain`);
``events``
    one row per event: ``position`` (the integer primary key, 1, 2, 3... in
    append order), ``stream``, ``version`` (unique together: optimistic
    concurrency), ``command`` (the id of the append), ``payload`` (canonical
    JSON), ``previous`` and ``hash`` (the SHA-256 chain);
``commands``
    every command id recorded (primary key: idempotency).

It runs in WAL mode; each `SQLiteStore.append()` is one ``BEGIN
IMMEDIATE`` transaction, so a batch is stored entirely or not at all even if
the process is killed, and concurrent writers (threads or processes) queue
for the write lock.  Reads page through the table by position, so replay
uses constant memory.

>>> import tempfile, pathlib
>>> from datetime import date
>>> from rectify.events import PlanReturned
>>> from rectify.stores import Append
>>> tmp = tempfile.TemporaryDirectory()
>>> store = SQLiteStore(pathlib.Path(tmp.name) / "ledger.db")
>>> e = PlanReturned(stream="2017-V1", version=1, actor="D1", on=date(2017, 3, 1),
...                  policy="p", command="c1", reason="too vague")
>>> once = [Append("2017-V1", 0, (e,), "c1")]
>>> store.append(once), store.append(once)
([True], [False])
>>> [ev.reason for ev in store.replay()], store.version("2017-V1")
(['too vague'], 1)
>>> store.close(); tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rectify.lifecycle.case import CaseRecord
from rectify.stores._sql import SqlReads
from rectify.stores._sqlmodels import (
    READ_MODEL_TABLES,
    SqlReadModels,
    read_model_ddl,
    scope_upgrade_ddl,
    step_ddl,
    steps_outdated,
)
from rectify.stores.base import (
    GENESIS,
    STORAGE_SCHEMA,
    Append,
    chain_rows,
    check_batch,
    deeper,
    write_in_snapshot,
)
from rectify.stores.codec import Upcasters, encode
from rectify.stores.errors import (
    LedgerCorrupt,
    LedgerError,
    LedgerFull,
    LedgerReadOnly,
    LedgerSchemaError,
)

__all__ = ["APPLICATION_ID", "STORAGE_SCHEMA", "SQLiteStore"]

#: ``PRAGMA application_id`` of a rectify ledger ("RCTF").
APPLICATION_ID = 0x52435446

_PAGE = 5000  # rows per read when paging through the ledger
#: The page cache of each connection, as SQLite's ``cache_size`` pragma (negative: KiB).
DEFAULT_CACHE_KIB = -65536
_MAGIC = b"SQLite format 3\x00"

_DDL = (
    "CREATE TABLE ledger_schema (version INTEGER NOT NULL, created TEXT NOT NULL,"
    " hashed_from INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL,"
    " version INTEGER NOT NULL, command TEXT NOT NULL, payload BLOB NOT NULL,"
    " previous BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))",
    "CREATE TABLE commands (command TEXT PRIMARY KEY) WITHOUT ROWID",
)
_READ_MODEL_DDL = read_model_ddl("", "BLOB")
_TABLES = ("commands", "events", "ledger_schema")
#: The storage schema that had no read models; upgraded in place when opened for writing.
_SCHEMA_WITHOUT_READ_MODELS = 1
#: The storage schema whose hashes covered the payload only; upgraded in place (no
#: re-hashing: ``ledger_schema.hashed_from`` records where the new rule starts).
_SCHEMA_PAYLOAD_HASHES = 2


def _translate(where: str, exc: sqlite3.Error) -> LedgerError:
    """The typed ledger error for a sqlite3 error."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    text = str(exc)
    if code == sqlite3.SQLITE_FULL or "full" in text:
        return LedgerFull(where, f"cannot write: {text}",
                          "free disk space (or raise max_page_count) and retry the batch")
    if code == sqlite3.SQLITE_READONLY or "readonly" in text:
        return LedgerReadOnly(where, f"cannot write: {text}",
                              "check the permissions of the file and of its directory, "
                              "or open it with readonly=True to only read and verify")
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text:
        return LedgerCorrupt(where, f"not a readable SQLite ledger: {text}",
                             "restore the file from a backup or a JSON export")
    if code == sqlite3.SQLITE_CANTOPEN:
        return LedgerError(where, f"cannot open: {text}", "check that the directory exists")
    return LedgerError(where, text)


class SQLiteStore(SqlReads, SqlReadModels):
    """The ledger in one SQLite file at ``path`` (created if missing).

    ``readonly`` opens an existing ledger for reading and verifying only; it
    creates and changes nothing (``immutable=1`` unless a writer has the file
    open, see `_readonly_mode`).
    ``synchronous`` is SQLite's setting: ``"FULL"`` (the default) makes every
    committed batch survive a power cut; ``"NORMAL"`` survives a killed
    process but may lose the last batches on a power cut, and is faster.
    ``pragmas`` are extra ``PRAGMA name=value`` settings (for example
    ``{"max_page_count": 1000}`` to cap the size).  ``upcasters`` bring
    events stored with an older event schema up to date (see
    `rectify.stores.codec`).

    Raises `LedgerCorrupt` for a file that is
    not a rectify ledger (or misses a table),
    `LedgerSchemaError` for an unknown storage
    schema and `LedgerReadOnly` /
    `LedgerFull` when a write cannot happen; in
    every case the file is left as it was.
    """

    #: See `rectify.stores.PostgresStore.optimistic_batches`: off, since one process
    #: usually writes this ledger and checking twice would only cost.
    optimistic_batches = False

    _MARK = "?"
    _EVENTS = "events"
    _COMMANDS = "commands"
    _PAGE_SIZE = _PAGE
    _PREFIX = ""
    _TAIL = ("CAST(payload || x'00' || stream || x'00' || version || x'00' || command"
             " AS BLOB)")
    # An upsert, not INSERT OR REPLACE: a replace deletes the row and inserts it again,
    # rewriting every index entry of the case.
    _UPSERT_CASE = ("INSERT INTO {p}cases VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})"
                    ' ON CONFLICT ("case") DO UPDATE SET year = excluded.year,'
                    " state = excluded.state, is_open = excluded.is_open, kind = excluded.kind,"
                    " org = excluded.org, deadline = excluded.deadline,"
                    " record = excluded.record, scope = excluded.scope")
    _INSERT_NEW = "INSERT OR IGNORE INTO {table} ({columns}) VALUES ({marks})"

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False,
                 synchronous: str = "FULL", pragmas: Mapping[str, str | int] | None = None,
                 upcasters: Upcasters | None = None) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.upcasters = upcasters
        self._where = str(self.path)
        self._synchronous = synchronous
        # A 64 MiB page cache per connection (SQLite's default is 2 MiB): a national ledger's
        # case rows and indexes are rewritten batch after batch, and re-reading their pages
        # from the file cost about a tenth of the year at 1/10 of the national size.
        self._pragmas = {"cache_size": DEFAULT_CACHE_KIB, **(pragmas or {})}
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists:
            self._check_header()
        elif readonly:
            raise LedgerError(self._where, "no ledger at this path",
                              "check the path (readonly=True never creates a ledger)")
        conn = self._connect()
        try:
            self._setup(exists, synchronous, self._pragmas)
        except BaseException:
            conn.close()
            raise

    # -- connections: one per thread -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = f"{self.path.resolve().as_uri()}?{self._readonly_mode()}"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=60.0,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=60.0,
                                       check_same_thread=False)
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        self._local.conn = conn
        self._local.depth = 0
        with self._guard:
            self._opened.append(conn)
        return conn

    def _readonly_mode(self) -> str:
        """``immutable=1`` when no ``-wal`` or ``-journal`` file is beside the ledger, else
        ``mode=ro``.

        SQLite's ``mode=ro`` still creates (and leaves) the ``-wal`` and ``-shm``
        files of a WAL ledger, so a ledger no one has open, in a read-only folder
        or on read-only media, is opened ``immutable``: nothing is created or
        changed.  A ``-wal`` or ``-journal`` file means a writer has it open (or
        died with it open): then ``mode=ro`` reads its latest transactions too.
        """
        for suffix in ("-wal", "-journal"):
            if Path(f"{self.path}{suffix}").exists():
                return "mode=ro"
        return "immutable=1"

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, with the store's settings)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = self._connect()
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            for name, value in self._pragmas.items():
                conn.execute(f"PRAGMA {name}={value}")
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        return conn

    # -- opening -------------------------------------------------------------------

    def _check_header(self) -> None:
        with self.path.open("rb") as handle:
            magic = handle.read(len(_MAGIC))
        if magic != _MAGIC:
            raise LedgerCorrupt(self._where, f"not a SQLite file (starts with {magic[:8]!r})",
                                "pass the path of a rectify ledger (.db), or restore it "
                                "from a backup or a JSON export")

    def _setup(self, exists: bool, synchronous: str, pragmas: Mapping[str, str | int]) -> None:
        conn = self._conn
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        created = False
        if not tables and app == 0 and not self.readonly:
            created = self._create()
            if not created:
                tables, app = set(_TABLES), self._pragma("application_id")
        if not created:
            self._check(app, tables)
        # Only now that the file is known to be ours may it be changed (WAL mode).
        try:
            if not self.readonly:
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            for name, value in pragmas.items():
                conn.execute(f"PRAGMA {name}={value}")
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None

    def _check(self, app: int, tables: set[str]) -> None:
        if app != APPLICATION_ID:
            raise LedgerCorrupt(self._where, "a SQLite database, but not a rectify ledger "
                                f"(application_id {app:#x}, tables {sorted(tables)})",
                                "pass the path of a rectify ledger or of a new file")
        missing = [t for t in _TABLES if t not in tables]
        if {"cases"} & tables:
            missing += [t for t in READ_MODEL_TABLES if t not in tables]
        if missing:
            raise LedgerCorrupt(self._where, f"missing table(s) {', '.join(missing)}",
                                "restore the ledger from a backup or a JSON export")
        try:
            row = self._conn.execute("SELECT max(version) FROM ledger_schema").fetchone()
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        version = row[0] if row and row[0] is not None else 0
        if version == _SCHEMA_WITHOUT_READ_MODELS and not self.readonly:
            self._upgrade()
            self._upgrade_hashes()
        elif version == _SCHEMA_PAYLOAD_HASHES and not self.readonly:
            self._upgrade_hashes()
        elif version == _SCHEMA_PAYLOAD_HASHES:
            pass  # read and verified as it is: every entry has the payload-only rule
        elif version == _SCHEMA_WITHOUT_READ_MODELS:
            raise LedgerSchemaError(
                self._where, STORAGE_SCHEMA, int(version),
                "open it once for writing (rectify ledger rebuild --db PATH) to add the read "
                "models in place")
        elif version != STORAGE_SCHEMA:
            raise LedgerSchemaError(self._where, STORAGE_SCHEMA, int(version))
        self._add_steps()

    def _add_steps(self) -> None:
        """Add the case steps to a ledger written before they were kept, from its events."""
        conn = self._conn

        def missing() -> bool:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            return steps_outdated(names, lambda table: {
                r[1] for r in conn.execute(f"PRAGMA table_info({table})")})

        if not missing():
            return
        if self.readonly:
            self._steps_missing = True
            return
        with self.transaction():
            if missing():  # not added meanwhile by another
                for ddl in step_ddl(""):
                    conn.execute(ddl)
                self._rebuild_from(self._positions())

    def _upgrade(self) -> None:
        """Add the read models to a schema-1 ledger, computed from its events, in place."""
        conn = self._conn
        with self.transaction():
            version = conn.execute("SELECT max(version) FROM ledger_schema").fetchone()[0]
            if version == _SCHEMA_WITHOUT_READ_MODELS:  # not upgraded meanwhile by another
                for ddl in _READ_MODEL_DDL:
                    conn.execute(ddl)
                self._rebuild_from(self._positions())
                conn.execute("UPDATE ledger_schema SET version = ?", (_SCHEMA_PAYLOAD_HASHES,))

    def _upgrade_hashes(self) -> None:
        """Schema 2 to 3 in place: entries from the next one on hash their columns too, and
        the cases get their scope column."""
        conn = self._conn
        with self.transaction():
            version = conn.execute("SELECT max(version) FROM ledger_schema").fetchone()[0]
            if version == _SCHEMA_PAYLOAD_HASHES:  # not upgraded meanwhile by another
                columns = {row[1] for row in conn.execute("PRAGMA table_info(cases)")}
                if "scope" not in columns:  # schema 2's cases had no scope: all unscoped
                    for statement in scope_upgrade_ddl(""):
                        conn.execute(statement)
                conn.execute("ALTER TABLE ledger_schema ADD COLUMN hashed_from INTEGER NOT NULL"
                             " DEFAULT 1")
                conn.execute("UPDATE ledger_schema SET version = ?, hashed_from = (SELECT"
                             " coalesce(max(position), 0) + 1 FROM events)", (STORAGE_SCHEMA,))

    def _pragma(self, name: str) -> int:
        try:
            return int(self._conn.execute(f"PRAGMA {name}").fetchone()[0])
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None

    def _create(self) -> bool:
        """Create the tables; ``False`` if another process created them first."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Another process may have created the ledger while we waited for the lock.
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                conn.execute("ROLLBACK")
                return False
            for ddl in (*_DDL, *_READ_MODEL_DDL):
                conn.execute(ddl)
            conn.execute("INSERT INTO ledger_schema (version, created) VALUES (?, ?)",
                         (STORAGE_SCHEMA, datetime.now(UTC).isoformat(timespec="seconds")))
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _translate(self._where, exc) from None
        return True

    # -- writing -------------------------------------------------------------------

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """See `rectify.stores.base.EventStore.append()`."""
        return self.append_payloads(batch, [[encode(e) for e in item.events]
                                            for item in batch], projected=projected)

    def append_payloads(self, batch: Sequence[Append],
                        payloads: Sequence[Sequence[bytes]] | None, *,
                        projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """Append ``batch`` storing ``payloads`` (per item, per event) as the events' bytes.

        Imports use it to keep an exported ledger byte for byte; ``None``
        encodes the events.
        """
        if payloads is None:
            payloads = [[encode(e) for e in item.events] for item in batch]
        if not batch:
            return []
        with self.transaction():
            return self._append_rows(batch, payloads, projected)

    def _append_rows(self, batch: Sequence[Append], payloads: Sequence[Sequence[bytes]],
                     projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        conn = self._conn
        streams = list({item.stream: None for item in batch})
        commands = [item.command for item in batch]
        accepted = check_batch(batch, self.versions(streams), self.recorded_commands(commands))
        last = conn.execute(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
        position, previous = (last[0], bytes(last[1])) if last else (0, GENESIS)
        first = position + 1
        rows, _ = chain_rows(batch, accepted, payloads, position, previous)
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO commands VALUES (?)",
                         [(c,) for c, ok in zip(commands, accepted, strict=True) if ok])
        self._keep_read_models(batch, accepted, first, projected)
        return accepted

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.snapshot()`: a deferred read transaction on
        this thread's connection (in WAL mode its first read fixes what the rest see)."""
        conn = self._conn
        if getattr(self._local, "depth", 0):
            with deeper(self._local):
                yield
            return
        try:
            conn.execute("BEGIN DEFERRED")
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        self._local.depth, self._local.reading = 1, True
        try:
            yield
        finally:
            self._local.depth, self._local.reading = 0, False
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")  # it read only

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.transaction()`: ``BEGIN IMMEDIATE`` on this
        thread's connection, so writers (threads or processes) queue for the write lock."""
        conn = self._conn
        if getattr(self._local, "reading", False):
            raise write_in_snapshot(self._where)
        if getattr(self._local, "depth", 0):
            with deeper(self._local):
                yield
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None
        self._local.depth = 1
        try:
            yield
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _translate(self._where, exc) from None
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise _translate(self._where, exc) from None
        finally:
            self._local.depth = 0

    def backup(self, target: str | os.PathLike[str]) -> Path:
        """Copy the ledger to ``target`` with SQLite's online backup API; returns its path.

        Safe while other processes write (unlike copying the file, which can
        miss what is still in the ``-wal`` file).  The copy is a complete ledger
        in rollback-journal mode: open it with `SQLiteStore` as any other.

        Raises:
            LedgerError: ``target`` exists already or cannot be written.
        """
        path = Path(target)
        if path.exists():
            raise LedgerError(str(path), "the backup file exists already",
                              "name a new file, or remove the old backup first")
        try:
            copy = sqlite3.connect(path)
        except sqlite3.Error as exc:
            raise _translate(str(path), exc) from None
        try:
            self._conn.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise _translate(str(path), exc) from None
        finally:
            copy.close()
        return path

    def wait(self, after: int, timeout: float, *, poll: float = 0.05) -> bool:
        """Block until the ledger holds an entry past position ``after``, or ``timeout`` seconds.

        SQLite has no notifications: the head is polled every ``poll`` seconds,
        which sees other processes' appends too.  Returns whether an entry is there.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.head().position > after:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(poll, left))

    def hashed_columns_from(self) -> int:
        """The position from which entries hash their columns too (`rectify.stores.chain`).

        1 for a ledger created with storage schema 3; for an upgraded one the
        position after its last entry at the upgrade; a ledger still at schema 2
        (opened read-only) has no entry with the new rule.
        """
        try:
            return int(self._query("SELECT hashed_from FROM ledger_schema")[0][0])
        except LedgerError:
            return self.head().position + 1

    def rebuild_read_models(self) -> None:
        """Recompute every read model from the events (`rectify ledger rebuild`)."""
        with self.transaction():
            self._rebuild_from(self._positions())

    # -- reading -------------------------------------------------------------------

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._query(query, params)

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        try:
            return max(0, self._conn.executemany(query, rows).rowcount)
        except sqlite3.Error as exc:
            raise _translate(self._where, exc) from None

    def close(self) -> None:
        """Close every thread's connection (the file stays consistent whether or not this is
        called)."""
        with self._guard:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
