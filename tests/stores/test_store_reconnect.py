"""PostgreSQL connections the server drops: replaced when idle, never inside a transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ledger_workers import one

from conftest import postgres_dsn
from rectify.stores.errors import LedgerUnavailable


@pytest.fixture
def tagged() -> Iterator[tuple[Any, Any, str]]:
    """A store whose connections carry an application name of their own, an admin
    connection, and that name; the schema is dropped afterwards."""
    import psycopg

    from rectify.stores.postgres import PostgresStore

    dsn = postgres_dsn()
    name = f"rectify-reconnect-{uuid.uuid4().hex[:8]}"
    separator = "&" if "?" in dsn else "?"
    store = PostgresStore(f"{dsn}{separator}application_name={name}",
                          schema=f"rectify_test_{uuid.uuid4().hex[:12]}")
    admin = psycopg.connect(dsn, autocommit=True)
    try:
        yield store, admin, name
    finally:
        store.drop()
        store.close()
        admin.close()


def _kill(admin: Any, name: str) -> int:
    """Terminate every server connection named ``name``; how many there were."""
    row = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = %s", (name,)).fetchone()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (name,)).fetchone()[0]:
        time.sleep(0.02)
    return int(row[0])


def test_a_connection_lost_while_idle_is_replaced_on_next_use(
        tagged: tuple[Any, Any, str]) -> None:
    """After the server drops an idle connection, the next read and the next append work
    at once (they used to fail once with LedgerUnavailable), and no dead connection is kept."""
    store, admin, name = tagged
    assert store.append([one("2017-X1", 0, "c1")]) == [True]
    for round_ in range(3):
        assert _kill(admin, name) >= 1
        assert store.version("2017-X1") == round_ + 1  # a read outside a transaction
        assert _kill(admin, name) >= 1
        assert store.append([one("2017-X1", round_ + 1, f"c{round_ + 2}")]) == [True]
    assert [e.command for e in store.entries()] == ["c1", "c2", "c3", "c4"]
    # the pool replaced the lost connections (it may have grown by one while a read
    # waited for the replacement) and keeps no dead one
    live = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                         (name,)).fetchone()[0]
    assert live == store.pool_stats()["pool_size"] <= 2


def test_a_connection_lost_inside_a_transaction_fails_it_whole(
        tagged: tuple[Any, Any, str]) -> None:
    """A kill inside a transaction is an error, nothing of it is kept, and statements after
    a swallowed error do not run on a new connection outside the transaction."""
    store, admin, name = tagged
    def swallowing() -> None:
        with store.transaction():
            store.version("2017-X1")
            _kill(admin, name)
            with pytest.raises(LedgerUnavailable):
                store.append([one("2017-X1", 0, "lost-1")])
            store.append([one("2017-X2", 0, "lost-2")])  # must not commit on its own

    with pytest.raises(LedgerUnavailable, match="lost inside a transaction"):
        swallowing()
    assert len(store) == 0
    assert not store.has_command("lost-2")
    assert store.append([one("2017-X1", 0, "after")]) == [True]
    assert [e.command for e in store.entries()] == ["after"]
