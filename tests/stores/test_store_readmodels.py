"""Read models in every store: equal to a replay, shared by processes, guards under the lock."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from datetime import date
from typing import Any

import attrs
import pytest
from ledger_workers import (
    DAY,
    DEPT,
    PLAN,
    RACER,
    SUP,
    VER,
    appoint_elsewhere,
    campaign,
    cap_campaign,
    cap_racer,
    cap_setup,
    plan_elsewhere,
    scenario,
)

from conftest import Backend
from rectify.errors import CommandRefused, LedgerReadOnly
from rectify.identify import identify
from rectify.lifecycle.commands import RecordReport, RecordVerification
from rectify.lifecycle.guards import Votes
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import default_table
from rectify.model import Assessment
from rectify.stores.base import Append
from rectify.stores.readmodel import ReadState, verify_read_models

#: Rounds of the process race: 5 locally, 25 in CI (RECTIFY_RUN_SLOW=1), 100 with RECTIFY_SLOW=1.
ROUNDS = (100 if os.environ.get("RECTIFY_SLOW") == "1"
          else 25 if os.environ.get("RECTIFY_RUN_SLOW") == "1" else 5)
RACERS = 4


def test_read_models_equal_a_replay(backend: Backend) -> None:
    """After a whole campaign year the kept read models are exactly a replay of the events."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    replayed = ReadState.rebuild(enumerate(store.replay(), start=1))
    assert c.cases() == [replayed.cases[k] for k in sorted(replayed.cases)]
    assert c.listings() == {y: frozenset(o) for y, o in replayed.listings.items()}
    assert c.load("F1") == replayed.load("F1")


def test_a_new_campaign_reads_without_replaying(backend: Backend) -> None:
    """Building a campaign on a full ledger reads nothing; a case is read when asked for."""
    store = backend.new()
    scenario(campaign(store))
    calls: list[str] = []
    original = store.replay

    def counting() -> object:
        calls.append("replay")
        return original()

    store.replay = counting  # type: ignore[method-assign]
    again = campaign(store)
    assert again.case("2017-V2").continued_into == 2018
    assert calls == []


def test_edits_behind_the_ledgers_back_are_found(durable: Backend) -> None:
    """An edited read model, a deleted command row and a forged one are each reported."""
    store = durable.new()
    scenario(campaign(store))
    mark = "?" if durable.name == "sqlite" else "%s"
    durable.sql(f"UPDATE cases SET state = 'delisted' WHERE \"case\" = {mark}",  # type: ignore[attr-defined]
                "2017-V3")
    durable.sql(f"DELETE FROM commands WHERE command = {mark}", "plan-2017-V4")  # type: ignore[attr-defined]
    durable.sql(f"INSERT INTO commands VALUES ({mark})", "escalation:2018-V5")  # type: ignore[attr-defined]
    problems = verify_read_models(store)  # type: ignore[arg-type]
    assert any("'escalation:2018-V5' is recorded but no event carries it" in p for p in problems)
    assert any("'plan-2017-V4' of a stored event is missing" in p for p in problems)
    assert any("read model cases: '2017-V3'" in p for p in problems)
    store.rebuild_read_models()  # type: ignore[attr-defined]
    assert not any("read model" in p for p in verify_read_models(store))  # type: ignore[arg-type]


@pytest.mark.parametrize(("page", "chunk", "fold"), [
    (1, 1, 10**9), (3, 2, 10**9), (7, 100, 10**9), (1, 1, 1), (3, 2, 2), (7, 100, 3)])
def test_a_rebuild_in_small_pages_equals_the_kept_read_models(
        durable: Backend, monkeypatch: pytest.MonkeyPatch, page: int, chunk: int,
        fold: int) -> None:
    """A rebuild folding cases across many pages (writing them in small chunks, and
    dropping and reading back its records past ``fold`` of them) leaves exactly the
    read models that the appends kept, case steps and support rows included."""
    from rectify.stores import _sqlmodels

    store = durable.new()
    scenario(campaign(store))
    kept = store.read_state().summary()  # type: ignore[attr-defined]
    monkeypatch.setattr(_sqlmodels, "_REBUILD_PAGE", page)
    monkeypatch.setattr(_sqlmodels, "_WRITE_CHUNK", chunk)
    monkeypatch.setattr(_sqlmodels, "_FOLD_CASES", fold)
    store.rebuild_read_models()  # type: ignore[attr-defined]
    assert store.read_state().summary() == kept  # type: ignore[attr-defined]
    assert verify_read_models(store) == []  # type: ignore[arg-type]


def _copies(copies: int) -> list[Append]:
    """The scenario's events ``copies`` times over, each copy on streams of its own, one
    command per event (as the bulk commands and the benchmark write them)."""
    from rectify.stores import MemoryStore

    source = MemoryStore()
    scenario(campaign(source))
    events = list(source.replay())
    items: list[Append] = []
    for copy in range(copies):
        for event in events:
            stream = event.stream if copy == 0 else event.stream.replace("-V", f"-C{copy}V", 1)
            items.append(Append(stream, event.version - 1,
                                (attrs.evolve(event, stream=stream),), f"{stream}:{event.version}"))
    return items


@pytest.mark.parametrize("arrays_from", [1, 10**9])
def test_read_models_of_large_batches_equal_a_replay(
        backend: Backend, monkeypatch: pytest.MonkeyPatch, arrays_from: int) -> None:
    """Batches of many cases (PostgreSQL: every statement over arrays, or none) keep read
    models equal to a replay, and equal across the back-ends."""
    from rectify.stores import MemoryStore, postgres

    monkeypatch.setattr(postgres, "_ARRAYS_FROM", arrays_from)
    items = _copies(12)
    store = backend.new()
    for start in range(0, len(items), 97):
        assert all(store.append(items[start:start + 97]))
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    reference = MemoryStore()
    reference.append(items)
    assert store.read_state().summary() == reference.read_state().summary()  # type: ignore[attr-defined]


def test_another_process_change_is_seen_at_once(durable: Backend) -> None:
    """Process A keeps its campaign; process B plans a case; A reads it, with no rebuild."""
    store = durable.new()
    here = campaign(store)
    rows = [Assessment("V0", 2017, 95.0), *(Assessment(f"V{i}", 2017, 40.0) for i in range(1, 7))]
    here.open_cases(identify(here.population, rows, here.policy, 2017), actor=DEPT,
                    on=date(2017, 3, 1), command_id="open-2017")
    assert here.case("2017-V1").state == "identified"
    target, options = durable.target()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(plan_elsewhere, (target, options, "2017-V1")) == "planned"
    assert here.case("2017-V1").state == "planned"
    with pytest.raises(CommandRefused, match="file_plan is not possible in state planned"):
        here.file_plan("2017-V1", PLAN, actor=DEPT, on=date(2017, 3, 2))


def test_the_records_mark_moves_with_every_record(backend: Backend) -> None:
    """The mark is (0, b"") on a new ledger, moves to the latest record's position, and
    stays put when other events are recorded."""
    store = backend.new()
    c = campaign(store)
    assert store.records_mark() == (0, b"")
    c.appoint("V1", "L1", actor=DEPT, on=DAY, command_id="appoint-1")
    first = store.records_mark()
    assert first[0] == len(store)  # the appointment is the latest event
    rows = [Assessment("V0", 2017, 95.0), *(Assessment(f"V{i}", 2017, 40.0) for i in range(1, 7))]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=DEPT,
                 on=date(2017, 3, 1), command_id="open-2017")
    assert store.records_mark() == first
    c.vacate("V1", actor=DEPT, on=date(2017, 3, 2), command_id="vacate-1")
    assert store.records_mark()[0] == len(store) > first[0]
    assert [r.command for r in store.records()] == ["appoint-1", "vacate-1"]


def test_the_posts_follow_an_appointment_made_in_another_process(durable: Backend) -> None:
    """A campaign that worked out the posts once sees another process's appointment."""
    store = durable.new()
    here = campaign(store)
    assert here.holder("V1", on=DAY) == "P-V1"
    target, options = durable.target()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(appoint_elsewhere, (target, options, "V1", "L1")) == "L1"
    assert here.holder("V1", on=DAY) == "L1"
    assert here.holdings().posts_of("L1", DAY)[0].org == "V1"


def test_racing_processes_stay_within_the_load_cap(durable: Backend) -> None:
    """Processes assigning one unit at once: the cap holds in every round (guards under the lock).

    The unit already supports cap - 1 open cases, so exactly one racer wins.
    """
    cap = cap_campaign(durable.new()).policy.coverage.max_cases_per_person
    target, options = durable.target()
    with multiprocessing.get_context("spawn").Pool(RACERS) as pool:
        pool.map(abs, range(RACERS))  # start the workers before the first round
        for round_ in range(ROUNDS):
            store = durable.fresh() if round_ else durable.new()  # type: ignore[attr-defined]
            target, options = durable.target()
            free = cap_setup(store, cap - 1)[:RACERS]
            start = time.time() + 0.2
            won = pool.starmap_async(cap_racer, [(target, options, case, start)
                                                 for case in free]).get(timeout=120)
            assert sorted(won, key=str) == [False] * (RACERS - 1) + [True], (round_, won)
            assert cap_campaign(store).load(RACER.id) == cap
            store.close()  # one round's connections at a time


def test_racing_threads_stay_within_the_load_cap(backend: Backend) -> None:
    """Threads sharing one store object: the cap holds too (a connection per thread)."""
    store = backend.new()
    cap = cap_campaign(store).policy.coverage.max_cases_per_person
    free = cap_setup(store, cap - 2)[:RACERS]
    shared = cap_campaign(store)
    won: list[str] = []
    barrier = threading.Barrier(RACERS)

    def race(case: str) -> None:
        barrier.wait()
        try:
            shared.assign_support(case, "paired_unit", RACER.id, actor=DEPT, on=date(2017, 3, 1))
            won.append(case)
        except CommandRefused:
            pass

    threads = [threading.Thread(target=race, args=(case,)) for case in free]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 2
    assert shared.load(RACER.id) == cap


def test_the_change_feed_wakes_a_waiting_reader(backend: Backend) -> None:
    """wait(after) returns as soon as another writer appends; entries(after) has the news."""
    from ledger_workers import one

    store = backend.new()
    writer = backend.new() if backend.name != "memory" else store
    head = store.head().position
    assert store.wait(head, 0.1) is False  # type: ignore[attr-defined]
    timer = threading.Timer(0.2, lambda: writer.append([one("2017-W1", 0, "feed-1")]))
    timer.start()
    started = time.monotonic()
    try:
        assert store.wait(head, 10.0) is True  # type: ignore[attr-defined]
    finally:
        timer.join()
    assert time.monotonic() - started < 5.0
    assert [e.command for e in store.entries(head)] == ["feed-1"]


def test_case_queries_filter_and_page_in_the_store(backend: Backend) -> None:
    """Every filter of cases() agrees with filtering all cases, and pages join up."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    everything = c.cases()
    day = date(2017, 7, 1)
    assert c.cases(kind="village") == [x for x in everything if x.kind == "village"]
    assert c.cases(state="delisted") == [x for x in everything if x.state == "delisted"]
    assert store.cases(orgs=["V2", "V3"]) == [  # type: ignore[attr-defined]
        x for x in everything if x.org in {"V2", "V3"}]
    assert store.cases(overdue_on=day) == [  # type: ignore[attr-defined]
        x for x in everything if x.is_open and x.deadline is not None and x.deadline < day]
    pages, after = [], None
    while page := c.cases(after=after, limit=2):
        pages.append(page)
        after = page[-1].id
    assert [x for page in pages for x in page] == everything
    assert all(len(page) <= 2 for page in pages)


def test_continued_cases_and_findings_list_in_every_store(backend: Backend) -> None:
    """A case continued at the close and a finding that extends the listing add listings,
    kept by every store exactly as a replay gives them."""
    from ledger_workers import population

    from rectify.campaign import Campaign

    store = backend.new()
    c = campaign(store)
    scenario(c)
    continued = {x.org for x in c.cases(open_only=True) if x.continued_into == 2018}
    assert continued
    assert continued <= c.listings()[2018]
    # The findings rule is a new policy: the ledger adopts it on purpose.
    extended = Campaign(c.policy, store, population=population(), people=[DEPT]).change_policy(
        c.policy.evolve({"escalation": {"findings": {"plaque": {
            "zh": "警示牌挂牌、摘牌违规", "extend_years": 2}}}}),
        actor=DEPT, on=date(2017, 11, 30), reason="增加警示牌挂牌、摘牌规定")
    extended.record_finding("V0", "plaque", actor=DEPT, on=date(2017, 12, 1),
                            command_id="finding-V0")
    listings = extended.listings()
    assert "V0" in listings[2018]
    assert "V0" in listings[2019]
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    replayed = ReadState.rebuild(enumerate(store.replay(), start=1))
    assert listings == {y: frozenset(o) for y, o in replayed.listings.items()}


def test_batch_reads_agree_with_single_reads(backend: Backend) -> None:
    """cases_by_id, versions, recorded_commands and loads answer as the one-at-a-time reads."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    cases = [r.id for r in c.cases()]
    asked = [*cases, "2017-NOBODY", cases[0]]  # an unknown id and a repeat
    assert store.cases_by_id(asked) == {k: store.case(k) for k in cases}  # type: ignore[attr-defined]
    streams = [*cases, "person:nobody", "org:V1"]
    assert store.versions(streams) == {  # type: ignore[attr-defined]
        s: store.version(s) for s in streams if store.version(s)}
    commands = ["plan-2017-V3", "del-2017-V2", "never-issued", "open-2017"]
    assert store.recorded_commands(commands) == {  # type: ignore[attr-defined]
        k for k in commands if store.has_command(k)}
    people = ["L1", "D1", "U1", "F3", "F4", "nobody"]
    for level in (None, "first_secretary", "leader_contact"):
        assert store.loads(people, level) == {  # type: ignore[attr-defined]
            p: store.load(p, level) for p in people if store.load(p, level)}  # type: ignore[attr-defined]
    assert store.cases_by_id([]) == {}
    assert store.loads([]) == {}


def test_projected_records_are_kept_only_when_the_whole_batch_lands(backend: Backend) -> None:
    """A batch whose items all land keeps the records its caller projected; a batch with an
    idempotent retry in it projects its events itself, whatever the caller passed."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    case = store.case("2017-V2")  # type: ignore[attr-defined]
    assert case is not None
    before = list(store.entries())
    report = RecordReport("2017-V2", "progress", "2018-01", resolved=("venue_nonstandard",))
    prepared = c.prepare(report, actor=DEPT, on=date(2018, 1, 15), command_id="rep-2018-V2")
    assert prepared is not None
    # An item whose command id is recorded already ("plan-2017-V2") is skipped, so the
    # records passed with it are not trusted.
    stale = Append(prepared.stream, prepared.expected, prepared.events, "plan-2017-V2")
    assert store.append([stale], projected=[attrs.evolve(case, state="delisted")]) == [False]
    assert list(store.entries()) == before
    assert store.case("2017-V2") == case  # type: ignore[attr-defined]
    after = apply_event(case, prepared.events[0], default_table())
    assert store.append([prepared], projected=[after]) == [True]
    assert store.case("2017-V2") == after  # type: ignore[attr-defined]
    assert verify_read_models(store) == []  # type: ignore[arg-type]


def test_a_wrong_projection_is_kept_and_then_found(backend: Backend) -> None:
    """The store keeps what the caller projected (it does not project again), so a caller's
    wrong record shows as a read model that disagrees with the replay."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    report = RecordReport("2017-V2", "progress", "2018-01")
    prepared = c.prepare(report, actor=DEPT, on=date(2018, 1, 15), command_id="rep-2018-V2")
    assert prepared is not None
    case = store.case("2017-V2")  # type: ignore[attr-defined]
    wrong = attrs.evolve(apply_event(case, prepared.events[0], default_table()), kind="agency")
    assert store.append([prepared], projected=[wrong]) == [True]
    assert store.case("2017-V2").kind == "agency"  # type: ignore[attr-defined,union-attr]
    assert any("2017-V2" in p for p in verify_read_models(store))  # type: ignore[arg-type]


@pytest.mark.parametrize("edit", [
    "UPDATE cases SET scope = 'elsewhere', year = 1999 WHERE \"case\" = {m}",
    "DELETE FROM cases WHERE \"case\" = {m}"])
def test_a_case_row_that_does_not_match_its_record_is_written_whole(
        durable: Backend, edit: str) -> None:
    """A case past its opening is written by a narrow update keyed by what its opening fixed;
    a row whose fixed columns differ (or that is missing) is upserted whole instead, so the
    next command leaves the row equal to the record, and the read models to a replay."""
    store = durable.new()
    c = campaign(store)
    scenario(c)
    case = store.case("2017-V2")  # type: ignore[attr-defined]
    prepared = _report(c, "rep-2018-V2")
    after = apply_event(case, prepared.events[0], default_table())
    mark = "?" if durable.name == "sqlite" else "%s"
    durable.sql(edit.format(m=mark), "2017-V2")  # type: ignore[attr-defined]
    assert any("2017-V2" in p for p in verify_read_models(store))  # type: ignore[arg-type]
    assert store.append([prepared], projected=[after]) == [True]
    assert store.case("2017-V2") == after  # type: ignore[attr-defined]
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    assert store.cases(year=2017, scope=store.case("2017-V2").scope)  # type: ignore[attr-defined,union-attr]
    assert "2017-V2" in {r.id for r in store.cases(year=2017)}  # type: ignore[attr-defined]


def _report(c: Any, command_id: str) -> Append:
    prepared = c.prepare(RecordReport("2017-V2", "progress", "2018-01"), actor=DEPT,
                         on=date(2018, 1, 15), command_id=command_id)
    assert prepared is not None
    return prepared  # type: ignore[no-any-return]


def test_a_snapshot_reads_one_state_while_another_writer_records(backend: Backend) -> None:
    """Inside snapshot() every read shows the ledger as of its first read, whatever another
    writer records meanwhile; after the block the new event is there."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    case, count = store.case("2017-V2"), len(store)  # type: ignore[attr-defined]
    assert case is not None
    other = backend.new()  # the same ledger through another store (memory: the same one)
    item = _report(c, "rep-snapshot")
    writer = threading.Thread(target=lambda: other.append([item]))
    with store.snapshot():  # type: ignore[attr-defined]
        assert store.cases_by_id(["2017-V2"]) == {"2017-V2": case}  # type: ignore[attr-defined]
        writer.start()
        writer.join(timeout=None if backend.name != "memory" else 0.3)
        # The memory store's appends wait for the snapshot; the databases' go through.
        assert writer.is_alive() == (backend.name == "memory")
        assert store.case("2017-V2") == case  # type: ignore[attr-defined]
        assert len(store) == count
        assert store.version("2017-V2") == case.version
    writer.join()
    assert store.version("2017-V2") == case.version + 1
    assert store.case("2017-V2").version == case.version + 1  # type: ignore[attr-defined,union-attr]


def test_nothing_is_recorded_inside_a_snapshot(backend: Backend) -> None:
    """Appending or opening a write transaction inside snapshot() is refused with
    LedgerReadOnly, and the ledger is as before."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    before = list(store.entries())
    item = _report(c, "rep-inside")
    with store.snapshot():  # type: ignore[attr-defined]
        with pytest.raises(LedgerReadOnly, match="snapshot"):
            store.append([item])
        with pytest.raises(LedgerReadOnly, match="snapshot"), \
                store.transaction():  # type: ignore[attr-defined]
            pass  # pragma: no cover - refused on entering
    assert list(store.entries()) == before
    with store.transaction(), store.snapshot():  # type: ignore[attr-defined]
        assert len(store) == len(before)  # a snapshot inside a transaction changes nothing
    assert store.append([item]) == [True]


def test_a_bulletin_agrees_with_itself_while_another_writer_records(durable: Backend) -> None:
    """A failed verification recorded by another writer in the middle of a bulletin does not
    leak into the tables read after it: the bulletin is the one of the ledger before it."""
    from rectify.reporting.bulletin import bulletin

    store = durable.new()
    c = campaign(store)
    scenario(c)
    day = date(2018, 1, 10)
    c.record_report("2017-V2", "progress", "2018-01", actor=DEPT, on=day,
                    resolved=["venue_nonstandard", "rules_not_kept"], command_id="rep-2018-V2")
    c.request_verification("2017-V2", actor=SUP, on=day, command_id="req-2018-V2")
    on = date(2018, 1, 31)
    expected = bulletin(c, period="monthly", on=on).to_dict()
    failed = c.prepare(RecordVerification("2017-V2", 40, Votes(2, 4, 9), ("R1",)), actor=VER,
                       on=date(2018, 1, 15), command_id="ver-2018-V2")
    assert failed is not None
    other = durable.new()
    # The bulletin's first read is the cases as columns; the write lands right after it.
    original = store.report_cases  # type: ignore[attr-defined]

    def cases_then_a_write(*args: object) -> object:
        found = original(*args)
        assert other.append([failed]) == [True]
        return found

    store.report_cases = cases_then_a_write  # type: ignore[attr-defined]
    made = bulletin(c, period="monthly", on=on).to_dict()
    store.report_cases = original  # type: ignore[attr-defined]
    assert made == expected
    # Read again, the failure is there: the write did change what the bulletin shows.
    assert bulletin(c, period="monthly", on=on).to_dict() != expected
