"""Hypothesis strategies for rectify's domain: policies, populations, assessments.

Every strategy builds valid values by construction (a population is a
consistent forest, a policy passes validation) so that tests spend their
examples on the rules, not on rejected inputs.  Scores are drawn so that ties
and grade boundaries come up often.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from rectify.forest import Population
from rectify.lifecycle.case import Plan
from rectify.lifecycle.guards import Votes, acceptance
from rectify.model import Assessment, Grade, Organization, OrgForm, Tier
from rectify.policy import Policy, Rounding, TieRule, load_policy

__all__ = [
    "assessments_for",
    "coverages",
    "people",
    "plans",
    "policies",
    "populations",
    "scores",
    "verification_results",
]

DEFAULT_KINDS: tuple[str, ...] = (
    "village", "community", "state_enterprise", "non_public", "agency", "institution",
)

_BOUNDARIES = (0.0, 59.5, 60.0, 69.5, 70.0, 79.5, 80.0, 89.5, 90.0, 100.0)


def scores() -> st.SearchStrategy[float]:
    """Scores in [0, 100]: grade boundaries, a coarse grid (many ties) and arbitrary values."""
    return st.one_of(
        st.sampled_from(_BOUNDARIES),
        st.integers(min_value=40, max_value=100).map(float),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    )


@st.composite
def populations(
    draw: st.DrawFn,
    kinds: Sequence[str] = DEFAULT_KINDS,
    min_size: int = 1,
    max_size: int = 40,
) -> Population:
    """Valid organization forests: direct organizations, some with second-tier branches."""
    size = draw(st.integers(min_value=max(min_size, 1), max_value=max(max_size, min_size, 1)))
    orgs: list[Organization] = []
    parents: list[Organization] = []
    for n in range(size):
        code = f"O{n:05d}"
        kind = draw(st.sampled_from(list(kinds)))
        second_tier = bool(parents) and draw(st.booleans())
        if second_tier:
            parent = draw(st.sampled_from(parents))
            org = Organization(code, f"第{n}党支部", parent.kind if draw(st.booleans()) else kind,
                               Tier.SECOND_TIER, OrgForm.BRANCH, parent=parent.code,
                               secretary=f"P{n:05d}")
        else:
            form = draw(st.sampled_from(list(OrgForm)))
            org = Organization(code, f"第{n}党组织", kind, Tier.DIRECT, form,
                               secretary=f"P{n:05d}")
            if form.can_have_branches:
                parents.append(org)
        orgs.append(org)
    shuffled = draw(st.permutations(orgs))
    return Population(shuffled)


@st.composite
def assessments_for(
    draw: st.DrawFn,
    population: Population,
    year: int = 2017,
    facts: Sequence[str] = (),
    with_grades: bool = False,
) -> list[Assessment]:
    """One assessment per organization of ``population`` for ``year``.

    ``facts`` names facts to draw (each present or absent at random, values
    in [0, 24]); ``with_grades`` sometimes sets an explicit grade instead of
    leaving it to the policy's bands.
    """
    result: list[Assessment] = []
    for org in population:
        total = draw(scores())
        grade = draw(st.none() | st.sampled_from(list(Grade))) if with_grades else None
        drawn: dict[str, float] = {}
        for fact in facts:
            if draw(st.booleans()):
                drawn[fact] = float(draw(st.integers(min_value=0, max_value=24)))
        result.append(Assessment(org.code, year, total, grade, facts=drawn))
    return result


@st.composite
def policies(draw: st.DrawFn, /, base: str = "northern-county", **overrides: Any) -> Policy:
    """Valid variations of a preset: quotas, rounding, ties and group-size settings.

    Keyword ``overrides`` are applied last, as an overlay (nested mappings).
    """
    policy = load_policy(base)
    quota = {kind: draw(st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.2, 0.33, 0.5]))
             for kind in policy.kinds}
    overlay: dict[str, Any] = {
        "identification": {
            "quota": quota,
            "rounding": draw(st.sampled_from(list(Rounding))).value,
            "ties": draw(st.sampled_from(list(TieRule))).value,
            "count_direct_in_quota": draw(st.booleans()),
            "min_group_size": draw(st.integers(min_value=1, max_value=5)),
            "min_per_kind": draw(st.integers(min_value=0, max_value=2)),
            "near_miss_ranks": draw(st.integers(min_value=0, max_value=4)),
        },
        "escalation": {"consecutive_years": draw(st.integers(min_value=1, max_value=3))},
    }
    policy = policy.evolve(overlay, source="generated policy")
    if overrides:
        policy = policy.evolve(overrides, source="overrides")
    return policy


#: The gaps a vague plan can have; each one alone makes ``file_plan`` refuse it.
PLAN_GAPS: tuple[str, ...] = (
    "no_problems", "unknown_aspect", "blank_problem", "no_measures", "no_responsible",
    "no_deadline", "deadline_not_after_filing", "deadline_beyond_limit",
)


@st.composite
def plans(draw: st.DrawFn, policy: Policy, on: date, complete: bool | None = None) -> Plan:
    """Rectification plans (整顿方案) filed on ``on`` under ``policy``.

    ``complete=True`` gives plans the guards accept (problems tied to the
    policy's aspects, measures, responsible people, a deadline within the
    limit); ``complete=False`` gives vague plans with at least one gap of
    `PLAN_GAPS`; ``None`` draws either.
    """
    aspects = draw(st.lists(st.sampled_from(sorted(policy.aspects)), min_size=1, max_size=3,
                            unique=True))
    problems = [(a, f"{a}: 问题描述") for a in aspects]
    measures = ["整改措施"]
    responsible = ["责任人"]
    limit = policy.plan.max_deadline_days
    deadline: date | None = on + timedelta(days=draw(st.integers(1, max(limit, 1))))
    if complete is None:
        complete = draw(st.booleans())
    if not complete:
        gaps = draw(st.sets(st.sampled_from(PLAN_GAPS), min_size=1, max_size=3))
        if "no_problems" in gaps:
            problems = []
        if "unknown_aspect" in gaps:
            problems.append(("no_such_aspect", "未知问题"))
        if "blank_problem" in gaps:
            problems.append((aspects[0], "  "))
        if "no_measures" in gaps:
            measures = draw(st.sampled_from([[], ["  "]]))
        if "no_responsible" in gaps:
            responsible = draw(st.sampled_from([[], [""]]))
        if "deadline_not_after_filing" in gaps:
            deadline = on - timedelta(days=draw(st.integers(0, 30)))
        if "deadline_beyond_limit" in gaps:
            deadline = on + timedelta(days=limit + draw(st.integers(1, 60)))
        if "no_deadline" in gaps:
            deadline = None
    return Plan(problems, measures, responsible, deadline)


@st.composite
def verification_results(draw: st.DrawFn, policy: Policy,
                         passing: bool | None = None) -> tuple[float, Votes]:
    """A verification's composite score and public evaluation votes (考核验收).

    ``passing=True`` gives results the policy accepts, ``False`` results it
    rejects (low score, dissatisfaction veto or too little satisfaction), and
    ``None`` either.  Votes never exceed the policy's panel size and reach its
    quorum (the whole panel, or ``verification.min_votes``), so the result is
    well formed.
    """
    rules = policy.verification
    if passing is None:
        passing = draw(st.booleans())
    panel = max(rules.panel_size, 1)
    total = draw(st.integers(min(max(rules.min_votes or panel, 1), panel), panel))
    if passing:
        score = draw(st.floats(min_value=min(rules.pass_score, 100.0), max_value=100.0,
                               allow_nan=False))
        dissatisfied = draw(st.integers(0, min(total, int(total * rules.max_dissatisfied))))
        satisfied = draw(st.integers(0, total - dissatisfied))
        votes = Votes(satisfied, total - dissatisfied - satisfied, dissatisfied)
        if acceptance(score, votes, policy):
            votes = Votes(total, 0, 0)
        return score, votes
    how = draw(st.sampled_from(["score", "veto", "both"]))
    score = 100.0
    if how in ("score", "both") and rules.pass_score > 0:
        score = draw(st.floats(min_value=0.0, max_value=rules.pass_score, exclude_max=True,
                               allow_nan=False))
    dissatisfied = total if how in ("veto", "both") else draw(st.integers(0, total))
    votes = Votes(total - dissatisfied, 0, dissatisfied)
    if not acceptance(score, votes, policy):
        return score, votes
    return 0.0, Votes(0, 0, total)


# -- coverage: forests with people, units, contact points (appended for rectify.coverage) ------

#: Problem types each default department type serves (the inverse of the pairing map).
_SERVES: dict[str, tuple[str, ...]] = {
    "party_government": ("weak",), "economic": ("poor",), "political_legal": ("disorderly",),
    "agricultural": ("specialised",),
}
_CASE_STATES = ("identified", "planned", "supported", "verifying", "accepted", "delisted")


@st.composite
def coverages(draw: st.DrawFn, policy: Policy | None = None, *, min_cases: int = 1,
              max_orgs: int = 12, max_load: int = 2) -> Any:
    """Valid coverage snapshots (`rectify.coverage.Coverage`) on which no check fires.

    A forest (`populations()`) with its secretaries, cases of year 2017
    in any state with every required support level held by a cadre of the
    level's role (nobody above ``max_load`` open cases), one or two
    independent verifiers per case, county leaders with one or two township
    contact points and standing-committee members with exactly one (at least
    four visits each), agency units paired within capacity with villages of
    a problem type their department serves, and a cross-assessment lottery
    between three to five counties.  Plant one violation to test a check.
    """
    from rectify.coverage import (
        DEFAULT_LEVEL_ROLES,
        CaseCoverage,
        ContactPoint,
        Coverage,
        Pairing,
        Unit,
    )
    from rectify.coverage.assignment import cross_assessment_lottery
    from rectify.model import Person

    policy = policy or load_policy()
    population = draw(populations(kinds=tuple(policy.kinds), min_size=max(min_cases, 1),
                                  max_size=max(max_orgs, min_cases)))
    codes = [o.code for o in population]
    chosen = draw(st.lists(st.sampled_from(codes), min_size=min_cases, max_size=len(codes),
                           unique=True))
    people = [Person(o.secretary, f"书记{o.code}", {"secretary"}) for o in population
              if o.secretary]
    roles = sorted(set(DEFAULT_LEVEL_ROLES.values()))
    per_role = max(1, -(-len(chosen) // max(max_load, 1)))
    people += [Person(f"C-{role}-{i}", f"{role}{i}", {role}) for role in roles
               for i in range(per_role)]
    cases: list[CaseCoverage] = []
    since = date(2017, 3, 1)
    for j, code in enumerate(sorted(chosen)):
        org = population[code]
        support = tuple((level, f"C-{DEFAULT_LEVEL_ROLES[level]}-{j // max(max_load, 1)}", since)
                        for level in policy.support.required.get(org.kind, ()))
        team = tuple(f"V{j}-{k}" for k in range(draw(st.integers(0, 2))))
        people += [Person(v, f"验收{v}", {"verifier"}) for v in team]
        cases.append(CaseCoverage(f"2017-{code}", code, org.kind, 2017,
                                  draw(st.sampled_from(_CASE_STATES)), support, team,
                                  date(2017, 9, 1) if team else None))
    counties = [f"K{i}" for i in range(draw(st.integers(3, 5)))]
    townships = [(c, f"T{i}") for c in counties for i in range(2)]
    contact: list[ContactPoint] = []
    leaders = [p.id for p in people if "county_leader" in p.roles]
    for pid in leaders:
        for county, town in draw(st.lists(st.sampled_from(townships), min_size=1, max_size=2,
                                          unique=True)):
            contact.append(ContactPoint(pid, county, town, since, draw(st.integers(4, 12))))
    for i in range(draw(st.integers(0, 2))):
        people.append(Person(f"S{i}", f"常委{i}", {"standing_committee"}))
        county, town = draw(st.sampled_from([(c, "") for c in counties] + townships))
        contact.append(ContactPoint(f"S{i}", county, town, since, draw(st.integers(4, 12))))
    units: list[Unit] = []
    pairings: list[Pairing] = []
    for i in range(draw(st.integers(0, 3))):
        department = draw(st.sampled_from(sorted(_SERVES)))
        capacity = draw(st.integers(1, 3))
        units.append(Unit(f"U{i}", f"单位{i}", department, capacity))
        for code in draw(st.lists(st.sampled_from(codes), max_size=capacity, unique=True)):
            pairings.append(Pairing(f"U{i}", code, _SERVES[department][0], since))
    lottery = cross_assessment_lottery(counties, draw(st.integers(0, 1000)), period="2017Q1")
    return Coverage.of(population, cases, people, units, contact, pairings, lottery)


# -- people (appended for the hypothesis entry point) -------------------------------------------

#: Roles people draw from: the organization department, verifiers and the support roles.
PERSON_ROLES: tuple[str, ...] = (
    "org_department", "org_guidance", "verifier", "secretary", "first_secretary",
    "committee_supervisor", "county_leader", "leader_contact", "paired_unit",
)


def people() -> st.SearchStrategy[Any]:
    """People (`rectify.model.Person`) with an id, a Chinese name and some roles."""
    from rectify.model import Person

    return st.builds(
        Person,
        st.from_regex(r"P[0-9]{4}", fullmatch=True),
        st.sampled_from(["张三", "李四", "王五", "赵六"]),
        st.frozensets(st.sampled_from(PERSON_ROLES), max_size=3),
    )
