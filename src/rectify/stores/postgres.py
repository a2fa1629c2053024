"""The shared ledger: PostgreSQL through psycopg 3 (the ``postgres`` extra).

Same contract and the same tables as `rectify.stores.sqlite`, in a
schema of their own (``rectify`` unless told otherwise), plus a one-row
``head`` table holding the last position and hash.  Every append locks that
row (``SELECT ... FOR UPDATE``) for the length of its transaction, so
writers in many processes or on many hosts take turns: the version checks
they make under the lock are authoritative, positions are gap-free and the
hash chain is one line.  Rows go in with ``COPY``.  A conflict is a
`ConcurrencyConflict`; a batch is one transaction,
so it is stored entirely or not at all.

Create a database once (``createdb ledger``) and pass its DSN; the tables
are created on first use.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from rectify.errors import ConcurrencyConflict, InvalidValueError
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
    Row,
    chain_rows,
    check_batch,
    check_ids,
    deeper,
    write_in_snapshot,
)
from rectify.stores.codec import Upcasters, encode
from rectify.stores.errors import (
    LedgerCorrupt,
    LedgerError,
    LedgerReadOnly,
    LedgerSchemaError,
    LedgerUnavailable,
)

__all__ = ["PostgresStore", "copy_text"]

_PAGE = 10000
_COPY_FROM = 64  # rows from which COPY beats executemany
_ARRAYS_FROM = 8  # rows from which one statement over arrays beats executemany
_INSERT_SHAPE = re.compile(r'INSERT INTO (\{s\}\.\w+) (?:\(([\w", ]+)\) )?VALUES'
                           r" \(%s(?:, %s)*\)(.*)", re.DOTALL)
_DELETE_SHAPE = re.compile(r'DELETE FROM (\{s\}\.\w+) WHERE ("?\w+"?) = %s')
_UPDATE_SHAPE = re.compile(r'UPDATE (\{s\}\.\w+) SET ((?:"?\w+"? = %s, )*"?\w+"? = %s)'
                           r' WHERE ((?:"?\w+"? = %s AND )*"?\w+"? = %s)')
#: `_array_shape` of each statement seen (``()``: not one that goes over arrays).
_ARRAY_SHAPES: dict[str, tuple[str, str, str, str, int] | tuple[()]] = {}


def _array_shape(query: str) -> tuple[str, str, str, str, int] | tuple[()]:
    """``(kind, table, columns, tail, marks)`` of a statement `PostgresStore._as_arrays`
    can turn into one over arrays, else ``()``."""
    insert = _INSERT_SHAPE.fullmatch(query)
    if insert is not None:
        marks = query[:insert.start(3)].count("%s")
        return "insert", insert[1], insert[2] or "", insert[3], marks
    delete = _DELETE_SHAPE.fullmatch(query)
    if delete is not None:
        return "delete", delete[1], delete[2], "", 1
    update = _UPDATE_SHAPE.fullmatch(query)
    if update is not None:
        columns = ", ".join(c.split(" = ")[0] for c in update[2].split(", "))
        keys = ", ".join(c.split(" = ")[0] for c in update[3].split(" AND "))
        return "update", update[1], columns, keys, query.count("%s")
    return ()
_TABLES = ("commands", "events", "head", "ledger_schema")
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_DDL = (
    "CREATE TABLE {s}.ledger_schema (version integer NOT NULL,"
    " created timestamptz NOT NULL DEFAULT now(), hashed_from bigint NOT NULL DEFAULT 1)",
    "CREATE TABLE {s}.events (position bigint PRIMARY KEY, stream text NOT NULL,"
    " version integer NOT NULL, command text NOT NULL, payload text NOT NULL,"
    " previous bytea NOT NULL, hash bytea NOT NULL, UNIQUE (stream, version))",
    "CREATE TABLE {s}.commands (command text PRIMARY KEY)",
    "CREATE TABLE {s}.head (id integer PRIMARY KEY CHECK (id = 1), position bigint NOT NULL,"
    " hash bytea NOT NULL)",
)
_READ_MODEL_DDL = read_model_ddl("{s}.", "BYTEA")
_LOCK_KEY = 0x52435446  # advisory lock taken while creating or upgrading the tables
#: The storage schema that had no read models; upgraded in place when opened.
_SCHEMA_WITHOUT_READ_MODELS = 1
#: The storage schema whose hashes covered the payload only; upgraded in place (no
#: re-hashing: ``ledger_schema.hashed_from`` records where the new rule starts).
_SCHEMA_PAYLOAD_HASHES = 2


def copy_text(rows: Sequence[Row]) -> str:
    """The rows as the body of a text-format ``COPY`` of the events table.

    Backslash, tab, newline and carriage return are escaped in the texts (a
    canonical JSON payload holds no raw control character, so usually only its
    backslashes are doubled); a hash is written in hex once and reused as the
    ``previous`` of the row after it.
    """
    ids = "".join(f"{r[1]}{r[3]}" for r in rows)
    plain = not any(c in ids for c in "\\\t\n\r")
    esc = _ESCAPES
    parts: list[str] = []
    last, last_hex = b"", ""
    for position, stream, version, command, payload, previous, digest in rows:
        before = last_hex if previous == last else previous.hex()
        text = payload.decode()
        if "\n" in text or "\r" in text or "\t" in text:
            text = text.translate(esc)
        elif "\\" in text:
            text = text.replace("\\", "\\\\")
        last, last_hex = digest, digest.hex()
        if not plain:
            stream_text, command_text = stream.translate(esc), command.translate(esc)
        else:
            stream_text, command_text = stream, command
        parts.append(f"{position}\t{stream_text}\t{version}\t{command_text}\t{text}\t\\\\x{before}"
                     f"\t\\\\x{last_hex}\n")
    return "".join(parts)


def _hide(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<dsn>"
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()
                                             if v is not None})


class PostgresStore(SqlReads, SqlReadModels):
    """The ledger in PostgreSQL at ``dsn``, in ``schema`` (created if missing).

    Safe for many processes and hosts writing at once, and for threads: the
    store keeps a pool of up to ``pool_size`` connections (``psycopg_pool``);
    a read borrows one for its statement, a `transaction()` keeps one to its
    end, and writers queue for the head row's lock inside it.  Reads and
    appends outside a transaction whose connection is lost (a server
    restart, a failover) run again on a new one for up to ``retry_for``
    seconds: an append is safe to repeat because its command ids make a
    repeat append nothing.  ``upcasters`` bring
    events stored with an older event schema up to date.  Raises
    `LedgerUnavailable` when the server cannot
    be reached, `LedgerCorrupt` when the schema
    holds other tables or misses one, and
    `LedgerSchemaError` for an unknown storage
    schema version, and `InvalidValueError` for a ``pool_size`` below 1 or a
    negative ``retry_for``.
    """

    #: Whether `rectify.Campaign.run_bulk` checks a batch in a snapshot and only re-checks
    #: what it read under the write lock: many workers share this ledger, and the lock
    #: then covers the append rather than the whole check.
    optimistic_batches = True

    _MARK = "%s"
    _RECORD_TOKEN = "md5(record)"
    _EVENTS = "{s}.events"
    _COMMANDS = "{s}.commands"
    _PAGE_SIZE = _PAGE
    _PREFIX = "{s}."
    _TAIL = ("convert_to(payload, 'UTF8') || '\\x00'::bytea || convert_to(stream, 'UTF8')"
             " || '\\x00'::bytea || convert_to(version::text, 'UTF8') || '\\x00'::bytea"
             " || convert_to(command, 'UTF8')")
    _UPSERT_CASE = ("INSERT INTO {p}cases VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})"
                    ' ON CONFLICT ("case") DO UPDATE SET year = EXCLUDED.year,'
                    " state = EXCLUDED.state, is_open = EXCLUDED.is_open, kind = EXCLUDED.kind,"
                    " org = EXCLUDED.org, deadline = EXCLUDED.deadline,"
                    " record = EXCLUDED.record, scope = EXCLUDED.scope")
    _INSERT_NEW = "INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"

    def __init__(self, dsn: str, *, schema: str = "rectify",
                 upcasters: Upcasters | None = None, connect_timeout: int = 10,
                 pool_size: int = 4, retry_for: float = 10.0) -> None:
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise InvalidValueError("pool_size", "a whole number of connections, at least 1",
                                    pool_size, "pass e.g. pool_size=4 (one per busy thread)")
        if isinstance(retry_for, bool) or not isinstance(retry_for, int | float) \
                or not retry_for >= 0:
            raise InvalidValueError("retry_for", "seconds, 0 or more", retry_for,
                                    "pass e.g. retry_for=10.0, or 0 never to retry")
        self.schema = schema
        self.upcasters = upcasters
        self._dsn = dsn
        self._timeout = connect_timeout
        self._pool_size = pool_size
        self._retry_for = float(retry_for)
        self._where = f"{_hide(dsn)} schema {schema}"
        self._local = threading.local()
        #: The column types of each table, for statements over arrays (`_column_types`).
        self._types: dict[str, dict[str, str]] = {}
        self._s = sql.Identifier(schema)
        self._channel = f"rectify_{schema}"
        self._inherited: list[ConnectionPool[Any]] = []
        self._pid = os.getpid()
        self._pool = self._new_pool()
        try:
            self._setup()
        except BaseException:
            self._pool.close()
            raise

    # -- connections: a pool per process, one connection per thread at a time -----------

    def _new_pool(self) -> ConnectionPool[Any]:
        pool: ConnectionPool[Any] = ConnectionPool(
            self._dsn, min_size=1, max_size=self._pool_size, open=False,
            kwargs={"autocommit": True, "connect_timeout": self._timeout},
            check=ConnectionPool.check_connection, timeout=max(self._timeout, 1),
            reconnect_timeout=max(self._retry_for, self._timeout, 1),
            name=f"rectify-{self.schema}")
        try:
            # The first connection before any use: a waiting client would make the pool grow.
            pool.open(wait=True, timeout=max(self._timeout, 1))
        except PoolTimeout:
            pool.close()
            raise self._unreachable() from None
        return pool

    def _process_pool(self) -> ConnectionPool[Any]:
        """This process's pool: a child forked after the store was opened gets its own (the
        parent's connections are kept, unused and unclosed, so the parent's sessions live)."""
        if os.getpid() != self._pid:
            self._inherited.append(self._pool)
            self._local = threading.local()
            self._pid = os.getpid()
            self._pool = self._new_pool()
        return self._pool

    @contextlib.contextmanager
    def _session(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection this thread works on: the one of its open session (a transaction
        or a read inside one), else one borrowed from the pool until the block ends."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        try:
            borrowed = self._process_pool().connection(timeout=max(self._timeout, 1))
            conn = borrowed.__enter__()
        except PoolTimeout:
            raise self._unreachable() from None
        except psycopg.Error as exc:
            raise self._error(exc) from None
        self._local.conn = conn
        try:
            yield conn
        except BaseException as exc:
            self._local.conn = None
            if not borrowed.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            self._local.conn = None
            borrowed.__exit__(None, None, None)

    def _unreachable(self) -> LedgerUnavailable:
        """Why no connection could be had: one direct attempt names the cause."""
        try:
            psycopg.connect(self._dsn, connect_timeout=min(self._timeout, 3)).close()
        except psycopg.Error as exc:
            return LedgerUnavailable(self._where, f"cannot connect: {exc}".strip(),
                                     "check that the server runs and the DSN is right")
        return LedgerUnavailable(self._where, f"no free connection within {self._timeout} s "
                                 f"(pool_size={self._pool_size})",
                                 "raise pool_size or shorten the transactions")

    @staticmethod
    def _lost(conn: psycopg.Connection[Any]) -> bool:
        return conn.closed or conn.broken

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        """The connection of this thread's open session (see `_session`).

        Inside a transaction a lost connection is not replaced: what the
        transaction did is gone with it, so the rest of it must not run on a new
        connection outside any transaction.
        """
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None:
            raise RuntimeError("PostgresStore._conn outside a session")
        if self._lost(conn) and self._depth():
            raise self._lost_inside()
        return conn

    def _depth(self) -> int:
        """How deep this thread is in `transaction()` (0: outside)."""
        return int(getattr(self._local, "depth", 0))

    def _lost_inside(self) -> LedgerUnavailable:
        return LedgerUnavailable(self._where, "the connection was lost inside a transaction;"
                                 " nothing of the transaction was recorded",
                                 "retry the command (with the same command id)")

    def _retrying(self) -> Iterator[int]:
        """Attempts of an operation that is safe to repeat, for up to ``retry_for`` seconds;
        none but the first inside a transaction (its earlier work went with the connection)."""
        if getattr(self._local, "depth", 0) or getattr(self._local, "conn", None) is not None:
            yield 0
            return
        deadline = time.monotonic() + self._retry_for
        pause = 0.05
        attempt = 0
        while True:
            yield attempt
            attempt += 1
            if time.monotonic() + pause > deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def _q(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(s=self._s)

    def _error(self, exc: psycopg.Error) -> LedgerError:
        if isinstance(exc, psycopg.OperationalError):
            return LedgerUnavailable(self._where, str(exc).strip(), "check the server")
        errors = psycopg.errors
        if isinstance(exc, errors.InsufficientPrivilege | errors.ReadOnlySqlTransaction):
            return LedgerReadOnly(self._where, str(exc).strip(),
                                  "grant the role INSERT on the ledger tables")
        if isinstance(exc, psycopg.errors.DiskFull):
            from rectify.stores.errors import LedgerFull

            return LedgerFull(self._where, str(exc).strip(), "free space on the server")
        return LedgerError(self._where, str(exc).strip())

    def _tables(self) -> set[str]:
        rows = self._conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (self.schema,)).fetchall()
        return {r[0] for r in rows}

    def _setup(self) -> None:
        with self._session():
            self._setup_tables()

    def _setup_tables(self) -> None:
        try:
            tables = self._tables()
            if not tables:
                with self._conn.transaction():
                    self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                    if not self._tables():
                        self._conn.execute(self._q("CREATE SCHEMA IF NOT EXISTS {s}"))
                        for ddl in (*_DDL, *_READ_MODEL_DDL):
                            self._conn.execute(self._q(ddl))
                        self._conn.execute(self._q("INSERT INTO {s}.ledger_schema (version)"
                                                   " VALUES (%s)"), (STORAGE_SCHEMA,))
                        self._conn.execute(self._q("INSERT INTO {s}.head VALUES (1, 0, %s)"),
                                           (GENESIS,))
                tables = self._tables()
            missing = [t for t in _TABLES if t not in tables]
            if missing:
                raise LedgerCorrupt(self._where, f"missing table(s) {', '.join(missing)} "
                                    f"(found {sorted(tables)})",
                                    "use an empty schema or restore the ledger from a backup")
            row = self._conn.execute(self._q("SELECT max(version) FROM {s}.ledger_schema")
                                     ).fetchone()
        except psycopg.Error as exc:
            raise self._error(exc) from None
        version = row[0] if row and row[0] is not None else 0
        if version == _SCHEMA_WITHOUT_READ_MODELS:
            self._upgrade()
            self._upgrade_hashes()
        elif version == _SCHEMA_PAYLOAD_HASHES:
            self._upgrade_hashes()
        elif version != STORAGE_SCHEMA:
            raise LedgerSchemaError(self._where, STORAGE_SCHEMA, int(version))
        else:
            missing = [t for t in READ_MODEL_TABLES if t not in tables]
            if missing:
                raise LedgerCorrupt(self._where, f"missing table(s) {', '.join(missing)}",
                                    "rebuild the read models (rectify ledger rebuild) or "
                                    "restore the ledger from a backup")
        self._add_steps()

    def _add_steps(self) -> None:
        """Add the case steps to a ledger written before they were kept, from its events."""
        if not self._steps_outdated():
            return
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                if self._steps_outdated():  # not added meanwhile by another
                    for ddl in step_ddl("{s}."):
                        self._conn.execute(self._q(ddl))
                    self._rebuild_from(self._positions())
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _steps_outdated(self) -> bool:
        return steps_outdated(self._tables(), lambda table: {r[0] for r in self._conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s", (self.schema, table)).fetchall()})

    def _upgrade(self) -> None:
        """Add the read models to a schema-1 ledger, computed from its events, in place."""
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                row = self._conn.execute(self._q("SELECT max(version) FROM {s}.ledger_schema")
                                         ).fetchone()
                if row is not None and row[0] == _SCHEMA_WITHOUT_READ_MODELS:
                    for ddl in _READ_MODEL_DDL:
                        self._conn.execute(self._q(ddl))
                    self._rebuild_from(self._positions())
                    self._conn.execute(self._q("UPDATE {s}.ledger_schema SET version = %s"),
                                       (_SCHEMA_PAYLOAD_HASHES,))
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _upgrade_hashes(self) -> None:
        """Schema 2 to 3 in place: entries from the next one on hash their columns too, and
        the cases get their scope column."""
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                row = self._conn.execute(self._q("SELECT max(version) FROM {s}.ledger_schema")
                                         ).fetchone()
                if row is not None and row[0] == _SCHEMA_PAYLOAD_HASHES:
                    # The head row lock keeps writers of an older rectify out meanwhile.
                    self._conn.execute(self._q("SELECT position FROM {s}.head WHERE id = 1"
                                               " FOR UPDATE"))
                    scoped = self._conn.execute(
                        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s"
                        " AND table_name = 'cases' AND column_name = 'scope'",
                        (self.schema,)).fetchone()
                    if scoped is None:  # schema 2's cases had no scope: all unscoped
                        for statement in scope_upgrade_ddl("{s}."):
                            self._conn.execute(self._q(statement))
                    self._conn.execute(self._q(
                        "ALTER TABLE {s}.ledger_schema ADD COLUMN hashed_from bigint NOT NULL"
                        " DEFAULT 1"))
                    self._conn.execute(self._q(
                        "UPDATE {s}.ledger_schema SET version = %s, hashed_from = (SELECT"
                        " position + 1 FROM {s}.head WHERE id = 1)"), (STORAGE_SCHEMA,))
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def hashed_columns_from(self) -> int:
        """The position from which entries hash their columns too (`rectify.stores.chain`):
        1 for a ledger created with storage schema 3, the position after the last entry
        at the upgrade for an older one."""
        return int(self._rows("SELECT hashed_from FROM {s}.ledger_schema")[0][0])

    # -- writing -------------------------------------------------------------------

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """See `rectify.stores.base.EventStore.append()`."""
        return self.append_payloads(batch, None, projected=projected)

    def append_payloads(self, batch: Sequence[Append],
                        payloads: Sequence[Sequence[bytes]] | None, *,
                        projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """Append ``batch`` storing ``payloads`` (per item, per event) as the events' bytes.

        Imports use it to keep an exported ledger byte for byte; ``None``
        encodes the events.
        """
        if not batch:
            return []
        check_ids(batch)  # before any query: PostgreSQL text cannot hold them at all
        if payloads is None:
            payloads = [[encode(e) for e in item.events] for item in batch]
        failure: LedgerUnavailable | None = None
        for _ in self._retrying():
            # Safe to repeat: had a lost attempt committed after all, its command ids are
            # recorded and the repeat appends nothing (it answers False for them).
            try:
                return self._append_once(batch, payloads, projected)
            except LedgerUnavailable as exc:
                failure = exc
        assert failure is not None
        raise failure

    def _append_once(self, batch: Sequence[Append], payloads: Sequence[Sequence[bytes]],
                     projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        try:
            with self.transaction():
                conn = self._conn
                head = conn.execute(self._q(
                    "SELECT position, hash FROM {s}.head WHERE id = 1 FOR UPDATE")).fetchone()
                if head is None:
                    raise LedgerCorrupt(self._where, "the head row is missing",
                                        "restore the ledger from a backup")
                position, previous = int(head[0]), bytes(head[1])
                first = position + 1
                streams = list({item.stream: None for item in batch})
                versions: dict[str, int] = dict(conn.execute(self._q(
                    "SELECT stream, max(version) FROM {s}.events WHERE stream = ANY(%s)"
                    " GROUP BY stream"), (streams,)).fetchall())
                recorded = {r[0] for r in conn.execute(self._q(
                    "SELECT command FROM {s}.commands WHERE command = ANY(%s)"),
                    ([item.command for item in batch],))}
                accepted = check_batch(batch, versions, recorded)
                rows, previous = chain_rows(batch, accepted, payloads, position, previous)
                position += len(rows)
                commands = [item.command for item, ok in zip(batch, accepted, strict=True)
                            if ok]
                if len(rows) < _COPY_FROM:
                    with conn.cursor() as cur:
                        cur.executemany(self._q(
                            "INSERT INTO {s}.events VALUES (%s, %s, %s, %s,"
                            " convert_from(%b, 'UTF8'), %b, %b)"), rows)
                        cur.executemany(self._q("INSERT INTO {s}.commands VALUES (%s)"),
                                        [(c,) for c in commands])
                else:
                    self._copy(rows, commands)
                conn.execute(self._q("UPDATE {s}.head SET position = %s, hash = %s"
                                     " WHERE id = 1"), (position, previous))
                self._keep_read_models(batch, accepted, first, projected)
                if rows:
                    conn.execute("SELECT pg_notify(%s, %s)", (self._channel, str(position)))
        except psycopg.errors.UniqueViolation:
            # Not reachable while every writer takes the head lock; kept as a backstop.
            stream = batch[0].stream
            raise ConcurrencyConflict(stream, batch[0].expected, self.version(stream)) from None
        except psycopg.Error as exc:
            raise self._error(exc) from None
        return accepted

    def _copy(self, rows: list[Row], commands: list[str]) -> None:
        """Send rows with COPY (text format, built here in one string)."""
        with self._conn.cursor().copy(self._q(
                "COPY {s}.events (position, stream, version, command, payload, previous,"
                " hash) FROM STDIN")) as copy:
            copy.write(copy_text(rows))
        if commands:
            with self._conn.cursor().copy(self._q(
                    "COPY {s}.commands (command) FROM STDIN")) as copy:
                copy.write("".join(f"{c.translate(_ESCAPES)}\n" for c in commands))

    # -- reading -------------------------------------------------------------------

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._rows(query, params)

    @staticmethod
    def _payload_bytes(value: Any) -> bytes:
        return str(value).encode()

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        failure: LedgerError | None = None
        for _ in self._retrying():
            # A read is always safe to repeat; outside a transaction a connection the server
            # dropped (a restart, a failover, an idle timeout, pg_terminate_backend) is
            # replaced and the read runs again.
            try:
                with self._session():
                    conn = self._conn
                    try:
                        return conn.execute(self._q(query), params).fetchall()
                    except psycopg.Error as exc:
                        if self._lost(conn) and self._depth():
                            raise self._lost_inside() from None
                        raise self._error(exc) from None
            except LedgerUnavailable as exc:
                failure = exc
        assert failure is not None
        raise failure

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.transaction()`: a transaction on one pooled
        connection holding the ledger head's row lock, so writers queue one behind another.

        The thread keeps that connection until the transaction ends; every read
        and append inside it runs on it.  A connection lost inside it is a
        `LedgerUnavailable` and nothing of the transaction is kept.
        """
        if getattr(self._local, "reading", False):
            raise write_in_snapshot(self._where)
        if getattr(self._local, "depth", 0):
            with deeper(self._local):
                yield
            return
        with self._held(self._q("SELECT position FROM {s}.head WHERE id = 1 FOR UPDATE"),
                        reading=False):
            yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.snapshot()`: a ``REPEATABLE READ, READ ONLY``
        transaction on one pooled connection (it takes no lock; writers go on)."""
        if getattr(self._local, "depth", 0):
            with deeper(self._local):
                yield
            return
        with self._held("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                        reading=True):
            yield

    @contextlib.contextmanager
    def _held(self, first: str | sql.Composed, *, reading: bool) -> Iterator[None]:
        """One transaction on this thread's pooled connection, opened by ``first`` (the head
        row's lock, or a read-only snapshot); a lost connection inside it is
        `LedgerUnavailable`, and nothing of the transaction is kept."""
        with self._session() as conn:
            self._local.depth, self._local.reading = 1, reading
            try:
                with conn.transaction():
                    conn.execute(first)
                    yield
            except psycopg.Error as exc:
                if self._lost(conn):
                    raise self._lost_inside() from None
                raise self._error(exc) from None
            finally:
                self._local.depth, self._local.reading = 0, False

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the ledger holds an entry past position ``after``, or ``timeout`` seconds.

        Listens on the ledger's channel (``LISTEN``; every append notifies it in
        its transaction), so a waiting worker wakes as soon as any process
        commits.  Returns whether an entry is there.
        """
        try:
            with psycopg.connect(self._dsn, autocommit=True,
                                 connect_timeout=self._timeout) as listener:
                listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                if self.head().position > after:
                    return True
                for _ in listener.notifies(timeout=timeout, stop_after=1):
                    break
        except psycopg.Error as exc:
            raise self._error(exc) from None
        return self.head().position > after

    def rebuild_read_models(self) -> None:
        """Recompute every read model from the events (`rectify ledger rebuild`)."""
        with self.transaction():
            self._rebuild_from(self._positions())

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run ``query`` once per row of ``rows`` and return the rows it changed; many rows
        of a plain ``INSERT ... VALUES``, a ``DELETE ... WHERE column = %s`` or an
        ``UPDATE ... WHERE key = %s [AND ...]`` go as one statement over arrays instead
        (see `_as_arrays`).  Other statements run one by one (psycopg's executemany does
        not add up the rows it changed)."""
        if not rows:
            return 0
        try:
            with self._session(), self._conn.cursor() as cur:
                arrays = self._as_arrays(query, rows)
                if arrays is not None:
                    cur.execute(arrays, [list(c) for c in zip(*rows, strict=True)])
                    return max(0, cur.rowcount)
                if not query.startswith("UPDATE"):
                    cur.executemany(self._q(query), rows)
                    return max(0, cur.rowcount)
                changed, statement = 0, self._q(query)
                for row in rows:
                    cur.execute(statement, row)
                    changed += max(0, cur.rowcount)
                return changed
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _as_arrays(self, query: str, rows: Sequence[Sequence[Any]]) -> sql.Composed | None:
        """``query`` as one statement taking each column of the rows as an array, or ``None``.

        ``INSERT INTO t [(columns)] VALUES (%s, ...) [tail]`` becomes ``INSERT INTO
        t [(columns)] SELECT * FROM unnest(%b::type[], ...) [tail]`` (the types those
        of the table's columns), and ``DELETE FROM t WHERE c = %s`` becomes ``DELETE
        FROM t WHERE c = ANY(%b::type[])``, and ``UPDATE t SET a = %s, ... WHERE k =
        %s`` becomes ``UPDATE t ... FROM unnest(...) AS u(a, ..., k) WHERE t.k = u.k``
        (when the rows' keys are distinct): one round trip and one plan for the whole
        batch instead of one execution per row.  The arrays go in the binary format
        (``%b``): psycopg writes a text array element by element in Python, escaping
        every byte of a record, which cost about 30 µs of client CPU per five-column
        row against 4 µs in binary.  The rows of an ``ON CONFLICT ... DO
        UPDATE`` must name each key once (the read models' writers pass distinct
        ones); PostgreSQL refuses the statement otherwise, it never applies it wrongly.
        """
        found = _ARRAY_SHAPES.get(query)
        if found is None:
            found = _ARRAY_SHAPES[query] = _array_shape(query)
        if not found or (len(rows) < _ARRAYS_FROM and found[0] != "update"):
            return None  # few rows: executemany (an update always goes over arrays)
        kind, table, columns, tail, marks = found
        types = self._column_types(table)
        if kind == "delete":
            return self._q(f"DELETE FROM {table} WHERE {columns} = ANY(%b::"
                           f"{types[columns.strip(chr(34))]}[])")
        if kind == "update":
            return self._update_over_arrays(table, columns, tail, types, rows)
        names = ([c.strip().strip('"') for c in columns.split(",")] if columns
                 else list(types))
        if len(names) != marks:
            return None  # values for the leading columns only: left to executemany
        arrays = ", ".join(f"%b::{types[n]}[]" for n in names)
        target = f"{table} ({columns})" if columns else table
        return self._q(f"INSERT INTO {target} SELECT * FROM unnest({arrays}){tail}")

    def _update_over_arrays(self, table: str, columns: str, keys: str, types: dict[str, str],
                            rows: Sequence[Sequence[Any]]) -> sql.Composed | None:
        """The ``update`` shape of `_as_arrays`, or ``None`` when a key comes twice (such
        rows go one after another: the last one wins)."""
        sets, where = columns.split(", "), keys.split(", ")
        if len({tuple(row[len(sets):]) for row in rows}) != len(rows):
            return None
        names = [*sets, *where]
        arrays = ", ".join(f"%b::{types[n.strip(chr(34))]}[]" for n in names)
        assign = ", ".join(f"{n} = u.{n}" for n in sets)
        match = " AND ".join(f"t.{k} = u.{k}" for k in where)
        return self._q(f"UPDATE {table} AS t SET {assign} FROM unnest({arrays})"
                       f" AS u({', '.join(names)}) WHERE {match}")

    def _column_types(self, table: str) -> dict[str, str]:
        """The columns of ``table`` (``{s}.name``) and their SQL types, in table order."""
        known = self._types
        if table not in known:
            rows = self._rows(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid ="
                " c.relnamespace WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0"
                " AND NOT a.attisdropped ORDER BY a.attnum",
                (self.schema, table.removeprefix("{s}.")))
            known[table] = {str(name): str(kind) for name, kind in rows}
        return known[table]

    def _payload_text(self, value: Any) -> bytes:
        return str(value).encode()

    def drop(self) -> None:
        """Delete the whole ledger schema (tests and tear-down only)."""
        try:
            with self._session():
                self._conn.execute(self._q("DROP SCHEMA IF EXISTS {s} CASCADE"))
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        """Close the pool's connections (this process's; a forked parent's are left to it)."""
        if os.getpid() == self._pid:
            self._pool.close()
        self._local = threading.local()

    def pool_stats(self) -> dict[str, int]:
        """The connection pool's counters (``pool_size``, ``pool_available``, ...)."""
        return dict(self._process_pool().get_stats())

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
