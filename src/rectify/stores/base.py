"""The contract every event store keeps."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import attrs

from rectify.events import Event

__all__ = ["Append", "EventStore"]


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


@runtime_checkable
class EventStore(Protocol):
    """An append-only, versioned store of domain events."""

    def append(self, batch: Sequence[Append]) -> list[bool]:
        """Append every item or none.

        Returns, per item, ``True`` if it was appended and ``False`` if its
        command id was already recorded (an idempotent retry).  Raises
        :class:`~rectify.errors.ConcurrencyConflict` if a stream is not at its
        expected version; then nothing of the batch is kept.
        """
        ...

    def version(self, stream: str) -> int:
        """The number of events in ``stream`` (0 for a new stream)."""
        ...

    def read(self, stream: str) -> Iterator[Event]:
        """The events of one stream, in version order."""
        ...

    def replay(self) -> Iterator[Event]:
        """Every event in append order."""
        ...

    def has_command(self, command: str) -> bool:
        """Whether a command with this id was already recorded."""
        ...
