"""Event stores: where the ledger (台账) is kept.

All stores follow :class:`~rectify.stores.base.EventStore`: append with an
expected version per stream (optimistic concurrency), idempotent by command
id, all-or-nothing batches, and replay in append order.
"""

from rectify.stores.base import Append, EventStore
from rectify.stores.memory import MemoryStore

__all__ = ["Append", "EventStore", "MemoryStore"]
