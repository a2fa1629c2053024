"""Guards of the case workflow: each returns every unmet condition as a sentence.

An empty list means the guard holds.  The one-at-a-time commands and the bulk
operations call the same functions, so they refuse the same things.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from rectify.errors import Problem, WorkflowDefinitionError
from rectify.forest import Population
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.lifecycle.workflow import WORKFLOW, Workflow
from rectify.model import Organization
from rectify.policy import Policy

__all__ = [
    "SecretaryOf",
    "SupportedCase",
    "Votes",
    "acceptance",
    "conflict_reasons",
    "deadline_within_limit",
    "member_problems",
    "paired_unit_reasons",
    "pairing_reasons",
    "panel_problems",
    "plan_complete",
    "problems_resolved",
    "recorder_reasons",
    "run_guards",
    "station_reasons",
    "support_complete",
    "support_reasons",
    "team_reasons",
    "unbound_guards",
    "verifier_independent",
    "vote_problems",
    "within_follow_up",
]


@attrs.frozen(slots=True)
class Votes:
    """Public evaluation votes (群众测评): satisfied, basically satisfied, dissatisfied."""

    satisfied: int
    basically_satisfied: int
    dissatisfied: int

    @property
    def total(self) -> int:
        """All votes cast."""
        return self.satisfied + self.basically_satisfied + self.dissatisfied


def plan_complete(plan: Plan, policy: Policy) -> list[str]:
    """A plan needs problems tied to known aspects, measures, responsible people, a deadline."""
    unmet: list[str] = []
    if not plan.problems:
        unmet.append("the plan names no problem")
    unknown = [aspect for aspect, _ in plan.problems if aspect not in policy.aspects]
    if unknown:
        unmet.append(f"problems tied to unknown aspects {unknown} (expected one of "
                     f"{', '.join(policy.aspects)})")
    vague = [aspect for aspect, text in plan.problems if not text.strip()]
    if vague:
        unmet.append(f"problems without a description: {', '.join(vague)}")
    if not any(m.strip() for m in plan.measures):
        unmet.append("the plan names no measure")
    if not any(r.strip() for r in plan.responsible):
        unmet.append("the plan names no responsible person")
    if plan.deadline is None:
        unmet.append("the plan has no deadline")
    return unmet


def deadline_within_limit(deadline: date | None, on: date, policy: Policy) -> list[str]:
    """The deadline lies after ``on`` and within the policy's maximum."""
    if deadline is None:
        return []
    limit = on + timedelta(days=policy.plan.max_deadline_days)
    if deadline <= on:
        return [f"deadline {deadline} is not after the filing date {on}"]
    if deadline > limit:
        return [f"deadline {deadline} is beyond the limit {limit} "
                f"({policy.plan.max_deadline_days} days)"]
    return []


def support_complete(case: CaseRecord, policy: Policy) -> list[str]:
    """Every level the case's kind requires is assigned."""
    missing = [level for level in policy.support.required.get(case.kind, ())
               if case.holder(level) is None]
    return [f"{level} not assigned" for level in missing]


def problems_resolved(case: CaseRecord) -> list[str]:
    """Every problem of the plan is reported resolved."""
    if not case.problems:
        return ["no plan on file"]
    unresolved = case.unresolved
    if unresolved:
        return [f"{len(unresolved)} problem(s) unresolved ({', '.join(unresolved)})"]
    return []


def verifier_independent(case: CaseRecord, team: Collection[str],
                         conflicts: Collection[str] = ()) -> list[str]:
    """No member of the team supports the case or sits in its organization's chain.

    ``conflicts`` adds people who may not verify for other reasons (for
    example the secretaries of the organization and its parents).
    """
    if not team:
        return ["the verification team is empty"]
    clash = sorted(set(team) & (case.supporters | set(conflicts)))
    if clash:
        return [f"verifier(s) {', '.join(clash)} support the case or belong to its "
                "organization (separation of duties)"]
    return []


def acceptance(score: float, votes: Votes, policy: Policy) -> list[str]:
    """Why a verification fails the policy's acceptance rules (empty: it passes)."""
    rules = policy.verification
    failed: list[str] = []
    if score < rules.pass_score:
        failed.append(f"score {score:g} below the pass mark {rules.pass_score:g}")
    if votes.total:
        dissatisfied = votes.dissatisfied / votes.total
        if dissatisfied > rules.max_dissatisfied:
            failed.append(f"{dissatisfied:.0%} dissatisfied exceeds {rules.max_dissatisfied:.0%}"
                          " (veto)")
        satisfied = (votes.satisfied + votes.basically_satisfied) / votes.total
        if satisfied < rules.min_satisfied:
            failed.append(f"{satisfied:.0%} satisfied is below {rules.min_satisfied:.0%}")
    return failed


def vote_problems(score: float, votes: Votes, policy: Policy) -> list[str]:
    """Malformed verification input: a score outside [0, 100], negative or too many votes."""
    unmet: list[str] = []
    if not 0 <= score <= 100:
        unmet.append(f"score {score!r} outside [0, 100]")
    if min(votes.satisfied, votes.basically_satisfied, votes.dissatisfied) < 0:
        unmet.append(f"negative vote counts {votes}")
    if votes.total > policy.verification.panel_size:
        unmet.append(f"{votes.total} votes from a panel of {policy.verification.panel_size}")
    if votes.total == 0:
        unmet.append("no public evaluation votes recorded")
    return unmet


def within_follow_up(case: CaseRecord, on: date, policy: Policy) -> list[str]:
    """A relapse may reopen a delisted case only within the follow-up period."""
    if case.delisted_on is None:
        return ["the case was never delisted"]
    months = policy.plan.follow_up_months
    end = _add_months(case.delisted_on, months)
    if on > end:
        return [f"follow-up ended on {end} ({months} months after delisting)"]
    return []


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class SupportedCase(Protocol):
    """What the independence rules read of a case: a `CaseRecord` or a coverage case."""

    @property
    def org(self) -> str:
        """The case's organization code."""

    @property
    def support(self) -> tuple[tuple[object, ...], ...]:
        """``(level, holder, ...)`` of each current support assignment."""

    @property
    def verifiers(self) -> tuple[str, ...]:
        """The latest verification team."""

    def holder(self, level: str) -> str | None:
        """Who holds support ``level``."""


def _chain_place(code: str, case_org: str) -> str:
    if code == case_org:
        return f"{code}, the case's organization"
    return f"{code}, above {case_org} in its chain"


#: Who holds an organization's secretary post (the campaign answers from the ledger's posts
#: as of the command's date); ``None`` reads the population's `Organization.secretary`.
SecretaryOf = Callable[[str], str | None]


def _secretary(o: Organization, secretary_of: SecretaryOf | None) -> str | None:
    return o.secretary if secretary_of is None else secretary_of(o.code)


def conflict_reasons(case: SupportedCase, person: str, population: Population,
                     secretary_of: SecretaryOf | None = None,
                     ) -> list[tuple[str, str, dict[str, Any]]]:
    """Why ``person`` may not verify ``case``: (English, Chinese, facts) per reason.

    A current supporter, or the secretary of the case's organization or of an
    organization above it (its current holder when ``secretary_of`` says who
    holds the post), conflicts.
    """
    reasons: list[tuple[str, str, dict[str, Any]]] = []
    for level, holder in ((s[0], s[1]) for s in case.support):
        if holder == person:
            reasons.append((f"{person} supports the case as {level}",
                            f"{person}是该整顿对象的包扶人员({level})",
                            {"role": "supporter", "level": level}))
    org = population.get(case.org)
    if org is not None:
        for o in (org, *population.ancestors(org.code)):
            if _secretary(o, secretary_of) == person:
                reasons.append((f"{person} is the secretary of {_chain_place(o.code, case.org)}",
                                f"{person}是{o.name}书记, 属本组织链条",
                                {"role": "chain_secretary", "org": o.code}))
    return reasons


def support_reasons(case: SupportedCase, level: str, person: str, population: Population, *,
                    load: int, max_cases_per_person: int,
                    roles: Collection[str] | None = None,
                    level_roles: Mapping[str, str] | None = None,
                    secretary_of: SecretaryOf | None = None) -> list[str]:
    """Why ``person`` may not take support ``level`` on ``case`` (empty: no conflict).

    ``load`` is how many *other* open cases ``person`` already supports;
    ``roles`` (the person's roles, when known) is checked against
    ``level_roles`` only when that map is given.
    """
    reasons: list[str] = []
    if person in case.verifiers:
        reasons.append(f"{person} verified this case and cannot support it "
                       "(separation of duties)")
    org = population.get(case.org)
    if org is not None and case.holder(level) != person:
        for o in (org, *population.ancestors(org.code)):
            if _secretary(o, secretary_of) == person:
                reasons.append(f"{person} is the secretary of {_chain_place(o.code, case.org)}"
                               " and cannot support its case")
    already = person in {s[1] for s in case.support}
    if not already and load >= max_cases_per_person:
        reasons.append(f"{person} already supports {load} open cases (cap "
                       f"{max_cases_per_person}, max_cases_per_person)")
    if level_roles is not None and roles is not None:
        role = level_roles.get(level)
        if role is not None and role not in roles:
            reasons.append(f"{person} lacks the role {role} needed for {level}")
    return reasons


def team_reasons(case: CaseRecord, team: Iterable[str], population: Population,
                 secretary_of: SecretaryOf | None = None) -> list[str]:
    """Why members of ``team`` may not verify ``case`` (empty: the team is independent).

    A member conflicts when they support the case now, supported it earlier
    (``case.past_support``), or are the secretary of the case's organization or
    of an organization above it.
    """
    team = tuple(dict.fromkeys(team))  # read once: it may be a one-shot iterator
    if not team:
        return []
    members = set(team)
    # Most teams are independent: one pass over the case's people and its chain of
    # secretaries settles that before any reason is worded.
    involved: set[str | None] = {holder for _, holder in case.support}
    involved.update(holder for _, holder in case.past_support)
    org = population.get(case.org)
    if org is not None:
        involved.update(_secretary(o, secretary_of) for o in (org, *population.ancestors(org.code)))
    if members.isdisjoint(involved):
        return []
    reasons: list[str] = []
    for person in team:
        found = [r[0] for r in conflict_reasons(case, person, population, secretary_of)]
        current = {s[0] for s in case.support if s[1] == person}
        past = sorted({level for level, holder in case.past_support if holder == person}
                      - current)
        if past:
            found.append(f"{person} supported the case earlier as {', '.join(past)}")
        reasons.extend(f"{r} (separation of duties)" for r in found)
    return reasons


@attrs.frozen(slots=True)
class GuardInput:
    """What a trigger's guards read: the case, the policy, the date and the command's data.

    ``plan`` is the plan being filed, ``team``/``score``/``votes`` the
    verification being recorded; each is ``None`` when the command has none.
    """

    case: CaseRecord
    policy: Policy
    on: date
    population: Population
    plan: Plan | None = None
    team: tuple[str, ...] | None = None
    score: float | None = None
    votes: Votes | None = None
    #: Who holds an organization's secretary post on the date (``None``: the population's).
    secretary_of: SecretaryOf | None = None


Guard = Callable[[GuardInput], list[str]]


def _plan_complete(g: GuardInput) -> list[str]:
    return plan_complete(g.plan, g.policy) if g.plan is not None else ["no plan given"]


def _deadline(g: GuardInput) -> list[str]:
    return deadline_within_limit(g.plan.deadline if g.plan else None, g.on, g.policy)


def _independent(g: GuardInput) -> list[str]:
    if g.team is not None:
        return team_reasons(g.case, g.team, g.population, g.secretary_of) if g.team \
            else ["the verification team is empty"]
    return team_reasons(g.case, g.case.verifiers, g.population, g.secretary_of)


def _acceptance(g: GuardInput) -> list[str]:
    if g.score is None or g.votes is None:
        return ["no verification result given"]
    return acceptance(g.score, g.votes, g.policy)


def _passing(g: GuardInput) -> list[str]:
    return [] if g.case.passed is True else ["no passing verification on file"]


#: The function behind each guard name that `rectify.lifecycle.workflow.WORKFLOW` declares.
GUARD_FUNCTIONS: Mapping[str, Guard] = MappingProxyType({
    "plan_complete": _plan_complete,
    "deadline_within_limit": _deadline,
    "support_complete": lambda g: support_complete(g.case, g.policy),
    "problems_resolved": lambda g: problems_resolved(g.case),
    "verifier_independent": _independent,
    "acceptance_met": _acceptance,
    "passing_verification": _passing,
    "within_follow_up": lambda g: within_follow_up(g.case, g.on, g.policy),
})


def unbound_guards(workflow: Workflow = WORKFLOW) -> list[Problem]:
    """Guard names that ``workflow`` declares but no function implements, and the reverse."""
    declared = {name for t in workflow.triggers for name in t.guards}
    problems = [Problem(f"guard {name}", "a function in GUARD_FUNCTIONS", "none",
                        "implement it in rectify.lifecycle.guards")
                for name in sorted(declared - set(GUARD_FUNCTIONS))]
    problems += [Problem(f"guard {name}", "declared by a trigger", "unused",
                         "name it in the trigger's guards or remove it")
                 for name in sorted(set(GUARD_FUNCTIONS) - declared)]
    return problems


def _guards_of(workflow: Workflow) -> Mapping[str, tuple[Guard, ...]]:
    problems = unbound_guards(workflow)
    if problems:
        raise WorkflowDefinitionError("the workflow's guards are not all bound", problems)
    return {t.name: tuple(GUARD_FUNCTIONS[name] for name in t.guards) for t in workflow.triggers}


_BOUND = _guards_of(WORKFLOW)


def run_guards(trigger: str, check: GuardInput) -> list[str]:
    """Every unmet condition of the guards that the workflow declares for ``trigger``."""
    unmet: list[str] = []
    for guard in _BOUND.get(trigger, ()):
        unmet += guard(check)
    return unmet


def panel_problems(votes: Votes, policy: Policy) -> list[str]:
    """The public evaluation must come from the whole panel (群众测评).

    The votes add up to ``verification.panel_size``, or at least to
    ``verification.min_votes`` when the policy allows a smaller quorum (0, the
    default, asks for the whole panel).  Too many votes are refused by
    `vote_problems()`.
    """
    rules = policy.verification
    needed = rules.min_votes or rules.panel_size
    if 0 < votes.total < needed:
        return [f"{votes.total} votes cast, expected {needed} from a panel of "
                f"{rules.panel_size} (verification.panel_size, verification.min_votes)"]
    return []


def member_problems(team: Iterable[str], roles: Callable[[str], frozenset[str] | None],
                    standing: Callable[[str], list[str]], policy: Policy) -> list[str]:
    """Team members are known people holding a role that may record a verification.

    ``roles`` gives a person's roles (``None``: the campaign keeps no register
    to check against), ``standing`` why a person may not be named at all.
    """
    allowed = policy.permissions.commands.get("record_verification", ("verifier",))
    unmet: list[str] = []
    for person in dict.fromkeys(team):
        unmet += [f"verification team member: {why}" for why in standing(person)]
        held = roles(person)
        if held is not None and not set(allowed) & held:
            unmet.append(f"verification team member {person} lacks the role "
                         f"{' or '.join(allowed)}")
    return unmet


def recorder_reasons(case: CaseRecord, recorder: str, population: Population,
                     secretary_of: SecretaryOf | None = None) -> list[str]:
    """The person recording a verification is as independent as its team.

    A recorder who supports or supported the case, or is a secretary in its
    organization's chain, may not record its verification.
    """
    return [f"the recorder: {why}"
            for why in team_reasons(case, (recorder,), population, secretary_of)]


def station_reasons(person: str, stations: int, policy: Policy) -> list[str]:
    """A first secretary is stationed in at most ``coverage.max_stations_per_first_secretary``
    villages at a time (一人驻一村); ``stations`` counts their other open cases.
    """
    cap = policy.coverage.max_stations_per_first_secretary
    if stations >= cap:
        return [f"{person} is already stationed as first secretary at {stations} open "
                f"case(s) (cap {cap}, coverage.max_stations_per_first_secretary)"]
    return []


def supervising_units(org: str, population: Population, policy: Policy) -> frozenset[str]:
    """The units a committee supervisor of ``org``'s case may come from (empty: any).

    The committee at the top of the organization's chain (a township or street
    committee, an enterprise's committee), and the policy's
    ``coverage.supervising_committees`` entry for that top organization's kind.
    """
    found = population.get(org)
    if found is None:
        return frozenset()
    chain = population.ancestors(org)
    top = chain[-1] if chain else found
    units = {top.name} if chain else set()
    named = policy.coverage.supervising_committees.get(top.kind)
    if named:
        units.add(named)
    return frozenset(units)


def supervisor_reasons(case: SupportedCase, person: str, unit: str | None,
                       population: Population, policy: Policy) -> list[str]:
    """The committee supervisor comes from the organization's own supervising committee.

    Checked only when ``coverage.supervisor_from_own_committee`` is on and the
    committee is known (`supervising_units`); ``unit`` is the person's unit.
    """
    if not policy.coverage.supervisor_from_own_committee:
        return []
    units = supervising_units(case.org, population, policy)
    if not units or unit in units:
        return []
    return [f"{person} ({unit or 'no unit'}) is not of {case.org}'s supervising committee "
            f"({' or '.join(sorted(units))}; coverage.supervisor_from_own_committee)"]


def problem_type_reasons(problem_type: str | None, policy: Policy) -> list[str]:
    """A plan's problem type, when stated, is one the policy pairs (``coverage.pairing``)."""
    pairing = policy.coverage.pairing
    if problem_type is None or problem_type in pairing:
        return []
    return [f"problem type {problem_type!r} (expected one of {', '.join(pairing) or 'none'}; "
            "coverage.pairing)"]


def paired_unit_reasons(person: str, unit: str | None) -> list[str]:
    """The paired unit (机关单位共建帮扶) is a unit: its cadre must belong to one.

    ``unit`` is the person's unit from the campaign's people (``None`` for
    someone unknown, which other rules refuse).
    """
    if unit is None or unit.strip():
        return []
    return [f"{person} belongs to no unit, but a paired unit (机关单位共建帮扶) is a unit: "
            "record the person's unit (the people file's unit column) or pair another unit"]


def pairing_reasons(problem_type: str | None, person: str, roles: Collection[str],
                    policy: Policy) -> list[str]:
    """The paired unit's cadre holds the role the case's problem type asks for (结对共建).

    Party and government departments pair with weak villages (软), economic
    departments with poor ones (穷), political-legal departments with
    disorderly ones (乱), agricultural departments with specialised ones
    (专业), as ``coverage.pairing`` says; a case without a problem type is
    not checked.
    """
    role = policy.coverage.pairing.get(problem_type) if problem_type is not None else None
    if role is None or role in roles:
        return []
    return [f"{person} lacks the role {role} that pairing a {problem_type} case needs "
            "(coverage.pairing)"]
