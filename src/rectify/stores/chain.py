"""Tamper evidence for the ledger: the SHA-256 hash chain and its verifier.

Every stored entry carries ``hash = entry_hash(previous, payload, stream,
version, command)``: SHA-256 over the hash of the entry before it (32 zero
bytes for the first), the event's canonical JSON (sorted keys, see
`rectify.stores.codec`) and the columns that decide how it is read and
retried (its stream, version and command id).  Changing, deleting or moving
any entry, or editing one of its columns, breaks the chain from that entry
on; `verify()` walks the ledger once (streamed, constant memory) and names
the first bad entry.

Ledgers written before storage schema 3 hashed the payload alone
(`link`); upgrading one does not re-hash it: its old entries keep their
rule (their columns are checked against the JSON instead) and every entry
from the upgrade on uses the new one.  `hashed_columns_from()` is where
the new rule starts; moving that mark either way makes entries fail.

Dropping the *last* entries leaves a shorter chain that is still valid, so
the caller keeps a `Checkpoint` of the head somewhere else (printed
in a bulletin, in another system, or signed with an HMAC key) and passes it
to `verify()`, which then also reports a truncated or rewritten tail.

>>> from datetime import date
>>> from rectify.events import PlanReturned
>>> from rectify.stores import Append, MemoryStore
>>> store = MemoryStore()
>>> for v in (1, 2):
...     e = PlanReturned(stream="2017-V1", version=v, actor="D1", on=date(2017, 3, 1),
...                      policy="p", command=f"c{v}", reason="too vague")
...     _ = store.append([Append("2017-V1", v - 1, (e,), f"c{v}")])
>>> head = checkpoint(store, key=b"county secret")
>>> head.position
2
>>> verify(store, head, key=b"county secret").ok
True
>>> Checkpoint.parse(str(head)) == head
True
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import orjson

from rectify.errors import InvalidValueError
from rectify.stores.base import GENESIS, Entry, Head, LedgerStore, entry_hash

__all__ = ["GENESIS", "BadEntry", "Checkpoint", "VerifyReport", "checkpoint", "entry_hash",
           "hashed_columns_from", "link", "verify"]

#: How far ahead `verify()` looks for an entry that was moved.
LOOKAHEAD = 1000


def link(previous: bytes, payload: bytes) -> bytes:
    """The hash of an entry written before storage schema 3: ``sha256(previous + payload)``.

    Entries written since hash their columns too: see `entry_hash`.
    """
    return hashlib.sha256(previous + payload).digest()


def _hex64(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _nonempty(key: bytes) -> bytes:
    if not key:
        raise InvalidValueError("key", "a non-empty HMAC key", key,
                                "use the key the checkpoints are signed with")
    return key


@attrs.frozen
class Checkpoint:
    """The head of a ledger at some moment: position (= number of entries) and hash.

    ``mac`` is an HMAC-SHA256 of the position and hash under a key the
    caller holds, so a checkpoint stored next to the ledger cannot be forged
    by someone who rewrites both.  ``str(checkpoint)`` is one line fit to
    print; `parse()` reads it back.
    """

    position: int
    hash: str
    mac: str | None = None

    def _message(self) -> bytes:
        return f"rectify-ledger:{self.position}:{self.hash}".encode()

    def signed(self, key: bytes) -> Checkpoint:
        """This checkpoint with an HMAC under ``key``.

        Raises:
            InvalidValueError: ``key`` is empty (it would sign nothing).
        """
        mac = hmac.new(_nonempty(key), self._message(), hashlib.sha256).hexdigest()
        return attrs.evolve(self, mac=mac)

    def authentic(self, key: bytes) -> bool:
        """Whether ``mac`` is the HMAC of this checkpoint under ``key``.

        Raises:
            InvalidValueError: ``key`` is empty.
        """
        expected = hmac.new(_nonempty(key), self._message(), hashlib.sha256).hexdigest()
        return self.mac is not None and hmac.compare_digest(expected, self.mac)

    def __str__(self) -> str:
        text = f"rectify-ledger-head position={self.position} sha256={self.hash}"
        return f"{text} hmac={self.mac}" if self.mac else text

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint printed by ``str()``.

        Raises:
            InvalidValueError: the line is not a checkpoint: a missing field, a
                position that is not a whole number above 0, or a hash or HMAC
                that is not 64 hexadecimal digits.
        """
        words = text.split()
        fields = dict(part.split("=", 1) for part in words[1:] if "=" in part)
        position, digest, mac = fields.get("position", ""), fields.get("sha256", ""), \
            fields.get("hmac")
        if (not words or words[0] != "rectify-ledger-head" or not position.isascii()
                or not position.isdigit() or int(position) <= 0 or not _hex64(digest)
                or (mac is not None and not _hex64(mac))):
            raise InvalidValueError(
                "checkpoint", "'rectify-ledger-head position=N sha256=HEX [hmac=HEX]' with N "
                "above 0 and 64 hexadecimal digits per hash", text,
                "copy the whole line printed for the checkpoint")
        return cls(int(position), digest, mac)


@attrs.frozen
class BadEntry:
    """The first entry where the ledger fails verification, and what is wrong with it.

    ``problem`` is one of ``"edited"`` (the content or hash was changed),
    ``"deleted"`` (entries before ``position`` are missing), ``"reordered"``
    (the entry that belongs here was moved to ``moved_to``), ``"columns"``
    (stream or version columns disagree with the stored content),
    ``"unreadable"``, ``"truncated"`` (the ledger ends before the checkpoint)
    or ``"rewritten"`` (the entry at the checkpoint has another hash).
    """

    position: int
    problem: str
    detail: str
    stream: str | None = None
    version: int | None = None
    moved_to: int | None = None

    def __str__(self) -> str:
        where = f" ({self.stream} v{self.version})" if self.stream is not None else ""
        return f"entry {self.position}{where}: {self.problem}: {self.detail}"


@attrs.frozen
class VerifyReport:
    """What `verify()` found: ``ok``, how many entries were checked, the first bad one.

    ``unanchored`` counts the entries after the checkpoint verified against.
    """

    ok: bool
    checked: int
    head: Checkpoint
    first_bad: BadEntry | None = None
    checkpoint_checked: bool = False
    #: Entries after the checkpoint: valid links, but nothing outside the database
    #: vouches for them yet (a forged tail looks the same until the next checkpoint).
    unanchored: int = 0

    def __str__(self) -> str:
        if self.ok:
            against = " and matches the checkpoint" if self.checkpoint_checked else ""
            after = (f" ({self.unanchored} entries after the checkpoint are not anchored yet)"
                     if self.unanchored else "")
            return (f"ledger ok: {self.checked} entries verified{against}{after}; "
                    f"head {self.head}")
        return f"ledger BAD: {self.first_bad}"


def checkpoint(store: LedgerStore, *, key: bytes | None = None) -> Checkpoint:
    """The current head of ``store`` as a checkpoint, signed with ``key`` if given."""
    head = store.head()
    point = Checkpoint(head.position, head.hash.hex())
    return point.signed(key) if key is not None else point


def _columns(entry: Entry) -> str | None:
    try:
        data = orjson.loads(entry.payload)
    except orjson.JSONDecodeError as exc:
        return f"payload is not JSON ({exc})"
    if not isinstance(data, dict):
        return "payload is not a JSON object"
    if data.get("stream") != entry.stream or data.get("version") != entry.version:
        return (f"columns say {entry.stream} v{entry.version}, content says "
                f"{data.get('stream')} v{data.get('version')}")
    return None


def _moved(store: LedgerStore, position: int, previous: bytes) -> int | None:
    """The position (within LOOKAHEAD after ``position``) of the entry chained to ``previous``."""
    for entry in itertools.islice(store.entries(position), LOOKAHEAD):
        if entry.previous == previous:
            return entry.position
    return None


def hashed_columns_from(store: LedgerStore) -> int:
    """The position from which ``store``'s entries hash their columns too (see the module).

    1 for every ledger created with storage schema 3 or later; for a ledger
    upgraded from an older schema, the position its first new entry got.
    """
    rule: Callable[[], int] | None = getattr(store, "hashed_columns_from", None)
    return 1 if rule is None else rule()


def _expected(entry: Entry, previous: bytes, full_from: int) -> bytes:
    if entry.position >= full_from:
        return entry_hash(previous, entry.payload, entry.stream, entry.version, entry.command)
    return link(previous, entry.payload)


def _check(store: LedgerStore, entries: Iterator[Entry], head: Checkpoint | None,
           full_from: int, previous: bytes = GENESIS, count: int = 0
           ) -> tuple[int, Head, BadEntry | None]:
    """Entry by entry (one object each), naming exactly what is wrong with the first bad one."""
    bad: BadEntry | None = None
    for entry in entries:
        count += 1
        if entry.position != count:
            if entry.position > count:
                bad = BadEntry(count, "deleted",
                               f"entries {count}..{entry.position - 1} are missing",
                               entry.stream, entry.version)
            else:
                bad = BadEntry(entry.position, "reordered",
                               f"position {entry.position} appears after {count - 1}",
                               entry.stream, entry.version)
            break
        if entry.previous != previous:
            moved = _moved(store, entry.position, previous)
            if moved is not None:
                bad = BadEntry(count, "reordered",
                               f"the entry that belongs here is at position {moved}",
                               entry.stream, entry.version, moved)
            else:
                bad = BadEntry(count, "deleted",
                               "the entry this one was chained to is gone (deleted or "
                               "replaced)", entry.stream, entry.version)
            break
        if _expected(entry, previous, full_from) != entry.hash:
            what = ("its content, stream, version or command id" if count >= full_from
                    else "its content")
            bad = BadEntry(count, "edited", f"{what} no longer matches its hash "
                           f"(stored {entry.hash.hex()[:16]}…)", entry.stream, entry.version)
            break
        problem = _columns(entry)
        if problem is not None:
            kind = "unreadable" if "JSON" in problem else "columns"
            bad = BadEntry(count, kind, problem, entry.stream, entry.version)
            break
        if head is not None and count == head.position and entry.hash.hex() != head.hash:
            bad = BadEntry(count, "rewritten",
                           f"the checkpoint says hash {head.hash[:16]}…, the ledger has "
                           f"{entry.hash.hex()[:16]}…: entries up to here were rewritten",
                           entry.stream, entry.version)
            break
        previous = entry.hash
    return count, Head(count, previous), bad


def _fast(store: LedgerStore, pages: Iterator[tuple[int, int, list[Any]]],
          head: Checkpoint | None, full_from: int, previous: bytes, count: int
          ) -> tuple[int, Head, BadEntry | None]:
    """The entries from ``full_from`` on, as raw rows of the store: no object per entry.

    ``pages`` yields ``(after, last, rows)``: the rows of positions ``after + 1``
    to ``last``, each ``(tail, hash)`` with ``tail`` the bytes the hash covers
    after the previous hash.  Whatever looks wrong (a missing position, a hash
    that does not follow) is handed to `_check` from the start of that page on,
    which names the problem.
    """
    sha = hashlib.sha256
    for after, last, rows in pages:
        if after != count or len(rows) != last - after:
            return _check(store, store.entries(count), head, full_from, previous, count)
        start = previous
        for tail, digest in rows:
            if sha(previous + tail).digest() != digest:
                # _check walks the page again from its start and names the problem.
                return _check(store, store.entries(count), head, full_from, start, count)
            previous = digest
        count = last
    if head is not None and full_from <= head.position <= count:
        entry = next(store.entries(head.position - 1))
        if entry.hash.hex() != head.hash:
            return head.position, Head(entry.position, entry.hash), BadEntry(
                head.position, "rewritten", f"the checkpoint says hash {head.hash[:16]}…, the "
                f"ledger has {entry.hash.hex()[:16]}…: entries up to here were rewritten",
                entry.stream, entry.version)
    return count, Head(count, previous), None


def _walk(store: LedgerStore, head: Checkpoint | None) -> tuple[int, Head, BadEntry | None]:
    full_from = hashed_columns_from(store)
    pages: Callable[[int], Iterator[tuple[int, int, list[Any]]]] | None = getattr(
        store, "chain_pages", None)
    if pages is None:
        return _check(store, store.entries(), head, full_from)
    count, last = 0, Head(0, GENESIS)
    if full_from > 1:
        # Entries of an older schema, one by one (their columns are checked against the JSON).
        count, last, bad = _check(store, itertools.takewhile(
            lambda e: e.position < full_from, store.entries()), head, full_from)
        if bad is not None:
            return count, last, bad
    return _fast(store, pages(count), head, full_from, last.hash, count)


def verify(store: LedgerStore, head: Checkpoint | None = None, *,
           key: bytes | None = None) -> VerifyReport:
    """Check the whole hash chain of ``store`` and, if given, that it reaches ``head``.

    Returns a `VerifyReport` naming the first bad entry: edited,
    deleted, reordered, or (against ``head``) a truncated or rewritten tail.
    With ``key`` the checkpoint's HMAC is checked first; a forged checkpoint
    is an `InvalidValueError`.
    """
    if head is not None and head.mac is not None and key is None:
        raise InvalidValueError("key", "the HMAC key of a signed checkpoint", None,
                                "pass the key (rectify ledger verify --key-file) or a "
                                "checkpoint without hmac=")
    if head is not None and key is not None and not head.authentic(key):
        raise InvalidValueError("checkpoint.mac", "an HMAC made with the given key",
                                head.mac, "use the checkpoint and key the ledger was signed "
                                "with; this checkpoint may be forged")
    count, last, bad = _walk(store, head)
    found = Checkpoint(last.position, last.hash.hex())
    if bad is None and head is not None and count < head.position:
        bad = BadEntry(count + 1, "truncated",
                       f"the ledger ends at entry {count} but the checkpoint is at entry "
                       f"{head.position}: {head.position - count} entries were removed")
    if bad is not None:
        return VerifyReport(False, count - 1 if bad.problem != "truncated" else count, found,
                            bad, head is not None)
    return VerifyReport(True, count, found, None, head is not None,
                        count - head.position if head is not None else 0)
