"""Annual identification: quotas, direct criteria, ties, determinism and reasons."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, IdentificationError, Organization, Population, Tier, load_policy
from rectify.identify import Identification, identify, ranked_indices
from rectify.policy import Policy, TieRule
from rectify.testing.strategies import assessments_for, policies, populations

#: Each example identifies a whole generated county: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


FACTS = ("secretary_vacant_months", "years_without_candidate", "mass_incidents")


@st.composite
def scenarios(draw: st.DrawFn, base: str = "northern-county") -> tuple[
    Policy, Population, list[Assessment]
]:
    policy = draw(policies(base))
    population = draw(populations(max_size=60))
    rows = draw(assessments_for(population, 2017, facts=FACTS, with_grades=True))
    return policy, population, rows


def _quota_count(policy: Policy, kind: str, size: int) -> int:
    ident = policy.identification
    if size < ident.min_group_size or (ident.quota[kind] == 0 and ident.min_per_kind == 0):
        return 0
    return min(size, max(ident.rounding.apply(ident.quota[kind], size), ident.min_per_kind))


def _by_kind(result: Identification) -> dict[str, list[object]]:
    groups: dict[str, list[object]] = {}
    for d in result:
        groups.setdefault(d.kind, []).append(d)
    return groups


@COSTLY
@given(scenarios())
def test_each_kinds_quota_is_met(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """Every kind lists at least its quota (direct listings included), over the whole kind.

    The kind's size counts its unit of ranking (``identification.ranked``).
    """
    policy, population, rows = case
    result = identify(population, rows, policy, 2017)
    units = ranked_indices(population, policy)
    sizes = Counter(o.kind for o, ranked in zip(population, units, strict=True) if ranked)
    for kind, size in sizes.items():
        listed = [d for d in result if d.kind == kind and d.listed]
        assert len(listed) >= _quota_count(policy, kind, size)
        assert result.kinds[kind].listed == len(listed)


@COSTLY
@given(scenarios())
def test_quota_lists_no_more_than_needed(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """Beyond the quota, only ties at the cut-off are added, and only if ties include all."""
    policy, population, rows = case
    result = identify(population, rows, policy, 2017)
    for kind, summary in result.kinds.items():
        in_kind = [d for d in result if d.kind == kind]
        by_quota = sorted(d.score for d in in_kind if "quota" in d.rules)
        not_direct = sum(1 for d in in_kind if set(d.rules) <= {"quota", "above_cutoff",
                                                                  "tie_break", "no_quota",
                                                                  "small_group",
                                                                  "quota_met_by_direct"})
        needed = summary.quota - (summary.direct if policy.identification.count_direct_in_quota
                                  else 0)
        expected = min(max(0, needed), not_direct)
        if policy.identification.ties is TieRule.BREAK_BY_CODE:
            assert len(by_quota) == expected
        else:
            assert len(by_quota) >= expected
            assert all(score == summary.cutoff for score in by_quota[expected:])


@COSTLY
@given(scenarios("national-practice"))
def test_every_direct_criterion_lists(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """An organization meeting any direct criterion is listed with that criterion as a reason."""
    policy, population, rows = case
    result = identify(population, rows, policy, 2017)
    for a in rows:
        org = population[a.org]
        grade = a.grade or policy.grade_for(a.total)
        for crit in policy.identification.direct:
            if crit.kinds and org.kind not in crit.kinds:
                continue
            if crit.grades:
                holds = grade.value in crit.grades
            else:
                assert crit.fact is not None
                assert crit.op is not None
                assert crit.threshold is not None
                value = a.total if crit.fact == "total" else a.facts.get(crit.fact)
                holds = value is not None and crit.op.holds(value, crit.threshold)
            decision = result.decision(a.org)
            assert (crit.id in decision.rules) == holds
            if holds:
                assert decision.listed


@COSTLY
@given(scenarios(), st.randoms(use_true_random=False))
def test_identification_is_independent_of_input_order(
    case: tuple[Policy, Population, list[Assessment]], rnd: random.Random
) -> None:
    """Shuffling the organizations and the assessments changes no decision."""
    policy, population, rows = case
    first = list(identify(population, rows, policy, 2017))
    orgs = list(population)
    rnd.shuffle(orgs)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    second = list(identify(Population(orgs), shuffled, policy, 2017))
    assert first == second


@COSTLY
@given(scenarios())
def test_reasons_agree_with_the_facts(case: tuple[Policy, Population, list[Assessment]]) -> None:
    """Ranks, cut-offs and margins in the reasons are what the scores say."""
    policy, population, rows = case
    result = identify(population, rows, policy, 2017)
    totals = {a.org: a.total for a in rows}
    units = dict(zip((o.code for o in population), ranked_indices(population, policy),
                     strict=True))
    for d in result:
        if not units[d.org]:  # outside the unit of ranking: no rank, no margin
            assert (d.rank, d.margin, d.cutoff) == (0, None, None)
            assert d.rules == ("not_ranked",) or ("not_ranked" not in d.rules and d.listed)
    for kind, all_decisions in _by_kind(result).items():
        decisions = [d for d in all_decisions if units[d.org]]  # type: ignore[attr-defined]
        kind_scores = [totals[d.org] for d in decisions]  # type: ignore[attr-defined]
        summary = result.kinds[kind]
        for d in decisions:
            assert isinstance(d, type(result.decision(d.org)))  # type: ignore[attr-defined]
            decision = result.decision(d.org)  # type: ignore[attr-defined]
            assert decision.score == totals[decision.org]
            assert decision.rank == 1 + sum(s < decision.score for s in kind_scores)
            assert decision.kind_size == summary.size == len(decisions)
            assert decision.policy == policy.fingerprint()
            assert decision.reasons
            if summary.cutoff is not None:
                assert decision.margin == pytest.approx(decision.score - summary.cutoff, abs=1e-6)
            for reason in decision.reasons:
                if reason.rule == "quota":
                    assert reason.facts["score"] <= reason.facts["cutoff"]
                    assert reason.facts["margin"] <= 0
                if reason.rule == "above_cutoff":
                    assert reason.facts["margin"] > 0
                if reason.rule == "tie_break":
                    assert reason.facts["margin"] == 0
            if summary.cutoff is not None and not decision.listed:
                assert decision.score >= summary.cutoff
            assert decision.explain()
            assert decision.explain("zh")


@COSTLY
@given(scenarios())
def test_near_misses_are_unlisted_and_close(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """Near misses are not listed and rank within the policy's reach of the cut-off."""
    policy, population, rows = case
    result = identify(population, rows, policy, 2017)
    near = result.near_misses()
    assert all(not d.listed and d.near_miss for d in near)
    assert {d.org for d in near} == {d.org for d in result if d.near_miss}
    if policy.identification.near_miss_ranks == 0:
        assert not near


def _village_population(n: int) -> Population:
    return Population(Organization(f"V{i:03d}", f"村{i}", "village", Tier.DIRECT)
                      for i in range(n))


def test_quota_rounding_is_exact() -> None:
    """15% of 40 villages is 6 exactly (floating point would give 6.000000000000001 → 7)."""
    policy = load_policy().evolve({"identification": {"direct": []}})
    rows = [Assessment(f"V{i:03d}", 2017, 60.0 + i) for i in range(40)]
    result = identify(_village_population(40), rows, policy, 2017)
    assert result.kinds["village"].quota == 6
    assert [d.org for d in result.listed()] == [f"V{i:03d}" for i in range(6)]


def test_ties_at_the_cutoff_follow_the_policy() -> None:
    """Tied scores at the cut-off are all listed, or broken by code, as the policy says."""
    policy = load_policy().evolve({"identification": {"direct": [],
                                                      "quota": {"village": 0.1}}})
    rows = [Assessment(f"V{i:03d}", 2017, 70.0 if i < 3 else 80.0) for i in range(20)]
    everyone = identify(_village_population(20), rows, policy, 2017)
    assert [d.org for d in everyone.listed()] == ["V000", "V001", "V002"]
    broken = identify(_village_population(20), rows,
                      policy.evolve({"identification": {"ties": "break_by_code"}}), 2017)
    assert [d.org for d in broken.listed()] == ["V000", "V001"]
    assert broken.decision("V002").rules == ("tie_break",)


def test_quota_is_never_spread_by_township() -> None:
    """Ranking is over the whole kind: one township may supply every listing."""
    orgs = [Organization(f"V{i:03d}", f"村{i}", "village", Tier.DIRECT,
                         township="东镇" if i < 10 else "西镇") for i in range(20)]
    rows = [Assessment(o.code, 2017, 61.0 + i) for i, o in enumerate(orgs)]
    result = identify(Population(orgs), rows, load_policy(), 2017)
    assert {Population(orgs)[c].township for c in result.listed_codes} == {"东镇"}


def test_missing_assessments_and_unknown_kinds_are_reported_together() -> None:
    """One error names every organization without an assessment and every unknown kind."""
    orgs = [Organization("V1", "村一", "village", Tier.DIRECT),
            Organization("X1", "学校", "school", Tier.DIRECT),
            Organization("V2", "村二", "village", Tier.DIRECT)]
    rows = [Assessment("V1", 2017, 70.0), Assessment("X1", 2017, 70.0),
            Assessment("V2", 2016, 70.0)]
    with pytest.raises(IdentificationError) as info:
        identify(Population(orgs), rows, load_policy(), 2017)
    locations = [p.location for p in info.value.problems]
    assert locations == ["assessment of V2", "organization X1.kind"]
    assert "school" in str(info.value)


def test_two_assessments_for_one_organization_are_refused() -> None:
    """Duplicate assessments for the same year are an error, not a silent overwrite."""
    rows = [Assessment("V000", 2017, 70.0), Assessment("V000", 2017, 75.0)]
    with pytest.raises(IdentificationError, match="one assessment for 2017"):
        identify(_village_population(1), rows, load_policy(), 2017)


def test_asking_for_an_unknown_code_is_a_typed_error() -> None:
    """decision() names the unknown code."""
    result = identify(_village_population(1), [Assessment("V000", 2017, 70.0)], load_policy(),
                      2017)
    with pytest.raises(IdentificationError, match="NOPE"):
        result.decision("NOPE")


def test_small_groups_and_quota_free_kinds_explain_themselves() -> None:
    """A kind below the minimum group size, or without a quota, says so in its reasons."""
    policy = load_policy().evolve({"identification": {"direct": [], "min_group_size": 5,
                                                      "quota": {"community": 0.0}}})
    orgs = [Organization("V1", "村一", "village", Tier.DIRECT),
            Organization("C1", "社区一", "community", Tier.DIRECT)]
    rows = [Assessment("V1", 2017, 50.0), Assessment("C1", 2017, 50.0)]
    result = identify(Population(orgs), rows, policy, 2017)
    assert result.decision("V1").rules == ("small_group",)
    assert result.decision("C1").rules == ("no_quota",)
    assert not result.listed()


@COSTLY
@given(scenarios("national-practice"))
def test_columns_give_the_same_decisions_as_records(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """AssessmentColumns (the national-scale input) decide exactly as Assessment records do."""
    from rectify.identify import AssessmentColumns

    policy, population, rows = case
    by_records = list(identify(population, rows, policy, 2017))
    columns = AssessmentColumns.of(population, rows, 2017)
    assert list(identify(population, columns, policy, 2017)) == by_records


def test_columns_are_checked() -> None:
    """Misaligned columns, another year and out-of-range scores are reported together."""
    from rectify.identify import AssessmentColumns

    population = _village_population(3)
    bad = AssessmentColumns(2016, [50.0, 101.0], facts={"x": [1.0]})
    with pytest.raises(IdentificationError) as info:
        identify(population, bad, load_policy(), 2017)
    locations = {p.location for p in info.value.problems}
    assert locations == {"assessments.year", "assessments.totals", "assessments.facts.x",
                         "assessments.totals[1]"}
