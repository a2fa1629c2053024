"""Optimistic batches: checked in a snapshot, kept only if nothing they read has changed.

Another campaign on the same store records between the snapshot and the write lock
(the test wraps the store's ``transaction()``); the batch must end exactly as checking
it under the lock would, on every back-end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ledger_workers import DAY, DEPT, PLAN, RACER, cap_campaign, cap_setup

from conftest import Backend
from rectify import Campaign
from rectify.campaign import _Staged
from rectify.errors import CommandRefused
from rectify.lifecycle.commands import AssignSupport, FilePlan
from rectify.stores.readmodel import verify_read_models


def _interloping(store: Any, act: Callable[[], None]) -> None:
    """Run ``act`` once, just before the next write transaction begins."""
    original = store.transaction
    done: list[bool] = []

    @contextlib.contextmanager
    def transaction() -> Iterator[None]:
        if not done:
            done.append(True)
            act()
        with original():
            yield

    store.transaction = transaction


def _stagings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the times a batch is checked."""
    calls: list[int] = []
    original = Campaign._stage

    def counting(self: Campaign, *args: Any, **options: Any) -> _Staged:
        calls.append(1)
        return original(self, *args, **options)

    monkeypatch.setattr(Campaign, "_stage", counting)
    return calls


def _plans(cases: list[str]) -> list[tuple[FilePlan, str]]:
    return [(FilePlan(case, PLAN), f"plan-{case}") for case in cases]


def test_an_unchanged_store_keeps_the_batch_checked_in_the_snapshot(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """With nobody else writing, the batch is checked once, and lands as it would locked."""
    store = backend.new()
    cases = cap_setup(store, 0)
    stagings = _stagings(monkeypatch)
    c = cap_campaign(store)
    got = c.run_bulk(_plans(cases[:3]), actor=DEPT, on=DAY, optimistic=True)
    assert got.accepted == tuple(f"plan-{case}" for case in cases[:3])
    assert len(stagings) == 1
    assert [c.case(case).state for case in cases[:3]] == ["planned"] * 3
    assert verify_read_models(store) == []  # type: ignore[arg-type]


def test_a_case_changed_meanwhile_is_checked_again_under_the_lock(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer files one of the batch's plans first: that command is refused, as it
    would be locked, and the others land after it."""
    store = backend.new()
    cases = cap_setup(store, 0)
    stagings = _stagings(monkeypatch)
    other = cap_campaign(store)
    _interloping(store, lambda: other.file_plan(cases[1], PLAN, actor=DEPT, on=DAY,
                                                command_id="elsewhere"))
    got = cap_campaign(store).run_bulk(_plans(cases[:3]), actor=DEPT, on=DAY, optimistic=True)
    assert got.accepted == (f"plan-{cases[0]}", f"plan-{cases[2]}")
    refusal = got.refused[f"plan-{cases[1]}"]
    assert isinstance(refusal, CommandRefused)
    assert "not possible in state planned" in str(refusal)
    assert len(stagings) == 2
    assert store.has_command("elsewhere")
    assert verify_read_models(store) == []  # type: ignore[arg-type]


def test_a_load_taken_meanwhile_keeps_the_cap(backend: Backend,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer gives the racer its last free place: the batch's assignment of the
    racer is refused for the cap instead of going past it."""
    store = backend.new()
    cap = cap_campaign(store).policy.coverage.max_cases_per_person
    free = cap_setup(store, cap - 1)
    other = cap_campaign(store)
    _interloping(store, lambda: other.assign_support(free[0], "paired_unit", RACER.id,
                                                     actor=DEPT, on=DAY, command_id="taken"))
    stagings = _stagings(monkeypatch)
    c = cap_campaign(store)
    got = c.run_bulk([(AssignSupport(free[1], "paired_unit", RACER.id), "mine")],
                     actor=DEPT, on=DAY, optimistic=True)
    assert got.accepted == ()
    assert "mine" in got.refused
    assert len(stagings) == 2
    assert c.load(RACER.id) == cap


def test_a_command_recorded_meanwhile_is_a_repeat(backend: Backend,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer records the batch's own command id first: the batch reports it
    repeated and records it once."""
    store = backend.new()
    cases = cap_setup(store, 0)
    other = cap_campaign(store)
    _interloping(store, lambda: other.file_plan(cases[0], PLAN, actor=DEPT, on=DAY,
                                                command_id=f"plan-{cases[0]}"))
    got = cap_campaign(store).run_bulk(_plans(cases[:2]), actor=DEPT, on=DAY,
                                       optimistic=True)
    assert got.repeated == (f"plan-{cases[0]}",)
    assert got.accepted == (f"plan-{cases[1]}",)
    assert sum(e.command == f"plan-{cases[0]}" for e in store.replay()) == 1


def test_an_appointment_meanwhile_is_read_again(backend: Backend,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A post changed meanwhile moves the records mark, so the batch is checked again: the
    plan names V1's secretary, who has just lost the post, and is refused as it would be
    locked."""
    store = backend.new()
    cases = cap_setup(store, 0)
    stagings = _stagings(monkeypatch)
    other = cap_campaign(store)
    _interloping(store, lambda: other.appoint("V1", RACER.id, actor=DEPT, on=DAY,
                                              command_id="appoint"))
    got = cap_campaign(store).run_bulk(_plans(cases[:1]), actor=DEPT, on=DAY,
                                       optimistic=True)
    assert len(stagings) == 2
    assert got.accepted == ()
    assert "P-V1 no longer holds the post" in str(got.refused[f"plan-{cases[0]}"])


def test_an_optimistic_refusal_undone_under_the_lock_is_not_logged(
        backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    """Refusals are logged from the check that is kept: the snapshot's check refuses the
    racer at its cap, the check under the lock (after another writer freed a place)
    accepts it, and no ``command.refused`` is logged for it."""
    import logging

    from rectify.lifecycle.commands import AssignSupport

    store = backend.new()
    cap = cap_campaign(store).policy.coverage.max_cases_per_person
    free = cap_setup(store, cap)  # the racer is at the cap
    other = cap_campaign(store)
    taken = [c.id for c in other.cases() if RACER.id in c.supporters]
    _interloping(store, lambda: other.release_support(taken[0], "paired_unit", actor=DEPT,
                                                      on=DAY, command_id="freed"))
    caplog.set_level(logging.WARNING, logger="rectify.campaign")
    got = cap_campaign(store).run_bulk([(AssignSupport(free[0], "paired_unit", RACER.id),
                                         "mine")], actor=DEPT, on=DAY, optimistic=True)
    assert got.accepted == ("mine",)
    refused = [r for r in caplog.records if "command.refused" in r.getMessage()]
    assert refused == [], f"logged a refusal of an accepted command: {refused[0].getMessage()}"


def test_a_rebuild_meanwhile_is_kept_by_the_optimistic_batch(durable: Backend) -> None:
    """A rebuild of the read models (run because a record was wrong) changes records
    without moving any version: the batch checked in the snapshot is checked again rather
    than writing its projection of the wrong record back over the rebuilt one."""
    store = durable.new()
    cases = cap_setup(store, 0)
    if durable.name == "sqlite":
        durable.sql("UPDATE cases SET record = CAST(replace(CAST(record AS TEXT),"
                    " '\"attempts\":0', '\"attempts\":7') AS BLOB) WHERE \"case\" = ?",
                    cases[0])
    else:
        durable.sql("UPDATE cases SET record = convert_to(replace(convert_from(record,"
                    " 'UTF8'), '\"attempts\":0', '\"attempts\":7'), 'UTF8')"
                    ' WHERE "case" = %s', cases[0])
    assert verify_read_models(store) != []  # type: ignore[arg-type]
    fixer = durable.new()
    _interloping(store, fixer.rebuild_read_models)  # `rectify ledger rebuild` meanwhile
    got = cap_campaign(store).run_bulk([(FilePlan(cases[0], PLAN), "p0")], actor=DEPT,
                                       on=DAY, optimistic=True)
    assert got.accepted == ("p0",)
    assert verify_read_models(store) == [], "the wrong record came back"  # type: ignore[arg-type]


def test_a_refusal_of_a_kept_check_is_logged_once(backend: Backend,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The snapshot's check is kept (nobody wrote meanwhile): its refusal is logged once."""
    import logging

    store = backend.new()
    cap = cap_campaign(store).policy.coverage.max_cases_per_person
    free = cap_setup(store, cap)  # the racer is at the cap
    caplog.set_level(logging.WARNING, logger="rectify.campaign")
    got = cap_campaign(store).run_bulk([(AssignSupport(free[0], "paired_unit", RACER.id),
                                         "mine")], actor=DEPT, on=DAY, optimistic=True)
    assert "mine" in got.refused
    assert [r.getMessage().count("command.refused") for r in caplog.records
            if "command.refused" in r.getMessage()] == [1]
