"""Tests of the assignment helpers: lottery, pairing and supporter suggestions."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import Campaign, load_policy
from rectify.coverage import (
    DEFAULT_DEPARTMENT_FOR_PROBLEM,
    Pairing,
    Unit,
    coverage_from_campaign,
    support_conflicts,
)
from rectify.coverage.assignment import (
    LotteryError,
    cross_assessment_lottery,
    pair_units,
    suggest_supporters,
)
from rectify.identify import identify
from rectify.sample import sample_assessments, sample_people, sample_population

POLICY = load_policy()
PROBLEMS = ("weak", "poor", "disorderly", "specialised")
DEPARTMENTS = ("party_government", "economic", "political_legal", "agricultural")
counties = st.lists(st.text("东西南北中县区市", min_size=1, max_size=4), min_size=3, max_size=30,
                    unique=True)


@given(counties, st.integers() | st.text(max_size=5))
def test_lottery_is_a_derangement_without_reciprocal_pairs(names: list[str],
                                                           seed: int | str) -> None:
    """Every county assesses one other county, is assessed once, and no pair is reciprocal."""
    draw = cross_assessment_lottery(names, seed, period="2017Q1")
    mapping = {x.assessor: x.assessed for x in draw}
    assert sorted(mapping) == sorted(names)
    assert sorted(mapping.values()) == sorted(names)
    assert all(a != b for a, b in mapping.items())
    assert all(mapping[b] != a for a, b in mapping.items())
    assert {x.period for x in draw} == {"2017Q1"}


@given(counties, st.integers(), st.randoms())
def test_lottery_is_reproducible(names: list[str], seed: int, rnd: object) -> None:
    """The same counties, in any order, and the same seed give the same draw."""
    shuffled = list(names)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert cross_assessment_lottery(names, seed) == cross_assessment_lottery(shuffled, seed)


@pytest.mark.parametrize(("names", "why"), [
    ([], "no counties"), (["东区"], "only assess itself"), (["东区", "西区"], "reciprocal pair"),
    (["东区", "西区", "东区"], "listed twice"),
])
def test_impossible_lotteries_explain_themselves(names: list[str], why: str) -> None:
    """Too few or duplicated counties raise LotteryError saying why."""
    with pytest.raises(LotteryError, match=why) as info:
        cross_assessment_lottery(names, 1)
    assert info.value.counties == tuple(names)
    assert isinstance(info.value, ValueError)


def _brute_force(villages: dict[str, str], units: list[Unit],
                 cost: dict[tuple[str, str], int]) -> tuple[int, int]:
    """The best (covered, -cost) over every assignment of villages to units or nobody."""
    orgs = sorted(villages)
    options = [[None, *[u for u in units
                        if u.department in DEFAULT_DEPARTMENT_FOR_PROBLEM[villages[o]]]]
               for o in orgs]
    best = (0, 0)
    for choice in itertools.product(*options):
        used: dict[str, int] = {}
        for unit in choice:
            if unit is not None:
                used[unit.id] = used.get(unit.id, 0) + 1
        if any(used.get(u.id, 0) > (u.capacity or 0) for u in units):
            continue
        covered = sum(u is not None for u in choice)
        price = sum(cost[(u.id, villages[o])] for o, u in zip(orgs, choice, strict=True)
                    if u is not None)
        best = max(best, (covered, -price))
    return best


small_units = st.lists(st.tuples(st.sampled_from(DEPARTMENTS), st.integers(0, 2)), min_size=0,
                       max_size=4)


@given(st.dictionaries(st.sampled_from([f"V{i}" for i in range(6)]), st.sampled_from(PROBLEMS),
                       max_size=6),
       small_units, st.data())
def test_pairing_respects_capacity_and_is_optimal(villages: dict[str, str],
                                                  specs: list[tuple[str, int]],
                                                  data: st.DataObject) -> None:
    """Pairs respect departments and capacities; coverage and cost match brute force."""
    units = [Unit(f"U{i}", f"单位{i}", dep, cap) for i, (dep, cap) in enumerate(specs)]
    cost = {(u.id, p): data.draw(st.integers(0, 5)) for u in units for p in PROBLEMS}
    result = pair_units(villages, units, cost=lambda u, p: cost[(u.id, p)])
    by_id = {u.id: u for u in units}
    for unit in units:
        assert sum(p.unit == unit.id for p in result.pairs) <= (unit.capacity or 0)
    for p in result.pairs:
        assert by_id[p.unit].department in DEFAULT_DEPARTMENT_FOR_PROBLEM[villages[p.org]]
    assert sorted([p.org for p in result.pairs] + [u.org for u in result.uncovered]) == \
        sorted(villages)
    assert result.cost == sum(cost[(p.unit, p.problem_type)] for p in result.pairs)
    assert (len(result.pairs), -result.cost) == _brute_force(villages, units, cost)


def test_pairing_reports_why_villages_stay_uncovered() -> None:
    """Missing departments, full units and unknown types are told apart; existing pairs count."""
    units = [Unit("U1", "县委办", "party_government", 2), Unit("U2", "财政局", "economic")]
    villages = {"V1": "weak", "V2": "weak", "V3": "weak", "V4": "disorderly", "V5": "lazy",
                "V6": "poor"}
    result = pair_units(villages, units, default_capacity=1,
                        existing=[Pairing("U1", "V9", "weak")], since=date(2017, 3, 1))
    assert [(p.unit, p.org) for p in result.pairs] == [("U1", "V1"), ("U2", "V6")]
    reasons = {u.org: u.en for u in result.uncovered}
    assert "are full: 1 of 3" in reasons["V2"]
    assert "no unit of department political_legal" in reasons["V4"]
    assert "no department serves problem type 'lazy'" in reasons["V5"]
    assert result.spare == {"U1": 0, "U2": 0}
    with pytest.raises(ValueError, match="costs must be >= 0"):
        pair_units({"V1": "weak"}, units, cost=lambda u, p: -1)


def test_suggestions_fill_missing_levels_without_conflicts() -> None:
    """Suggested supporters hold the role, spread the load and pass the support guard."""
    population = sample_population()
    campaign = Campaign(POLICY, population=population, people=sample_people())
    campaign.open_cases(identify(population, sample_assessments(), POLICY, 2016),
                        actor="P0236", on=date(2016, 2, 15))
    coverage = coverage_from_campaign(campaign, dated=False)
    suggestions = suggest_supporters(coverage, POLICY, max_cases_per_person=5)
    needed = sum(len(POLICY.support.required[c.kind]) for c in campaign.cases())
    assert len(suggestions) == needed
    loads: dict[str, int] = {}
    for s in suggestions:
        if s.proposed is None:
            assert s.candidates == ()
            continue
        loads[s.proposed] = loads.get(s.proposed, 0) + 1
        assert support_conflicts(campaign, s.case, s.level, s.proposed, loads={}) == []
    assert max(loads.values()) <= 5
    assert {s.case for s in suggest_supporters(coverage, POLICY, cases=["2016-T04-05"])} == {
        "2016-T04-05"}
    # Six county leaders at five cases each cover 30 leader_contact slots: 20 cases fit.
    assert all(s.proposed for s in suggestions if s.level == "leader_contact")
