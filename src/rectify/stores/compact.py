"""The memory store's ledger, kept small: compressed payloads, one hash array, no object per entry.

`MemoryStore` keeps every entry of its ledger in memory.  Holding an event
object, its canonical bytes, two hash objects and an `Entry` per event cost
about 800 bytes per event; `CompactLedger` keeps what an entry *is* instead
and rebuilds the rest when asked:

- the payloads (the events' canonical JSON) in blocks of `BLOCK` entries,
  each block compressed with zlib once full (consecutive payloads share most
  of their text: a block of 64 costs about 15 bytes per entry at zlib level 6, 18
  at level 1, which compresses three times faster but would put an open case over
  its 1 KB); the payloads
  of the block being filled stay as they are;
- of the hash chain, only the hash before each block and the last one: an
  entry's hash is a function of what is stored (the previous hash, its payload
  and columns), so reading the entries computes it again, exactly as it was
  computed when appending (nothing else can change what is stored: editing
  an entry goes through the list view below, which keeps the entries as they
  were from then on);
- the stream, version and command id of an entry are those its payload
  carries (the store checks that they agree); the few entries whose columns
  differ from their payload keep them in a side table;
- per stream, the position of its last entry and its version, and per entry
  the position of the stream's entry before it (a 4-byte link), so a stream
  is read back without a list per stream;
- the command ids in `CommandIndex`, an open-addressing table of 8 bytes
  per slot (at most 70% full): the id's 32-bit hash and the position of the entry that carries
  it, confirmed against that entry's payload.

Reads decode the payloads again (`rectify.stores.codec.decode`); the last
32 blocks read stay decompressed.  The ledger is list-like for `Entry`
objects (``ledger[i]``, ``len``, iteration); assigning or deleting entries
(which only a test simulating tampering does) turns its entry view into a
plain list from then on, leaving the events as appended, as with a database
edited behind the store's back.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Iterator
from typing import overload

import orjson

from rectify.events import Event
from rectify.stores.base import GENESIS, Entry, entry_hash
from rectify.stores.codec import Upcasters, decode

__all__ = ["BLOCK", "CommandIndex", "CompactLedger", "carried_columns"]

#: Entries per compressed block of payloads.
BLOCK = 64
#: Decompressed blocks kept for reads (least recently used out): enough for reading
#: case after case when their events lie in as many blocks as a case has steps.
_CACHED = 32
_NONE = -1
_HASH = 32
_LOW = 0xFFFFFFFF


def _pack(payloads: list[bytes]) -> bytes:
    """One compressed block: the payloads' lengths (4 bytes each) then the payloads."""
    lengths = array("I", map(len, payloads))
    # Level 1: three times faster than the default 6 on these payloads (JSON of events
    # that repeat most of their text), for about a tenth more bytes per block.
    return zlib.compress(lengths.tobytes() + b"".join(payloads), 6)


def _unpack(block: bytes) -> list[bytes]:
    raw = zlib.decompress(block)
    lengths = array("I")
    lengths.frombytes(raw[:4 * BLOCK])
    found: list[bytes] = []
    at = 4 * BLOCK
    for n in lengths:
        found.append(raw[at:at + n])
        at += n
    return found


class CommandIndex:
    """The command ids of a ledger, 8 bytes per slot, confirmed against the entries.

    A slot holds the id's 32-bit hash (``hash()`` of the text: stable while
    the process lives, which is all a memory store lives) and one more than the
    index of the entry that carries it.  A hash that matches is confirmed by
    reading that entry's command id, so two ids that share a hash are told
    apart.  Ids recorded without events (an `Append` with none) are kept as
    text beside the table.
    """

    __slots__ = ("_bare", "_command_of", "_count", "_slots")

    def __init__(self, command_of: _CommandOf) -> None:
        self._command_of = command_of
        self._slots = array("Q", bytes(8 * 8))
        self._count = 0
        self._bare: set[str] = set()

    def __contains__(self, command: object) -> bool:
        if not isinstance(command, str):
            return False
        return command in self._bare or self._find(command) is not None

    def _find(self, command: str) -> int | None:
        h = hash(command) & _LOW
        slots = self._slots
        mask = len(slots) - 1
        i = h & mask
        while True:
            slot = slots[i]
            if slot == 0:
                return None
            if slot >> 32 == h and self._command_of((slot & _LOW) - 1) == command:
                return (slot & _LOW) - 1
            i = (i + 1) & mask

    def add(self, command: str, index: int | None) -> None:
        """Record ``command``, carried by the entry at ``index`` (``None``: by no entry)."""
        if index is None:
            self._bare.add(command)
            return
        if 10 * (self._count + 1) > 7 * len(self._slots):  # at most 70% full
            self._grow()
        slot = (hash(command) & _LOW) << 32 | (index + 1)
        slots = self._slots  # `_place`, inlined: one call less per command
        mask = len(slots) - 1
        i = (slot >> 32) & mask
        while slots[i]:
            i = (i + 1) & mask
        slots[i] = slot
        self._count += 1

    def _place(self, slot: int) -> None:
        slots = self._slots
        mask = len(slots) - 1
        i = (slot >> 32) & mask
        while slots[i]:
            i = (i + 1) & mask
        slots[i] = slot

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("Q", bytes(16 * len(old)))
        for slot in old:
            if slot:
                self._place(slot)

    def __iter__(self) -> Iterator[str]:
        yield from self._bare
        # In entry order, so that the entries' blocks are decompressed once each.
        for index in sorted((slot & _LOW) - 1 for slot in self._slots if slot):
            yield self._command_of(index)

    def __len__(self) -> int:
        return self._count + len(self._bare)


class _CommandOf:
    """The command id of the entry at an index, as the ledger keeps it."""

    __slots__ = ("ledger",)

    def __init__(self, ledger: CompactLedger) -> None:
        self.ledger = ledger

    def __call__(self, index: int) -> str:
        return self.ledger.columns(index)[2]


class CompactLedger:
    """A ledger's entries, stored compactly (see the module); list-like for `Entry`."""

    __slots__ = ("_blocks", "_cache", "_head", "_last", "_marks", "_odd", "_plain", "_prior",
                 "_tail", "commands", "upcasters")

    def __init__(self, upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters
        self._blocks: list[bytes] = []
        self._tail: list[bytes] = []
        self._cache: dict[int, list[bytes]] = {}
        #: The hash before each block's first entry (32 bytes per block), and the last hash.
        self._marks = bytearray()
        self._head = GENESIS
        self._prior = array("i")
        #: Per stream: the index of its last entry (high 32 bits) and its version.
        self._last: dict[str, int] = {}
        #: Entries whose stream, version or command id are not their payload's.
        self._odd: dict[int, tuple[str, int, str]] = {}
        #: The entries as a tampering test left them (``None``: as appended).
        self._plain: list[Entry] | None = None
        self.commands = CommandIndex(_CommandOf(self))

    # -- appending -------------------------------------------------------------------

    def add(self, stream: str, version: int, command: str, payload: bytes, digest: bytes,
            carried: tuple[str, int, str]) -> int:
        """Append one entry; ``carried`` is the stream, version and command its payload holds.

        Returns its position.
        """
        # In this order, so that a reader outside the store's lock (which only ever looks
        # at entries below len(self._prior)) finds everything of the entries it counts.
        index = len(self._prior)
        if carried != (stream, version, command):
            self._odd[index] = (stream, version, command)
        if index % BLOCK == 0:
            self._marks += self._head
        tail = self._tail
        tail.append(payload)
        if len(tail) == BLOCK:
            self._blocks.append(_pack(tail))
            self._tail = []  # a new list: a reader holding the old one still finds its payload
        if self._plain is not None:
            self._plain.append(Entry(len(self._plain) + 1, stream, version, command, payload,
                                     self.head_hash(), digest))
        self._head = digest
        known = self._last.get(stream)
        self._prior.append(_NONE if known is None else known >> 32)
        self._last[stream] = index << 32 | (version if known is None else (known & _LOW) + 1)
        return index + 1

    # -- reading ---------------------------------------------------------------------

    def payload(self, index: int) -> bytes:
        """The stored bytes of the entry at ``index`` (0-based)."""
        tail = self._tail
        block, at = divmod(index, BLOCK)
        if block < len(self._blocks):
            cache = self._cache
            found = cache.pop(block, None)
            if found is None:
                found = _unpack(self._blocks[block])
                if len(cache) >= _CACHED:
                    for oldest in list(cache)[:1]:  # a copy: other readers may change it
                        cache.pop(oldest, None)
            cache[block] = found  # the most recently used last
            return found[at]
        return tail[at]

    def payloads(self, start: int = 0) -> Iterator[bytes]:
        """The stored bytes of every entry from ``start`` (0-based), in order."""
        index = start
        while index < len(self._prior):
            block, at = divmod(index, BLOCK)
            if block < len(self._blocks):
                found = self._cache.get(block) or _unpack(self._blocks[block])
                yield from found[at:]
                index = (block + 1) * BLOCK
            else:
                yield self.payload(index)
                index += 1

    def columns(self, index: int) -> tuple[str, int, str]:
        """The stream, version and command id of the entry at ``index``."""
        odd = self._odd.get(index)
        if odd is not None:
            return odd
        return carried_columns(self.payload(index))

    def event(self, index: int) -> Event:
        """The event stored at ``index``."""
        return decode(self.payload(index), self.upcasters)

    def events(self) -> Iterator[Event]:
        """Every event in append order."""
        upcasters = self.upcasters
        return (decode(p, upcasters) for p in self.payloads())

    def stream(self, stream: str) -> Iterator[Event]:
        """The events of ``stream`` in version order."""
        known = self._last.get(stream)
        indexes: list[int] = []
        index = _NONE if known is None else known >> 32
        while index != _NONE:
            indexes.append(index)
            index = self._prior[index]
        return (self.event(i) for i in reversed(indexes))

    def version(self, stream: str) -> int:
        """The number of entries of ``stream``."""
        known = self._last.get(stream)
        return 0 if known is None else known & _LOW

    def head_hash(self) -> bytes:
        """The hash of the last entry (`GENESIS` when there is none)."""
        if self._plain is not None:
            return self._plain[-1].hash if self._plain else GENESIS
        return self._head

    def _entry(self, index: int) -> Entry:
        return next(self._entries(index))

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """The entries with a position above ``after``, in order."""
        if self._plain is not None:
            return (e for e in self._plain if e.position > after)
        return self._entries(max(after, 0))

    def _entries(self, start: int) -> Iterator[Entry]:
        """The entries from ``start`` (0-based), their hashes computed again.

        An entry's hash is a function of what is stored (the previous hash, the
        payload and its columns), so only the hash before each block is kept
        and the chain is recomputed from there: at most `BLOCK` - 1 hashes
        before the first entry asked for.
        """
        first = start - start % BLOCK
        if first >= len(self._prior):
            return
        at = _HASH * (first // BLOCK)
        previous = bytes(self._marks[at:at + _HASH])
        odd = self._odd
        for index, payload in enumerate(self.payloads(first), start=first):
            known = odd.get(index)
            stream, version, command = known if known is not None else carried_columns(payload)
            digest = entry_hash(previous, payload, stream, version, command)
            if index >= start:
                yield Entry(index + 1, stream, version, command, payload, previous, digest)
            previous = digest

    # -- list-like view of the entries --------------------------------------------------

    def appended(self) -> int:
        """How many entries were appended (whatever a tampering test did to the entries)."""
        return len(self._prior)

    def __len__(self) -> int:
        return len(self._plain) if self._plain is not None else len(self._prior)

    def __iter__(self) -> Iterator[Entry]:
        return self.entries()

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if self._plain is not None:
            return self._plain[index]
        if isinstance(index, slice):
            return [self._entry(i) for i in range(len(self._prior))[index]]
        if index < 0:
            index += len(self._prior)
        if not 0 <= index < len(self._prior):
            raise IndexError(index)
        return self._entry(index)

    @overload
    def __setitem__(self, index: int, entry: Entry) -> None: ...
    @overload
    def __setitem__(self, index: slice, entry: Iterable[Entry]) -> None: ...
    def __setitem__(self, index: int | slice, entry: Entry | Iterable[Entry]) -> None:
        """Replace entries (tampering: the events stay as appended)."""
        plain = self._plainly()
        if isinstance(index, slice):
            assert not isinstance(entry, Entry)
            plain[index] = entry
        else:
            assert isinstance(entry, Entry)
            plain[index] = entry

    def __delitem__(self, index: int | slice) -> None:
        """Delete entries (tampering: the events stay as appended)."""
        del self._plainly()[index]

    def _plainly(self) -> list[Entry]:
        if self._plain is None:
            self._plain = [self._entry(i) for i in range(len(self._prior))]
        return self._plain


def carried_columns(payload: bytes) -> tuple[str, int, str]:
    """The stream, version and command id an entry's payload holds."""
    try:
        data = orjson.loads(payload)
        return str(data["stream"]), int(data["version"]), str(data["command"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "", 0, ""
