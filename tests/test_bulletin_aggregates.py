"""The columns and aggregates reports read (`rectify.stores._aggregates`) equal a replay's.

Each store answers `ReportReads` its own way (SQL over ``case_heads`` and
``case_steps``, or the memory store's read state); the reference here is
worked out from the events alone, projecting every case stream in order.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rectify import Campaign, load_policy
from rectify.errors import LedgerSchemaError
from rectify.events import CaseOpened, Event, VerificationRecorded
from rectify.lifecycle.case import CaseRecord, is_case_stream
from rectify.reporting.bulletin import _checkpoints, _Stream, _tally_trend, _trend, bulletin
from rectify.stores import Append, MemoryStore, SQLiteStore
from rectify.stores._aggregates import (
    CaseRow,
    ReportReads,
    StepTally,
    in_report_year,
    tallies_of_paths,
)
from rectify.stores.readmodel import CaseStep, ReadState, held_levels, project, verify_read_models
from rectify.testing.check import campaign_examples
from rectify.testing.driver import run_campaign
from test_reports import sample_campaign

POLICY = load_policy()


def _copy(events: list[Event], store: Any) -> Any:
    for event in events:
        store.append([Append(event.stream, event.version - 1, (event,), event.command)])
    return store


def _reference_rows(events: list[Event], until: date, year: int) -> list[CaseRow]:
    """`ReportReads.report_cases()` from the events alone: each stream projected in order."""
    records: dict[str, CaseRecord] = {}
    states: dict[str, set[str]] = {}
    reach: dict[str, date] = {}
    openings: dict[str, CaseOpened] = {}
    for event in events:
        if not is_case_stream(event.stream):
            continue
        after = project(records.get(event.stream), event)
        if after is None:
            continue
        records[event.stream] = after
        states.setdefault(event.stream, set()).add(after.state)
        reach[event.stream] = max(reach.get(event.stream, event.on), event.on)
        if isinstance(event, CaseOpened):
            openings.setdefault(event.stream, event)
    rows = []
    for case in sorted(records):
        r = records[case]
        if r.opened_on > until or not in_report_year(r.year, r.continued_into, year):
            continue
        o = openings[case]
        rows.append(CaseRow(case, r.org, r.year, r.kind, r.state, r.is_open, r.deadline,
                            r.opened_on, r.delisted_on, r.continued_into,
                            held_levels(r.support), tuple(sorted(states[case])), reach[case],
                            tuple(o.rules), float(o.score)))
    return rows


def _reference_paths(events: list[Event], until: date) -> dict[str, list[CaseStep]]:
    state = ReadState.rebuild(enumerate(events, start=1))
    return {c: [s for s in path if s.reach <= until] for c, path in state.steps.items()}


def _reference_tallies(events: list[Event], until: date, year: int) -> list[StepTally]:
    """The steps of the cases of ``year`` up to ``until``, found from the events alone: an
    opening, a change of open or deadline, or a failed verification."""
    records: dict[str, CaseRecord] = {}
    reach: dict[str, date] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for event in events:
        if not is_case_stream(event.stream):
            continue
        before = records.get(event.stream)
        after = project(before, event)
        if after is None:
            continue
        records[event.stream] = after
        reach[event.stream] = max(reach.get(event.stream, event.on), event.on)
        was = (before.is_open, before.deadline) if before is not None else (False, None)
        failed = isinstance(event, VerificationRecorded) and not event.passed
        if (before is not None and was == (after.is_open, after.deadline)) and not failed:
            continue
        if after.year != year or reach[event.stream] > until:
            continue
        key = (reach[event.stream], after.is_open, after.deadline, *was)
        counts[key] = counts.get(key, 0) + 1
    return sorted((StepTally(*k, n) for k, n in counts.items()),
                  key=lambda t: (t.reach, t.is_open, t.deadline or date.min, t.was_open,
                                 t.was_deadline or date.min, t.steps))


def _reference_failed(events: list[Event], start: date, until: date) -> list[int]:
    paths = _reference_paths(events, until)
    failed = {s.position for path in paths.values() for s in path if s.failed}
    return [p for p, e in enumerate(events, start=1)
            if p in failed and isinstance(e, VerificationRecorded) and e.on >= start]


def _check(store: ReportReads, events: list[Event], until: date, year: int,
           start: date) -> None:
    assert store.report_cases(until, year) == _reference_rows(events, until, year)
    assert store.step_tallies(until, year) == _reference_tallies(events, until, year)
    assert store.failed_positions(start, until) == _reference_failed(events, start, until)
    paths = _reference_paths(events, until)
    some = sorted(paths)[::2]
    assert store.case_paths(some, until) == {c: paths[c] for c in some if paths[c]}
    support = _reference_support(events)
    asked = [*sorted(support)[1::2], "no-such-case"]
    assert store.case_support(asked) == {c: support[c] for c in asked if c in support}


def _reference_support(events: list[Event]) -> dict[str, tuple[tuple[str, str], ...]]:
    """`ReportReads.case_support()` from the events alone: each case's latest support."""
    records: dict[str, CaseRecord] = {}
    for event in events:
        after = project(records.get(event.stream), event)
        if after is not None:
            records[event.stream] = after
    return {c: r.support for c, r in records.items()}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(example=campaign_examples(POLICY, max_years=3, max_steps=10),
       month=st.integers(1, 12), day=st.integers(1, 28), offset=st.integers(0, 2),
       back=st.integers(0, 200))
def test_report_reads_equal_the_events_on_memory_and_sqlite(
        tmp_path: Path, example: Any, month: int, day: int, offset: int, back: int) -> None:
    """Generated campaigns (several years, failures, continuations): the rows, the grouped
    open spans, the failed positions and the paths equal the reference on both stores."""
    run = run_campaign(POLICY, example)
    events = list(run.store.replay())
    until = date(example.years[0] + offset, month, day)
    start = date.fromordinal(until.toordinal() - back)
    year = until.year
    sqlite_path = tmp_path / f"l{len(list(tmp_path.iterdir()))}.db"
    on_sqlite = _copy(events, SQLiteStore(sqlite_path))
    try:
        for store in (run.store, on_sqlite):
            assert isinstance(store, ReportReads)
            _check(store, events, until, year, start)
            _check(store, events, until, year - 1, start)
    finally:
        on_sqlite.close()


_paths = st.lists(st.lists(st.tuples(st.integers(0, 60), st.booleans(),
                                     st.one_of(st.none(), st.dates(date(2016, 6, 1),
                                                                   date(2018, 1, 31)))),
                           min_size=1, max_size=5), max_size=10)


@given(paths=_paths, first=st.dates(date(2017, 1, 1), date(2017, 12, 31)),
       on=st.dates(date(2017, 1, 1), date(2017, 12, 31)))
def test_tallied_steps_give_the_trend_of_the_records(
        paths: list[list[tuple[int, bool, date | None]]], first: date, on: date) -> None:
    """`_tally_trend` over counted steps equals counting each case's record at each month
    end (the replay's `_trend`), for any dated paths (steps on the same day included)."""
    checkpoints = _checkpoints(date(on.year, 1, 1), on)
    opening = CaseOpened(stream="2017-X", version=1, on=first, actor="a", policy="p",
                         command="c", org="X", year=2017, kind="village", rules=("r",),
                         score=1.0)
    steps: list[list[CaseStep]] = []
    streams: dict[str, Any] = {}
    for n, path in enumerate(paths):
        day, was = first, (False, None)
        made: list[CaseStep] = []
        records: list[tuple[date, CaseRecord]] = []
        for k, (gap, is_open, deadline) in enumerate(path):
            day = date.fromordinal(day.toordinal() + gap)
            made.append(CaseStep(k + 1, f"{n}", day, day, is_open, deadline, k == 0, False,
                                 was[0], was[1], 2017))
            records.append((day, CaseRecord(id=f"{n}", org="X", year=2017, kind="village",
                                            state="supported" if is_open else "delisted",
                                            version=k + 1, opened_on=first,
                                            deadline=deadline)))
            was = (is_open, deadline)
        steps.append(made)
        frozen = [[r for d, r in records if d <= cp][-1] if records[0][0] <= cp
                  else records[0][1] for cp in checkpoints]
        # A case whose first step comes after a checkpoint did not exist there.
        shown = [r if records[0][0] <= cp else attrs.evolve(r, opened_on=date.max)
                 for r, cp in zip(frozen, checkpoints, strict=True)]
        streams[f"{n}"] = _Stream(shown[-1], 0, opening, day, frozen=shown)
    tallies = tallies_of_paths([p for p in steps if p[0].reach <= on])
    trend = _trend(streams, checkpoints)
    assert _tally_trend(tallies, checkpoints) == trend


def _old_heads(path: Path) -> None:
    """Give a ledger the case heads' earlier layout (no columns for reports)."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE case_heads")
    conn.execute('CREATE TABLE case_heads ("case" TEXT PRIMARY KEY, reach TEXT NOT NULL,'
                 " states TEXT NOT NULL, is_open INTEGER NOT NULL, deadline TEXT)")
    conn.commit()
    conn.close()


def test_a_ledger_with_the_earlier_heads_gets_the_columns_when_opened_for_writing(
        tmp_path: Path) -> None:
    """Read-only, a ledger whose heads lack the report columns refuses the bulletin naming
    the command that migrates it; opened for writing, it is rebuilt from its events."""
    c = sample_campaign()
    path = tmp_path / "old.db"
    _copy(list(c.store.replay()), SQLiteStore(path)).close()
    _old_heads(path)
    readonly = SQLiteStore(path, readonly=True)
    old = Campaign(c.policy, readonly, population=c.population, people=c.people.values())
    with pytest.raises(LedgerSchemaError, match=r"rectify ledger rebuild --db PATH"):
        bulletin(old, period="annual", on=date(2016, 12, 31))
    with pytest.raises(LedgerSchemaError, match=r"rectify ledger rebuild --db PATH"):
        readonly.report_cases(date(2016, 12, 31), 2016)
    readonly.close()
    store = SQLiteStore(path)
    upgraded = Campaign(c.policy, store, population=c.population, people=c.people.values())
    for on in (date(2016, 6, 30), date(2016, 12, 31), date(2017, 3, 31)):
        assert (bulletin(upgraded, period="annual", on=on).to_dict()
                == bulletin(c, period="annual", on=on).to_dict())
    assert verify_read_models(store) == []
    columns = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(case_heads)")}
    assert {"rules", "score", "held", "state", "opened_on"} <= columns
    store.close()


def test_a_store_without_report_reads_gets_the_replay() -> None:
    """A store that answers only the base contract still gets a bulletin: from the replay."""
    c = sample_campaign()

    class Plain:
        """Delegates everything but the report reads to a memory store."""

        def __init__(self, inner: MemoryStore) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            if name in {"report_cases", "step_tallies", "failed_positions", "case_paths"}:
                raise AttributeError(name)
            return getattr(self._inner, name)

    inner = c.store
    assert isinstance(inner, MemoryStore)
    plain = Plain(inner)
    assert not isinstance(plain, ReportReads)
    other = Campaign(c.policy, plain, population=c.population,  # type: ignore[arg-type]
                     people=c.people.values())
    on = date(2016, 12, 31)
    assert (bulletin(other, period="annual", on=on).to_dict()
            == bulletin(c, period="annual", on=on).to_dict())
