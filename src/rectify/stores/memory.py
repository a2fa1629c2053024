"""An in-memory event store: the reference implementation of the contract."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator, Sequence
from datetime import date

import attrs

from rectify.events import Event
from rectify.lifecycle.case import CaseRecord
from rectify.model import in_scope
from rectify.stores._aggregates import (
    CaseRow,
    StepTally,
    paths_until,
    rows_of_state,
    tallies_of_paths,
)
from rectify.stores.base import (
    Append,
    Entry,
    Head,
    check_batch,
    entry_hash,
    write_in_snapshot,
)
from rectify.stores.codec import Upcasters, decode, encode
from rectify.stores.compact import CompactLedger, carried_columns
from rectify.stores.readmodel import CaseHead, CaseStep, ReadState

__all__ = ["MemoryStore"]


class _Reading(threading.local):
    """How deep this thread is inside `MemoryStore.snapshot()` (0 in a thread that never
    entered one: a class default, so asking costs no failed lookup)."""

    depth = 0


class MemoryStore:
    """Keeps every event in memory; for tests, scripts and simulations.

    The ledger is held compactly (`rectify.stores.compact`: compressed
    payloads, one hash array) and events are decoded again when read.  It
    keeps the hash chain too, so `rectify.stores.chain.verify()` works on it
    as on the durable stores, and the read models (`rectify.stores.readmodel`),
    so a campaign on it starts without replaying.  Safe to share between
    threads: appends and `transaction()` hold one lock.
    """

    #: See `rectify.stores.PostgresStore.optimistic_batches`: off, since one process
    #: usually writes this ledger and checking twice would only cost.
    optimistic_batches = False

    def __init__(self, *, upcasters: Upcasters | None = None) -> None:
        self._entries = CompactLedger(upcasters)
        # Heads and steps are worked out from the events when asked (`_dated()`): a
        # store of this process's memory can afford the pass, not the bytes per case.
        self._state = ReadState(dated=False)
        self._dated_at: tuple[int, ReadState] | None = None
        self._lock = threading.RLock()
        self._reading = _Reading()  # this thread is inside snapshot()
        self._writing = 0  # transactions open (under the lock: only its holder's)
        self._grown = threading.Condition(self._lock)

    @property
    def upcasters(self) -> Upcasters | None:
        """The upcasters events stored at an older schema are read through."""
        return self._entries.upcasters

    @upcasters.setter
    def upcasters(self, value: Upcasters | None) -> None:
        self._entries.upcasters = value

    def __len__(self) -> int:
        return self._entries.appended()

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """See `rectify.stores.base.EventStore.append()`."""
        with self._lock:
            accepted = self._append(batch, None, projected)
            if any(accepted):
                self._grown.notify_all()
            return accepted

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
                payloads: Sequence[Sequence[bytes]] | None,
                projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        self._check_writable()
        ledger = self._entries
        accepted = _all_accepted(batch, ledger)
        if accepted is None:  # something to skip or refuse: the reference check says what
            streams = {item.stream for item in batch}
            accepted = check_batch(batch, {s: ledger.version(s) for s in streams},
                                   ledger.commands)
        if projected is not None and (not all(accepted) or payloads is not None or len(
                projected) != sum(len(item.events) for item in batch)):
            projected = None
        index_of_event = 0
        previous = ledger.head_hash()
        apply = self._state.apply
        add = ledger.add
        add_command = ledger.commands.add
        for index, (item, ok) in enumerate(zip(batch, accepted, strict=True)):
            if not ok:
                continue
            first: int | None = None
            stream, command = item.stream, item.command
            for k, event in enumerate(item.events):
                if payloads is None:
                    payload = encode(event)
                    stored = event
                    carried = (event.stream, event.version, event.command)
                else:
                    payload = bytes(payloads[index][k])
                    stored = decode(payload, self.upcasters)
                    carried = carried_columns(payload)
                digest = entry_hash(previous, payload, stream, event.version, command)
                position = add(stream, event.version, command, payload, digest, carried)
                if first is None:
                    first = position - 1
                apply(position, stored, projected=None if projected is None
                      else projected[index_of_event])
                index_of_event += 1
                previous = digest
            add_command(command, first)
        return accepted

    # -- read models ---------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.transaction()` (holds the store's lock)."""
        with self._lock:
            self._check_writable()
            self._writing += 1
            try:
                yield
            finally:
                self._writing -= 1

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """See `rectify.stores.base.ReadModels.snapshot()`: holds the store's lock, so
        other threads' appends wait for the block to end."""
        with self._lock:
            if self._reading.depth or self._writing:
                yield  # nested, or inside a transaction: already one state
                return
            self._reading.depth = 1
            try:
                yield
            finally:
                self._reading.depth = 0

    def _check_writable(self) -> None:
        if self._reading.depth:
            raise write_in_snapshot("memory")

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

    def cases_by_id(self, cases: Collection[str]) -> dict[str, CaseRecord]:
        """See `rectify.stores.base.ReadModels.cases_by_id()`."""
        kept = self._state.cases
        return {c: kept[c] for c in cases if c in kept}

    def case_tokens(self, cases: Collection[str]) -> dict[str, object]:
        """See `rectify.stores.base.ReadModels.case_tokens()`: the records themselves."""
        return dict(self.cases_by_id(cases))

    def versions(self, streams: Collection[str]) -> dict[str, int]:
        """See `rectify.stores.base.ReadModels.versions()`."""
        ledger = self._entries
        found = {s: ledger.version(s) for s in streams}
        return {s: v for s, v in found.items() if v}

    def recorded_commands(self, commands: Collection[str]) -> set[str]:
        """See `rectify.stores.base.ReadModels.recorded_commands()`."""
        kept = self._entries.commands
        return {c for c in commands if c in kept}

    def loads(self, persons: Collection[str], level: str | None = None) -> dict[str, int]:
        """See `rectify.stores.base.ReadModels.loads()`."""
        found = {p: self._state.load(p, level) for p in persons}
        return {p: n for p, n in found.items() if n}

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
        return [self._entries.event(position - 1) for position in self._state.records]

    def records_mark(self) -> tuple[int, bytes]:
        """See `rectify.stores.base.ReadModels.records_mark()` (positions are never taken
        back here, so the position alone marks the records)."""
        return (self._state.records[-1], b"") if self._state.records else (0, b"")

    def case_heads(self) -> dict[str, CaseHead]:
        """See `rectify.stores.base.ReadModels.case_heads()`."""
        return dict(self._dated().heads)

    def case_steps(self, until: date) -> list[CaseStep]:
        """See `rectify.stores.base.ReadModels.case_steps()`."""
        return self._dated().case_steps(until)

    def _dated(self) -> ReadState:
        """The heads and steps of the events stored now (one pass, kept until the next append)."""
        with self._lock:
            count = len(self)
            if self._dated_at is None or self._dated_at[0] != count:
                state = ReadState()
                for position, event in enumerate(self.replay(), start=1):
                    state.apply(position, event)
                dated = ReadState(heads=state.heads, steps=state.steps)
                self._dated_at = (count, dated)
            return self._dated_at[1]

    def report_cases(self, until: date, year: int) -> list[CaseRow]:
        """See `rectify.stores._aggregates.ReportReads.report_cases()`."""
        with self._lock:
            return rows_of_state(self._state.cases, self._dated().heads, until, year)

    def step_tallies(self, until: date, year: int) -> list[StepTally]:
        """See `rectify.stores._aggregates.ReportReads.step_tallies()`."""
        return tallies_of_paths([s for s in path if s.year == year and s.reach <= until]
                                for path in self._dated().steps.values())

    def failed_positions(self, start: date, until: date) -> list[int]:
        """See `rectify.stores._aggregates.ReportReads.failed_positions()`."""
        return sorted(s.position for s in self._dated().case_steps(until)
                      if s.failed and s.on >= start)

    def case_paths(self, cases: Collection[str], until: date) -> dict[str, list[CaseStep]]:
        """See `rectify.stores._aggregates.ReportReads.case_paths()`."""
        found = paths_until(self._dated().steps, cases, until)
        return {case: found[case] for case in sorted(found)}

    def case_support(self, cases: Collection[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """See `rectify.stores._aggregates.ReportReads.case_support()` (the records' own)."""
        with self._lock:
            held = self._state.cases
            return {case: held[case].support for case in dict.fromkeys(cases) if case in held}

    def events_at(self, positions: Collection[int]) -> list[Event]:
        """See `rectify.stores.base.ReadModels.events_at()`."""
        count = len(self)
        return [self._entries.event(p - 1) for p in sorted(set(positions)) if 0 < p <= count]

    def stray_commands(self, limit: int = 10) -> tuple[list[str], list[str]]:
        """Command ids recorded without events, and commands of events not recorded."""
        carried = {entry.command for entry in self._entries}
        recorded = set(self._entries.commands)
        return (sorted(recorded - carried)[:limit], sorted(carried - recorded)[:limit])

    def read_state(self) -> ReadState:
        """The read models as kept (for `rectify.stores.readmodel.verify_read_models()`), with
        the heads and steps worked out from the events now."""
        self._dated_at = None
        dated = self._dated()
        return attrs.evolve(self._state, heads=dated.heads, steps=dated.steps, dated=True)

    def version(self, stream: str) -> int:
        """See `rectify.stores.base.EventStore.version()`."""
        return self._entries.version(stream)

    def read(self, stream: str) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.read()`."""
        return self._entries.stream(stream)

    def replay(self) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.replay()`."""
        return self._entries.events()

    def has_command(self, command: str) -> bool:
        """See `rectify.stores.base.EventStore.has_command()`."""
        return command in self._entries.commands

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """See `rectify.stores.base.LedgerStore.entries()`."""
        return self._entries.entries(after)

    def head(self) -> Head:
        """See `rectify.stores.base.LedgerStore.head()`."""
        return Head(len(self._entries), self._entries.head_hash())

    def hashed_columns_from(self) -> int:
        """Every entry's hash covers its columns (see `rectify.stores.chain`): 1."""
        return 1

    def close(self) -> None:
        """Nothing to release (present so every store can be closed alike)."""


def _all_accepted(batch: Sequence[Append], ledger: CompactLedger) -> list[bool] | None:
    """``[True] * len(batch)`` when `rectify.stores.base.check_batch` is sure to accept
    every item (distinct command ids none of which is recorded, no zero byte in an id,
    each stream at the version expected, events numbered on from it); ``None`` when it
    may skip or refuse one, to be asked itself.  One pass, without the dictionaries."""
    seen: set[str] = set()
    current: dict[str, int] = {}
    recorded = ledger.commands
    version = ledger.version
    for item in batch:
        stream, command = item.stream, item.command
        if command in seen or "\x00" in stream or "\x00" in command or command in recorded:
            return None
        at = current.get(stream)
        if at is None:
            at = version(stream)
        if at != item.expected:
            return None
        for event in item.events:
            at += 1
            if event.version != at or event.stream != stream:
                return None
        current[stream] = at
        seen.add(command)
    return [True] * len(batch)

