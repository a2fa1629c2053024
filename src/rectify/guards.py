"""Guards of the case workflow: each returns every unmet condition as a sentence.

An empty list means the guard holds.  The one-at-a-time commands and the bulk
operations call the same functions, so they refuse the same things.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import attrs

from rectify.case import CaseRecord, Plan
from rectify.policy import Policy

__all__ = [
    "Votes",
    "acceptance",
    "deadline_within_limit",
    "plan_complete",
    "problems_resolved",
    "support_complete",
    "verifier_independent",
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
