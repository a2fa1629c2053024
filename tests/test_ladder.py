"""Carry-over that continues, escalation ladders as policy data, and findings (issue #11)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Campaign, Person, load_policy
from rectify.errors import InvalidValueError, PermissionDenied, PolicyError
from rectify.escalation import escalate, step_for
from rectify.events import (
    CaseCarriedOver,
    CaseOpened,
    ConsequenceRecorded,
    EscalationRecorded,
    FindingRecorded,
    SecretaryDismissed,
    event_from_dict,
    event_to_dict,
)
from rectify.identify import identify
from rectify.policy import LADDER_ACTIONS, LadderStep, Policy
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.stores.memory import MemoryStore

DEPT = Person("OD-1", "组织部干部", roles={"org_department"})
POPULATION = sample_population()
ASSESSMENTS = sample_assessments()


def _campaign(policy: Policy | None = None, store: MemoryStore | None = None) -> Campaign:
    return Campaign(policy or load_policy(), store, population=POPULATION,
                    people=[*sample_people(), DEPT])


def _open(c: Campaign, year: int) -> None:
    c.open_cases(identify(POPULATION, ASSESSMENTS, c.policy, year), actor=DEPT,
                 on=date(year, 2, 15), command_id=f"open:{year}")


# -- carry-over ---------------------------------------------------------------------------


def test_an_unfinished_case_continues_into_the_next_year() -> None:
    """Closing 2016 keeps every open case open into 2017, listed there, with a new deadline."""
    c = _campaign()
    _open(c, 2016)
    open_2016 = {x.id for x in c.cases(year=2016, open_only=True)}
    closed = c.close_year(2016, actor=DEPT, on=date(2016, 12, 31), command_id="close")
    assert set(closed) == open_2016
    for cid in closed:
        case = c.case(cid)
        assert case.is_open
        assert case.continued_into == 2017
        assert case.current_year == 2017
        assert case.deadline == date(2017, 3, 31)  # 90 days after the close
    assert {cid[5:] for cid in closed} <= c.listings()[2017]
    assert c.close_year(2016, actor=DEPT, on=date(2016, 12, 31), command_id="close") == []


def test_a_continued_case_counts_towards_escalation() -> None:
    """An organization whose 2016 case went on into 2017 escalates with the 2017 listings."""
    c = _campaign()
    _open(c, 2016)
    c.close_year(2016, actor=DEPT, on=date(2016, 12, 31))
    _open(c, 2017)
    escalated = {e.org for e in c.records() if isinstance(e, EscalationRecorded)}
    continued = {x.org for x in c.cases(year=2016, open_only=True)}
    assert continued
    assert continued <= escalated
    # A continued organization listed again keeps its one case: no second case is opened.
    again = continued & set(identify(POPULATION, ASSESSMENTS, c.policy, 2017).listed_codes)
    assert all(c.store.case(f"2017-{org}") is None for org in again)


def test_relist_carries_over_and_opens_the_next_years_case() -> None:
    """Under carry_over = "relist" the case ends carried over and the 2017 case is opened."""
    c = _campaign(load_policy().evolve({"plan": {"carry_over": "relist"}}))
    _open(c, 2016)
    unfinished = list(c.cases(year=2016, open_only=True))
    closed = c.close_year(2016, actor=DEPT, on=date(2016, 12, 31))
    assert sorted(closed) == sorted(x.id for x in unfinished)
    for case in unfinished:
        assert c.case(case.id).state == "carried_over"
        successor = c.case(f"2017-{case.org}")
        assert successor.is_open
        assert successor.state == "identified"
        opened = c.history(successor.id)[0]
        assert isinstance(opened, CaseOpened)
        assert opened.rules == ("carried_over",)


def test_an_old_carried_over_event_still_replays() -> None:
    """A CaseCarriedOver recorded under the old meaning still projects to carried_over."""
    store = MemoryStore()
    c = _campaign(store=store)
    _open(c, 2016)
    case = c.cases(year=2016)[0]
    old = CaseCarriedOver(stream=case.id, version=case.version + 1, actor=DEPT.id,
                          on=date(2016, 12, 31), policy="old", command="old-close",
                          transitions=("carry_over",))
    assert event_from_dict(event_to_dict(old)) == old
    from rectify.stores.base import Append

    store.append([Append(case.id, case.version, (old,), old.command)])
    assert c.case(case.id).state == "carried_over"
    assert not _campaign(store=store).case(case.id).is_open


@pytest.mark.parametrize("overlay", [{"plan": {"carry_over": "keep"}},
                                     {"plan": {"carry_over_days": 0}}])
def test_carry_over_settings_are_checked(overlay: dict[str, object]) -> None:
    """An unknown carry-over mode or a deadline of no days is a PolicyError naming the key."""
    with pytest.raises(PolicyError) as err:
        load_policy().evolve(overlay)
    key = next(iter(overlay["plan"]))  # type: ignore[call-overload]
    assert f"plan.{key}" in str(err.value)


# -- ladders --------------------------------------------------------------------------------


def test_default_ladder_is_the_documented_county() -> None:
    """Without steps the switches make one step: two years listed → dismissal with cascade."""
    policy = load_policy()
    (step,) = policy.escalation.steps()
    assert (step.basis, step.years, step.action, step.cascade) == ("listed", 2, "dismissal", True)
    explicit = policy.evolve({"escalation": {"ladder": [
        {"basis": "listed", "years": 2, "action": "dismissal", "cascade": True}]}})
    listings = {2016: {"T04-05", "S02-03", "A10"}, 2017: {"T04-05", "S02-03", "A10", "T01-01"}}
    default = escalate(POPULATION, listings, 2017, policy)
    graded = escalate(POPULATION, listings, 2017, explicit)
    assert [(d.org, d.escalates, d.dismissals) for d in default] == \
        [(d.org, d.escalates, d.dismissals) for d in graded]


def _graded() -> Policy:
    return load_policy("ladder-county")


def test_graded_ladder_talks_first_and_dismisses_later() -> None:
    """Listed two years → cautionary talk (6 months); three years → dismissal with cascade."""
    policy = _graded()
    listings = {2015: {"T04-05"}, 2016: {"T04-05", "A10"}, 2017: {"T04-05", "A10"}}
    decisions = {d.org: d for d in escalate(POPULATION, listings, 2017, policy)}
    assert decisions["A10"].step is not None
    assert decisions["A10"].step.action == "talk"
    assert decisions["A10"].dismissals == ()
    assert decisions["T04-05"].step is not None
    assert decisions["T04-05"].step.action == "dismissal"
    assert len(decisions["T04-05"].dismissals) == 2


def test_campaign_records_ladder_talks_once() -> None:
    """A talk step is recorded automatically with an id from its basis; re-running adds nothing."""
    c = _campaign(_graded())
    for year in (2016, 2017):
        _open(c, year)
        c.close_year(year, actor=DEPT, on=date(year, 12, 31), command_id=f"close:{year}")
    talks = [e for e in c.records() if isinstance(e, ConsequenceRecorded)]
    assert talks
    assert all(e.action == "talk" and e.talk == "cautionary" for e in talks)
    assert not any(isinstance(e, SecretaryDismissed) for e in c.records())
    before = len(list(c.store.replay()))
    _open(c, 2017)
    assert len(list(c.store.replay())) == before
    person = talks[0].person
    assert person is not None
    record = c.accountability(person, date(2017, 3, 1))
    assert {r.kind for r in record.restrictions} == {"no_promotion", "no_awards"}
    assert talks[0] in record.consequences


def test_a_weaker_later_step_is_refused() -> None:
    """Every ladder problem is reported at once: a weaker later step, bad ranges, bad kinds."""
    with pytest.raises(PolicyError) as err:
        load_policy().evolve({"escalation": {"ladder": [
            {"basis": "listed", "years": 2, "action": "dismissal"},
            {"basis": "listed", "years": 3, "action": "criticism"},
            {"basis": "elsewhere", "years": 0, "action": "talk"},
        ]}})
    text = str(err.value)
    for key in ("ladder[1].action", "ladder[2].basis", "ladder[2].years", "ladder[2].talk"):
        assert key in text


@given(st.lists(st.sampled_from(list(LADDER_ACTIONS)), min_size=1, max_size=4, unique=True),
       st.integers(min_value=0, max_value=8))
def test_step_for_never_weakens_as_years_add_up(actions: list[str], run: int) -> None:
    """On a valid (sorted) ladder the step for a longer run is never weaker."""
    order = list(LADDER_ACTIONS)
    steps = [LadderStep("listed", a, years=i + 1, talk="admonishment" if a == "talk" else "")
             for i, a in enumerate(sorted(actions, key=order.index))]
    shorter, longer = step_for(steps, "listed", run), step_for(steps, "listed", run + 1)
    if shorter is not None:
        assert longer is not None
        assert longer[1].strength >= shorter[1].strength
    assert (shorter is None) == (run < 1)


# -- findings ---------------------------------------------------------------------------------


def test_plaque_finding_extends_the_listing_and_orders_a_talk() -> None:
    """A plaque violation lists the organization one more year and records a talk."""
    c = _campaign(_graded())
    _open(c, 2016)
    events = c.record_finding("T01-01", "plaque", actor=DEPT, on=date(2016, 9, 1),
                              note="摘牌后仍悬挂", command_id="finding-1")
    assert isinstance(events[0], FindingRecorded)
    assert events[0].extend_years == 1
    assert "T01-01" in c.listings()[2017]
    talk = [e for e in events if isinstance(e, ConsequenceRecorded)]
    assert talk
    assert talk[0].action == "talk"
    assert talk[0].person == POPULATION["T01-01"].secretary
    assert c.record_finding("T01-01", "plaque", actor=DEPT, on=date(2016, 9, 1),
                            command_id="finding-1") == []


def test_finding_against_a_township_goes_to_its_committee() -> None:
    """``township=`` names the township; the finding is recorded against its committee."""
    c = _campaign()
    (finding, *_) = c.record_finding(township="南沟乡", kind="spot_check", actor=DEPT,
                                     on=date(2016, 5, 1))
    assert isinstance(finding, FindingRecorded)
    assert finding.org == "T04"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"org": "T01-01", "kind": "nonsense"}, "kind"),
    ({"org": "NOPE", "kind": "spot_check"}, "org"),
    ({"township": "无此乡", "kind": "spot_check"}, "township"),
    ({"kind": "spot_check"}, "org"),
])
def test_bad_findings_are_refused_and_change_nothing(kwargs: dict[str, str], field: str) -> None:
    """Unknown kinds, organizations and townships raise InvalidValueError; nothing is recorded."""
    c = _campaign()
    with pytest.raises(InvalidValueError) as err:
        c.record_finding(actor=DEPT, on=date(2016, 5, 1), **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert list(c.store.replay()) == []


def test_only_allowed_roles_record_findings() -> None:
    """A person without the right is refused before anything is recorded."""
    c = _campaign()
    nobody = Person("X", "某人", roles=set())
    with pytest.raises(PermissionDenied):
        c.record_finding("T01-01", "spot_check", actor=nobody, on=date(2016, 5, 1))
    assert list(c.store.replay()) == []


# -- testing kit ------------------------------------------------------------------------------


def test_kit_invariants_catch_an_ended_case_and_a_weakening_ladder() -> None:
    """The two invariants report what they guard against; both are in the catalogue."""
    import attrs

    from rectify.testing import invariants
    from rectify.testing.invariants import ladder_problems, unfinished_case_continues

    assert {"unfinished_case_continues", "ladder_monotone"} <= set(invariants.names())
    weak = attrs.evolve(load_policy(), escalation=attrs.evolve(
        load_policy().escalation, ladder=(LadderStep("listed", "dismissal", 2),
                                          LadderStep("listed", "criticism", 3))))
    assert ladder_problems(weak)
    assert ladder_problems(load_policy()) == ladder_problems(_graded()) == []
    store = MemoryStore()
    c = _campaign(store=store)
    _open(c, 2016)
    case = c.cases(year=2016)[0]
    from rectify.stores.base import Append

    old = CaseCarriedOver(stream=case.id, version=case.version + 1, actor=DEPT.id,
                          on=date(2016, 12, 31), policy="old", command="old-close",
                          transitions=("carry_over",))
    store.append([Append(case.id, case.version, (old,), old.command)])
    assert unfinished_case_continues(c, 2016, [case.id])
    rest = c.close_year(2016, actor=DEPT, on=date(2016, 12, 31))
    assert rest
    assert unfinished_case_continues(c, 2016, rest) == []


@settings(max_examples=10, deadline=None)
@given(st.sets(st.integers(0, 19), max_size=20), st.sampled_from(["continue", "relist"]),
       st.integers(1, 200), st.dates(min_value=date(2016, 12, 1), max_value=date(2017, 1, 31)))
def test_every_unfinished_case_goes_on(planned: set[int], mode: str, days: int,
                                       closed_on: date) -> None:
    """Whatever state the cases are in, closing the year leaves none ended without a way on.

    Under either mode each open case continues or is relisted, its organization is listed
    in the next year, a continued case's deadline is the close plus the policy's days, and
    closing again records nothing.
    """
    policy = load_policy().evolve({"plan": {"carry_over": mode, "carry_over_days": days}})
    c = _campaign(policy)
    _open(c, 2016)
    cases = c.cases(year=2016)
    from rectify.lifecycle.case import Plan

    for i in sorted(planned):
        case = cases[i]
        c.file_plan(case.id, Plan([("rules_not_kept", "制度执行不经常")], ["建立制度"],
                                  ["P0001"], date(2016, 6, 30)), actor=DEPT,
                    on=date(2016, 3, 1))
    closed = c.close_year(2016, actor=DEPT, on=closed_on, command_id="close")
    assert sorted(closed) == [x.id for x in cases]
    from rectify.testing.invariants import unfinished_case_continues

    assert unfinished_case_continues(c, 2016, closed) == []
    for cid in closed:
        case = c.case(cid)
        if mode == "continue":
            assert case.deadline == closed_on + timedelta(days=days)
        else:
            assert case.state == "carried_over"
    assert c.close_year(2016, actor=DEPT, on=closed_on, command_id="close") == []
