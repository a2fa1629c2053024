"""The unit of ranking (``[identification.ranked]``): which organizations a kind's quota ranks."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, Organization, OrgForm, Population, Tier, load_policy
from rectify.errors import PolicyError
from rectify.identify import identify, ranked_indices
from rectify.policy import Policy, RankedUnit
from rectify.testing.strategies import assessments_for, policies, populations

#: Each example identifies a generated nested county: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


KINDS = ("village", "community")


@st.composite
def nested(draw: st.DrawFn) -> tuple[Policy, Population, list[Assessment]]:
    """A policy, a forest whose branches often share their parent's kind, and assessments."""
    policy = draw(policies())
    population = draw(populations(kinds=KINDS, max_size=50))
    rows = draw(assessments_for(population, 2017, with_grades=True))
    return policy, population, rows


def _with(policy: Policy, unit: str) -> Policy:
    return policy.evolve({"identification": {"ranked": dict.fromkeys(KINDS, unit)}})


@COSTLY
@given(nested())
def test_top_ranks_only_organizations_not_under_their_own_kind(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """Under ``top`` a kind ranks exactly its organizations whose parent is of another kind
    (or that have none); the others are counted apart and listed only by direct criteria."""
    policy, population, rows = case
    top = _with(policy, "top")
    units = ranked_indices(population, top)
    result = identify(population, rows, top, 2017)
    expected = [o.parent is None or population[o.parent].kind != o.kind for o in population]
    assert units == expected
    sizes = Counter(o.kind for o, ranked in zip(population, units, strict=True) if ranked)
    outside = Counter(o.kind for o, ranked in zip(population, units, strict=True) if not ranked)
    direct_ids = {c.id for c in top.identification.direct}
    for kind, summary in result.kinds.items():
        assert (summary.size, summary.unranked) == (sizes[kind], outside[kind])
        assert summary.listed == sum(1 for d in result if d.kind == kind and d.listed)
    for decision, ranked in zip(result, units, strict=True):
        if not ranked:
            assert decision.rank == 0
            assert set(decision.rules) <= direct_ids | {"not_ranked"}
            assert decision.listed == bool(set(decision.rules) & direct_ids)


@COSTLY
@given(nested())
def test_all_is_the_default_and_ranks_everything(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """``all`` (and no setting) puts every organization in its kind's ranking."""
    policy, population, rows = case
    everything = _with(policy, "all")
    unset = policy.evolve({"identification": {"ranked": {}}}) if policy.identification.ranked \
        else policy
    bare = Policy.from_dict({**unset.to_dict(), "identification": {
        k: v for k, v in unset.to_dict()["identification"].items() if k != "ranked"}})
    assert all(ranked_indices(population, everything))
    assert identify(population, rows, everything, 2017).listed_codes == identify(
        population, rows, bare, 2017).listed_codes


def test_the_village_quota_counts_villages_not_group_branches() -> None:
    """15% of two villages is one, whatever the number of group branches under them."""
    orgs = [Organization("T1", "镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE),
            Organization("T1-01", "甲村党总支", "village", Tier.SECOND_TIER,
                         OrgForm.GENERAL_BRANCH, parent="T1"),
            Organization("T1-02", "乙村党支部", "village", Tier.SECOND_TIER, parent="T1")]
    orgs += [Organization(f"T1-01-{n:02d}", f"甲村第{n}村民小组党支部", "village",
                          Tier.SECOND_TIER, parent="T1-01") for n in range(1, 9)]
    population = Population(orgs)
    rows = [Assessment(o.code, 2017, 70.0 + i) for i, o in enumerate(population)]
    result = identify(population, rows, load_policy(), 2017)
    village = result.kinds["village"]
    assert (village.size, village.unranked, village.quota) == (2, 8, 1)
    assert result.listed_codes == ["T1-01"]
    assert result.decision("T1-01-01").rules == ("not_ranked",)
    flat = identify(population, rows, load_policy().evolve(
        {"identification": {"ranked": {"village": "all"}}}), 2017)
    assert flat.kinds["village"].size == 10
    assert flat.kinds["village"].quota == 2


def test_ranked_settings_are_validated() -> None:
    """An unknown kind or unit is refused with the setting named."""
    policy = load_policy()
    assert policy.identification.ranked["village"] is RankedUnit.TOP
    with pytest.raises(PolicyError, match=r"identification\.ranked\.school"):
        policy.evolve({"identification": {"ranked": {"school": "top"}}})
    with pytest.raises(PolicyError, match=r"identification\.ranked\.village.*'top'"):
        policy.evolve({"identification": {"ranked": {"village": "leaves"}}})
