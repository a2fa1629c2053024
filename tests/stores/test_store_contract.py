"""The one contract every event store keeps, run on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import tracemalloc
from typing import Any

import pytest
from ledger_workers import campaign, every_event_type, one, returned, scenario

from conftest import Backend
from rectify.errors import ConcurrencyConflict, InvalidValueError
from rectify.events import EVENT_TYPES, TalkRecorded
from rectify.stores import GENESIS, Append, EventStore, LedgerStore, MemoryStore, SQLiteStore
from rectify.stores.chain import Checkpoint, checkpoint, verify
from rectify.stores.codec import encode


def _fill(store: LedgerStore, streams: int = 3, each: int = 4) -> None:
    for v in range(each):
        store.append([one(f"S{s}", v, f"c{s}-{v}") for s in range(streams)])


def test_store_is_an_event_store(backend: Backend) -> None:
    """Every store satisfies the EventStore protocol the Campaign uses."""
    assert isinstance(backend.new(), EventStore)
    assert isinstance(backend.new(), LedgerStore)


def test_append_read_replay_order(backend: Backend) -> None:
    """Replay gives events in append order, read one stream in version order."""
    store = backend.new()
    store.append([one("A", 0, "a1"), one("B", 0, "b1")])
    store.append([one("A", 1, "a2")])
    store.append([Append("B", 1, (returned("B", 2, "b2"), returned("B", 3, "b2")), "b2")])
    assert [(e.stream, e.version) for e in store.replay()] == [
        ("A", 1), ("B", 1), ("A", 2), ("B", 2), ("B", 3)]
    assert [e.version for e in store.read("B")] == [1, 2, 3]
    assert list(store.read("nobody")) == []
    assert [e.position for e in store.entries()] == [1, 2, 3, 4, 5]
    assert [e.position for e in store.entries(3)] == [4, 5]
    assert len(store) == 5


def test_versions(backend: Backend) -> None:
    """A stream's version is its number of events; a new stream is at 0."""
    store = backend.new()
    assert store.version("A") == 0
    _fill(store, 2, 3)
    assert (store.version("S0"), store.version("S1"), store.version("S9")) == (3, 3, 0)


@pytest.mark.parametrize(("expected", "actual"), [(0, 2), (1, 2), (5, 2)])
def test_conflict_is_typed_and_appends_nothing(backend: Backend, expected: int,
                                               actual: int) -> None:
    """A stale (or future) expected version raises ConcurrencyConflict naming both versions."""
    store = backend.new()
    store.append([one("A", 0, "a1")])
    store.append([one("A", 1, "a2")])
    before = list(store.entries())
    with pytest.raises(ConcurrencyConflict) as info:
        store.append([one("B", 0, "b1"), one("A", expected, "late")])
    assert (info.value.stream, info.value.expected, info.value.actual) == ("A", expected, actual)
    assert "A" in str(info.value)
    assert str(expected) in str(info.value)
    assert list(store.entries()) == before
    assert not store.has_command("b1")
    assert not store.has_command("late")
    assert store.version("B") == 0


def test_idempotent_command_ids(backend: Backend) -> None:
    """A command id is recorded once: retries, and repeats within a batch, append nothing."""
    store = backend.new()
    assert store.append([one("A", 0, "a1")]) == [True]
    assert store.has_command("a1")
    assert not store.has_command("a2")
    assert store.append([one("A", 0, "a1")]) == [False]
    assert store.append([one("A", 1, "a2"), one("A", 1, "a2")]) == [True, False]
    assert store.append([one("A", 1, "a2"), one("A", 2, "a3")]) == [False, True]
    assert len(store) == 3
    assert store.version("A") == 3


def test_batch_is_all_or_nothing(backend: Backend) -> None:
    """A bad item anywhere in a batch leaves the store exactly as it was."""
    store = backend.new()
    _fill(store, 2, 1)
    before = list(store.entries())
    batch = [one(f"N{i}", 0, f"n{i}") for i in range(50)] + [one("S0", 0, "stale")]
    with pytest.raises(ConcurrencyConflict):
        store.append(batch)
    misnumbered = Append("X", 0, (returned("X", 2, "x"),), "x")
    with pytest.raises(InvalidValueError, match="consecutively"):
        store.append([one("Y", 0, "y"), misnumbered])
    assert list(store.entries()) == before
    assert store.version("N0") == 0
    assert not store.has_command("y")
    assert store.append([]) == []


def test_chain_links_every_entry(backend: Backend) -> None:
    """Each entry's hash covers its content and the previous hash; the ledger verifies."""
    store = backend.new()
    assert verify(store).ok
    assert store.head().hash == GENESIS
    _fill(store)
    entries = list(store.entries())
    assert entries[0].previous == GENESIS
    assert all(b.previous == a.hash for a, b in itertools.pairwise(entries))
    report = verify(store, checkpoint(store))
    assert report.ok
    assert report.checked == 12
    assert report.checkpoint_checked
    assert store.head().hash == entries[-1].hash


@pytest.mark.parametrize(("tamper", "problem", "position"),
                         [("edit", "edited", 5), ("delete", "deleted", 5),
                          ("swap", "reordered", 5)])
def test_verify_finds_first_tampered_entry(backend: Backend, tamper: str, problem: str,
                                           position: int) -> None:
    """An edited, deleted or moved entry (raw SQL on disk) is named as the first bad one."""
    store = backend.new()
    _fill(store)
    if tamper == "edit":
        backend.edit(5)
    elif tamper == "delete":
        backend.delete(5)
    else:
        backend.swap(5, 8)
    report = verify(store)
    assert not report.ok
    assert report.first_bad is not None
    assert (report.first_bad.problem, report.first_bad.position) == (problem, position)
    assert report.checked == position - 1
    if tamper == "swap":
        assert report.first_bad.moved_to == 8
    assert f"entry {position}" in str(report)


def test_truncated_tail_needs_a_checkpoint(backend: Backend) -> None:
    """Dropping the last entries keeps a valid chain; the head checkpoint catches it."""
    store = backend.new()
    _fill(store)
    key = b"county seal"
    head = checkpoint(store, key=key)
    backend.truncate(9)
    assert verify(store).ok  # without a checkpoint a shorter chain looks fine
    report = verify(store, Checkpoint.parse(str(head)), key=key)
    assert not report.ok
    assert report.first_bad is not None
    assert (report.first_bad.problem, report.first_bad.position) == ("truncated", 10)
    assert "3 entries were removed" in str(report)
    forged = Checkpoint(9, store.head().hash.hex(), head.mac)
    with pytest.raises(InvalidValueError, match="forged"):
        verify(store, forged, key=key)


def test_checkpoint_catches_rewritten_history(backend: Backend) -> None:
    """A ledger rebuilt with other content verifies alone, but not against the checkpoint."""
    store = backend.new()
    _fill(store, 1, 3)
    head = checkpoint(store)
    other = MemoryStore()
    for v in range(3):
        other.append([one("S0", v, f"forged{v}")])
    report = verify(other, head)
    assert report.first_bad is not None
    assert report.first_bad.problem == "rewritten"


def test_every_event_type_round_trips(backend: Backend) -> None:
    """Every type in EVENT_TYPES comes back equal, through storage and a reopen."""
    events = every_event_type("2017-X1")
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES)
    store = backend.new()
    store.append([Append("2017-X1", 0, tuple(events), "all")])
    assert list(store.replay()) == events
    assert list(store.read("2017-X1")) == events
    assert list(backend.new().replay()) == events
    assert verify(store).ok


def _old_talk(data: dict[str, Any]) -> dict[str, Any]:
    data["kind"] = data.pop("talk_kind")
    return data


def test_schema_upcasting_hook(backend: Backend) -> None:
    """Entries written with an older event schema load through the store's upcasters."""
    new = TalkRecorded(stream="person:P1", version=1, actor="D1", on=returned("x", 1, "c").on,
                       policy="p", command="t1", person="P1", kind="admonishment",
                       reason="逾期")
    old = (b'{"actor":"D1","case":null,"command":"t1","on":"2017-03-01","person":"P1",'
           b'"policy":"p","reason":"\xe9\x80\xbe\xe6\x9c\x9f","schema":0,"stream":"person:P1",'
           b'"talk_kind":"admonishment","transitions":[],"type":"TalkRecorded","version":1}')
    store = backend.new(upcasters={("TalkRecorded", 0): _old_talk})
    store.append_payloads([Append("person:P1", 0, (new,), "t1")], [[old]])  # type: ignore[attr-defined]
    assert list(store.replay()) == [new]
    assert next(store.entries()).payload == old
    assert verify(store).ok
    if backend.name != "memory":
        with pytest.raises(InvalidValueError, match="upcaster"):
            list(backend.new().replay())


def test_reopened_ledger_keeps_everything(durable: Backend) -> None:
    """A durable ledger reopened by a new store has the same entries, versions and commands."""
    store = durable.new()
    _fill(store)
    again = durable.new()
    assert list(again.entries()) == list(store.entries())
    assert again.version("S2") == 4
    assert again.has_command("c1-3")
    assert again.append([one("S0", 4, "c0-3")]) == [False]


def test_replay_streams_in_constant_memory(durable: Backend) -> None:
    """Replaying 20,000 events does not hold them: peak memory stays far below their size."""
    store = durable.new()
    for b in range(4):
        store.append([one(f"M{b}-{i}", 0, f"m{b}-{i}") for i in range(5000)])
    tracemalloc.start()
    try:
        count = sum(1 for _ in store.replay())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20000
    assert peak < 8_000_000  # 20,000 decoded events alone would take well over that


def test_campaign_gives_the_same_cases_on_every_store(backend: Backend) -> None:
    """A Campaign driven through the scenario ends with the same cases as on MemoryStore."""
    reference = campaign(MemoryStore())
    scenario(reference)
    on_store = campaign(backend.new())
    scenario(on_store)
    assert on_store.cases() == reference.cases()
    assert list(on_store.store.replay()) == list(reference.store.replay())
    reloaded = campaign(backend.new())
    assert reloaded.cases() == reference.cases()
    scenario(reloaded)  # every command id repeats: nothing new
    assert len(reloaded.store) == len(reference.store)  # type: ignore[arg-type]
    assert verify(on_store.store).ok  # type: ignore[arg-type]


def test_sqlite_positions_are_time_ordered(tmp_path: Any) -> None:
    """SQLite positions are consecutive integers in commit order (no random keys)."""
    store = SQLiteStore(tmp_path / "l.db")
    _fill(store, 5, 2)
    assert [e.position for e in store.entries()] == list(range(1, 11))
    store.close()


def test_awkward_text_survives_a_bulk_append(backend: Backend) -> None:
    """Tabs, newlines, backslashes and quotes in ids and payloads come back byte for byte
    and verify, in a batch large enough for PostgreSQL's COPY path."""
    odd = ["tab\there", "line\nbreak", "back\\slash", 'quote"s', "100%d", "村\r党支部"]
    batch = []
    for i in range(80):
        stream, command = f"S{i % 6}-{odd[i % 6]}", f"c{i}-{odd[(i + 1) % 6]}"
        version = i // 6
        batch.append(Append(stream, version, (returned(stream, version + 1, command,
                                                       reason=odd[(i + 2) % 6]),), command))
    store = backend.new()
    assert store.append(batch) == [True] * 80
    assert [(e.stream, e.command, e.reason) for e in store.replay()] == [  # type: ignore[attr-defined]
        (item.stream, item.command, item.events[0].reason) for item in batch]  # type: ignore[attr-defined]
    assert verify(store).ok
    assert [e.payload for e in store.entries()] == [encode(item.events[0]) for item in batch]
