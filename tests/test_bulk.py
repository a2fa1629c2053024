"""Bulk commands: ``run_bulk`` gives exactly what issuing the commands one at a time gives."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from rectify import Campaign, ConcurrencyConflict, Person, RectifyError, Votes, load_policy
from rectify.bulk import BulkCommand, BulkResult, run_bulk
from rectify.events import ReportRecorded
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.model import Assessment
from rectify.stores.base import Append
from rectify.stores.memory import MemoryStore
from rectify.testing.machine import ALWAYS_LISTED, campaign_forest, campaign_people

POLICY = load_policy()
POPULATION = campaign_forest()
PEOPLE = campaign_people(POPULATION, POLICY)
BY_ID = {p.id: p for p in PEOPLE}
ON = date(2017, 3, 1)
ASPECTS = sorted(POLICY.aspects)[:2]
#: Who issues each command in the set-up phase (one at a time, with the right).
SETUP_ACTOR = {"record_verification": "VER-3"}
#: Support holders that never conflict with a case of the forest.
HOLDERS = {"leader_contact": "LEAD-1", "org_guidance": "OD-2", "paired_unit": "PAIR-1",
           "committee_supervisor": "CS-1", "first_secretary": "FS-1"}


def _campaign(scores: list[float], store: MemoryStore | None = None) -> Campaign:
    assessments = [Assessment(o.code, 2017, 0.0 if o.code in ALWAYS_LISTED else s)
                   for o, s in zip(POPULATION, scores, strict=True)]
    campaign = Campaign(POLICY, store if store is not None else MemoryStore(),
                        population=POPULATION, people=PEOPLE)
    campaign.open_cases(identify(POPULATION, assessments, POLICY, 2017), actor="OD-1",
                        on=date(2017, 2, 1), command_id="open-2017")
    return campaign


def _plan(complete: bool) -> Plan:
    return Plan([(a, f"{a}: 问题") for a in ASPECTS], ["措施"] if complete else [],
                ["责任人"], date(2017, 6, 1))


def _happy_path(case: str, kind: str, passing: bool) -> list[tuple[str, str, dict[str, Any]]]:
    steps: list[tuple[str, str, dict[str, Any]]] = [("file_plan", case, {"plan": _plan(True)})]
    steps += [("assign_support", case, {"level": level, "person": HOLDERS[level]})
              for level in POLICY.support.required[kind]]
    steps += [
        ("record_report", case, {"kind": "progress", "month": "2017-03",
                                 "resolved": tuple(ASPECTS), "note": ""}),
        ("request_verification", case, {}),
        ("record_verification", case, {"score": 90.0 if passing else 40.0,
                                       "votes": Votes(15, 0, 0), "team": ("VER-3",)}),
        ("delist", case, {}),
    ]
    return steps


@st.composite
def one_command(draw: st.DrawFn, cases: list[str]) -> tuple[str, str, dict[str, Any]]:
    """Any command on any case (or an unknown one), with arguments valid or not."""
    case = draw(st.sampled_from([*cases, "1999-NOPE"]))
    name = draw(st.sampled_from([
        "file_plan", "return_plan", "assign_support", "release_support", "record_report",
        "request_verification", "record_verification", "delist", "reopen"]))
    levels = [*POLICY.support.levels, "no_such_level"]
    args: dict[str, Any] = {
        "file_plan": lambda: {"plan": _plan(draw(st.booleans()))},
        "return_plan": lambda: {"reason": draw(st.sampled_from(["笼统", ""]))},
        "assign_support": lambda: {"level": draw(st.sampled_from(levels)),
                                   "person": draw(st.sampled_from(
                                       ["FS-1", "VER-1", "VER-3", "S-V01", "S-T1"]))},
        "release_support": lambda: {"level": draw(st.sampled_from(levels))},
        "record_report": lambda: {
            "kind": draw(st.sampled_from(["progress", "duty_ledger", "gossip"])),
            "month": draw(st.sampled_from(["2017-03", "2017-13"])),
            "resolved": tuple(draw(st.lists(st.sampled_from([*ASPECTS, "venue_nonstandard"]),
                                            unique=True))), "note": ""},
        "request_verification": dict,
        "record_verification": lambda: {
            "score": draw(st.sampled_from([40.0, 70.0, 95.0, 120.0])),
            "votes": draw(st.sampled_from([Votes(15, 0, 0), Votes(5, 2, 8), Votes(0, 0, 0)])),
            "team": tuple(draw(st.lists(st.sampled_from(["VER-3", "VER-2", "FS-1", "S-V01"]),
                                        max_size=2, unique=True)))},
        "delist": dict,
        "reopen": lambda: {"reason": draw(st.sampled_from(["反弹", ""]))},
    }[name]()
    return name, case, args


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, str, dict[str, Any]]],
                                        list[BulkCommand], str]:
    """Scores for 2017, a set-up sequence, a batch of commands (ids may repeat) and its actor."""
    scores = draw(st.lists(st.sampled_from([45.0, 60.0, 75.0, 95.0]), min_size=len(POPULATION),
                           max_size=len(POPULATION)))
    cases = [c.id for c in _campaign(scores).cases()]
    kinds = {c: POPULATION[c.split("-", 1)[1]].kind for c in cases}

    def chunk() -> st.SearchStrategy[list[tuple[str, str, dict[str, Any]]]]:
        happy = st.builds(
            lambda case, passing, length: _happy_path(case, kinds[case], passing)[:length],
            st.sampled_from(cases), st.booleans(), st.integers(1, 12))
        return happy | one_command(cases).map(lambda c: [c])

    setup = [c for part in draw(st.lists(chunk(), max_size=4)) for c in part]
    plain = [c for part in draw(st.lists(chunk(), min_size=1, max_size=6)) for c in part]
    batch: list[BulkCommand] = []
    for i, (name, case, args) in enumerate(plain):
        command_id = f"b{i}"
        # Repeats on an unknown case diverge (a known bug with its own test below).
        if batch and case in cases and draw(st.integers(0, 9)) == 0:
            command_id = draw(st.sampled_from(batch)).command_id  # a retried command id
        if setup and case in cases and draw(st.integers(0, 19)) == 0:
            command_id = "s0"  # a command already in the ledger
        batch.append(BulkCommand(name, case, command_id, args))
    actor = draw(st.sampled_from(["OD-1", "OD-1", "OD-1", "VER-3", "FS-1", "NOBODY"]))
    return scores, setup, batch, actor


def _issue(campaign: Campaign, name: str, case: str, args: dict[str, Any], actor: Person | str,
           command_id: str) -> None:
    getattr(campaign, name)(case, **args, actor=actor, on=ON, command_id=command_id)


def _one_at_a_time(campaign: Campaign, batch: list[BulkCommand], actor: str) -> BulkResult:
    """Issue ``batch`` command by command, classifying each as ``run_bulk`` does."""
    accepted: list[str] = []
    refused: dict[str, RectifyError] = {}
    repeated: list[str] = []
    for cmd in batch:
        size = len(campaign.store)  # type: ignore[arg-type]
        try:
            _issue(campaign, cmd.command, cmd.case, cmd.args, actor, cmd.command_id)
        except RectifyError as exc:
            refused[cmd.command_id] = exc
            continue
        if len(campaign.store) > size:  # type: ignore[arg-type]
            accepted.append(cmd.command_id)
        else:
            repeated.append(cmd.command_id)
    return BulkResult(tuple(accepted), refused, tuple(repeated))


def _setup(scores: list[float], setup: list[tuple[str, str, dict[str, Any]]],
           store: MemoryStore | None = None) -> Campaign:
    campaign = _campaign(scores, store)
    for i, (name, case, args) in enumerate(setup):
        actor = SETUP_ACTOR.get(name, "OD-1")
        with contextlib.suppress(RectifyError):
            _issue(campaign, name, case, args, actor, f"s{i}")
    return campaign


def _refusals(result: BulkResult) -> dict[str, tuple[type, str]]:
    return {k: (type(v), str(v)) for k, v in result.refused.items()}


@pytest.mark.parametrize("optimistic", [False, True], ids=["locked", "optimistic"])
@given(scenarios())
def test_bulk_equals_one_at_a_time(optimistic: bool, scenario: tuple[
        list[float], list[tuple[str, str, dict[str, Any]]], list[BulkCommand], str]) -> None:
    """Same cases, same events in the same order, same accepted/refused/repeated split
    (checked under the lock, or in a snapshot and kept)."""
    scores, setup, batch, actor = scenario
    one, bulk = _setup(scores, setup), _setup(scores, setup)
    assert list(one.store.replay()) == list(bulk.store.replay())
    note(f"batch {[(c.command, c.case, c.command_id) for c in batch]} by {actor}")
    expected = _one_at_a_time(one, batch, actor)
    got = run_bulk(bulk, batch, actor=actor, on=ON, optimistic=optimistic)
    note(f"one at a time: {expected.accepted} / {sorted(expected.refused)} / "
         f"{expected.repeated}")
    event(f"accepted: {min(len(got.accepted), 3)}+" if got.accepted else "accepted: none")
    event("some refused" if got.refused else "none refused")
    event("some repeated" if got.repeated else "none repeated")
    assert got.accepted == expected.accepted
    assert _refusals(got) == _refusals(expected)
    assert got.repeated == expected.repeated
    assert list(bulk.store.replay()) == list(one.store.replay())
    assert bulk.cases() == one.cases()
    assert bulk.records() == one.records()
    assert bulk.reports_filed() == one.reports_filed()
    fresh = Campaign(POLICY, bulk.store, population=POPULATION, people=PEOPLE)
    assert fresh.cases() == bulk.cases()


def test_bulk_repeat_of_an_unknown_case_matches_one_at_a_time() -> None:
    """A command id repeated within a batch on an unknown case is refused as it is one at a time.

    One at a time the case is looked up before the command id, so the repeat
    raises ``UnknownCaseError``; ``run_bulk`` checks its in-batch ids first and
    reports it as repeated.  Fails today (see the report).
    """
    batch = [BulkCommand("file_plan", "2017-V01", "x1", {"plan": _plan(True)}),
             BulkCommand("delist", "1999-NOPE", "x1")]
    one, bulk = _campaign([95.0] * len(POPULATION)), _campaign([95.0] * len(POPULATION))
    expected = _one_at_a_time(one, batch, "OD-1")
    got = run_bulk(bulk, batch, actor="OD-1", on=ON)
    assert (got.accepted, _refusals(got), got.repeated) == (
        expected.accepted, _refusals(expected), expected.repeated)


@given(st.sampled_from(["2017-V01", "2017-T1-01"]), st.integers(0, 6))
def test_a_batch_sees_what_another_writer_recorded(sneaked: str, before: int) -> None:
    """When another writer appended to a stream first, the batch builds on it (no stale copy).

    The campaign reads the store, so the batch checks against the other
    writer's event and records after it: nothing is lost and nothing conflicts.
    """
    campaign = _setup([95.0] * len(POPULATION), _happy_path("2017-V01", "village", True)[:before])
    events = list(campaign.store.replay())
    batch = [BulkCommand("record_report", case, f"r-{case}",
                         {"kind": "progress", "month": "2017-03", "resolved": (), "note": ""})
             for case in ("2017-T1-01", "2017-V01")]
    version = campaign.store.version(sneaked)
    other = ReportRecorded(stream=sneaked, version=version + 1, actor="OD-2", on=ON,
                           policy=POLICY.fingerprint(), command="elsewhere", kind="progress",
                           month="2017-03")
    campaign.store.append([Append(sneaked, version, (other,), "elsewhere")])
    got = run_bulk(campaign, batch, actor="OD-1", on=ON)
    assert got.accepted == ("r-2017-T1-01", "r-2017-V01")
    assert list(campaign.store.replay())[:len(events) + 1] == [*events, other]
    assert campaign.case(sneaked).version == version + 2


class _RefusingStore(MemoryStore):
    """A store whose next append meets a concurrent writer (for the refusal path)."""

    refuse = False

    def append(self, batch: Sequence[Append], *,
               projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        if self.refuse:
            raise ConcurrencyConflict(batch[0].stream, batch[0].expected, batch[0].expected + 1)
        return super().append(batch, projected=projected)


def test_a_batch_the_store_refuses_changes_nothing() -> None:
    """A batch refused by the store records nothing and leaves every case as it was."""
    store = _RefusingStore()
    campaign = _setup([95.0] * len(POPULATION), [], store=store)
    cases = campaign.cases()
    size = len(store)
    batch = [BulkCommand("record_report", case, f"r-{case}",
                         {"kind": "progress", "month": "2017-03", "resolved": (), "note": ""})
             for case in ("2017-T1-01", "2017-V01")]
    store.refuse = True
    with pytest.raises(ConcurrencyConflict):
        run_bulk(campaign, batch, actor="OD-1", on=ON)
    assert campaign.cases() == cases
    assert len(store) == size
    assert not store.has_command("r-2017-V01")


def test_bulk_keeps_the_support_load_cap() -> None:
    """A batch cannot push a supporter past ``max_cases_per_person`` when one at a time can't.

    One at a time, the sixth ``leader_contact`` assignment of LEAD-1 is
    refused (cap 5 open cases).  ``run_bulk`` stages the earlier assignments of
    the batch in the cases but not in the campaign's support loads, so it
    accepts all six.  Fails today (see the report).
    """
    cap = POLICY.coverage.max_cases_per_person
    one, bulk = _campaign([45.0] * len(POPULATION)), _campaign([45.0] * len(POPULATION))
    cases = [c.id for c in one.cases()][:cap + 1]
    batch = [BulkCommand("assign_support", case, f"lead-{case}",
                         {"level": "leader_contact", "person": "LEAD-1"}) for case in cases]
    expected = _one_at_a_time(one, batch, "OD-1")
    assert len(expected.accepted) == cap
    got = run_bulk(bulk, batch, actor="OD-1", on=ON)
    assert got.accepted == expected.accepted
    assert _refusals(got) == _refusals(expected)
    assert bulk.load("LEAD-1") == one.load("LEAD-1") == cap
