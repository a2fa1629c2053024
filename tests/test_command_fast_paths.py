"""The command path's fast paths give what their reference paths give.

Each shortcut of the command path (events and appends built slot by slot, the
projection's one copy, the actor's right and the case's date window worked out
once per batch, record_report's common case, the holder of an unchanged post,
the memory store's one-pass batch check) is checked here against the general
code it stands in for, on generated input.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import Campaign, ConcurrencyConflict, InvalidValueError, Person, load_policy
from rectify.campaign import _DayLookups
from rectify.events import (
    CaseDelisted,
    CaseReopened,
    Event,
    PlanFiled,
    PlanReturned,
    PostAppointed,
    PostVacated,
    ReportRecorded,
    SecretaryDismissed,
    SupportAssigned,
    SupportReleased,
    VerificationRecorded,
    VerificationRequested,
)
from rectify.lifecycle import commands as commands_module
from rectify.lifecycle.builders import COMMON, event_builder, positional_builder
from rectify.lifecycle.case import CaseRecord, advanced, replaced
from rectify.lifecycle.commands import REPORT_KINDS, Context, RecordReport
from rectify.lifecycle.dates import case_date_problems
from rectify.lifecycle.permissions import missing_right
from rectify.lifecycle.workflow import default_table
from rectify.posts import SECRETARY, Holdings, Initial, Post
from rectify.stores.base import Append, check_batch
from rectify.stores.compact import CompactLedger
from rectify.stores.memory import MemoryStore, _all_accepted
from rectify.testing.machine import campaign_forest

POLICY = load_policy()
STATES = {state for state, _ in default_table()} | set(default_table().values())
POPULATION = campaign_forest()
ORGS = [o.code for o in POPULATION]
ON = date(2017, 3, 1)

texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
dates = st.dates(date(2015, 1, 1), date(2020, 12, 31))
names = st.tuples(texts, texts)


# -- events and appends built slot by slot -----------------------------------------------

#: Each case event class with a strategy for its own fields.
OWN_FIELDS: dict[type[Event], st.SearchStrategy[dict[str, Any]]] = {
    ReportRecorded: st.fixed_dictionaries(
        {"kind": texts, "month": texts},
        optional={"resolved": st.lists(texts, max_size=3).map(tuple), "note": texts}),
    SupportAssigned: st.fixed_dictionaries({"level": texts, "person": texts}),
    SupportReleased: st.fixed_dictionaries({"level": texts, "person": texts}),
    PlanReturned: st.fixed_dictionaries({"reason": texts}),
    PlanFiled: st.fixed_dictionaries(
        {"problems": st.lists(names, max_size=2).map(tuple),
         "measures": st.lists(texts, max_size=2).map(tuple),
         "responsible": st.lists(texts, max_size=2).map(tuple), "deadline": dates},
        optional={"problem_type": st.none() | texts}),
    VerificationRequested: st.just({}),
    VerificationRecorded: st.fixed_dictionaries(
        {"score": st.floats(0, 100), "satisfied": st.integers(0, 20),
         "basically_satisfied": st.integers(0, 20), "dissatisfied": st.integers(0, 20),
         "team": st.lists(texts, max_size=2).map(tuple), "passed": st.booleans(),
         "reasons": st.lists(texts, max_size=2).map(tuple), "attempt": st.integers(1, 5),
         "new_deadline": st.none() | dates}),
    CaseDelisted: st.just({}),
    CaseReopened: st.fixed_dictionaries({"reason": texts, "new_deadline": dates}),
}

commons = st.tuples(texts, st.integers(1, 99), texts, dates, texts, texts,
                    st.lists(texts, max_size=2).map(tuple))


@given(st.sampled_from(sorted(OWN_FIELDS, key=lambda c: c.__name__)).flatmap(
    lambda cls: st.tuples(st.just(cls), commons, OWN_FIELDS[cls])))
def test_an_event_built_slot_by_slot_is_the_constructor_s(
        drawn: tuple[type[Event], tuple[Any, ...], dict[str, Any]]) -> None:
    cls, common, fields = drawn
    built = event_builder(cls)(*common, fields)
    reference = cls(**dict(zip(COMMON, common, strict=True)), **fields)
    assert type(built) is cls
    assert built == reference
    assert hash(built) == hash(reference)
    assert attrs.asdict(built, recurse=False) == attrs.asdict(reference, recurse=False)


@pytest.mark.parametrize("fields", [{"kind": "progress"}, {"kind": "p", "month": "m", "x": 1},
                                    {"kind": "p", "month": "m", "note": "", "resolved": (),
                                     "extra": 2}])
def test_fields_the_event_does_not_take_fail_as_the_constructor_does(
        fields: dict[str, Any]) -> None:
    common = ("s", 1, "a", ON, "p", "c", ())
    with pytest.raises(TypeError):
        ReportRecorded(**dict(zip(COMMON, common, strict=True)), **fields)
    with pytest.raises(TypeError):
        event_builder(ReportRecorded)(*common, fields)


@given(texts, st.integers(0, 99), texts)
def test_an_append_built_slot_by_slot_is_the_constructor_s(stream: str, expected: int,
                                                           command: str) -> None:
    event = event_builder(PlanReturned)(stream, expected + 1, "a", ON, "p", command, (),
                                        {"reason": "r"})
    built = positional_builder(Append)(stream, expected, (event,), command)
    reference = Append(stream, expected, (event,), command)
    assert type(built) is Append
    assert built == reference
    assert hash(built) == hash(reference)


def test_a_class_with_a_converter_or_a_default_keeps_its_own_constructor() -> None:
    @attrs.frozen(slots=True)
    class Converted:
        values: tuple[int, ...] = attrs.field(converter=tuple)

    @attrs.frozen(slots=True)
    class Defaulted:
        value: int = 0

    assert positional_builder(Converted) is Converted
    assert positional_builder(Defaulted) is Defaulted
    assert positional_builder(Converted)([1, 2]).values == (1, 2)


# -- the projection's one copy -------------------------------------------------------------

records = st.builds(
    CaseRecord, id=texts, org=texts, year=st.integers(2015, 2020), kind=texts,
    state=st.sampled_from(sorted(STATES)), version=st.integers(1, 50), opened_on=dates,
    deadline=st.none() | dates, problems=st.lists(texts, max_size=3).map(tuple),
    resolved=st.frozensets(texts, max_size=3),
    support=st.lists(names, max_size=3).map(tuple),
    past_support=st.lists(names, max_size=2).map(tuple), attempts=st.integers(0, 3),
    passed=st.none() | st.booleans(), verifiers=st.lists(texts, max_size=2).map(tuple),
    delisted_on=st.none() | dates, last_on=st.none() | dates,
    last_event=st.none() | texts, scope=texts, continued_into=st.none() | st.integers(2016, 2021),
    problem_type=st.none() | texts, verified_by=st.none() | texts)

changes = st.fixed_dictionaries({}, optional={
    "deadline": st.none() | dates, "problems": st.lists(texts, max_size=2).map(tuple),
    "resolved": st.frozensets(texts, max_size=2), "attempts": st.integers(0, 4),
    "passed": st.none() | st.booleans(), "support": st.lists(names, max_size=2).map(tuple),
    "delisted_on": st.none() | dates, "continued_into": st.none() | st.integers(2016, 2021)})


@given(records, changes, st.sampled_from(sorted(STATES)), st.integers(1, 99), dates, texts)
def test_advancing_a_record_is_replacing_its_fields(record: CaseRecord,
                                                    change: dict[str, Any], state: str,
                                                    version: int, on: date, kind: str) -> None:
    got = advanced(record, change, state, version, on, kind)
    reference = replaced(record, {**change, "state": state, "version": version,
                                  "last_on": on, "last_event": kind})
    assert got == reference
    assert got == attrs.evolve(record, **change, state=state, version=version, last_on=on,
                               last_event=kind)
    assert got is not record


# -- record_report's common case ---------------------------------------------------------

def _report_reference(command: RecordReport, case: CaseRecord) -> bool:
    """Whether the general checks of record_report accept (the code before the shortcut)."""
    month = command.month
    month_ok = (len(month) == 7 and month[4] == "-" and (month[:4] + month[5:]).isdigit()
                and 1 <= int(month[5:]) <= 12)
    stray = [a for a in command.resolved if a not in case.problems]
    return command.kind in REPORT_KINDS and month_ok and case.is_open and not stray


months = st.sampled_from(["2017-03", "2017-13", "2017-00", "2017-3", "20a7-03", "2017/03",
                          "١٢٣٤-05"]) | texts


@given(st.sampled_from([*REPORT_KINDS, "gossip"]), months,
       st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True), records)
def test_record_report_accepts_exactly_what_its_general_checks_accept(
        kind: str, month: str, resolved: list[str], record: CaseRecord) -> None:
    command = RecordReport(record.id, kind, month, tuple(resolved))
    ctx = Context(POLICY, ON, POPULATION, default_table().get, lambda _p: 0, lambda _p: None)
    for _ in range(2):  # the second time from the months already checked
        built = command.build(ctx, record)
        assert (not isinstance(built, list)) == _report_reference(command, record)
        if not isinstance(built, list):
            assert built.event is ReportRecorded
            assert built.triggers == ()
            assert built.fields == {"kind": kind, "month": month,
                                    "resolved": tuple(resolved), "note": ""}
        else:
            assert built
    assert commands_module._month_ok(month) == commands_module._month_ok(str(month))


# -- the actor's right and the date window, once per batch --------------------------------

ROLES = ["org_department", "secretary", "first_secretary", "committee_supervisor",
         "verifier", "nobody"]
SCOPES = ["", "河北省", "河北省/北岭县", "河北省/南山县"]
CASE_COMMANDS = ["file_plan", "return_plan", "assign_support", "record_report",
                 "request_verification", "record_verification", "delist", "reopen"]


@given(st.frozensets(st.sampled_from(ROLES), max_size=3), st.sampled_from(SCOPES),
       st.sampled_from(SCOPES), st.sampled_from(CASE_COMMANDS), st.sampled_from(ORGS),
       st.lists(st.sampled_from([("first_secretary", "P"), ("committee_supervisor", "P")]),
                max_size=2, unique=True),
       st.dictionaries(st.sampled_from(ROLES[:5]),
                       st.sampled_from(["any", "assigned", "own_organization"]), max_size=3),
       st.booleans(), st.booleans())
def test_the_right_worked_out_once_agrees_with_the_permission_check(
        roles: frozenset[str], scope: str, case_scope: str, command: str, org: str,
        support: list[tuple[str, str]], scopes: dict[str, str], registered: bool,
        as_person: bool) -> None:
    policy = POLICY.evolve({"permissions": {"scopes": scopes}}) if scopes else POLICY
    person = Person("P", "某人", roles=set(roles), scope=scope)
    campaign = Campaign(policy, MemoryStore(), population=POPULATION,
                        people=[person] if registered else [])
    record = CaseRecord(id=f"2017-{org}", org=org, year=2017, kind="village",
                        state="supported", version=3, opened_on=date(2017, 2, 1),
                        support=tuple(support), scope=case_scope)
    actor: Person | str = person if as_person else "P"
    day = _DayLookups(campaign, ON, campaign._lazy_holdings())
    for _ in range(2):  # worked out, then from what was kept
        fast = day.allowed(actor, command, record)
        if fast is not None:
            assert missing_right(fast, command, record, POPULATION, policy) is None
            assert campaign._actor(actor, command, record, ON, day.holdings) is fast


@given(records, st.dates(date(2010, 1, 1), date(2025, 12, 31)),
       st.integers(0, 2), st.integers(0, 2))
def test_the_date_window_kept_per_year_gives_the_date_problems(
        record: CaseRecord, on: date, before: int, after: int) -> None:
    policy = POLICY.evolve({"dates": {"years_before": before, "years_after": after}})
    campaign = Campaign(policy, MemoryStore(), population=POPULATION)
    day = _DayLookups(campaign, on, campaign._lazy_holdings())
    for _ in range(2):
        assert day.case_date_problems(record) == case_date_problems(record, on, policy)


# -- the holder of an unchanged post ------------------------------------------------------

post_events = st.lists(st.tuples(
    st.sampled_from(ORGS), st.sampled_from(["appoint", "vacate", "dismiss"]),
    st.sampled_from(["X-1", "X-2", *[o.secretary or "X-3" for o in POPULATION][:3]]),
    st.integers(0, 400), st.sampled_from([SECRETARY, "first_secretary"])), max_size=6)


@given(post_events, st.sampled_from([*ORGS, "NOPE"]), st.integers(-30, 430),
       st.sampled_from([SECRETARY, "first_secretary"]))
def test_the_holder_of_a_post_is_who_held_it(
        changes: list[tuple[str, str, str, int, str]], org: str, day: int, role: str) -> None:
    start = date(2017, 1, 1)
    events: list[Event] = []
    for k, (code, what, person, offset, post_role) in enumerate(changes):
        base: dict[str, Any] = {"stream": f"org:{code}", "version": k + 1, "actor": "OD-1",
                                "on": start + timedelta(days=offset), "policy": "p",
                                "command": f"c{k}", "org": code}
        if what == "appoint":
            events.append(PostAppointed(person=person, previous=None, role=post_role,
                                        reason="", **base))
        elif what == "vacate":
            events.append(PostVacated(person=person, role=post_role, reason="", **base))
        else:
            events.append(SecretaryDismissed(person=person, role=SECRETARY, year=2017,
                                             cause="c", **base))
    holdings = Holdings.of(Initial(POPULATION), events)
    on = start + timedelta(days=day)
    assert holdings.holder(org, role, on=on) == holdings.who_held(Post(org, role), on)


def test_an_initial_index_knows_each_organization_s_secretary() -> None:
    initial = Initial(POPULATION)
    assert initial.secretaries == {o.code: o.secretary for o in POPULATION if o.secretary}
    holdings = Holdings.of(initial, [])
    for o in POPULATION:
        assert holdings.holder(o.code, on=ON) == o.secretary


# -- the memory store's one-pass batch check -----------------------------------------------

@given(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s\x003"]), st.integers(0, 3),
                          st.integers(0, 2), st.sampled_from(["c1", "c2", "c3", "c\x004"]),
                          st.booleans()), max_size=5),
       st.dictionaries(st.sampled_from(["s1", "s2"]), st.integers(1, 2), max_size=2),
       st.sets(st.sampled_from(["c1", "c2", "r"]), max_size=2))
def test_a_batch_proved_all_accepted_is_what_the_reference_check_accepts(
        items: list[tuple[str, int, int, str, bool]], stored: dict[str, int],
        recorded: set[str]) -> None:
    ledger = CompactLedger()
    for stream, version in stored.items():
        for v in range(1, version + 1):
            ledger.add(stream, v, f"old-{stream}-{v}", b"{}", b"\0" * 32,
                                  (stream, v, f"old-{stream}-{v}"))
    for command in recorded:
        ledger.commands.add(command, None)
    batch = []
    for stream, expected, count, command, right_stream in items:
        events = tuple(PlanReturned(stream=stream if right_stream else "other",
                                    version=expected + 1 + k, actor="a", on=ON, policy="p",
                                    command=command, reason="")
                       for k in range(count))
        batch.append(Append(stream, expected, events, command))
    fast = _all_accepted(batch, ledger)
    try:
        reference = check_batch(batch, {s: ledger.version(s) for s in stored}, ledger.commands)
    except (ConcurrencyConflict, InvalidValueError):  # the fast path defers to these
        assert fast is None
        return
    assert fast is None or fast == reference
    if reference == [True] * len(batch):
        assert fast == reference


@given(st.lists(st.sampled_from([None, "VER-1", "VER-2"]), min_size=1, max_size=6))
def test_a_context_naming_a_recorder_is_the_evolved_context(
        recorders: list[str | None]) -> None:
    campaign = Campaign(POLICY, MemoryStore(), population=POPULATION)
    day = _DayLookups(campaign, ON, campaign._lazy_holdings())
    contexts = [day.context(actor, lambda _p: 0, lambda _p: 0) for actor in ("OD-1", "OD-2")]
    for recorder in recorders:
        for context in contexts:
            got = day.with_recorder(context, recorder)
            assert got == attrs.evolve(context, recorder=recorder)
            assert got.actor == context.actor
