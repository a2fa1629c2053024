"""Scopes: one ledger for many counties; cases carry their organization's scope, and a
scoped cadre acts only within its own.

The two counties are built from the sample: 北岭县 as it is, and 南山县 a copy
of it under other codes, both in 河北省.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rectify import Campaign, Person, Plan, load_policy
from rectify.errors import InvalidValueError, PermissionDenied
from rectify.forest import Population
from rectify.identify import identify
from rectify.model import Assessment, Organization, in_scope, scope_key
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.stores import MemoryStore
from rectify.stores.readmodel import verify_read_models
from rectify.testing.ledger_rules import check_ledger, scope_breaches

POLICY = load_policy()
PROVINCE, NORTH, SOUTH = "河北省", "河北省/北岭县", "河北省/南山县"
OPEN = date(2016, 2, 15)
OD = Person("OD-0", "市委组织部干部", roles={"org_department"})
OD_NORTH = Person("OD-N", "北岭县委组织部干部", roles={"org_department"}, scope=NORTH)
OD_SOUTH = Person("OD-S", "南山县委组织部干部", roles={"org_department"}, scope=SOUTH)
OD_PROVINCE = Person("OD-P", "省委组织部干部", roles={"org_department"}, scope=PROVINCE)
ACTORS = (OD, OD_NORTH, OD_SOUTH, OD_PROVINCE)
PLAN = Plan(problems=[("venue_nonstandard", "场所破旧")], measures=["修缮"],
            responsible=["P0190"], deadline=date(2016, 6, 30))


def _copy(org: Organization) -> Organization:
    return attrs.evolve(org, code=f"Z{org.code}", parent=f"Z{org.parent}" if org.parent else None,
                        secretary=f"Z{org.secretary}" if org.secretary else None,
                        county="南山县", province=PROVINCE)


@cache
def two_counties() -> tuple[Population, tuple[Person, ...], tuple[Assessment, ...]]:
    """北岭县 and 南山县 (a copy of it), both in 河北省, with their people and assessments."""
    north = [attrs.evolve(o, province=PROVINCE) for o in sample_population()]
    people = [*sample_people(), *(attrs.evolve(p, id=f"Z{p.id}") for p in sample_people()),
              *ACTORS]
    rows = [*sample_assessments(),
            *(attrs.evolve(a, org=f"Z{a.org}") for a in sample_assessments())]
    return Population([*north, *(_copy(o) for o in north)]), tuple(people), tuple(rows)


def _campaign(store: MemoryStore | None = None) -> Campaign:
    population, people, rows = two_counties()
    c = Campaign(POLICY, store or MemoryStore(), population=population, people=people)
    c.open_cases(identify(population, rows, POLICY, 2016), actor=OD, on=OPEN,
                 command_id="open-2016")
    return c


def test_scope_keys_and_person_scopes() -> None:
    """A scope is '', a province, a county or province/county; anything else is refused."""
    assert scope_key(PROVINCE, "北岭县") == NORTH
    assert in_scope(NORTH, PROVINCE)
    assert not in_scope(SOUTH, NORTH)
    assert not in_scope("河北省北岭县", PROVINCE)  # a prefix of the text is not a province
    for bad in ("/北岭县", "河北省/", "a/b/c", " 河北省", "河北省/北岭县\u202e"):
        with pytest.raises(InvalidValueError, match="scope"):
            Person("X1", "某人", scope=bad)


def test_cases_carry_their_scope_and_filter_by_it() -> None:
    """Each case carries its organization's scope; cases(scope=) filters in the store: a
    county, a province and its counties, or nothing."""
    c = _campaign()
    every = c.cases()
    north = c.cases(scope=NORTH)
    south = c.cases(scope=SOUTH)
    assert north
    assert south
    assert {x.scope for x in north} == {NORTH}
    assert all(x.org.startswith("Z") for x in south)
    assert sorted(x.id for x in [*north, *south]) == [x.id for x in every]
    assert c.cases(scope=PROVINCE) == every
    assert c.cases(scope="山西省") == []
    assert c.cases(scope=NORTH, limit=3) == north[:3]
    assert c.cases(scope=SOUTH, after=south[0].id) == south[1:]


def test_a_cadre_of_another_county_is_refused() -> None:
    """南山县's cadre may not plan a 北岭县 case (PermissionDenied naming both scopes, nothing
    recorded); its own county's cadre and the province's may."""
    c = _campaign()
    north_case = c.cases(scope=NORTH)[0].id
    south_case = c.cases(scope=SOUTH)[0].id
    head = c.store.head()
    with pytest.raises(PermissionDenied) as caught:
        c.file_plan(north_case, PLAN, actor=OD_SOUTH, on=date(2016, 3, 1))
    assert SOUTH in str(caught.value)
    assert NORTH in str(caught.value)
    assert caught.value.case == north_case
    assert c.store.head() == head
    assert c.file_plan(north_case, PLAN, actor=OD_NORTH, on=date(2016, 3, 1)).state == "planned"
    assert c.file_plan(south_case, PLAN, actor=OD_PROVINCE,
                       on=date(2016, 3, 1)).state == "planned"
    assert scope_breaches(c.store.replay(), c.people) == []
    check_ledger(c.store.replay(), c.population, POLICY, c.people)


def test_a_scoped_cadre_opens_and_closes_its_own_county_only() -> None:
    """Opening another county's cases is refused as a whole; a county's cadre closes the
    year of its county only."""
    population, people, rows = two_counties()
    c = Campaign(POLICY, MemoryStore(), population=population, people=people)
    both = identify(population, rows, POLICY, 2016)
    with pytest.raises(PermissionDenied, match="南山县"):
        c.open_cases(both, actor=OD_NORTH, on=OPEN)
    assert len(c.store) == 0
    north_only = Population([o for o in population if o.scope == NORTH])
    own = identify(north_only, [r for r in rows if not r.org.startswith("Z")], POLICY, 2016)
    opened = c.open_cases(own, actor=OD_NORTH, on=OPEN)
    assert opened.opened
    assert {c.case(x).scope for x in opened.opened} == {NORTH}
    c.open_cases(both, actor=OD, on=OPEN)
    carried = c.close_year(2016, actor=OD_SOUTH, on=date(2016, 12, 31))
    assert carried
    assert {c.case(x).scope for x in carried} == {SOUTH}
    assert {x.state for x in c.cases(scope=NORTH)} == {"identified"}
    assert verify_read_models(c.store) == []


@cache
def _cases() -> tuple[list[str], list[str]]:
    c = _campaign()
    return [x.id for x in c.cases(scope=NORTH)][:6], [x.id for x in c.cases(scope=SOUTH)][:6]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ACTORS), st.booleans(), st.integers(0, 5),
                          st.sampled_from(["file_plan", "return_plan"])),
                min_size=1, max_size=15))
def test_a_scoped_actor_never_changes_a_case_outside_its_scope(
        steps: list[tuple[Person, bool, int, str]]) -> None:
    """Whatever actors try on whichever cases, a command succeeds only within the actor's
    scope, a refusal records nothing, and the ledger shows no change outside a scope."""
    c = _campaign()
    north, south = _cases()
    for number, (actor, southern, index, command) in enumerate(steps):
        case = c.case((south if southern else north)[index])
        before = c.store.head()
        try:
            if command == "file_plan":
                c.file_plan(case.id, PLAN, actor=actor, on=date(2016, 3, 1),
                            command_id=f"step-{number}")
            else:
                c.return_plan(case.id, "措施不具体", actor=actor, on=date(2016, 3, 2),
                              command_id=f"step-{number}")
        except PermissionDenied:
            assert not in_scope(case.scope, actor.scope)
            assert c.store.head() == before
        except Exception:  # a workflow refusal (CommandRefused): also records nothing
            assert c.store.head() == before
        else:
            assert in_scope(case.scope, actor.scope)
    assert scope_breaches(c.store.replay(), c.people) == []
    assert verify_read_models(c.store) == []


def test_scope_breaches_finds_a_change_from_outside() -> None:
    """A ledger edited by another tool, with a 南山县 cadre's event on a 北岭县 case, is
    reported."""
    c = _campaign()
    case = c.cases(scope=NORTH)[0]
    c.file_plan(case.id, PLAN, actor=OD_NORTH, on=date(2016, 3, 1))
    forged = [attrs.evolve(e, actor=OD_SOUTH.id) if e.stream == case.id and e.version == 2
              else e for e in c.store.replay()]
    found = scope_breaches(forged, c.people)
    assert len(found) == 1
    assert SOUTH in found[0]


def test_people_and_organization_files_carry_scopes(tmp_path: Path) -> None:
    """A people file's scope column (辖区) and an organization file's province column load and
    write back; a malformed scope is an input error naming the row."""
    from rectify.errors import InputError
    from rectify.inputs.records import (
        load_organizations,
        load_people,
        write_organizations,
        write_people,
    )

    people = tmp_path / "people.csv"
    people.write_text("编号,姓名,角色,辖区\nOD-N,北岭县干部,组织部门,河北省/北岭县\n"
                      "OD-0,市里干部,组织部门,\n", encoding="utf-8")
    loaded = load_people(people)
    assert [p.scope for p in loaded] == [NORTH, ""]
    write_people(loaded, tmp_path / "again.csv")
    assert load_people(tmp_path / "again.csv") == loaded
    population, _, _ = two_counties()
    orgs = list(population)[:3]
    write_organizations(orgs, tmp_path / "orgs.csv")
    assert [o.scope for o in load_organizations(tmp_path / "orgs.csv")] == [NORTH] * 3
    people.write_text("id,name,scope\nX1,某人,河北省//北岭县\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2:scope"):
        load_people(people)
