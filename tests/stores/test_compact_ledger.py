"""The memory store's compact ledger reads back exactly what a plain list of entries would."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rectify.events import PlanReturned
from rectify.stores import Append, Entry, MemoryStore
from rectify.stores.base import GENESIS, entry_hash
from rectify.stores.chain import verify
from rectify.stores.codec import encode
from rectify.stores.compact import BLOCK

_STREAMS = st.sampled_from(["2017-V1", "2017-V2", "person:P1", "org:V3"])


def _event(stream: str, version: int, command: str, reason: str) -> PlanReturned:
    return PlanReturned(stream=stream, version=version, actor="D1", on=date(2017, 3, 1),
                        policy="p", command=command, reason=reason)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(_STREAMS, st.integers(0, 3), st.text(max_size=30)),
                min_size=1, max_size=3 * BLOCK))
def test_entries_streams_and_commands_read_back_as_appended(
        items: list[tuple[str, int, str]]) -> None:
    """Across block boundaries: entries (hashes recomputed), streams, replay, command ids."""
    store = MemoryStore()
    expected: list[Entry] = []
    events: dict[str, list[PlanReturned]] = {}
    previous = GENESIS
    for n, (stream, count, reason) in enumerate(items):
        command = f"c{n}"
        at = len(events.get(stream, []))
        batch = tuple(_event(stream, at + k + 1, f"e{n}" if k % 2 else command, reason)
                      for k in range(count))
        assert store.append([Append(stream, at, batch, command)]) == [True]
        for e in batch:
            payload = encode(e)
            digest = entry_hash(previous, payload, stream, e.version, command)
            expected.append(Entry(len(expected) + 1, stream, e.version, command, payload,
                                  previous, digest))
            previous = digest
        events.setdefault(stream, []).extend(batch)
    assert list(store.entries()) == expected
    for after in {0, 1, len(expected) // 2, BLOCK, len(expected)}:
        assert list(store.entries(after)) == expected[after:]
    assert store.head().hash == previous
    assert store.head().position == len(expected)
    assert len(list(store.replay())) == len(expected) == len(store)
    for stream, kept in events.items():
        assert list(store.read(stream)) == kept
        assert store.version(stream) == len(kept)
    assert sorted(e.command for e in store.replay()) == sorted(
        e.command for kept in events.values() for e in kept)
    for n in range(len(items)):
        assert store.has_command(f"c{n}")
        assert store.append([Append("2017-V9", 0, (_event("2017-V9", 1, "x", ""),), f"c{n}")]) \
            == [False]
    assert not store.has_command("c-unknown")
    assert store.stray_commands() == (sorted(f"c{n}" for n, (_, c, _) in enumerate(items)
                                             if c == 0)[:10], [])
    assert verify(store).ok


def test_an_entry_whose_columns_differ_from_its_payload_keeps_them() -> None:
    """An imported payload whose command differs from the append's keeps the append's id."""
    store = MemoryStore()
    e = _event("2017-V1", 1, "inside", "r")
    store.append_payloads([Append("2017-V1", 0, (e,), "outside")], [[encode(e)]])
    (entry,) = store.entries()
    assert entry.command == "outside"
    assert store.has_command("outside")
    assert not store.has_command("inside")
    assert verify(store).ok


def test_tampering_with_the_entries_leaves_the_events() -> None:
    """Deleting an entry (as an intruder would) breaks the chain but not replay."""
    store = MemoryStore()
    for v in range(1, 4):
        store.append([Append("2017-V1", v - 1, (_event("2017-V1", v, f"c{v}", "r"),), f"c{v}")])
    del store._entries[1]
    report = verify(store)
    assert not report.ok
    assert report.first_bad is not None
    assert report.first_bad.problem == "deleted"
    assert len(list(store.replay())) == 3
    store.append([Append("2017-V1", 3, (_event("2017-V1", 4, "c4", "r"),), "c4")])
    assert len(store._entries) == 3
    assert len(store) == 4


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["2017-V1", "2017-V2", "2017-V3"]),
                          st.sampled_from(["a", "b"]), st.sampled_from(["P1", "P2", "P3"]),
                          st.booleans()), max_size=40))
def test_counted_loads_are_the_open_cases_each_person_supports(
        moves: list[tuple[str, str, str, bool]]) -> None:
    """The kept counts equal a count over the case records, per person and per level."""
    from rectify.events import CaseOpened, SupportAssigned, SupportReleased
    from rectify.stores.readmodel import ReadState

    day = date(2017, 3, 1)
    common = {"actor": "D1", "on": day, "policy": "p"}
    events: list[object] = [CaseOpened(stream=s, version=1, command=f"o{s}", org=s[5:],
                                       year=2017, kind="weak", rules=(), score=50.0, **common)
                            for s in ("2017-V1", "2017-V2", "2017-V3")]
    versions = dict.fromkeys(("2017-V1", "2017-V2", "2017-V3"), 1)
    for n, (stream, level, person, assign) in enumerate(moves):
        versions[stream] += 1
        kind = SupportAssigned if assign else SupportReleased
        events.append(kind(stream=stream, version=versions[stream], command=f"m{n}",
                           level=level, person=person, **common))
    state = ReadState.rebuild(enumerate(events, start=1))  # type: ignore[arg-type]
    open_cases = [c for c in state.cases.values() if c.is_open]
    for person in ("P1", "P2", "P3"):
        assert state.load(person) == sum(person in c.supporters for c in open_cases)
        for level in ("a", "b"):
            assert state.load(person, level) == sum(c.holder(level) == person
                                                    for c in open_cases)
    assert state.summary()["loads"] == {
        p: sorted(c.id for c in open_cases if p in c.supporters)
        for p in ("P1", "P2", "P3") if any(p in c.supporters for c in open_cases)}
