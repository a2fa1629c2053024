"""An in-memory event store: the reference implementation of the contract."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator, Sequence
from datetime import date

from rectify.events import Event
from rectify.lifecycle.case import CaseRecord
from rectify.model import in_scope
from rectify.stores.base import GENESIS, Append, Entry, Head, check_batch, entry_hash
from rectify.stores.codec import Upcasters, decode, encode
from rectify.stores.readmodel import CaseHead, CaseStep, ReadState

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps every event in a list; for tests, scripts and simulations.

    It keeps the hash chain too, so `rectify.stores.chain.verify()` works on it
    as on the durable stores, and the read models (`rectify.stores.readmodel`),
    so a campaign on it starts without replaying.  Safe to share between
    threads: appends and `transaction()` hold one lock.
    """

    def __init__(self, *, upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters
        self._events: list[Event] = []
        self._entries: list[Entry] = []
        self._streams: dict[str, list[int]] = {}
        self._commands: set[str] = set()
        self._state = ReadState()
        self._lock = threading.RLock()
        self._grown = threading.Condition(self._lock)

    def __len__(self) -> int:
        return len(self._events)

    def append(self, batch: Sequence[Append]) -> list[bool]:
        """See `rectify.stores.base.EventStore.append()`."""
        return self.append_payloads(batch, None)

    def append_payloads(self, batch: Sequence[Append],
                        payloads: Sequence[Sequence[bytes]] | None) -> list[bool]:
        """Append ``batch`` storing ``payloads`` (per item, per event) as the events' bytes.

        Imports use it to keep an exported ledger byte for byte (so the hashes
        stay those of the export); ``None`` encodes the events.
        """
        with self._lock:
            accepted = self._append(batch, payloads)
            if any(accepted):
                self._grown.notify_all()
            return accepted

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the ledger holds an entry past position ``after``, or ``timeout`` seconds.

        Returns whether it does (then read them with `entries(after)`).
        """
        with self._grown:
            return self._grown.wait_for(lambda: len(self._entries) > after, timeout)

    def _append(self, batch: Sequence[Append],
                payloads: Sequence[Sequence[bytes]] | None) -> list[bool]:
        streams = {item.stream for item in batch}
        accepted = check_batch(batch, {s: self.version(s) for s in streams}, self._commands)
        previous = self._entries[-1].hash if self._entries else GENESIS
        for index, (item, ok) in enumerate(zip(batch, accepted, strict=True)):
            if not ok:
                continue
            self._commands.add(item.command)
            positions = self._streams.setdefault(item.stream, [])
            for k, event in enumerate(item.events):
                # A copy: orjson's result keeps a large buffer alive (~4 KB per payload).
                payload = (memoryview(encode(event)).tobytes() if payloads is None
                           else bytes(payloads[index][k]))
                digest = entry_hash(previous, payload, item.stream, event.version,
                                    item.command)
                positions.append(len(self._events))
                stored = event if payloads is None else decode(payload, self.upcasters)
                self._events.append(stored)
                self._entries.append(Entry(len(self._entries) + 1, item.stream,
                                           event.version, item.command, payload,
                                           previous, digest))
                self._state.apply(len(self._entries), stored)
                previous = digest
        return accepted

    # -- read models ---------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.transaction()` (holds the store's lock)."""
        with self._lock:
            yield

    def case(self, case: str) -> CaseRecord | None:
        """See `rectify.stores.base.ReadModels.case()`."""
        return self._state.cases.get(case)

    def cases(self, *, year: int | None = None, state: str | None = None,
              open_only: bool = False, kind: str | None = None,
              orgs: Collection[str] | None = None, overdue_on: date | None = None,
              after: str | None = None, limit: int | None = None,
              scope: str | None = None) -> list[CaseRecord]:
        """See `rectify.stores.base.ReadModels.cases()`."""
        found: list[CaseRecord] = []
        wanted = None if orgs is None else set(orgs)
        for key in sorted(self._state.cases):
            if after is not None and key <= after:
                continue
            c = self._state.cases[key]
            if (year is None or c.year == year) and (state is None or c.state == state) \
                    and (not open_only or c.is_open) and (kind is None or c.kind == kind) \
                    and (wanted is None or c.org in wanted) \
                    and (not scope or in_scope(c.scope, scope)) \
                    and (overdue_on is None or (c.is_open and c.deadline is not None
                                                and c.deadline < overdue_on)):
                found.append(c)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def load(self, person: str, level: str | None = None) -> int:
        """See `rectify.stores.base.ReadModels.load()`."""
        return self._state.load(person, level)

    def listings(self) -> dict[int, frozenset[str]]:
        """See `rectify.stores.base.ReadModels.listings()`."""
        return {y: frozenset(o) for y, o in sorted(self._state.listings.items())}

    def reports_filed(self) -> frozenset[tuple[str, str, str]]:
        """See `rectify.stores.base.ReadModels.reports_filed()`."""
        return frozenset(self._state.reports)

    def policies(self) -> frozenset[str]:
        """See `rectify.stores.base.ReadModels.policies()`."""
        return frozenset(self._state.policies)

    def current_policy(self) -> str | None:
        """See `rectify.stores.base.ReadModels.current_policy()`."""
        return self._state.current_policy

    def records(self) -> list[Event]:
        """See `rectify.stores.base.ReadModels.records()`."""
        return [self._events[position - 1] for position in self._state.records]

    def case_heads(self) -> dict[str, CaseHead]:
        """See `rectify.stores.base.ReadModels.case_heads()`."""
        return dict(self._state.heads)

    def case_steps(self, until: date) -> list[CaseStep]:
        """See `rectify.stores.base.ReadModels.case_steps()`."""
        return self._state.case_steps(until)

    def events_at(self, positions: Collection[int]) -> list[Event]:
        """See `rectify.stores.base.ReadModels.events_at()`."""
        return [self._events[p - 1] for p in sorted(set(positions))
                if 0 < p <= len(self._events)]

    def stray_commands(self, limit: int = 10) -> tuple[list[str], list[str]]:
        """Command ids recorded without events, and commands of events not recorded."""
        carried = {entry.command for entry in self._entries}
        return (sorted(self._commands - carried)[:limit],
                sorted(carried - self._commands)[:limit])

    def read_state(self) -> ReadState:
        """The read models as kept (for `rectify.stores.readmodel.verify_read_models()`)."""
        return self._state

    def version(self, stream: str) -> int:
        """See `rectify.stores.base.EventStore.version()`."""
        return len(self._streams.get(stream, ()))

    def read(self, stream: str) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.read()`."""
        return (self._events[i] for i in self._streams.get(stream, ()))

    def replay(self) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.replay()`."""
        return iter(self._events)

    def has_command(self, command: str) -> bool:
        """See `rectify.stores.base.EventStore.has_command()`."""
        return command in self._commands

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """See `rectify.stores.base.LedgerStore.entries()`."""
        if after <= 0:
            return iter(self._entries)
        return (entry for entry in self._entries if entry.position > after)

    def head(self) -> Head:
        """See `rectify.stores.base.LedgerStore.head()`."""
        return Head(len(self._entries), self._entries[-1].hash if self._entries else GENESIS)

    def hashed_columns_from(self) -> int:
        """Every entry's hash covers its columns (see `rectify.stores.chain`): 1."""
        return 1

    def close(self) -> None:
        """Nothing to release (present so every store can be closed alike)."""
