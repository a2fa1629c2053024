"""PostgreSQL's connection pool: threads share a store, lost connections are survived.

A command is retried only where that is safe: an append outside a
transaction (its command id makes a repeat append nothing) and a read.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ledger_workers import one

from conftest import postgres_dsn
from rectify.errors import ConcurrencyConflict, InvalidValueError
from rectify.stores.chain import verify
from rectify.stores.errors import LedgerUnavailable
from rectify.stores.readmodel import verify_read_models


@pytest.fixture
def ledger() -> Iterator[tuple[str, str, str]]:
    """A DSN naming its connections, the schema, and that name; the schema is dropped."""
    import psycopg

    dsn = postgres_dsn()
    name = f"rectify-pool-{uuid.uuid4().hex[:8]}"
    schema = f"rectify_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in dsn else "?"
    yield f"{dsn}{separator}application_name={name}", schema, name
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


def _store(dsn: str, schema: str, **options: Any) -> Any:
    from rectify.stores.postgres import PostgresStore

    return PostgresStore(dsn, schema=schema, **options)


def test_threads_share_one_store(ledger: tuple[str, str, str]) -> None:
    """8 threads append to 4 shared streams through one store (a pool of 3): every command
    is stored once, streams are numbered 1, 2, 3..., and the ledger verifies."""
    dsn, schema, _ = ledger
    store = _store(dsn, schema, pool_size=3)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(25):
                stream = f"2017-S{(worker + n) % 4}"
                while True:
                    try:
                        store.append([one(stream, store.version(stream), f"w{worker}-{n}")])
                        break
                    except ConcurrencyConflict:
                        continue
        except BaseException as exc:  # reported below, naming the failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        commands = sorted(e.command for e in store.entries())
        assert commands == sorted(f"w{w}-{n}" for w in range(8) for n in range(25))
        for s in range(4):
            assert [e.version for e in store.read(f"2017-S{s}")] == \
                list(range(1, store.version(f"2017-S{s}") + 1))
        assert verify(store).ok
        assert verify_read_models(store) == []
        assert store.pool_stats()["pool_size"] <= 3
    finally:
        store.close()


def _terminate_while_waiting(dsn: str, schema: str, name: str, append: Any) -> Any:
    """Run ``append`` while another session holds the head lock; terminate its backend as it
    waits for the lock, then release it.  What ``append`` returned or raised."""
    import psycopg

    plain = dsn.split("?", maxsplit=1)[0]
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(append())
        except BaseException as exc:  # returned to the test
            outcome.append(exc)

    with psycopg.connect(plain) as locker, psycopg.connect(plain, autocommit=True) as admin:
        locker.execute(f"SELECT 1 FROM {schema}.head FOR UPDATE")  # type: ignore[arg-type]
        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 10
        pid = None
        while pid is None and time.monotonic() < deadline:
            row = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                                " AND wait_event_type = 'Lock'", (name,)).fetchone()
            pid = row[0] if row else time.sleep(0.01)
        assert pid is not None, "the append never waited for the head lock"
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        locker.rollback()
    thread.join(30)
    assert outcome, "the append did not finish"
    return outcome[0]


def test_an_append_whose_connection_is_lost_is_retried(ledger: tuple[str, str, str]) -> None:
    """The server kills the connection of an append waiting for the head lock: the append
    runs again on a new connection and is stored once."""
    dsn, schema, name = ledger
    store = _store(dsn, schema)
    try:
        store.append([one("2017-X1", 0, "c1")])
        result = _terminate_while_waiting(dsn, schema, name,
                                          lambda: store.append([one("2017-X1", 1, "c2")]))
        assert result == [True]
        assert [e.command for e in store.entries()] == ["c1", "c2"]
        assert store.append([one("2017-X1", 1, "c2")]) == [False]  # a retry adds nothing
        assert verify(store).ok
    finally:
        store.close()


def test_no_retry_inside_a_transaction_or_with_retry_for_0(
        ledger: tuple[str, str, str]) -> None:
    """Inside the caller's transaction (or with retry_for=0) a lost connection is a
    LedgerUnavailable and nothing of it is kept."""
    dsn, schema, name = ledger
    store = _store(dsn, schema, retry_for=0)
    try:
        store.append([one("2017-X1", 0, "c1")])

        def inside() -> Any:
            with store.transaction():
                return store.append([one("2017-X1", 1, "c2")])

        for attempt in (lambda: store.append([one("2017-X1", 1, "c2")]), inside):
            outcome = _terminate_while_waiting(dsn, schema, name, attempt)
            assert isinstance(outcome, LedgerUnavailable), outcome
            assert [e.command for e in store.entries()] == ["c1"]
        assert store.append([one("2017-X1", 1, "c2")]) == [True]
    finally:
        store.close()


def _child_append(store: Any, queue: Any) -> None:
    try:
        queue.put(store.append([one("2017-X2", 0, "from-child")]))
        store.close()
    except BaseException as exc:  # sent to the parent, which fails naming it
        queue.put(f"{type(exc).__name__}: {exc}")


def test_a_forked_child_gets_its_own_pool(ledger: tuple[str, str, str]) -> None:
    """A store opened before fork works in the child (a pool of its own) and, afterwards,
    still in the parent: the child never used or closed the parent's connections."""
    dsn, schema, _ = ledger
    store = _store(dsn, schema)
    try:
        store.append([one("2017-X1", 0, "c1")])
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_child_append, args=(store, queue))
        child.start()
        assert queue.get(timeout=30) == [True]
        child.join(30)
        assert store.append([one("2017-X1", 1, "c2")]) == [True]
        assert [e.command for e in store.entries()] == ["c1", "from-child", "c2"]
    finally:
        store.close()


@pytest.mark.parametrize(("option", "value"), [("pool_size", 0), ("pool_size", 2.5),
                                               ("pool_size", True), ("retry_for", -1),
                                               ("retry_for", float("nan"))])
def test_bad_pool_options_are_typed_errors(option: str, value: Any) -> None:
    """A pool of no connections or a negative retry time is refused before connecting."""
    from rectify.stores.postgres import PostgresStore

    with pytest.raises(InvalidValueError, match=option):
        PostgresStore("postgresql://nobody@127.0.0.1:1/none", **{option: value})
