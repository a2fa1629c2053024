"""Bulletins from the read models (case heads and steps) equal bulletins from a replay.

`rectify.reporting.bulletin._replay_facts` (a replay of the whole ledger) is the
reference; `bulletin()` reads the store's read models instead.  The tables must
be identical for every period, date (including dates in the middle of a case's
path, whose later events are ignored) and filter, on every store.
"""

from __future__ import annotations

import functools
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
from rectify.events import Event
from rectify.reporting.bulletin import (
    PERIODS,
    _bulletin,
    _read_model_facts,
    _replay_facts,
    bulletin,
)
from rectify.stores import Append, MemoryStore, SQLiteStore
from rectify.stores.readmodel import CaseHead, ReadState, step, verify_read_models
from rectify.testing.check import campaign_examples
from rectify.testing.driver import run_campaign
from test_reports import sample_campaign

FIRST, LAST = date(2016, 1, 1), date(2018, 3, 31)
POLICY = load_policy()


def _both(campaign: Campaign, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bulletin from the read models and from the replay, as plain data."""
    base: dict[str, Any] = {"on": None, "county": None, "kind": None, "year": None,
                            "issued": None, "audience": "internal", "settings": None}
    base.update(options)
    made = _bulletin(campaign, _read_model_facts, **base).to_dict()
    reference = _bulletin(campaign, _replay_facts, **base).to_dict()
    return made, reference


def _copy(events: list[Event], store: Any) -> Any:
    for event in events:
        store.append([Append(event.stream, event.version - 1, (event,), event.command)])
    return store


@functools.cache
def _sqlite_sample(path: str) -> Campaign:
    c = sample_campaign()
    store = _copy(list(c.store.replay()), SQLiteStore(path))
    return Campaign(c.policy, store, population=c.population, people=c.people.values())


kinds = st.sampled_from([None, "village", "agency", "community", "township"])


@settings(max_examples=60, deadline=None)
@given(on=st.dates(min_value=FIRST, max_value=LAST), period=st.sampled_from(sorted(PERIODS)),
       kind=kinds, county=st.sampled_from([None, "北岭县"]),
       audience=st.sampled_from(["internal", "public"]))
def test_sample_bulletin_from_read_models_equals_the_replay(
        on: date, period: str, kind: str | None, county: str | None, audience: str) -> None:
    """Any date of the sample county (mid-path dates included), any period and filter."""
    made, reference = _both(sample_campaign(), period=period, on=on, kind=kind, county=county,
                            audience=audience)
    assert made == reference


@settings(max_examples=40, deadline=None)
@given(on=st.dates(min_value=FIRST, max_value=LAST), year=st.sampled_from([None, 2016, 2017]))
def test_listing_year_other_than_the_period_year(on: date, year: int | None) -> None:
    """``year`` picks the cases reported; the tables still agree with the replay."""
    made, reference = _both(sample_campaign(), period="quarterly", on=on, year=year)
    assert made == reference


def test_sqlite_store_gives_the_memory_store_bulletin(tmp_path_factory: pytest.TempPathFactory
                                                      ) -> None:
    """The same code path on SQLite: identical bulletins for dates across the sample."""
    path = str(tmp_path_factory.mktemp("bulletin") / "ledger.db")
    on_sqlite = _sqlite_sample(path)
    memory = sample_campaign()
    for on in (date(2016, 3, 31), date(2016, 7, 15), date(2016, 12, 31), date(2017, 3, 5)):
        for period in ("monthly", "annual"):
            assert (bulletin(on_sqlite, period=period, on=on).to_dict()
                    == bulletin(memory, period=period, on=on).to_dict())
    assert verify_read_models(on_sqlite.store) == []  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=campaign_examples(POLICY, max_years=3, max_steps=10),
       month=st.integers(1, 12), day=st.integers(1, 28), year_offset=st.integers(0, 2),
       period=st.sampled_from(sorted(PERIODS)))
def test_machine_ledgers_bulletin_from_read_models_equals_the_replay(
        example: Any, month: int, day: int, year_offset: int, period: str) -> None:
    """Generated campaigns (several years, verifications, escalations): identical tables."""
    run = run_campaign(POLICY, example)
    on = date(example.years[0] + year_offset, month, day)
    made, reference = _both(run.campaign, period=period, on=on)
    assert made == reference
    year_end, reference_end = _both(run.campaign, period="annual",
                                    on=date(example.years[-1], 12, 31))
    assert year_end == reference_end


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=campaign_examples(POLICY, max_years=2, max_steps=10))
def test_steps_rebuild_from_the_events(example: Any) -> None:
    """The heads and steps a store keeps equal a fresh replay's (`verify_read_models`)."""
    run = run_campaign(POLICY, example)
    kept = run.store.read_state()
    rebuilt = ReadState.rebuild(enumerate(run.store.replay(), start=1))
    assert kept.summary()["heads"] == rebuilt.summary()["heads"]
    assert kept.summary()["steps"] == rebuilt.summary()["steps"]
    # Every case has a head, and its first step is its opening.
    assert set(kept.heads) == set(kept.cases)
    for case, path in kept.steps.items():
        assert path[0].first
        assert path[0].on == kept.cases[case].opened_on
        assert [s.reach for s in path] == sorted(s.reach for s in path)


@given(days=st.lists(st.dates(min_value=FIRST, max_value=LAST), min_size=2, max_size=8))
def test_head_reach_is_the_running_latest_date(days: list[date]) -> None:
    """``reach`` never goes back, even when an event is dated before an earlier one."""
    c = sample_campaign()
    record = next(iter(c.store.cases()))
    opening = next(iter(c.store.read(record.id)))
    head: CaseHead | None = None
    for position, day in enumerate(days, start=1):
        head, _ = step(head, position, attrs.evolve(opening, on=day), record)
        assert head.reach == max(days[:position])


def _drop_steps(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE case_heads")
    conn.execute("DROP TABLE case_steps")
    conn.commit()
    conn.close()


def test_a_ledger_without_steps_gets_them_when_opened_for_writing(tmp_path: Path) -> None:
    """A schema-3 ledger written before the steps were kept: a read-only open refuses the
    bulletin naming the command; a writable open adds the steps from the events."""
    c = sample_campaign()
    path = tmp_path / "old.db"
    _copy(list(c.store.replay()), SQLiteStore(path)).close()
    _drop_steps(path)
    readonly = SQLiteStore(path, readonly=True)
    old = Campaign(c.policy, readonly, population=c.population, people=c.people.values())
    with pytest.raises(LedgerSchemaError, match="rectify ledger rebuild --db PATH"):
        bulletin(old, period="annual", on=date(2016, 12, 31))
    readonly.close()
    store = SQLiteStore(path)
    upgraded = Campaign(c.policy, store, population=c.population, people=c.people.values())
    assert (bulletin(upgraded, period="annual", on=date(2016, 12, 31)).to_dict()
            == bulletin(c, period="annual", on=date(2016, 12, 31)).to_dict())
    assert verify_read_models(store) == []
    store.close()


def test_the_memory_store_reads_events_by_position() -> None:
    """`events_at` returns the events at the positions asked, in order, skipping unknown ones."""
    store = _copy(list(sample_campaign().store.replay()), MemoryStore())
    events = list(store.replay())
    assert store.events_at([5, 2, 2, 10_000, 0]) == [events[1], events[4]]
