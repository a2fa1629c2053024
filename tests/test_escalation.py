"""Escalation for repeat listings: streaks, dismissals, the cascade and explanations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import InvalidValueError, Organization, OrgForm, Population, Tier, load_policy
from rectify.escalation import cascade, escalate, streak, unique_dismissals
from rectify.policy import Policy
from rectify.testing.strategies import populations

#: Each example replays a generated multi-year history: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


POLICY = load_policy()
YEARS = range(2013, 2019)


def _policy(**escalation: object) -> Policy:
    return POLICY.evolve({"escalation": escalation})


@st.composite
def histories(draw: st.DrawFn) -> tuple[Population, dict[int, set[str]]]:
    """A population and, for each year 2013-2018, a random subset of it listed."""
    population = draw(populations(max_size=25))
    codes = [o.code for o in population]
    listings = {year: set(draw(st.lists(st.sampled_from(codes), max_size=len(codes))))
                for year in YEARS}
    return population, listings


def _small() -> Population:
    return Population([
        Organization("C1", "镇党委", "village", Tier.DIRECT, OrgForm.COMMITTEE, secretary="P1"),
        Organization("C1-1", "一村党支部", "village", Tier.SECOND_TIER, parent="C1",
                     secretary="P2"),
        Organization("C1-2", "二村党支部", "village", Tier.SECOND_TIER, parent="C1"),
        Organization("V9", "九村党支部", "village", Tier.DIRECT, secretary="P9"),
        Organization("G1", "空缺党委", "village", Tier.DIRECT, OrgForm.COMMITTEE),
        Organization("G1-1", "空缺下属支部", "village", Tier.SECOND_TIER, parent="G1",
                     secretary="P7"),
    ])


@COSTLY
@given(histories(), st.sampled_from(list(YEARS)), st.integers(min_value=1, max_value=4))
def test_dismissal_only_when_the_streak_reaches_the_limit(
    history: tuple[Population, dict[int, set[str]]], year: int, limit: int
) -> None:
    """An organization escalates, and anyone is dismissed, iff its streak is at least N years."""
    population, listings = history
    policy = _policy(consecutive_years=limit)
    decisions = escalate(population, listings, year, policy)
    assert [d.org for d in decisions] == sorted(listings[year])
    for d in decisions:
        assert d.streak == streak(listings, d.org, year)
        assert d.escalates == (len(d.streak) >= limit)
        assert bool(d.dismissals) == d.escalates
        assert d.policy == policy.fingerprint()


@COSTLY
@given(histories(), st.sampled_from(list(YEARS)), st.booleans())
def test_cascade_only_from_second_tier_to_its_parent(
    history: tuple[Population, dict[int, set[str]]], year: int, cascades: bool
) -> None:
    """The org's secretary goes; a parent's only for a cascading second-tier branch."""
    population, listings = history
    for d in escalate(population, listings, year, _policy(cascade_to_parent=cascades)):
        if not d.escalates:
            continue
        org = population[d.org]
        own, *rest = d.dismissals
        assert (own.org, own.role, own.person) == (org.code, "secretary", org.secretary)
        if org.tier is Tier.SECOND_TIER and cascades:
            parent = population.ancestors(org.code)[0]
            assert [(x.org, x.role, x.person) for x in rest] == [
                (parent.code, "parent_secretary", parent.secretary)]
        else:
            assert rest == []


@COSTLY
@given(histories())
def test_streak_is_the_run_of_consecutive_years(
    history: tuple[Population, dict[int, set[str]]],
) -> None:
    """A streak is empty unless listed that year, and otherwise a gap-free run ending there."""
    population, listings = history
    for org in population:
        for year in YEARS:
            years = streak(listings, org.code, year)
            if org.code not in listings[year]:
                assert years == ()
                continue
            assert years == tuple(range(years[0], year + 1))
            assert all(org.code in listings[y] for y in years)
            assert org.code not in listings.get(years[0] - 1, set())


@COSTLY
@given(populations(max_size=15), st.integers(min_value=2, max_value=4),
       st.integers(min_value=2, max_value=5))
def test_non_consecutive_listings_never_escalate(
    population: Population, limit: int, gap: int
) -> None:
    """Listings every other year (or sparser) never make a streak of two, so never escalate."""
    codes = {o.code for o in population}
    listings = {2000 + gap * i: codes for i in range(6)}
    for year in listings:
        decisions = escalate(population, listings, year, _policy(consecutive_years=limit))
        assert all(not d.escalates and d.dismissals == () for d in decisions)
        assert all(d.streak == (year,) for d in decisions)


def test_two_consecutive_years_dismiss_branch_and_parent_secretaries() -> None:
    """Under the default policy a second-tier branch listed twice costs both secretaries."""
    decisions = escalate(_small(), {2016: {"C1-1"}, 2017: {"C1-1", "V9"}}, 2017, POLICY)
    branch, village = decisions
    assert branch.escalates
    assert branch.streak == (2016, 2017)
    assert [(d.person, d.org, d.role) for d in branch.dismissals] == [
        ("P2", "C1-1", "secretary"), ("P1", "C1", "parent_secretary")]
    assert not village.escalates
    assert village.rules == ("streak_below_limit",)
    assert "missing=1" in village.explain()


def test_direct_organization_never_cascades() -> None:
    """A direct committee escalating loses only its own secretary, and the reasons say why."""
    decisions = escalate(_small(), {2016: {"C1"}, 2017: {"C1"}}, 2017, POLICY)
    (decision,) = decisions
    assert [(d.person, d.role) for d in decision.dismissals] == [("P1", "secretary")]
    assert decision.rules == ("consecutive_listing", "direct_no_cascade")


def test_non_consecutive_years_do_not_escalate() -> None:
    """Listed in 2015 and 2017 but not 2016: the streak is one year and nobody is dismissed."""
    (decision,) = escalate(_small(), {2015: {"V9"}, 2017: {"V9"}}, 2017, POLICY)
    assert decision.streak == (2017,)
    assert not decision.escalates
    assert decision.dismissals == ()


def test_vacant_posts_are_named_in_the_reasons() -> None:
    """When a secretary post is vacant the dismissal has no person and says the post is vacant."""
    vacant_branch = cascade(_small(), "C1-2", POLICY)
    assert [(d.person, d.org) for d in vacant_branch] == [(None, "C1-2"), ("P1", "C1")]
    assert "vacant" in vacant_branch[0].reason_en
    assert "空缺" in vacant_branch[0].reason_zh
    vacant_parent = cascade(_small(), "G1-1", POLICY)
    assert [(d.person, d.org) for d in vacant_parent] == [("P7", "G1-1"), (None, "G1")]
    assert "vacant" in vacant_parent[1].reason_en


def test_policy_switches_turn_off_dismissal_and_cascade() -> None:
    """Without dismissal nobody goes; without the cascade only the branch's secretary does."""
    listings = {2016: {"C1-1"}, 2017: {"C1-1"}}
    (quiet,) = escalate(_small(), listings, 2017, _policy(dismiss_secretary=False))
    assert quiet.escalates
    assert quiet.dismissals == ()
    assert "dismissal_disabled" in quiet.rules
    assert cascade(_small(), "C1-1", _policy(dismiss_secretary=False)) == ()
    (narrow,) = escalate(_small(), listings, 2017, _policy(cascade_to_parent=False))
    assert [d.person for d in narrow.dismissals] == ["P2"]
    assert "cascade_disabled" in narrow.rules


def test_three_year_rule() -> None:
    """With a three-year rule two consecutive listings are not enough; three are."""
    policy = _policy(consecutive_years=3)
    listings = {2015: {"V9"}, 2016: {"V9"}, 2017: {"V9"}}
    assert not escalate(_small(), listings, 2016, policy)[0].escalates
    assert escalate(_small(), listings, 2017, policy)[0].escalates


def test_explain_in_english_and_chinese() -> None:
    """Explanations name the rule, the streak and each dismissal, in both languages."""
    (decision,) = escalate(_small(), {2016: {"C1-1"}, 2017: {"C1-1"}}, 2017, POLICY)
    en = decision.explain()
    assert en.startswith("C1-1 (2017): escalates: consecutive_listing")
    assert "streak=[2016, 2017]" in en
    assert "dismiss P1, secretary of C1" in en
    zh = decision.explain("zh")
    assert zh.startswith("C1-1 (2017): 问责: 连续被列为整顿对象, 达到规定年数")
    assert "2016、2017年连续2年被列入" in zh
    assert "书记(人员编号P1)的职务" in zh


def test_unique_dismissals_dedupes_a_parent_dismissed_twice() -> None:
    """A committee escalating alongside its branch loses its secretary once."""
    listings = {2016: {"C1", "C1-1"}, 2017: {"C1", "C1-1"}}
    decisions = escalate(_small(), listings, 2017, POLICY)
    assert [(d.person, d.role) for d in unique_dismissals(decisions)] == [
        ("P1", "secretary"), ("P2", "secretary")]


def test_unknown_codes_are_rejected() -> None:
    """Listings or a cascade query naming an organization outside the population raise."""
    with pytest.raises(InvalidValueError, match=r"listings\[2017\].*'X1'"):
        escalate(_small(), {2017: {"X1", "V9"}}, 2017, POLICY)
    with pytest.raises(InvalidValueError, match="org"):
        cascade(_small(), "X1", POLICY)


def test_a_year_without_listings_gives_no_decisions() -> None:
    """No listings for the year: no decisions, whatever other years hold."""
    assert escalate(_small(), {2016: {"V9"}}, 2017, POLICY) == []
