"""Event stores: where the ledger (台账) is kept.

All stores follow `EventStore`: append with an
expected version per stream (optimistic concurrency), idempotent by command
id, all-or-nothing batches, and replay in append order.  They also keep the
SHA-256 hash chain that `rectify.stores.chain.verify()` checks.

- `MemoryStore`: in memory, for tests and simulations;
- `SQLiteStore`: one SQLite file, the embedded default;
- `PostgresStore`: PostgreSQL, for many
  processes or hosts (the ``postgres`` extra; imported on use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rectify.stores.base import GENESIS, Append, Entry, EventStore, Head, LedgerStore
from rectify.stores.errors import (
    LedgerCorrupt,
    LedgerError,
    LedgerFull,
    LedgerReadOnly,
    LedgerSchemaError,
    LedgerUnavailable,
)
from rectify.stores.memory import MemoryStore
from rectify.stores.sqlite import SQLiteStore

if TYPE_CHECKING:
    from rectify.stores.postgres import PostgresStore

__all__ = [
    "GENESIS",
    "Append",
    "Entry",
    "EventStore",
    "Head",
    "LedgerCorrupt",
    "LedgerError",
    "LedgerFull",
    "LedgerReadOnly",
    "LedgerSchemaError",
    "LedgerStore",
    "LedgerUnavailable",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from rectify.stores.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'rectify.stores' has no attribute {name!r}")


def open_store(target: str, **options: Any) -> LedgerStore:
    """The store at ``target``: a ``postgresql://`` DSN, ``:memory:``, or a SQLite file path.

    ``options`` go to the store's constructor (``readonly=True`` for SQLite,
    ``schema=...`` for PostgreSQL, ``upcasters=...`` for all).
    """
    if target.startswith(("postgresql://", "postgres://")):
        from rectify.stores.postgres import PostgresStore

        return PostgresStore(target, **options)
    if target == ":memory:":
        return MemoryStore(**options)
    return SQLiteStore(target, **options)
