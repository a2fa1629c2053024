"""An in-memory event store: the reference implementation of the contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rectify.errors import ConcurrencyConflict, InvalidValueError
from rectify.events import Event
from rectify.stores.base import Append

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps every event in a list; for tests, scripts and simulations."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._streams: dict[str, list[int]] = {}
        self._commands: set[str] = set()

    def __len__(self) -> int:
        return len(self._events)

    def append(self, batch: Sequence[Append]) -> list[bool]:
        """See :meth:`rectify.stores.base.EventStore.append`."""
        versions: dict[str, int] = {}
        commands: set[str] = set()
        accepted: list[bool] = []
        for item in batch:
            if item.command in self._commands or item.command in commands:
                accepted.append(False)
                continue
            current = versions.get(item.stream, self.version(item.stream))
            if current != item.expected:
                raise ConcurrencyConflict(item.stream, item.expected, current)
            for offset, event in enumerate(item.events, start=1):
                if event.stream != item.stream or event.version != current + offset:
                    raise InvalidValueError(
                        "event.version", f"stream {item.stream} version {current + offset}",
                        f"{event.stream} version {event.version}",
                        "number events consecutively from the expected version")
            versions[item.stream] = current + len(item.events)
            commands.add(item.command)
            accepted.append(True)
        for item, ok in zip(batch, accepted, strict=True):
            if ok:
                positions = self._streams.setdefault(item.stream, [])
                for event in item.events:
                    positions.append(len(self._events))
                    self._events.append(event)
        self._commands |= commands
        return accepted

    def version(self, stream: str) -> int:
        """See :meth:`rectify.stores.base.EventStore.version`."""
        return len(self._streams.get(stream, ()))

    def read(self, stream: str) -> Iterator[Event]:
        """See :meth:`rectify.stores.base.EventStore.read`."""
        return (self._events[i] for i in self._streams.get(stream, ()))

    def replay(self) -> Iterator[Event]:
        """See :meth:`rectify.stores.base.EventStore.replay`."""
        return iter(self._events)

    def has_command(self, command: str) -> bool:
        """See :meth:`rectify.stores.base.EventStore.has_command`."""
        return command in self._commands
