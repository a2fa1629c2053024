"""Helpers of the store tests: sample events, a campaign scenario, subprocess workers.

Kept out of the test modules so that ``multiprocessing`` (spawn) and plain
subprocesses can import them.
"""

from __future__ import annotations

import random
import types
import typing
from datetime import date
from typing import Any

import attrs

from rectify import (
    Campaign,
    Organization,
    OrgForm,
    Person,
    Plan,
    Population,
    Tier,
    Votes,
    load_policy,
)
from rectify.errors import ConcurrencyConflict
from rectify.events import EVENT_TYPES, CaseOpened, Event, PlanReturned
from rectify.identify import identify
from rectify.model import Assessment
from rectify.stores import Append, LedgerStore, open_store

DAY = date(2017, 3, 1)
DEPT = Person("D1", "组织部干部", roles={"org_department"})
FS = Person("F1", "第一书记", roles={"first_secretary"})
SUP = Person("S1", "督办", roles={"committee_supervisor"})
VER = Person("R1", "验收员", roles={"verifier"})
LEVELS = [("leader_contact", "L1"), ("org_guidance", "D1"), ("paired_unit", "U1"),
          ("committee_supervisor", "S1"), ("first_secretary", "F1")]
PLAN = Plan(problems=[("venue_nonstandard", "场所"), ("rules_not_kept", "制度")],
            measures=["修缮"], responsible=["P-V1"], deadline=date(2017, 6, 30))
VILLAGES = 6
#: One first secretary per village (一人驻一村), a county leader and a paired unit.
STATIONED = [Person(f"F{i}", f"第一书记{i}", roles={"first_secretary"})
             for i in range(2, VILLAGES + 1)]
OTHERS = [Person("L1", "县级领导", roles={"county_leader"}),
          Person("U1", "共建单位", roles={"paired_unit"}, unit="县财政局")]


def _value(tp: Any, name: str, k: int) -> Any:
    """A sample value of field type ``tp`` (Chinese text and odd characters included)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    scalars: dict[Any, Any] = {
        str: f"{name}-{k}-软弱涣散\t\"\\'", int: 2017 + k, float: 61.25 + k,
        bool: k % 2 == 0, date: date(2017, 1 + k % 12, 1 + k % 28)}
    if tp in scalars:
        return scalars[tp]
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        return None if k % 2 else _value(inner, name, k)
    if origin is tuple:
        inner = args[0]
        return tuple(_value(inner, f"{name}{i}", k + i) for i in range(2))
    raise TypeError(tp)


def sample_event(cls: type[Event], stream: str, version: int, command: str, k: int = 0
                 ) -> Event:
    """An event of type ``cls`` with every field set to a sample value."""
    hints = typing.get_type_hints(cls)
    fixed = {"stream": stream, "version": version, "command": command}
    values = {f.name: fixed.get(f.name, _value(hints[f.name], f.name, k))
              for f in attrs.fields(cls)}
    return cls(**values)


def every_event_type(stream: str = "2017-X1") -> list[Event]:
    """One event of every type of ``EVENT_TYPES``, numbered 1, 2, ... in ``stream``."""
    return [sample_event(cls, stream, v, f"cmd-{v}", v)
            for v, cls in enumerate(EVENT_TYPES.values(), start=1)]


def returned(stream: str, version: int, command: str, reason: str = "too vague") -> Event:
    """A small event for tests that only count and order events."""
    return PlanReturned(stream=stream, version=version, actor="D1", on=DAY, policy="p",
                        command=command, reason=reason)


def one(stream: str, expected: int, command: str) -> Append:
    """An append of one small event."""
    return Append(stream, expected, (returned(stream, expected + 1, command),), command)


def population() -> Population:
    """A township committee with a few village branches under it, all weak."""
    orgs = [Organization("V0", "乡党委", "township", Tier.DIRECT, OrgForm.COMMITTEE,
                         secretary="P-V0")]
    orgs += [Organization(f"V{i}", f"{i}组党支部", "village", Tier.SECOND_TIER, parent="V0",
                          secretary=f"P-V{i}") for i in range(1, VILLAGES + 1)]
    return Population(orgs)


def campaign(store: LedgerStore | None) -> Campaign:
    """A campaign over :func:`population` on ``store``."""
    return Campaign(load_policy(), store, population=population(),
                    people=[DEPT, FS, SUP, VER, Person("R2", "验收员二", roles={"verifier"}),
                            *STATIONED, *OTHERS])


def scenario(c: Campaign) -> None:
    """Drive the cases through plans, support, reports, verification, delisting, carry-over."""
    rows = [Assessment("V0", 2017, 95.0)]
    rows += [Assessment(f"V{i}", 2017, 40.0) for i in range(1, VILLAGES + 1)]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=DEPT, on=DAY,
                 command_id="open-2017")
    for i in range(1, VILLAGES + 1):
        case = f"2017-V{i}"
        c.file_plan(case, PLAN, actor=DEPT, on=DAY, command_id=f"plan-{case}")
        if i == 1:
            c.return_plan(case, "措施不具体", actor=DEPT, on=DAY, command_id=f"ret-{case}")
            continue
        for level, default in LEVELS:
            person = f"F{i}" if level == "first_secretary" else default
            c.assign_support(case, level, person, actor=DEPT, on=DAY,
                             command_id=f"sup-{case}-{level}")
        if i == 2:
            continue
        c.record_report(case, "progress", "2017-04", actor=f"F{i}", on=DAY,
                        resolved=["venue_nonstandard", "rules_not_kept"], command_id=f"rep-{case}")
        c.request_verification(case, actor=SUP, on=DAY, command_id=f"req-{case}")
        passed = i % 2 == 0
        c.record_verification(case, 85 if passed else 40, Votes(10, 4, 1) if passed
                              else Votes(2, 4, 9), ["R1"], actor=VER, on=DAY,
                              command_id=f"ver-{case}")
        if passed:
            c.delist(case, actor=DEPT, on=DAY, command_id=f"del-{case}")
    c.close_year(2017, actor=DEPT, on=date(2017, 12, 31), command_id="close-2017")


# -- subprocess workers ---------------------------------------------------------------


def concurrent_writer(target: str, options: dict[str, Any], worker: int, commands: int,
                      streams: int, seed: int) -> list[str]:
    """Issue ``commands`` one-event commands on random shared streams, retrying conflicts.

    Returns the command ids this worker saw accepted.
    """
    rng = random.Random(seed)
    store = open_store(target, **options)
    accepted: list[str] = []
    try:
        for n in range(commands):
            stream = f"S{rng.randrange(streams)}"
            command = f"w{worker}-c{n}"
            while True:
                version = store.version(stream)
                try:
                    if store.append([one(stream, version, command)]) == [True]:
                        accepted.append(command)
                    break
                except ConcurrencyConflict:
                    continue
    finally:
        store.close()  # type: ignore[attr-defined]
    return accepted


def crash_batch(batch: int, items: int) -> list[Append]:
    """Batch number ``batch`` of the crash test: ``items`` appends of one or two events.

    Even items open a case (so the read models have cases, listings and
    policies to keep); odd ones return a plan twice on a stream of their own.
    """
    out = []
    for k in range(items):
        command = f"b{batch}-{k}"
        if k % 2 == 0:
            org = f"B{batch}K{k}"
            stream = f"2017-{org}"
            events: tuple[Event, ...] = (CaseOpened(
                stream=stream, version=1, actor="D1", on=DAY, policy="p", command=command,
                org=org, year=2017, kind="village", rules=("grade_d",), score=40.0 + k),)
        else:
            stream = f"B{batch}-S{k}"
            events = tuple(returned(stream, v, command, "重做" * 20) for v in (1, 2))
        out.append(Append(stream, 0, events, command))
    return out


def crash_writer(target: str, options: dict[str, Any], start: int, batches: int, items: int,
                 announce: Any) -> None:
    """Append batches ``start``.. of :func:`crash_batch`, announcing each commit.

    ``announce`` is a ``multiprocessing`` connection.  The parent kills the
    writer with SIGKILL at a random moment; the next writer starts again
    from the last batch announced + 1, which may have committed already.
    """
    store = open_store(target, **options)
    announce.send("ready")
    for b in range(start, start + batches):
        store.append(crash_batch(b, items))
        announce.send(b)


# -- read models across processes ------------------------------------------------------

#: The person every racer assigns, and the level they take.
RACER = Person("U9", "结对单位九", roles={"paired_unit"}, unit="县水利局")


def cap_campaign(store: LedgerStore) -> Campaign:
    """A campaign of 12 listed villages whose people include the racing unit."""
    orgs = [Organization(f"V{i}", f"第{i}村党支部", "village", Tier.DIRECT, OrgForm.BRANCH,
                         secretary=f"P-V{i}") for i in range(1, 13)]
    return Campaign(load_policy(), store, population=Population(orgs), people=[DEPT, RACER])


def cap_setup(store: LedgerStore, already: int) -> list[str]:
    """Open the 12 cases and give the racer ``already`` of them; the others' ids."""
    c = cap_campaign(store)
    rows = [Assessment(f"V{i}", 2017, 10.0) for i in range(1, 13)]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=DEPT, on=DAY,
                 command_id="open-2017")
    cases = [x.id for x in c.cases()]
    for case in cases[:already]:
        c.assign_support(case, "paired_unit", RACER.id, actor=DEPT, on=DAY,
                         command_id=f"pre-{case}")
    return cases[already:]


def cap_racer(target: str, options: dict[str, Any], case: str, start_at: float) -> bool | str:
    """Assign the racer to ``case`` at ``start_at`` (a wall-clock time); whether it was taken.

    Any other error comes back as its text, so a failing round names it.
    """
    import time

    from rectify.errors import CommandRefused

    store = open_store(target, **options)
    try:
        c = cap_campaign(store)
        time.sleep(max(0.0, start_at - time.time()))
        try:
            c.assign_support(case, "paired_unit", RACER.id, actor=DEPT, on=DAY,
                             command_id=f"race-{case}")
        except CommandRefused:
            return False
        except Exception as exc:  # reported to the test, which fails naming it
            return f"{type(exc).__name__}: {exc}"
        return True
    finally:
        store.close()


def plan_elsewhere(target: str, options: dict[str, Any], case: str) -> str:
    """File the plan of ``case`` from another process; the state it left the case in."""
    store = open_store(target, **options)
    try:
        return campaign(store).file_plan(case, PLAN, actor=DEPT, on=DAY,
                                         command_id=f"plan-{case}").state
    finally:
        store.close()


def appoint_elsewhere(target: str, options: dict[str, Any], org: str, person: str) -> str | None:
    """Appoint ``person`` secretary of ``org`` from another process; who holds it after."""
    store = open_store(target, **options)
    try:
        c = campaign(store)
        c.appoint(org, person, actor=DEPT, on=DAY, command_id=f"appoint-{org}-{person}")
        return c.holder(org, on=DAY)
    finally:
        store.close()
