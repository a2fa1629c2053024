"""What-if comparison: changed verdicts with reasons, counts, consequences, ledger replay."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, Campaign, InvalidValueError, Person, Policy, Population, load_policy
from rectify.identify import identify
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.simulate import Comparison, compare, replay
from rectify.testing.strategies import assessments_for, policies, populations

#: Each example identifies a county under two policies: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


FACTS = ("secretary_vacant_months", "years_without_candidate", "mass_incidents")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, Population, list[Assessment]]:
    policy = draw(policies())
    population = draw(populations(max_size=40))
    rows = draw(assessments_for(population, 2016, facts=FACTS, with_grades=True))
    rows += draw(assessments_for(population, 2017, facts=FACTS, with_grades=True))
    return policy, population, rows


@pytest.fixture(scope="module")
def sample_comparison() -> Comparison:
    return compare(load_policy("northern-county"), load_policy("national-practice"),
                   sample_population(), sample_assessments(), 2017, people=sample_people())


def test_sample_lists_every_changed_verdict_with_both_reasons(
        sample_comparison: Comparison) -> None:
    """northern-county vs national-practice in 2017: ten verdicts change, each explained."""
    result = sample_comparison
    a = set(identify(sample_population(), sample_assessments(), result.policy_a, 2017)
            .listed_codes)
    b = set(identify(sample_population(), sample_assessments(), result.policy_b, 2017)
            .listed_codes)
    assert [c.org for c in result.changes] == sorted(a ^ b)
    assert [c.org for c in result.added] == ["T02-03", "T04-02"]
    t02_03, t04_02 = result.added
    assert t02_03.a.rules == t04_02.a.rules == ("above_cutoff",)
    assert t02_03.b.rules == ("mass_incident",)
    assert t04_02.b.rules == ("secretary_vacant",)
    assert "书记职位空缺3个月以上" in t04_02.explain("zh")
    assert "secretary_vacant" in t04_02.explain("en")
    assert all(c.a.reasons and c.b.reasons for c in result.changes)


def test_chinese_explanations_carry_no_english_identifiers(sample_comparison: Comparison) -> None:
    """What an official reads in Chinese has no rule ids or fact names in it."""
    for change in sample_comparison.changes:
        text = change.explain("zh").replace(change.org, "")
        assert not re.search(r"[a-z_]{3,}", text), text
    assert not re.search(r"[a-z_]{3,}", sample_comparison.summary("zh"))


def test_sample_consequences_and_difference(sample_comparison: Comparison) -> None:
    """Escalations, dismissals with the cascade and first secretaries under each policy."""
    a, b = sample_comparison.consequences_a, sample_comparison.consequences_b
    assert (len(a.escalations), len(b.escalations)) == (3, 2)
    assert any(d.role == "parent_secretary" for d in a.dismissals)
    assert a.first_secretaries == a.need("first_secretary").cases == 9
    diff = sample_comparison.difference()
    assert diff["listed"] == b.listed - a.listed == -6
    assert diff["escalations"] == -1
    # Twelve first secretaries in the sample can be stationed in the nine villages.
    need = a.need("first_secretary")
    assert (need.available, need.over_cap, need.shortfall) == (12, False, 0)
    with pytest.raises(InvalidValueError, match="support level"):
        a.need("no_such_level")


def test_counts_by_kind_township_and_rule_add_up(sample_comparison: Comparison) -> None:
    """Each grouping's totals match the listings, and its changes match the verdicts."""
    result = sample_comparison
    for groups in (result.by_kind, result.by_township):
        assert sum(g.listed_a for g in groups) == result.consequences_a.listed
        assert sum(g.listed_b for g in groups) == result.consequences_b.listed
        assert sum(g.added for g in groups) == len(result.added)
        assert sum(g.removed for g in groups) == len(result.removed)
    rules = {g.key: g for g in result.by_rule}
    assert rules["quota"].listed_a == 18
    assert rules["quota"].removed == 8
    data = result.to_json()
    assert len(data["changes"]) == 10
    assert data["consequences"]["difference"]["listed"] == -6


@COSTLY
@given(scenarios())
def test_a_policy_compared_with_itself_changes_nothing(
        scenario: tuple[Policy, Population, list[Assessment]]) -> None:
    """Self-comparison: no changed verdict, equal consequences, zero differences."""
    policy, population, rows = scenario
    result = compare(policy, policy, population, rows, 2017)
    assert result.unchanged
    assert result.consequences_a == result.consequences_b
    assert set(result.difference().values()) == {0}


@COSTLY
@given(scenarios(), st.data())
def test_raising_a_quota_never_removes_a_listing(
        scenario: tuple[Policy, Population, list[Assessment]], data: st.DataObject) -> None:
    """A higher quota for one kind only adds listings."""
    policy, population, rows = scenario
    kind = data.draw(st.sampled_from(sorted(policy.kinds)))
    raised = min(1.0, policy.identification.quota[kind] + data.draw(
        st.sampled_from([0.01, 0.05, 0.1, 0.5])))
    higher = policy.evolve({"identification": {"quota": {kind: raised}}})
    result = compare(policy, higher, population, rows, 2017)
    assert not result.removed
    assert all(c.kind == kind for c in result.added)


@COSTLY
@given(scenarios(), st.data())
def test_compare_agrees_with_two_separate_identifications(
        scenario: tuple[Policy, Population, list[Assessment]], data: st.DataObject) -> None:
    """Every change and count is what two independent identifications give."""
    policy_a, population, rows = scenario
    policy_b = data.draw(policies())
    result = compare(policy_a, policy_b, population, rows, 2017)
    a = identify(population, rows, policy_a, 2017)
    b = identify(population, rows, policy_b, 2017)
    assert [c.org for c in result.changes] == sorted(set(a.listed_codes) ^ set(b.listed_codes))
    for change in result.changes:
        assert change.a == a.decision(change.org)
        assert change.b == b.decision(change.org)
    kinds = {g.key: (g.listed_a, g.listed_b) for g in result.by_kind}
    for kind, summary in a.kinds.items():
        assert kinds[kind][0] == summary.listed
    for kind, summary in b.kinds.items():
        assert kinds[kind][1] == summary.listed
    assert result.consequences_a.listed == len(a.listed_codes)


@settings(max_examples=20)
@given(scenarios())
def test_escalations_follow_each_policys_own_history(
        scenario: tuple[Policy, Population, list[Assessment]]) -> None:
    """Without a given history, each side escalates on its own earlier listings."""
    policy, population, rows = scenario
    result = compare(policy, policy, population, rows, 2017)
    before = set(identify(population, rows, policy, 2016).listed_codes)
    now = set(identify(population, rows, policy, 2017).listed_codes)
    expected = sorted(before & now) if policy.escalation.consecutive_years == 2 else None
    if expected is not None:
        assert [d.org for d in result.consequences_a.escalations] == expected


def test_history_naming_unknown_organizations_is_refused() -> None:
    """A history with codes outside the population is bad input, named in the message."""
    with pytest.raises(InvalidValueError, match="NOPE"):
        compare(load_policy(), load_policy(), sample_population(), sample_assessments(), 2017,
                history={2016: {"NOPE"}})


def test_replay_takes_earlier_years_from_the_ledger() -> None:
    """Replaying 2017 under another policy escalates on the ledger's 2016 listings."""
    population = sample_population()
    policy = load_policy()
    dept = Person("OD-T", "组织部", {"org_department"})
    campaign = Campaign(policy, population=population, people=[dept])
    for year in (2016, 2017):
        result = identify(population, sample_assessments(), policy, year)
        campaign.open_cases(result, actor=dept, on=date(year, 2, 15))
        campaign.close_year(year, actor=dept, on=date(year, 12, 31))
    replayed = replay(campaign, load_policy("national-practice"), sample_assessments(), 2017)
    assert replayed.ledger is not None
    assert replayed.ledger.matches_identification
    assert len(replayed.consequences_a.escalations) == 3
    # The 2016 cases were never worked on: each one went on into 2017 and escalates there.
    listings = campaign.listings()
    assert replayed.ledger.escalations == len(listings[2016] & listings[2017]) == 20
    ledger_2016 = campaign.listings()[2016]
    assert all(set(d.streak) >= {2016} and d.org in ledger_2016
               for d in replayed.consequences_b.escalations)
    assert replayed.to_json()["ledger"]["matches_identification"] is True
