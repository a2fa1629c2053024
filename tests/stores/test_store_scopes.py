"""The cases' scope in every store: kept with each append, filtered in the store, and added
in place to ledgers of storage schema 1 and 2."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import orjson
import pytest
from ledger_workers import DEPT, VILLAGES, campaign, scenario

from conftest import Backend, PostgresBackend, postgres_dsn
from rectify import Campaign, Organization, OrgForm, Person, Population, Tier
from rectify.errors import PermissionDenied
from rectify.identify import identify
from rectify.model import Assessment
from rectify.stores import SQLiteStore
from rectify.stores.base import STORAGE_SCHEMA
from rectify.stores.readmodel import verify_read_models

COUNTIES = {"A": "河北省/甲县", "B": "河北省/乙县", "C": "山西省/丙县"}


def _population() -> Population:
    orgs = []
    for letter, scope in COUNTIES.items():
        province, county = scope.split("/")
        orgs.append(Organization(f"{letter}0", f"{county}某乡党委", "township", Tier.DIRECT,
                                 OrgForm.COMMITTEE, secretary=f"P-{letter}0", county=county,
                                 province=province))
        orgs += [Organization(f"{letter}{i}", f"{county}{i}村党支部", "village",
                              Tier.SECOND_TIER, parent=f"{letter}0", secretary=f"P-{letter}{i}",
                              county=county, province=province) for i in range(1, 4)]
    return Population(orgs)


#: An organization department cadre of one county only (乙县).
SCOPED = Person("D-B", "乙县干部", roles={"org_department"}, scope="河北省/乙县")


def _open(store: object) -> Campaign:
    base = campaign(store)  # type: ignore[arg-type]
    population = _population()
    c = Campaign(base.policy, base.store, population=population,
                 people=[*base.people.values(), SCOPED])
    rows = [Assessment(o.code, 2017, 95.0 if o.kind == "township" else 40.0)
            for o in population]
    c.open_cases(identify(population, rows, c.policy, 2017), actor=DEPT, on=date(2017, 3, 1),
                 command_id="open-2017")
    return c


def test_cases_filter_by_scope_in_every_store(backend: Backend) -> None:
    """store.cases(scope=) keeps a county's cases, or a province's counties'; the read
    models (scope included) equal a replay."""
    c = _open(backend.new())
    store = c.store
    assert {x.scope for x in store.cases()} == set(COUNTIES.values())
    assert [x.org for x in store.cases(scope="河北省/甲县")] == ["A1", "A2", "A3"]
    assert [x.org for x in store.cases(scope="河北省")] == ["A1", "A2", "A3",
                                                             "B1", "B2", "B3"]
    assert [x.org for x in store.cases(scope="山西省/丙县", open_only=True, limit=2)] == [
        "C1", "C2"]
    assert store.cases(scope="河北") == []  # a prefix of a name is not a scope
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    scoped = SCOPED
    with pytest.raises(PermissionDenied, match="甲县"):
        c.return_plan("2017-A1", "措施不具体", actor=scoped, on=date(2017, 3, 2))


def _make_schema_2_sqlite(path: Path) -> None:
    """Turn a current ledger into one as schema 2 wrote it (no scope column, no scope key
    in the case records)."""
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX cases_scope")
    conn.execute("ALTER TABLE cases DROP COLUMN scope")
    for case, record in conn.execute('SELECT "case", record FROM cases').fetchall():
        data = orjson.loads(record)
        del data["scope"]
        conn.execute('UPDATE cases SET record = ? WHERE "case" = ?',
                     (orjson.dumps(data, option=orjson.OPT_SORT_KEYS), case))
    conn.execute("ALTER TABLE ledger_schema DROP COLUMN hashed_from")
    conn.execute("UPDATE ledger_schema SET version = 2")
    conn.commit()
    conn.close()


def test_a_schema_2_sqlite_ledger_gets_the_scope_in_place(tmp_path: Path) -> None:
    """Read-only it is read as it is; opened for writing it is upgraded (its cases
    unscoped, as their events say) and takes scoped cases."""
    path = tmp_path / "ledger.db"
    store = SQLiteStore(path)
    scenario(campaign(store))
    store.close()
    _make_schema_2_sqlite(path)
    readonly = SQLiteStore(path, readonly=True)
    try:
        assert len(readonly.cases()) == VILLAGES
    finally:
        readonly.close()
    store = SQLiteStore(path)
    try:
        version = store._conn.execute("SELECT version FROM ledger_schema").fetchone()[0]
        assert version == STORAGE_SCHEMA
        assert verify_read_models(store) == []
        assert len(store.cases(scope="")) == VILLAGES
        assert {x.scope for x in store.cases()} == {""}
    finally:
        store.close()
    upgraded = SQLiteStore(path)
    try:
        assert [x.org for x in upgraded.cases(scope="河北省")] == []
        assert len(upgraded.cases()) == VILLAGES
    finally:
        upgraded.close()


def test_a_schema_1_sqlite_ledger_gets_every_read_model(tmp_path: Path) -> None:
    """A ledger without read models (schema 1) is upgraded straight to the current schema."""
    path = tmp_path / "ledger.db"
    store = SQLiteStore(path)
    scenario(campaign(store))
    expected = [x.state for x in store.cases()]
    store.close()
    conn = sqlite3.connect(path)
    for table in ("cases", "support", "listings", "reports", "policies", "records"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE ledger_schema DROP COLUMN hashed_from")
    conn.execute("UPDATE ledger_schema SET version = 1")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        assert store._conn.execute("SELECT version FROM ledger_schema").fetchone()[0] == 3
        assert [x.state for x in store.cases()] == expected
        assert verify_read_models(store) == []
    finally:
        store.close()


def test_a_schema_2_postgres_ledger_gets_the_scope_in_place() -> None:
    """The same upgrade on PostgreSQL, when the ledger is opened."""
    backend = PostgresBackend(postgres_dsn())
    try:
        store = backend.new()
        scenario(campaign(store))
        store.close()  # type: ignore[attr-defined]
        backend.sql("DROP INDEX cases_scope")
        backend.sql("ALTER TABLE cases DROP COLUMN scope")
        backend.sql("ALTER TABLE ledger_schema DROP COLUMN hashed_from")
        backend.sql("UPDATE ledger_schema SET version = 2")
        reopened = backend.new()
        rows = reopened._rows("SELECT version FROM {s}.ledger_schema")  # type: ignore[attr-defined]
        assert rows[0][0] == STORAGE_SCHEMA
        assert verify_read_models(reopened) == []  # type: ignore[arg-type]
        assert len(reopened.cases(scope="")) == VILLAGES  # type: ignore[attr-defined]
        c = campaign(reopened)
        rows = [Assessment(o.code, 2018, 95.0 if o.kind == "township" else 40.0)
                for o in c.population]
        opened = c.open_cases(identify(c.population, rows, c.policy, 2018), actor=DEPT,
                              on=date(2018, 3, 1))
        # Cases left unfinished in 2017 go on into 2018: they are not opened again.
        assert len(opened.opened) + len(opened.existing) == VILLAGES
        assert {x.id for x in reopened.cases(year=2018)} == set(opened.opened)
        assert verify_read_models(reopened) == []  # type: ignore[arg-type]
    finally:
        backend.close()
