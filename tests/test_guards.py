"""The pure guards of the case workflow, and their binding to the workflow definition."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import Organization, OrgForm, Plan, Population, Tier, Votes, load_policy
from rectify.errors import WorkflowDefinitionError
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.guards import (
    GUARD_FUNCTIONS,
    GuardInput,
    _guards_of,
    acceptance,
    conflict_reasons,
    deadline_within_limit,
    plan_complete,
    problems_resolved,
    run_guards,
    support_complete,
    support_reasons,
    team_reasons,
    unbound_guards,
    vote_problems,
    within_follow_up,
)
from rectify.lifecycle.workflow import WORKFLOW, TriggerDef, Workflow
from rectify.testing.strategies import plans, verification_results

POLICY = load_policy()
DAY = date(2017, 3, 1)
POPULATION = Population([
    Organization("T1", "镇党委", "village", Tier.DIRECT, OrgForm.COMMITTEE, secretary="P-T1"),
    Organization("V1", "村党支部", "village", Tier.SECOND_TIER, parent="T1", secretary="P-V1"),
])


def _case(**changes: object) -> CaseRecord:
    base = CaseRecord(id="2017-V1", org="V1", year=2017, kind="village", state="supported",
                      version=3, opened_on=date(2017, 2, 1))
    return attrs.evolve(base, **changes)


@given(plans(POLICY, DAY, complete=True))
def test_the_kits_plans_are_complete(plan: Plan) -> None:
    """Every plan the testing kit draws passes plan_complete and the deadline limit."""
    assert plan_complete(plan, POLICY) == []
    assert deadline_within_limit(plan.deadline, DAY, POLICY) == []


def test_an_empty_plan_names_every_gap() -> None:
    """A plan with nothing in it is refused for problems, measures, people and deadline."""
    unmet = plan_complete(Plan(problems=(), measures=(), responsible=(), deadline=None), POLICY)
    assert unmet == ["the plan names no problem", "the plan names no measure",
                     "the plan names no responsible person", "the plan has no deadline"]


def test_unknown_and_vague_problems_are_named() -> None:
    """An unknown aspect and a blank description are each reported by name."""
    plan = Plan(problems=[("gossip", "x"), ("venue_nonstandard", " ")], measures=["m"],
                responsible=["r"], deadline=DAY + timedelta(days=30))
    unmet = plan_complete(plan, POLICY)
    assert any("unknown aspects ['gossip']" in u for u in unmet)
    assert "problems without a description: venue_nonstandard" in unmet


@given(st.integers(min_value=-400, max_value=400))
def test_deadline_must_lie_after_the_filing_and_within_the_limit(offset: int) -> None:
    """The deadline guard holds exactly for 1..max_deadline_days days after filing."""
    deadline = DAY + timedelta(days=offset)
    unmet = deadline_within_limit(deadline, DAY, POLICY)
    assert (unmet == []) == (0 < offset <= POLICY.plan.max_deadline_days)


def test_support_complete_lists_each_missing_level() -> None:
    """Every level the kind requires and the case lacks is named."""
    required = POLICY.support.required["village"]
    assert support_complete(_case(), POLICY) == [f"{level} not assigned" for level in required]
    full = _case(support=tuple((level, f"P{i}") for i, level in enumerate(required)))
    assert support_complete(full, POLICY) == []


def test_problems_resolved_needs_a_plan_and_every_problem() -> None:
    """No plan, some unresolved, all resolved."""
    assert problems_resolved(_case()) == ["no plan on file"]
    some = _case(problems=("a", "b"), resolved=frozenset({"a"}))
    assert problems_resolved(some) == ["1 problem(s) unresolved (b)"]
    assert problems_resolved(_case(problems=("a",), resolved=frozenset({"a"}))) == []


@given(verification_results(POLICY))
def test_acceptance_agrees_with_the_policy_rules(result: tuple[float, Votes]) -> None:
    """A verification passes exactly when score, veto and satisfaction all meet the policy."""
    score, votes = result
    rules = POLICY.verification
    ok = score >= rules.pass_score and (votes.total == 0 or (
        votes.dissatisfied / votes.total <= rules.max_dissatisfied
        and (votes.satisfied + votes.basically_satisfied) / votes.total >= rules.min_satisfied))
    assert (acceptance(score, votes, POLICY) == []) == ok


def test_vote_problems_catch_malformed_results() -> None:
    """Scores outside 0..100, negative counts, too many votes and no votes at all."""
    panel = POLICY.verification.panel_size
    assert vote_problems(101, Votes(1, 0, 0), POLICY) == ["score 101 outside [0, 100]"]
    assert any("negative vote counts" in u for u in vote_problems(80, Votes(-1, 2, 0), POLICY))
    assert vote_problems(80, Votes(panel + 1, 0, 0), POLICY) == [
        f"{panel + 1} votes from a panel of {panel}"]
    assert vote_problems(80, Votes(0, 0, 0), POLICY) == ["no public evaluation votes recorded"]


def test_follow_up_window() -> None:
    """A delisted case reopens only within policy.plan.follow_up_months."""
    assert within_follow_up(_case(), DAY, POLICY) == ["the case was never delisted"]
    delisted = _case(delisted_on=date(2017, 1, 31))
    assert within_follow_up(delisted, date(2017, 6, 1), POLICY) == []
    late = date(2017, 1, 31) + timedelta(days=31 * (POLICY.plan.follow_up_months + 1))
    assert within_follow_up(delisted, late, POLICY)[0].startswith("follow-up ended on")


def test_team_reasons_name_supporters_former_supporters_and_chain_secretaries() -> None:
    """Current and earlier supporters and the chain's secretaries may not verify."""
    case = _case(support=(("first_secretary", "F1"),), past_support=(("paired_unit", "U1"),))
    reasons = team_reasons(case, ["F1", "U1", "P-T1", "R1"], POPULATION)
    assert reasons == [
        "F1 supports the case as first_secretary (separation of duties)",
        "U1 supported the case earlier as paired_unit (separation of duties)",
        "P-T1 is the secretary of T1, above V1 in its chain (separation of duties)",
    ]
    assert team_reasons(case, ["R1", "R2"], POPULATION) == []


_PEOPLE = st.sampled_from(["F1", "F2", "U1", "P-T1", "P-V1", "R1", "R2"])
_LEVELS = st.sampled_from(["first_secretary", "paired_unit", "county_leader"])


@given(st.lists(st.tuples(_LEVELS, _PEOPLE), max_size=3, unique_by=lambda s: s[0]),
       st.lists(st.tuples(_LEVELS, _PEOPLE), max_size=3),
       st.lists(_PEOPLE, max_size=4), st.sampled_from(["V1", "T1", "X9"]),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(["V1", "T1"]),
                                            st.one_of(st.none(), _PEOPLE))))
def test_team_reasons_equal_one_conflict_check_per_member(
        support: list[tuple[str, str]], past: list[tuple[str, str]], team: list[str],
        org: str, holders: dict[str, str | None] | None) -> None:
    """The independent-team shortcut answers as checking each member's conflicts does."""
    case = _case(org=org, support=tuple(support), past_support=tuple(past))
    secretary_of = None if holders is None else holders.get
    expected: list[str] = []
    for person in dict.fromkeys(team):
        found = [r[0] for r in conflict_reasons(case, person, POPULATION, secretary_of)]
        current = {level for level, holder in support if holder == person}
        earlier = sorted({level for level, holder in past if holder == person} - current)
        if earlier:
            found.append(f"{person} supported the case earlier as {', '.join(earlier)}")
        expected += [f"{r} (separation of duties)" for r in found]
    assert team_reasons(case, team, POPULATION, secretary_of) == expected
    assert team_reasons(case, iter(team), POPULATION, secretary_of) == expected  # read once


@given(st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=12))
def test_the_load_cap_refuses_exactly_at_the_cap(load: int, cap: int) -> None:
    """A new supporter already on ``cap`` other open cases is refused, below it accepted."""
    reasons = support_reasons(_case(), "first_secretary", "F9", POPULATION, load=load,
                              max_cases_per_person=cap)
    assert (reasons != []) == (load >= cap)


def test_every_declared_guard_is_bound_to_a_function() -> None:
    """The workflow's guard names and GUARD_FUNCTIONS are the same set."""
    assert unbound_guards() == []
    declared = {g for t in WORKFLOW.triggers for g in t.guards}
    assert declared == set(GUARD_FUNCTIONS)


def test_an_unbound_guard_name_is_reported() -> None:
    """A trigger naming a guard without a function is a definition problem."""
    broken = Workflow(WORKFLOW.initial, WORKFLOW.states, (
        *WORKFLOW.triggers,
        TriggerDef("odd", ("identified",), "planned", "奇", "odd", ("no_such_guard",))))
    problems = unbound_guards(broken)
    assert [p.location for p in problems] == ["guard no_such_guard"]
    with pytest.raises(WorkflowDefinitionError):
        _guards_of(broken)


def test_run_guards_runs_what_the_definition_declares() -> None:
    """Delisting needs a passing verification and an independent team, as declared."""
    check = GuardInput(_case(state="accepted", verifiers=("P-V1",)), POLICY, DAY, POPULATION)
    assert run_guards("delist", check) == [
        "no passing verification on file",
        "P-V1 is the secretary of V1, the case's organization (separation of duties)"]
    passed = GuardInput(_case(state="accepted", passed=True, verifiers=("R1",)), POLICY, DAY,
                        POPULATION)
    assert run_guards("delist", passed) == []
    assert run_guards("return_plan", passed) == []  # a trigger without guards
