"""Posts over time (rectify.posts) and the rules that name current holders only.

Each bug of the issue "Correct over the years" (items 2, 4, 5) has a test
here that failed on the code before the fix.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import (
    Campaign,
    CommandRefused,
    Organization,
    OrgForm,
    PermissionDenied,
    Person,
    Plan,
    Population,
    Tier,
    Votes,
    load_policy,
)
from rectify.events import PostAppointed, PostVacated, SecretaryDismissed
from rectify.identify import identify
from rectify.model import Assessment
from rectify.posts import Holdings, Post
from rectify.stores import MemoryStore
from rectify.testing.ledger_rules import check_ledger

DEPT = Person("D1", "组织部干部", roles={"org_department"})
FS = Person("F1", "第一书记", roles={"first_secretary"})
FS2 = Person("F2", "第一书记二", roles={"first_secretary"})
SUP = Person("S1", "督办", roles={"committee_supervisor"})
VER = Person("R1", "验收员", roles={"verifier"})
VER2 = Person("R2", "验收员二", roles={"verifier"})
LEADER = Person("L1", "县级领导", roles={"county_leader"})
UNIT = Person("U1", "共建单位干部", roles={"paired_unit"}, unit="县财政局")
SECRETARIES = [Person(p, f"书记{p}", roles={"secretary"})
               for p in ("P-T", "P-V1", "P-V2", "P-N1", "P-N2")]
PEOPLE = [DEPT, FS, FS2, SUP, VER, VER2, LEADER, UNIT, *SECRETARIES]
LEVELS = [("leader_contact", "L1"), ("org_guidance", "D1"), ("paired_unit", "U1"),
          ("committee_supervisor", "S1")]


def _population() -> Population:
    return Population([
        Organization("T", "乡镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE,
                     secretary="P-T"),
        Organization("V1", "一村党支部", "village", Tier.SECOND_TIER, parent="T",
                     secretary="P-V1"),
        Organization("V2", "二村党支部", "village", Tier.SECOND_TIER, parent="T",
                     secretary="P-V2"),
    ])


def _campaign(store: MemoryStore | None = None) -> Campaign:
    return Campaign(load_policy(), store, population=_population(), people=PEOPLE)


def _open(campaign: Campaign, year: int, listed: tuple[str, ...] = ("V1",)) -> None:
    rows = [Assessment("T", year, 95.0)] + [
        Assessment(code, year, 40.0 if code in listed else 96.0) for code in ("V1", "V2")]
    campaign.open_cases(identify(campaign.population, rows, campaign.policy, year),
                        actor=DEPT, on=date(year, 2, 15))


def _plan(responsible: str, deadline: date) -> Plan:
    return Plan(problems=[("venue_nonstandard", "场所")], measures=["修缮"],
                responsible=[responsible], deadline=deadline)


def _unchanged(campaign: Campaign, call: object, match: str) -> None:
    before = (len(campaign.store), campaign.records())  # type: ignore[arg-type]
    with pytest.raises(CommandRefused, match=match):
        call()  # type: ignore[operator]
    assert (len(campaign.store), campaign.records()) == before  # type: ignore[arg-type]


# -- posts by date ---------------------------------------------------------------------


def test_a_dismissal_vacates_the_post_from_its_date_and_a_successor_takes_it() -> None:
    """Who held the post is answered by date: before, on and after a dismissal."""
    c = _campaign()
    _open(c, 2016)
    _open(c, 2017)
    dismissed = [e for e in c.records() if isinstance(e, SecretaryDismissed)]
    assert {(e.org, e.person) for e in dismissed} == {("V1", "P-V1"), ("T", "P-T")}
    post = Post("V1")
    assert c.who_held(post, date(2017, 2, 14)) == "P-V1"
    assert c.who_held(post, date(2017, 2, 15)) is None
    c.appoint("V1", "P-N1", actor=DEPT, on=date(2017, 2, 20), command_id="appoint-v1")
    assert c.holder("V1", on=date(2017, 2, 19)) is None
    assert c.holder("V1", on=date(2017, 2, 20)) == "P-N1"
    assert c.holdings().lost_post("P-V1", date(2017, 3, 1)) == (post,)
    # A retry records nothing again.
    size = len(c.store)
    c.appoint("V1", "P-N1", actor=DEPT, on=date(2017, 2, 20), command_id="appoint-v1")
    assert len(c.store) == size


def test_plans_talks_and_support_refuse_a_dismissed_secretary() -> None:
    """The 2017 plan may not name the secretary dismissed two weeks earlier; nor a talk."""
    c = _campaign()
    _open(c, 2016)
    _open(c, 2017)
    on = date(2017, 3, 1)
    _unchanged(c, lambda: c.file_plan("2017-V1", _plan("P-V1", on + timedelta(days=90)),
                                      actor=DEPT, on=on), "P-V1 no longer holds the post")
    _unchanged(c, lambda: c.record_talk("P-V1", "admonishment", "进度滞后", actor=DEPT,
                                        on=on), "no longer holds")
    _unchanged(c, lambda: c.assign_support("2017-V1", "paired_unit", "P-V1", actor=DEPT,
                                           on=on), "no longer holds")
    c.appoint("V1", "P-N1", actor=DEPT, on=date(2017, 2, 20))
    assert c.file_plan("2017-V1", _plan("P-N1", on + timedelta(days=90)), actor=DEPT,
                       on=on).state == "planned"
    c.record_talk("P-N1", "admonishment", "新任书记提醒谈话", actor=DEPT, on=on)


def test_the_new_secretary_acts_for_the_organization_and_the_old_one_no_longer() -> None:
    """The own_organization scope follows the current holder, not the population."""
    c = _campaign()
    _open(c, 2016)
    _open(c, 2017)
    on = date(2017, 3, 1)
    c.appoint("V1", "P-N1", actor=DEPT, on=date(2017, 2, 20))
    with pytest.raises(PermissionDenied, match="the secretary"):
        c.file_plan("2017-V1", _plan("P-N1", on + timedelta(days=90)), actor="P-V1", on=on)
    assert c.file_plan("2017-V1", _plan("P-N1", on + timedelta(days=90)), actor="P-N1",
                       on=on).state == "planned"


def test_escalation_dismisses_the_current_holder_once_per_post() -> None:
    """Listed 2015, 2016, 2017: the 2016 dismissals are not repeated on the same people."""
    c = _campaign()
    for year in (2015, 2016, 2017):
        _open(c, year)
        if year == 2016:
            c.appoint("V1", "P-N1", actor=DEPT, on=date(2016, 3, 1))
    dismissed = [(e.year, e.org, e.person) for e in c.records()
                 if isinstance(e, SecretaryDismissed)]
    assert (2016, "V1", "P-V1") in dismissed
    assert (2016, "T", "P-T") in dismissed
    # 2017 dismisses the successor of V1; T's post stayed vacant: nobody is dismissed.
    assert (2017, "V1", "P-N1") in dismissed
    assert (2017, "T", "P-T") not in dismissed
    people = [p for _, _, p in dismissed if p is not None]
    assert len(people) == len(set(people))
    check_ledger(c.store.replay(), c.population, c.policy, c.people)


def test_appoint_and_vacate_refusals_change_nothing() -> None:
    """Unknown organizations, posts and people, vacant posts and repeats are refused."""
    c = _campaign()
    on = date(2017, 1, 10)
    _unchanged(c, lambda: c.appoint("X9", "P-N1", actor=DEPT, on=on), "X9")
    _unchanged(c, lambda: c.appoint("V1", "P-N1", role="mayor", actor=DEPT, on=on), "mayor")
    _unchanged(c, lambda: c.appoint("V1", "ghost", actor=DEPT, on=on), "ghost is not one")
    _unchanged(c, lambda: c.appoint("V1", "P-V1", actor=DEPT, on=on), "already holds")
    c.vacate("V1", actor=DEPT, on=on, reason="调离")
    assert c.holder("V1", on=on) is None
    _unchanged(c, lambda: c.vacate("V1", actor=DEPT, on=on), "vacant")
    with pytest.raises(PermissionDenied):
        c.appoint("V1", "P-N1", actor="S1", on=on)
    events = [e for e in c.records() if isinstance(e, PostVacated)]
    assert [(e.org, e.person, e.reason) for e in events] == [("V1", "P-V1", "调离")]


# -- acceptance and independence -------------------------------------------------------


def _verifying(c: Campaign) -> None:
    on = date(2017, 3, 1)
    c.file_plan("2017-V1", _plan("P-V1", on + timedelta(days=90)), actor=DEPT, on=on)
    for level, person in LEVELS:
        c.assign_support("2017-V1", level, person, actor=DEPT, on=on)
    c.assign_support("2017-V1", "first_secretary", "F1", actor=DEPT, on=on)
    c.record_report("2017-V1", "progress", "2017-04", actor="F1", on=on,
                    resolved=["venue_nonstandard"])
    c.request_verification("2017-V1", actor="S1", on=on)


def test_the_panel_size_is_enforced() -> None:
    """One vote no longer passes a 15-person panel; a policy may lower the quorum."""
    c = _campaign()
    _open(c, 2017)
    _verifying(c)
    on = date(2017, 5, 1)
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, Votes(1, 0, 0), ["R1"],
                                                actor="R1", on=on), "1 votes cast, expected 15")
    policy = load_policy().evolve({"verification": {"min_votes": 10}})
    loose = Campaign(policy, population=_population(), people=PEOPLE)
    _open(loose, 2017)
    _verifying(loose)
    assert loose.record_verification("2017-V1", 90, Votes(9, 1, 0), ["R1"], actor="R1",
                                     on=on).state == "accepted"


def test_team_members_must_be_known_verifiers() -> None:
    """Unknown people and people without the verifier role may not verify."""
    c = _campaign()
    _open(c, 2017)
    _verifying(c)
    on = date(2017, 5, 1)
    votes = Votes(12, 2, 1)
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, votes, ["R1", "nobody"],
                                                actor="R1", on=on), "nobody is not one")
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, votes, ["R1", "P-V2"],
                                                actor="R1", on=on), "lacks the role verifier")


def test_the_recorder_is_checked_like_the_team() -> None:
    """A supporter holding the verifier role may not record their own case's verification."""
    supporter = Person("SV", "督办兼验收", roles={"committee_supervisor", "verifier"})
    c = Campaign(load_policy(), population=_population(), people=[*PEOPLE, supporter])
    _open(c, 2017)
    on = date(2017, 3, 1)
    c.file_plan("2017-V1", _plan("P-V1", on + timedelta(days=90)), actor=DEPT, on=on)
    for level, person in [*LEVELS[:3], ("committee_supervisor", "SV"),
                          ("first_secretary", "F1")]:
        c.assign_support("2017-V1", level, person, actor=DEPT, on=on)
    c.record_report("2017-V1", "progress", "2017-04", actor="F1", on=on,
                    resolved=["venue_nonstandard"])
    c.request_verification("2017-V1", actor="SV", on=on)
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, Votes(12, 2, 1), ["R1"],
                                                actor="SV", on=on), "the recorder")


def test_a_callers_person_object_gains_no_roles() -> None:
    """The campaign's own record of a person decides; an unknown Person is refused."""
    c = _campaign()
    forged = Person("S1", "督办", roles={"org_department"})
    with pytest.raises(PermissionDenied, match="needs one of the roles org_department"):
        _open_with(c, forged)
    stranger = Person("Z9", "外人", roles={"org_department"})
    with pytest.raises(PermissionDenied, match="unknown actor"):
        _open_with(c, stranger)
    assert len(c.store) == 0


def _open_with(c: Campaign, actor: Person) -> None:
    rows = [Assessment("T", 2017, 95.0), Assessment("V1", 2017, 40.0),
            Assessment("V2", 2017, 96.0)]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=actor,
                 on=date(2017, 2, 15))


def test_assign_support_refuses_unknown_people() -> None:
    """Support goes to known people, whose roles are then always checked."""
    c = _campaign()
    _open(c, 2017)
    on = date(2017, 3, 1)
    _unchanged(c, lambda: c.assign_support("2017-V1", "paired_unit", "ghost", actor=DEPT,
                                           on=on), "ghost is not one")


# -- stations --------------------------------------------------------------------------


def test_one_station_per_first_secretary() -> None:
    """A first secretary stationed in one village may not be stationed in another."""
    c = _campaign()
    _open(c, 2017, listed=("V1", "V2"))
    on = date(2017, 3, 1)
    c.assign_support("2017-V1", "first_secretary", "F1", actor=DEPT, on=on)
    _unchanged(c, lambda: c.assign_support("2017-V2", "first_secretary", "F1", actor=DEPT,
                                           on=on), "already stationed")
    # Re-assigning the same station is no second station.
    c.assign_support("2017-V1", "first_secretary", "F1", actor=DEPT, on=on)
    c.assign_support("2017-V2", "first_secretary", "F2", actor=DEPT, on=on)
    two = Campaign(load_policy().evolve({"coverage": {"max_stations_per_first_secretary": 2}}),
                   population=_population(), people=PEOPLE)
    _open(two, 2017, listed=("V1", "V2"))
    two.assign_support("2017-V1", "first_secretary", "F1", actor=DEPT, on=on)
    two.assign_support("2017-V2", "first_secretary", "F1", actor=DEPT, on=on)


def test_one_station_per_first_secretary_in_a_batch() -> None:
    """The bulk path counts the stations staged earlier in the same batch."""
    from rectify.lifecycle.commands import AssignSupport

    c = _campaign()
    _open(c, 2017, listed=("V1", "V2"))
    result = c.run_bulk([(AssignSupport("2017-V1", "first_secretary", "F1"), "a"),
                         (AssignSupport("2017-V2", "first_secretary", "F1"), "b")],
                        actor=DEPT, on=date(2017, 3, 1))
    assert result.accepted == ("a",)
    assert "already stationed" in str(result.refused["b"])


def test_policy_checks_the_new_settings() -> None:
    """Out-of-range settings are policy errors naming the setting."""
    from rectify import PolicyError

    with pytest.raises(PolicyError, match="max_stations_per_first_secretary"):
        load_policy().evolve({"coverage": {"max_stations_per_first_secretary": 0}})
    with pytest.raises(PolicyError, match="min_votes"):
        load_policy().evolve({"verification": {"min_votes": 16}})


# -- the pure model --------------------------------------------------------------------

_PEOPLE = ("A", "B", "C", "D")
_ops = st.lists(st.tuples(st.sampled_from(("appoint", "vacate", "dismiss")),
                          st.sampled_from(_PEOPLE), st.integers(0, 60)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_ops, st.integers(0, 70))
def test_holdings_follow_a_simple_reference(ops: list[tuple[str, str, int]], probe: int) -> None:
    """Replaying post events day by day gives the holder `who_held` answers."""
    start = date(2017, 1, 1)
    population = Population([Organization("O", "支部", "village", Tier.DIRECT,
                                          secretary="A")])
    common = {"actor": "D1", "policy": "-", "org": "O", "role": "secretary"}
    events = []
    for i, (op, person, day) in enumerate(sorted(ops, key=lambda o: o[2])):
        on = start + timedelta(days=day)
        if op == "appoint":
            events.append(PostAppointed(stream="org:O", version=i + 1, on=on, command=str(i),
                                        person=person, **common))
        elif op == "vacate":
            events.append(PostVacated(stream="org:O", version=i + 1, on=on, command=str(i),
                                      person=person, **common))
        else:
            events.append(SecretaryDismissed(stream="org:O", version=i + 1, on=on,
                                             command=str(i), person=person, year=2017,
                                             cause="2017-O", **common))
    on = start + timedelta(days=probe)
    holder: str | None = "A"
    for event in events:
        if event.on > on:
            break
        if isinstance(event, PostAppointed):
            holder = event.person
        elif holder == event.person:  # type: ignore[attr-defined]
            holder = None
    holdings = Holdings.of(population, events)
    assert holdings.who_held(Post("O"), on) == holder
    if holder is not None:
        assert Post("O") in holdings.posts_of(holder, on)
    for person in _PEOPLE:
        if person != holder:
            assert Post("O") not in holdings.posts_of(person, on)


# -- the testing kit's invariants ------------------------------------------------------


def test_the_invariants_catch_planted_breaches() -> None:
    """Each new invariant holds on a clean ledger and reports a planted breach."""
    from rectify.events import SupportAssigned, TalkRecorded, VerificationRecorded
    from rectify.testing.invariants import (
        CATALOGUE,
        dismissals_once_per_holder,
        named_while_in_post,
        panels_complete,
        stations_within_cap,
    )

    assert {"one_dismissal_per_post_holder", "named_only_while_in_post",
            "verification_panels_complete", "one_station_per_first_secretary"} <= set(CATALOGUE)
    c = _campaign()
    _open(c, 2016, listed=("V1", "V2"))
    _open(c, 2017, listed=("V1", "V2"))
    events = list(c.store.replay())
    population, policy = c.population, c.policy
    assert not dismissals_once_per_holder(events, population)
    assert not named_while_in_post(events, population)
    common = {"actor": "D1", "policy": "-", "version": 9}
    again = SecretaryDismissed(stream="org:V1", on=date(2017, 5, 1), command="x", org="V1",
                               person="P-V1", role="secretary", year=2017,
                               cause="2017-V1", **common)
    assert dismissals_once_per_holder([*events, again], population)
    talk = TalkRecorded(stream="person:P-V1", on=date(2017, 5, 1), command="t",
                        person="P-V1", kind="admonishment", reason="r", **common)
    assert "P-V1" in named_while_in_post([*events, talk], population)[0]
    short = VerificationRecorded(stream="2017-V1", on=date(2017, 5, 1), command="v",
                                 score=90.0, satisfied=1, basically_satisfied=0,
                                 dissatisfied=0, team=("R1",), passed=True, reasons=(),
                                 attempt=1, **common)
    assert panels_complete([short], policy)
    assert not panels_complete([attrs_evolve(short, satisfied=15)], policy)
    stationed = [SupportAssigned(stream=f"2017-{org}", on=date(2017, 3, 1), command=org,
                                 level="first_secretary", person="F1",
                                 **{**common, "version": i + 2})
                 for i, org in enumerate(("V1", "V2"))]
    assert not stations_within_cap([*events, stationed[0]], policy)
    assert stations_within_cap([*events, *stationed], policy)


def attrs_evolve(event: object, **changes: object) -> object:
    """`attrs.evolve` (typed loosely for the test)."""
    import attrs

    return attrs.evolve(event, **changes)  # type: ignore[misc]


def _recorded_by_rv_who_then_supports(on: date) -> Campaign:
    """2017-V1 accepted on ``on`` by the recorder RV, who then takes up its support."""
    recorder = Person("RV", "验收记录员", roles={"verifier", "county_leader"})
    c = Campaign(load_policy(), population=_population(), people=[*PEOPLE, recorder])
    _open(c, 2017)
    _verifying(c)
    accepted = c.record_verification("2017-V1", 90, Votes(12, 2, 1), ["R1"], actor="RV", on=on)
    assert (accepted.state, accepted.verified_by) == ("accepted", "RV")
    c.assign_support("2017-V1", "leader_contact", "RV", actor=DEPT, on=on)
    return c


def test_delisting_checks_the_recorder_again() -> None:
    """A recorder who took up support after recording the verification blocks delisting."""
    on = date(2017, 5, 1)
    c = _recorded_by_rv_who_then_supports(on)
    _unchanged(c, lambda: c.delist("2017-V1", actor=DEPT, on=on), "the recorder")
    c.assign_support("2017-V1", "leader_contact", "L1", actor=DEPT, on=on)
    _unchanged(c, lambda: c.delist("2017-V1", actor=DEPT, on=on), "supported the case earlier")


@pytest.mark.parametrize("kind", ["sqlite"])
def test_one_station_per_first_secretary_on_sqlite(kind: str, tmp_path: object) -> None:
    """The station count comes from the SQL store's support table too."""
    from pathlib import Path

    from rectify.stores import SQLiteStore

    store = SQLiteStore(str(Path(str(tmp_path)) / "ledger.sqlite3"))
    c = Campaign(load_policy(), store, population=_population(), people=PEOPLE)
    _open(c, 2017, listed=("V1", "V2"))
    on = date(2017, 3, 1)
    c.assign_support("2017-V1", "first_secretary", "F1", actor=DEPT, on=on)
    assert store.load("F1", "first_secretary") == 1
    assert store.load("F1", "paired_unit") == 0
    with pytest.raises(CommandRefused, match="already stationed"):
        c.assign_support("2017-V2", "first_secretary", "F1", actor=DEPT, on=on)
    store.close()


def test_the_supervisor_comes_from_the_own_committee_when_the_policy_says_so() -> None:
    """A supervisor from another unit's committee is refused under the rule, not without."""
    inside = Person("CS-T", "乡镇督办", roles={"committee_supervisor"}, unit="乡镇党委")
    outside = Person("CS-X", "外单位督办", roles={"committee_supervisor"}, unit="县直机关工委")
    people = [*PEOPLE, inside, outside]
    strict = load_policy().evolve({"coverage": {"supervisor_from_own_committee": True}})
    c = Campaign(strict, population=_population(), people=people)
    _open(c, 2017)
    on = date(2017, 3, 1)
    _unchanged(c, lambda: c.assign_support("2017-V1", "committee_supervisor", "CS-X",
                                           actor=DEPT, on=on), "supervising committee")
    c.assign_support("2017-V1", "committee_supervisor", "CS-T", actor=DEPT, on=on)
    loose = Campaign(load_policy(), population=_population(), people=people)
    _open(loose, 2017)
    loose.assign_support("2017-V1", "committee_supervisor", "CS-X", actor=DEPT, on=on)


def test_supervising_committees_name_known_kinds() -> None:
    """An entry for an undeclared kind is a policy error."""
    from rectify import PolicyError

    with pytest.raises(PolicyError, match=r"supervising_committees\.spaceship"):
        load_policy().evolve({"coverage": {"supervising_committees": {"spaceship": "x"}}})
    policy = load_policy().evolve({"coverage": {"supervising_committees": {
        "agency": "县直机关工委"}}})
    assert policy.coverage.supervising_committees["agency"] == "县直机关工委"


def test_pairing_follows_the_problem_type_of_the_case() -> None:
    """A poor village is paired with an economic department; unknown types are refused."""
    economic = Person("U-E", "经济部门干部", roles={"paired_unit", "economic_dept"},
                      unit="县发改局")
    c = Campaign(load_policy(), population=_population(), people=[*PEOPLE, economic])
    _open(c, 2017)
    on = date(2017, 3, 1)
    odd = Plan(problems=[("venue_nonstandard", "场所")], measures=["修缮"],
               responsible=["P-V1"], deadline=date(2017, 6, 30), problem_type="haunted")
    _unchanged(c, lambda: c.file_plan("2017-V1", odd, actor=DEPT, on=on), "haunted")
    poor = Plan(problems=odd.problems, measures=odd.measures, responsible=odd.responsible,
                deadline=odd.deadline, problem_type="poor")
    assert c.file_plan("2017-V1", poor, actor=DEPT, on=on).problem_type == "poor"
    _unchanged(c, lambda: c.assign_support("2017-V1", "paired_unit", "U1", actor=DEPT, on=on),
               "economic_dept")
    c.assign_support("2017-V1", "paired_unit", "U-E", actor=DEPT, on=on)
    # The problem type survives a replay into a fresh campaign.
    fresh = Campaign(c.policy, c.store, population=c.population, people=c.people.values())
    assert fresh.case("2017-V1").problem_type == "poor"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), st.integers(0, 15),
       st.integers(1, 20))
def test_panel_rule_accepts_exactly_the_quorum(satisfied: int, basic: int, dissatisfied: int,
                                                min_votes: int, panel: int) -> None:
    """Votes pass the panel rules iff they number between the quorum and the panel."""
    from rectify import PolicyError
    from rectify.lifecycle.guards import panel_problems, vote_problems

    try:
        policy = load_policy().evolve({"verification": {"panel_size": panel,
                                                        "min_votes": min_votes}})
    except PolicyError:
        assert min_votes > panel
        return
    votes = Votes(satisfied, basic, dissatisfied)
    unmet = panel_problems(votes, policy) + vote_problems(90.0, votes, policy)
    needed = min_votes or panel
    assert (not unmet) == (needed <= votes.total <= panel)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 4), st.integers(1, 3))
def test_station_rule_counts_against_the_cap(stations: int, cap: int) -> None:
    """A first secretary is refused exactly when already at the cap."""
    from rectify.lifecycle.guards import station_reasons

    policy = load_policy().evolve({"coverage": {"max_stations_per_first_secretary": cap}})
    assert bool(station_reasons("F1", stations, policy)) == (stations >= cap)


def test_a_paired_unit_is_a_unit() -> None:
    """Assigning the paired-unit level to someone of no unit is refused, naming the fix."""
    from rectify.lifecycle.guards import paired_unit_reasons

    assert paired_unit_reasons("U1", "县财政局") == []
    assert paired_unit_reasons("X", None) == []  # unknown people are refused by other rules
    (message,) = paired_unit_reasons("U2", "")
    assert "U2 belongs to no unit" in message
    assert "unit column" in message
    assert paired_unit_reasons("U3", "  ") != []


def test_assign_support_refuses_a_paired_unit_of_no_unit() -> None:
    """The paired-unit level goes to a cadre of a unit; one of no unit is refused unchanged."""
    loner = Person("U-0", "无单位人员", roles={"paired_unit"})
    c = Campaign(load_policy(), MemoryStore(), population=_campaign().population,
                 people=[*PEOPLE, loner])
    _open(c, 2017)
    on = date(2017, 3, 1)
    _unchanged(c, lambda: c.assign_support("2017-V1", "paired_unit", "U-0", actor=DEPT,
                                           on=on), "U-0 belongs to no unit")
    assert c.assign_support("2017-V1", "paired_unit", "U1", actor=DEPT, on=on).holder(
        "paired_unit") == "U1"


def test_independence_names_the_current_secretary() -> None:
    """A verifier appointed secretary of the township above the case is no longer
    independent of it: the chain's secretaries are the holders on the day."""
    newcomer = Person("RV-T", "新任乡镇书记", roles={"verifier", "secretary"})
    c = Campaign(load_policy(), population=_population(), people=[*PEOPLE, newcomer])
    _open(c, 2017)
    _verifying(c)
    c.appoint("T", "RV-T", actor=DEPT, on=date(2017, 4, 1))
    on = date(2017, 5, 1)
    votes = Votes(12, 2, 1)
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, votes, ["R1", "RV-T"],
                                                actor="R1", on=on),
               "RV-T is the secretary of T")
    # The population's secretary of T left the post: he is not in the chain any more, but
    # losing the post keeps him from being named at all.
    _unchanged(c, lambda: c.record_verification("2017-V1", 90, votes, ["R1", "P-T"],
                                                actor="R1", on=on), "no longer holds")
    assert c.record_verification("2017-V1", 90, votes, ["R1", "R2"], actor="R1",
                                 on=on).state == "accepted"


def test_conflicts_read_the_holder_they_are_given() -> None:
    """`conflict_reasons` names the secretary ``secretary_of`` answers, else the population's."""
    from rectify.lifecycle.guards import conflict_reasons

    c = _campaign()
    _open(c, 2017)
    case = c.case("2017-V1")
    population = c.population
    assert [r[2]["org"] for r in conflict_reasons(case, "P-V1", population)] == ["V1"]
    assert conflict_reasons(case, "P-V1", population, lambda org: None) == []
    holders = {"V1": "X9", "T": "P-T"}
    assert [r[2]["org"] for r in conflict_reasons(case, "X9", population, holders.get)] == [
        "V1"]


def test_the_recorder_is_kept_on_the_record_and_read_from_history_when_missing() -> None:
    """The case record names who recorded its verification; a record stored before that was
    kept (no ``verified_by``) still finds the recorder in the case's history."""
    import attrs

    on = date(2017, 5, 1)
    c = _recorded_by_rv_who_then_supports(on)
    store = c.store
    assert isinstance(store, MemoryStore)
    kept = store.read_state().cases
    kept["2017-V1"] = attrs.evolve(kept["2017-V1"], verified_by=None)  # an older record
    _unchanged(c, lambda: c.delist("2017-V1", actor=DEPT, on=on), "the recorder")
