"""One policy per ledger: the check inside the write transaction, recorded policy changes.

Every back-end (memory, SQLite, PostgreSQL) keeps the ledger's current policy
(`current_policy()`); a campaign under another policy is refused with
`PolicyConflict` inside the write transaction, and `Campaign.change_policy`
records the change.  Six processes racing to open one ledger under six
policies leave exactly one policy in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_workers import DAY, DEPT, FS, PLAN, VILLAGES, campaign

from conftest import Backend, PostgresBackend, SQLiteBackend, postgres_dsn
from rectify import Campaign, load_policy
from rectify.errors import CommandRefused, PermissionDenied, PolicyConflict
from rectify.events import POLICY_STREAM, PolicyChanged
from rectify.identify import identify
from rectify.model import Assessment
from rectify.policy import Policy
from rectify.stores import LedgerStore, open_store
from rectify.stores.chain import verify
from rectify.stores.readmodel import verify_read_models
from rectify.testing.ledger_rules import policy_breaches

ROOT = Path(__file__).resolve().parents[2]
OTHER = load_policy("national-practice")


def _rows(year: int) -> list[Assessment]:
    rows = [Assessment("V0", year, 95.0)]
    return rows + [Assessment(f"V{i}", year, 40.0) for i in range(1, VILLAGES + 1)]


def _under(policy: Policy, store: LedgerStore) -> Campaign:
    base = campaign(store)
    return Campaign(policy, store, population=base.population, people=base.people.values())


def _open(c: Campaign, year: int, command: str) -> None:
    c.open_cases(identify(c.population, _rows(year), c.policy, year), actor=DEPT,
                 on=date(year, 2, 1), command_id=command)


def test_a_write_under_another_policy_is_refused_and_changes_nothing(backend: Backend) -> None:
    """The first writer's policy is the ledger's; another policy's command is refused with
    both fingerprints and names, and the ledger is as it was."""
    store = backend.new()
    assert store.current_policy() is None  # type: ignore[attr-defined]
    first = campaign(store)
    _open(first, 2017, "open-2017")
    assert store.current_policy() == first.policy.fingerprint()  # type: ignore[attr-defined]
    head = store.head()
    other = _under(OTHER, store)
    with pytest.raises(PolicyConflict) as caught:
        other.file_plan("2017-V1", PLAN, actor=DEPT, on=DAY)
    error = caught.value
    assert (error.ledger_policy, error.policy) == (first.policy.fingerprint(),
                                                   OTHER.fingerprint())
    assert (error.ledger_name, error.name) == ("northern-county", "national-practice")
    assert first.policy.fingerprint()[:12] in str(error)
    assert OTHER.fingerprint()[:12] in str(error)
    assert "change_policy" in str(error)
    for refused in (lambda: _open(other, 2018, "open-2018"),
                    lambda: other.close_year(2017, actor=DEPT, on=date(2017, 12, 31)),
                    lambda: other.record_talk("P-V1", "admonishment", "整改不力", actor=DEPT,
                                              on=DAY)):
        with pytest.raises(PolicyConflict):
            refused()
    assert store.head() == head
    # Reading under the other policy is fine.
    assert len(other.cases()) == VILLAGES


def test_a_recorded_policy_change_switches_the_ledger(backend: Backend) -> None:
    """After change_policy the new policy records and the old one is refused; reads work
    under both; the read models equal a replay and the chain verifies."""
    store = backend.new()
    old = campaign(store)
    _open(old, 2017, "open-2017")
    new = old.change_policy(OTHER, actor=DEPT, on=date(2017, 3, 1), reason="执行上级新规定",
                            command_id="adopt-1")
    assert new.policy is OTHER
    assert old.policy is not OTHER
    assert store.current_policy() == OTHER.fingerprint()  # type: ignore[attr-defined]
    changes = list(store.read(POLICY_STREAM))
    assert len(changes) == 1
    assert isinstance(changes[0], PolicyChanged)
    change = changes[0]
    assert (change.previous, change.policy, change.name, change.reason, change.actor) == (
        old.policy.fingerprint(), OTHER.fingerprint(), "national-practice", "执行上级新规定",
        DEPT.id)
    # A retry of the same change records nothing.
    old.change_policy(OTHER, actor=DEPT, on=date(2017, 3, 1), reason="执行上级新规定",
                      command_id="adopt-1")
    assert len(list(store.read(POLICY_STREAM))) == 1
    new.file_plan("2017-V1", PLAN, actor=DEPT, on=date(2017, 3, 2))
    with pytest.raises(PolicyConflict) as caught:
        old.file_plan("2017-V2", PLAN, actor=DEPT, on=date(2017, 3, 2))
    assert caught.value.ledger_name == "national-practice"
    assert old.case("2017-V1").state == new.case("2017-V1").state == "planned"
    assert new.case("2017-V2").state == "identified"
    assert PolicyChanged not in {type(e) for e in new.records()}
    assert new.policies_seen() == {old.policy.fingerprint(), OTHER.fingerprint()}
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    assert verify(store).ok
    assert policy_breaches(store.replay(), store.current_policy()) == []  # type: ignore[attr-defined]
    # And back again, on purpose.
    back = new.change_policy(old.policy, actor=DEPT, on=date(2017, 3, 3), reason="恢复原政策")
    back.file_plan("2017-V2", PLAN, actor=DEPT, on=date(2017, 3, 4))
    assert store.current_policy() == old.policy.fingerprint()  # type: ignore[attr-defined]
    if isinstance(backend, SQLiteBackend | PostgresBackend):  # another process's view
        target, options = backend.target()
        reopened = open_store(target, **options)
        try:
            assert reopened.current_policy() == old.policy.fingerprint()  # type: ignore[attr-defined]
        finally:
            reopened.close()


def test_policy_changes_that_are_refused(backend: Backend) -> None:
    """A blank reason, the ledger's own policy, an empty ledger and an actor without the
    right are refused, and nothing is recorded."""
    store = backend.new()
    c = campaign(store)
    with pytest.raises(CommandRefused, match="empty"):
        c.change_policy(OTHER, actor=DEPT, on=DAY, reason="新规定")
    _open(c, 2017, "open-2017")
    head = store.head()
    with pytest.raises(CommandRefused, match="reason"):
        c.change_policy(OTHER, actor=DEPT, on=DAY, reason="  ")
    with pytest.raises(CommandRefused, match="already kept under this policy"):
        c.change_policy(c.policy, actor=DEPT, on=DAY, reason="新规定")
    with pytest.raises(PermissionDenied, match="org_department"):
        c.change_policy(OTHER, actor=FS, on=DAY, reason="新规定")
    assert store.head() == head


def _variant(k: int) -> Policy:
    base = load_policy("northern-county")
    return Policy.from_dict({**base.to_dict(), "meta": {**base.to_dict()["meta"],
                                                         "name": f"variant-{k}",
                                                         "version": f"2017.{k}"}})


VARIANTS = [_variant(k) for k in range(3)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["write", "change"]), st.integers(0, 2)),
                min_size=1, max_size=12))
def test_only_the_current_policy_ever_records(steps: list[tuple[str, int]]) -> None:
    """Whatever writes and changes are tried, in whatever order, each event carries the
    ledger's current policy: a write under another is refused, a change switches it."""
    from rectify.stores import MemoryStore

    store = MemoryStore()
    current: str | None = None
    year = 2017
    for number, (action, k) in enumerate(steps):
        c = _under(VARIANTS[k], store)
        before = len(store)
        fingerprint = VARIANTS[k].fingerprint()
        if action == "write":
            try:
                c.record_talk("P-V1", "admonishment", "整改不力", actor=DEPT,
                              on=date(year, 3, 1), command_id=f"talk-{number}")
            except PolicyConflict:
                assert current is not None
                assert current != fingerprint
                assert len(store) == before
            else:
                assert current in (None, fingerprint)
                current = fingerprint
        else:
            try:
                _under(VARIANTS[(k + 1) % 3], store).change_policy(
                    VARIANTS[k], actor=DEPT, on=date(year, 3, 2), reason="调整",
                    command_id=f"change-{number}")
            except CommandRefused:
                assert current in (None, fingerprint)
                assert len(store) == before
            else:
                assert current not in (None, fingerprint)
                current = fingerprint
        assert store.current_policy() == current
    assert policy_breaches(store.replay(), store.current_policy()) == []
    assert verify_read_models(store) == []


def test_policy_breaches_finds_a_mixed_ledger() -> None:
    """A ledger written before the check (two policies, no change recorded) is reported."""
    from rectify.stores import MemoryStore

    store = MemoryStore()
    c = _under(VARIANTS[0], store)
    c.record_talk("P-V1", "admonishment", "整改不力", actor=DEPT, on=DAY)
    event = next(iter(store.replay()))
    mixed = [event, attrs.evolve(event, version=2, policy=VARIANTS[1].fingerprint())]
    found = policy_breaches(mixed)
    assert len(found) == 1
    assert "recorded under the policy" in found[0]
    stray = attrs.evolve(PolicyChanged(stream=POLICY_STREAM, version=1, actor="D1", on=DAY,
                                       policy="f" * 64, command="x", previous="e" * 64,
                                       name="n", reason="r"))
    assert "must name the policy it replaces" in policy_breaches([event, stray])[0]
    assert "the store names" in policy_breaches([event], "0" * 64)[0]


# -- six processes race to open one ledger under six policies ---------------------------


def _policy_files(directory: Path) -> list[Path]:
    files = []
    base = load_policy("northern-county")
    for k in range(6):
        data = base.to_dict()
        data["meta"] = {**data["meta"], "name": f"racer-{k}", "version": f"2016.{k}"}
        path = directory / f"racer-{k}.toml"
        path.write_text(Policy.from_dict(data).to_toml(), encoding="utf-8")
        files.append(path)
    return files


def _race(db: str, directory: Path) -> list[tuple[int, str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("RECTIFY_DB", None)
    env.pop("RECTIFY_POLICY", None)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "rectify", "open", "--db", db, "--policy", str(path),
         "--year", "2016", "--actor", "P0236", "--on", "2016-02-15", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=directory)
        for path in _policy_files(directory)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    return results


def _check_race(results: list[tuple[int, str, str]], store: LedgerStore) -> None:
    winners = [r for r in results if r[0] == 0]
    assert len(winners) == 1, results
    assert len(json.loads(winners[0][1])["opened"]) == 20
    for code, _, err in results:
        if code:
            assert code == 3, err
            assert json.loads(err)["error"] == "PolicyConflict", err
    assert len(store.policies()) == 1  # type: ignore[attr-defined]
    assert store.current_policy() in store.policies()  # type: ignore[attr-defined]
    assert verify(store).ok
    assert verify_read_models(store) == []  # type: ignore[arg-type]
    assert policy_breaches(store.replay(), store.current_policy()) == []  # type: ignore[attr-defined]


@pytest.mark.slow
def test_six_processes_open_one_sqlite_ledger_under_six_policies(tmp_path: Path) -> None:
    """Exactly one policy wins; the five others get PolicyConflict; the ledger verifies."""
    db = str(tmp_path / "ledger.sqlite3")
    results = _race(db, tmp_path)
    store = open_store(db)
    try:
        _check_race(results, store)
    finally:
        store.close()


@pytest.mark.slow
def test_six_processes_open_one_postgres_ledger_under_six_policies(tmp_path: Path) -> None:
    """The same race on PostgreSQL, the schema chosen in the DSN (?schema=)."""
    dsn = postgres_dsn()
    backend = PostgresBackend(dsn)
    try:
        results = _race(f"{dsn}?schema={backend.schema}", tmp_path)
        _check_race(results, backend.new())
    finally:
        backend.close()
