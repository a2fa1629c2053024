"""An in-memory event store: the reference implementation of the contract."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from rectify.events import Event
from rectify.stores.base import GENESIS, Append, Entry, Head, check_batch
from rectify.stores.codec import Upcasters, decode, encode

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps every event in a list; for tests, scripts and simulations.

    It keeps the hash chain too, so `rectify.stores.chain.verify()` works on it
    as on the durable stores.
    """

    def __init__(self, *, upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters
        self._events: list[Event] = []
        self._entries: list[Entry] = []
        self._streams: dict[str, list[int]] = {}
        self._commands: set[str] = set()

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
                digest = hashlib.sha256(previous + payload).digest()
                positions.append(len(self._events))
                self._events.append(event if payloads is None
                                    else decode(payload, self.upcasters))
                self._entries.append(Entry(len(self._entries) + 1, item.stream,
                                           event.version, item.command, payload,
                                           previous, digest))
                previous = digest
        return accepted

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

    def close(self) -> None:
        """Nothing to release (present so every store can be closed alike)."""
