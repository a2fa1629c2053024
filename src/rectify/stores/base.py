"""The contract every event store keeps, and the pieces the stores share.

A store keeps *entries*: each event as its canonical JSON (see
`rectify.stores.codec`) at a position (1, 2, 3... in append order),
with the id of the command that appended it and its link in the SHA-256
hash chain (`entry_hash`, see `rectify.stores.chain`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Container, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from rectify.errors import ConcurrencyConflict, InvalidValueError, LedgerReadOnly
from rectify.events import Event

if TYPE_CHECKING:
    from rectify.lifecycle.case import CaseRecord
    from rectify.stores.readmodel import CaseHead, CaseStep

__all__ = [
    "GENESIS",
    "STORAGE_SCHEMA",
    "Append",
    "Entry",
    "EventStore",
    "Head",
    "LedgerStore",
    "ReadModels",
    "Row",
    "Store",
    "chain_rows",
    "check_batch",
    "check_ids",
    "entry_hash",
]

#: The storage schema the SQL stores write and read: 2 adds the read models
#: (`rectify.stores.readmodel`) to 1's events and commands; 3 puts each entry's
#: stream, version and command id under its hash (`entry_hash`) and gives the
#: cases' read model its scope column.  Older ledgers are upgraded in place when
#: opened for writing, without re-hashing: their entries keep the rule they were
#: written with (see `rectify.stores.chain`).
STORAGE_SCHEMA = 3

#: The ``previous`` hash of the first entry of every ledger.
GENESIS = bytes(32)


def entry_hash(previous: bytes, payload: bytes, stream: str, version: int,
               command: str) -> bytes:
    """The hash of an entry (storage schema 3 on): everything that decides behaviour.

    ``sha256(previous ‖ payload ‖ 0 ‖ stream ‖ 0 ‖ version ‖ 0 ‖ command)``, with
    ``0`` a zero byte, ``version`` in decimal digits and the texts in UTF-8.
    The payload is JSON (never a raw zero byte) and stores refuse zero bytes in
    streams and command ids, so the parts cannot be shifted into one another.
    """
    return hashlib.sha256(b"%b\x00%b\x00%d\x00%b" % (
        previous + payload, stream.encode(), version, command.encode())).digest()


@attrs.frozen(slots=True)
class Append:
    """Events for one stream, valid only if the stream is still at ``expected``.

    ``command`` is the id of the command that produced them: a store keeps
    each command id once, so a retried command appends nothing.
    """

    stream: str
    expected: int
    events: tuple[Event, ...]
    command: str


@attrs.frozen(slots=True)
class Entry:
    """One stored event as the ledger keeps it.

    ``payload`` is the event's canonical JSON; ``hash`` is
    `entry_hash` of it, its columns and ``previous``, the hash of the entry
    before it (`GENESIS` for the first).  ``command`` is the id of the
    `Append` that recorded it.
    """

    position: int
    stream: str
    version: int
    command: str
    payload: bytes
    previous: bytes
    hash: bytes


@attrs.frozen(slots=True)
class Head:
    """The last entry of a ledger: its position (= number of entries) and hash."""

    position: int
    hash: bytes


@runtime_checkable
class EventStore(Protocol):
    """An append-only, versioned store of domain events."""

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        """Append every item or none.

        Returns, per item, ``True`` if it was appended and ``False`` if its
        command id was already recorded (an idempotent retry).  Raises
        `ConcurrencyConflict` if a stream is not at its
        expected version; then nothing of the batch is kept.

        ``projected`` may give, for every event of the batch in order, the case
        record after it (``None`` for an event of no case), as the caller
        projected it from records read inside the same write transaction: the
        store then keeps those records instead of projecting the events again.
        It is ignored unless every item is appended.
        """
        ...

    def version(self, stream: str) -> int:
        """The number of events in ``stream`` (0 for a new stream)."""
        ...

    def read(self, stream: str) -> Iterator[Event]:
        """The events of one stream, in version order."""
        ...

    def replay(self) -> Iterator[Event]:
        """Every event in append order (streamed: memory does not grow with the ledger)."""
        ...

    def has_command(self, command: str) -> bool:
        """Whether a command with this id was already recorded."""
        ...


@runtime_checkable
class LedgerStore(EventStore, Protocol):
    """An event store that also exposes its hash-chained entries (every rectify store)."""

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """Stored entries with a position above ``after``, in position order (streamed)."""
        ...

    def head(self) -> Head:
        """The position and hash of the last entry (``Head(0, GENESIS)`` when empty)."""
        ...

    def __len__(self) -> int:
        """The number of events stored."""
        ...


@runtime_checkable
class ReadModels(Protocol):
    """The current state a store keeps beside its events (see `rectify.stores.readmodel`).

    Every answer is read from the store, so it includes what other processes
    recorded a moment ago.  Inside `transaction()` the answers are those of
    the write transaction: no other writer changes them until it ends.
    """

    def transaction(self) -> AbstractContextManager[None]:
        """An exclusive write transaction: reads inside it see a state no one else changes,
        and appends inside it commit together at its end (or not at all on an error)."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside the block all see one state of the ledger (what was committed when
        the first of them ran) while writers go on; a report of many reads agrees with
        itself.  Nothing may be recorded inside it (`rectify.errors.LedgerReadOnly`).
        Inside `transaction()` it changes nothing: that state is already fixed."""
        ...

    def case(self, case: str) -> CaseRecord | None:
        """The current record of ``case``, or ``None``."""
        ...

    def cases(self, *, year: int | None = None, state: str | None = None,
              open_only: bool = False, kind: str | None = None,
              orgs: Collection[str] | None = None, overdue_on: date | None = None,
              after: str | None = None, limit: int | None = None,
              scope: str | None = None) -> list[CaseRecord]:
        """Case records in id order, filtered; ``after`` and ``limit`` page through them.

        ``orgs`` keeps the cases of those organizations; ``overdue_on`` the open
        cases whose deadline lies before that date; ``scope`` the cases within a
        scope (`rectify.model.in_scope()`: a county, or a province and its counties).
        """
        ...

    def load(self, person: str, level: str | None = None) -> int:
        """How many open cases ``person`` supports (at support ``level``, when given)."""
        ...

    def cases_by_id(self, cases: Collection[str]) -> dict[str, CaseRecord]:
        """The current records of those of ``cases`` that exist, by id (one read for a batch)."""
        ...

    def case_tokens(self, cases: Collection[str]) -> dict[str, object]:
        """A token of the stored record of each of ``cases`` that exists, by id: equal tokens
        mean the record was not changed in between (by an append or a rebuild).  Cheaper
        than the records: the SQL stores do not decode them."""
        ...

    def versions(self, streams: Collection[str]) -> dict[str, int]:
        """`EventStore.version()` of each of ``streams`` that has events (absent: none)."""
        ...

    def recorded_commands(self, commands: Collection[str]) -> set[str]:
        """Those of ``commands`` whose ids are already recorded (one read for a batch)."""
        ...

    def loads(self, persons: Collection[str], level: str | None = None) -> dict[str, int]:
        """`load()` of each of ``persons`` that supports an open case (absent: none)."""
        ...

    def listings(self) -> dict[int, frozenset[str]]:
        """The organizations listed per year."""
        ...

    def reports_filed(self) -> frozenset[tuple[str, str, str]]:
        """``(case, kind, month)`` of every report recorded."""
        ...

    def policies(self) -> frozenset[str]:
        """Fingerprints of every policy the ledger's events were recorded under."""
        ...

    def current_policy(self) -> str | None:
        """The fingerprint of the ledger's current policy (``None`` for an empty ledger).

        It is the policy of the ledger's first event until a
        `rectify.events.PolicyChanged` event (on `rectify.events.POLICY_STREAM`)
        adopts another; commands are recorded under it only.
        """
        ...

    def records(self) -> list[Event]:
        """The accountability events (escalations, dismissals, talks, appraisals), in order."""
        ...

    def records_mark(self) -> tuple[int, bytes]:
        """Where the accountability records end: the latest record's position and entry hash
        (``(0, b"")``: none yet).

        It changes whenever `records()` does, so a caller may keep what it worked out
        from the records (the posts' holders) until the mark moves.  The hash tells apart
        two records that took the same position, one of them rolled back; the memory
        store, which never takes a position back, leaves it empty.
        """
        ...

    def case_heads(self) -> dict[str, CaseHead]:
        """Every case's head (`rectify.stores.readmodel.CaseHead`): the latest date its
        events reached, the states it held, whether it is open and its deadline."""
        ...

    def case_steps(self, until: date) -> list[CaseStep]:
        """The case steps (`rectify.stores.readmodel.CaseStep`) whose ``reach`` is at most
        ``until``, by case then position: with `case_heads()`, each case's dated path."""
        ...

    def events_at(self, positions: Collection[int]) -> list[Event]:
        """The stored events at ``positions``, in position order (unknown positions skipped)."""
        ...

    def wait(self, after: int, timeout: float) -> bool:
        """Block until an entry past position ``after`` is stored (or ``timeout`` seconds
        pass); with `LedgerStore.entries` it is the ledger's change feed."""
        ...


@runtime_checkable
class Store(LedgerStore, ReadModels, Protocol):
    """A ledger store with read models: what `rectify.Campaign` runs on (every rectify store)."""


#: One stored entry as the SQL stores insert it:
#: ``(position, stream, version, command, payload, previous, hash)``.
Row = tuple[int, str, int, str, bytes, bytes, bytes]


def chain_rows(batch: Sequence[Append], accepted: Sequence[bool],
               payloads: Sequence[Sequence[bytes]], position: int, previous: bytes
               ) -> tuple[list[Row], bytes]:
    """The rows of the accepted items of ``batch`` after the entry at ``position`` (hash
    ``previous``), chained with `entry_hash`; and the hash of the last one.

    The hash is `entry_hash`'s, written out here once per entry (no call, the
    stream and command encoded once per item).
    """
    sha = hashlib.sha256
    rows: list[Row] = []
    append = rows.append
    for item, ok, item_payloads in zip(batch, accepted, payloads, strict=True):
        if not ok:
            continue
        stream, command, version = item.stream, item.command, item.expected
        tail = b"\x00%b\x00%%d\x00%b" % (stream.encode().replace(b"%", b"%%"),
                                         command.encode().replace(b"%", b"%%"))
        for payload in item_payloads:
            version += 1
            position += 1
            digest = sha(previous + payload + tail % version).digest()
            append((position, stream, version, command, payload, previous, digest))
            previous = digest
    return rows, previous


def check_ids(batch: Sequence[Append]) -> None:
    """Refuse stream and command ids holding a zero byte (`entry_hash` separates with it).

    Raises:
        InvalidValueError: naming the first such id.
    """
    if not any("\x00" in item.stream or "\x00" in item.command for item in batch):
        return
    for item in batch:
        for name, value in (("stream", item.stream), ("command", item.command)):
            if "\x00" in value:
                raise InvalidValueError(name, "text without zero bytes", value,
                                        "remove the NUL character from the id")


def check_batch(batch: Sequence[Append], versions: Mapping[str, int],
                recorded: Container[str]) -> list[bool]:
    """Which items of ``batch`` to append, given the streams' versions and known commands.

    ``versions`` maps streams to their current version (missing: 0) and
    ``recorded`` holds the command ids already stored.  Items whose command is
    recorded (or repeated within the batch) are skipped (``False``).  Raises
    `ConcurrencyConflict` for the first item whose
    stream is not at its expected version, and
    `InvalidValueError` for events not numbered
    consecutively from it.
    """
    current: dict[str, int] = {}
    seen: set[str] = set()
    accepted: list[bool] = []
    check_ids(batch)
    for item in batch:
        if item.command in seen or item.command in recorded:
            accepted.append(False)
            continue
        at = current.get(item.stream)
        if at is None:
            at = versions.get(item.stream, 0)
        if at != item.expected:
            raise ConcurrencyConflict(item.stream, item.expected, at)
        for offset, event in enumerate(item.events, start=1):
            if event.stream != item.stream or event.version != at + offset:
                raise InvalidValueError(
                    "event.version", f"stream {item.stream} version {at + offset}",
                    f"{event.stream} version {event.version}",
                    "number events consecutively from the expected version")
        current[item.stream] = at + len(item.events)
        seen.add(item.command)
        accepted.append(True)
    return accepted


@contextlib.contextmanager
def deeper(local: Any) -> Iterator[None]:
    """A block inside this thread's open transaction or snapshot (``local.depth`` > 0): it
    joins it, counting the depth, and begins nothing of its own."""
    local.depth += 1
    try:
        yield
    finally:
        local.depth -= 1


def write_in_snapshot(where: str) -> LedgerReadOnly:
    """The refusal of a write inside `ReadModels.snapshot()`."""
    return LedgerReadOnly(where, "cannot record inside snapshot(): it only reads",
                          "record after the block, or use transaction() to read and write")
