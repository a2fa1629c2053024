"""The read side both SQL stores share: counts, versions, streams, paged replay, entries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

from rectify.events import Event
from rectify.stores.base import GENESIS, Entry, Head
from rectify.stores.codec import Upcasters, decode

__all__ = ["SqlReads", "select_in"]

_CHUNK = 500  # bound parameters per IN (...) query


def select_in(select: Callable[[str, Sequence[Any]], list[Any]], mark: str, query: str,
              values: Iterable[Any], params: Sequence[Any] = ()) -> list[Any]:
    """The rows of ``query`` for every one of ``values`` (repeats dropped), in chunks that
    keep the bound parameters few: ``{marks}`` in the query stands for a chunk's marks,
    and ``params`` follow each chunk's values."""
    wanted = list(dict.fromkeys(values))
    rows: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        marks = ",".join([mark] * len(chunk))
        rows += select(query.replace("{marks}", marks), [*chunk, *params])
    return rows


class SqlReads:
    """Mixed into the SQLite and PostgreSQL stores.

    A store supplies ``_select(query, params)``, the parameter mark (``?`` or
    ``%s``), its table names, its page size and how a stored payload becomes
    bytes.
    """

    upcasters: Upcasters | None
    _MARK: str
    _EVENTS: str
    _COMMANDS: str
    _PAGE_SIZE: int
    #: The SQL expression of the bytes an entry's hash covers after ``previous``
    #: (`rectify.stores.base.entry_hash`), built by the database.
    _TAIL: str

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    @staticmethod
    def _payload_bytes(value: Any) -> bytes:
        return bytes(value)

    def __len__(self) -> int:
        return int(self._select(f"SELECT count(*) FROM {self._EVENTS}")[0][0])

    def version(self, stream: str) -> int:
        """See `rectify.stores.base.EventStore.version()`."""
        rows = self._select(f"SELECT max(version) FROM {self._EVENTS} WHERE stream = "
                            f"{self._MARK}", (stream,))
        return int(rows[0][0] or 0)

    def versions(self, streams: Collection[str]) -> dict[str, int]:
        """See `rectify.stores.base.ReadModels.versions()`."""
        return {str(stream): int(version) for stream, version in select_in(
            self._select, self._MARK, f"SELECT stream, max(version) FROM {self._EVENTS}"
            " WHERE stream IN ({marks}) GROUP BY stream", streams)}

    def read(self, stream: str) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.read()`."""
        upcasters = self.upcasters
        rows = self._select(f"SELECT payload FROM {self._EVENTS} WHERE stream = {self._MARK}"
                            " ORDER BY version", (stream,))
        return (decode(r[0], upcasters) for r in rows)

    def _pages(self, columns: str, after: int) -> Iterator[list[Any]]:
        while True:
            rows = self._select(f"SELECT {columns} FROM {self._EVENTS} WHERE position > "
                                f"{self._MARK} ORDER BY position LIMIT {self._MARK}",
                                (after, self._PAGE_SIZE))
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def replay(self) -> Iterator[Event]:
        """See `rectify.stores.base.EventStore.replay()` (read page by page)."""
        upcasters = self.upcasters
        for rows in self._pages("position, payload", 0):
            yield from [decode(payload, upcasters) for _, payload in rows]

    def has_command(self, command: str) -> bool:
        """See `rectify.stores.base.EventStore.has_command()`."""
        return bool(self._select(f"SELECT 1 FROM {self._COMMANDS} WHERE command = "
                                 f"{self._MARK}", (command,)))

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """See `rectify.stores.base.LedgerStore.entries()`."""
        for rows in self._pages("position, stream, version, command, payload, previous, hash",
                                after):
            for row in rows:
                yield Entry(row[0], row[1], row[2], row[3], self._payload_bytes(row[4]),
                            bytes(row[5]), bytes(row[6]))

    def chain_pages(self, after: int = 0) -> Iterator[tuple[int, int, list[Any]]]:
        """The ledger past ``after`` for the verifier: ``(after, last, rows)`` per page.

        ``rows`` hold ``(tail, hash)`` for positions ``after + 1`` to ``last``
        (fewer rows means positions are missing), with ``tail`` what
        `rectify.stores.base.entry_hash` hashes after the previous hash,
        concatenated by the database: `rectify.stores.chain.verify` checks an
        entry with one hash call and no object of its own.  Pages end at the head
        as it was when the first page was read.
        """
        end = self.head().position
        size = self._PAGE_SIZE * 4
        while after < end:
            last = min(after + size, end)
            rows = self._select(f"SELECT {self._TAIL}, hash FROM {self._EVENTS} WHERE position"
                                f" > {self._MARK} AND position <= {self._MARK} ORDER BY"
                                " position", (after, last))
            yield after, last, rows
            after = last

    def head(self) -> Head:
        """See `rectify.stores.base.LedgerStore.head()`."""
        rows = self._select(f"SELECT position, hash FROM {self._EVENTS} ORDER BY position "
                            "DESC LIMIT 1")
        return Head(rows[0][0], bytes(rows[0][1])) if rows else Head(0, GENESIS)
