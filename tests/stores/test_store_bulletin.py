"""Bulletins from the read models in every store: equal to a replay, without replaying."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from ledger_workers import campaign, scenario

from conftest import Backend, SQLiteBackend
from rectify.reporting.bulletin import PERIODS, _bulletin, _read_model_facts, _replay_facts


@pytest.mark.parametrize("on", [date(2017, 3, 31), date(2017, 6, 30), date(2017, 12, 31),
                                date(2018, 2, 1)])
def test_bulletin_from_read_models_equals_the_replay(backend: Backend, on: date) -> None:
    """Every period, on dates before, within and after the cases' paths, reading no replay."""
    store = backend.new()
    c = campaign(store)
    scenario(c)
    original = store.replay
    calls: list[str] = []

    def counting() -> object:
        calls.append("replay")
        return original()

    for period in PERIODS:
        options = {"period": period, "on": on, "county": None, "kind": None, "year": None,
                   "issued": None, "audience": "internal", "settings": None}
        reference = _bulletin(c, _replay_facts, **options).to_dict()  # type: ignore[arg-type]
        store.replay = counting  # type: ignore[method-assign]
        made = _bulletin(c, _read_model_facts, **options).to_dict()  # type: ignore[arg-type]
        store.replay = original  # type: ignore[method-assign]
        assert made == reference
    # The SQL stores answer from their tables; the memory store works the dated heads out
    # from its own events when asked (one pass per ledger length), to hold less per case.
    assert len(calls) <= (0 if backend.name != "memory" else len(PERIODS))


@pytest.mark.parametrize("on", [date(2017, 3, 31), date(2017, 12, 31), date(2018, 2, 1)])
def test_report_reads_equal_the_memory_store(backend: Backend, on: date) -> None:
    """The columns and aggregates of every store equal the memory store's, for the listing
    year and the year before, on dates before, within and after the cases' paths."""
    from rectify.stores import Append, MemoryStore

    store = backend.new()
    scenario(campaign(store))
    memory = MemoryStore()
    for event in store.replay():
        memory.append([Append(event.stream, event.version - 1, (event,), event.command)])
    for year in (on.year - 1, on.year):
        assert store.report_cases(on, year) == memory.report_cases(on, year)  # type: ignore[attr-defined]
        assert store.step_tallies(on, year) == memory.step_tallies(on, year)  # type: ignore[attr-defined]
    start = date(on.year, 1, 1)
    assert (store.failed_positions(start, on)  # type: ignore[attr-defined]
            == memory.failed_positions(start, on))
    cases = [r.id for r in memory.report_cases(on, on.year)]
    assert (store.case_paths(cases, on)  # type: ignore[attr-defined]
            == memory.case_paths(cases, on))
    assert memory.report_cases(on, 2017), "the scenario has cases of 2017"


def test_a_ledger_with_the_earlier_step_layout_is_upgraded_on_open(durable: Backend) -> None:
    """Heads without the report columns and steps without the previous state (the layout
    before them): the next writable open rebuilds both from the events, in place."""
    from rectify.reporting.bulletin import bulletin
    from rectify.stores.readmodel import verify_read_models

    store = durable.new()
    c = campaign(store)
    scenario(c)
    on = date(2017, 12, 31)
    expected = bulletin(c, period="annual", on=on).to_dict()
    store.close()
    # Those layouts had neither the support column nor the steps' tally index.
    durable.sql("DROP INDEX case_steps_tally")  # type: ignore[attr-defined]
    for table, column in (("case_heads", "rules"), ("case_heads", "held"),
                          ("case_heads", "support"), ("case_steps", "was_open")):
        durable.sql(f"ALTER TABLE {table} DROP COLUMN {column}")  # type: ignore[attr-defined]
    upgraded = durable.new()
    assert bulletin(campaign(upgraded), period="annual", on=on).to_dict() == expected
    assert verify_read_models(upgraded) == []  # type: ignore[arg-type]


def test_a_ledger_with_the_heads_before_their_support_column_is_upgraded_on_open(
        durable: Backend) -> None:
    """The layout before the heads kept their support pairs (and the steps their tally
    index): the next writable open rebuilds the heads and steps in place, with both, and
    the named list's supporters read from the heads agree with the records'."""
    from rectify.reporting.bulletin import bulletin
    from rectify.stores.readmodel import verify_read_models

    store = durable.new()
    c = campaign(store)
    scenario(c)
    on = date(2017, 12, 31)
    expected = bulletin(c, period="annual", on=on).to_dict()
    ids = [r.id for r in store.cases()]
    support = store.case_support(ids)  # type: ignore[attr-defined]
    assert support == {r.id: r.support for r in store.cases()}
    assert any(support.values()), "the scenario assigns support"
    store.close()
    durable.sql("DROP INDEX case_steps_tally")  # type: ignore[attr-defined]
    durable.sql("ALTER TABLE case_heads DROP COLUMN support")  # type: ignore[attr-defined]
    upgraded = durable.new()
    assert bulletin(campaign(upgraded), period="annual", on=on).to_dict() == expected
    assert verify_read_models(upgraded) == []  # type: ignore[arg-type]
    assert upgraded.case_support(ids) == support  # type: ignore[attr-defined]
    assert "case_steps_tally" in _step_indexes(durable)


def _step_indexes(durable: Backend) -> set[str]:
    """The names of the step tables' indexes, read from the database's catalogue."""
    if isinstance(durable, SQLiteBackend):
        conn = sqlite3.connect(durable.path)
        try:
            return {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name IN ('case_heads', 'case_steps')")}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(durable.dsn, autocommit=True) as conn:  # type: ignore[attr-defined]
        return {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s"
            " AND tablename IN ('case_heads', 'case_steps')",
            (durable.schema,)).fetchall()}  # type: ignore[attr-defined]
