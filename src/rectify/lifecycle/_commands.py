"""What each case command records: its guards, its event and the workflow triggers it fires.

A builder takes the case as it stands and the command's arguments and
returns the event class, its fields and the triggers, or the list of unmet
conditions.  It does no I/O and changes nothing: `Campaign`
appends and applies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import attrs

from rectify.events import (
    CaseDelisted,
    CaseReopened,
    Event,
    PlanFiled,
    PlanReturned,
    ReportRecorded,
    SupportAssigned,
    SupportReleased,
    VerificationRecorded,
    VerificationRequested,
)
from rectify.lifecycle import guards
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.policy import Policy

__all__ = ["BUILDERS", "Built", "Context"]

REPORT_KINDS = ("work_plan", "duty_ledger", "progress")


@attrs.frozen(slots=True)
class Built:
    """A command's outcome before it is recorded."""

    event: type[Event]
    fields: dict[str, Any]
    triggers: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class Context:
    """What builders may consult besides the case."""

    policy: Policy
    on: date
    fire: Callable[[str, str], str | None]
    conflicts: Callable[[CaseRecord], frozenset[str]]
    support_reasons: Callable[[CaseRecord, str, str], list[str]]
    team_reasons: Callable[[CaseRecord, tuple[str, ...]], list[str]]


def _state(ctx: Context, case: CaseRecord, trigger: str, unmet: list[str]) -> str:
    dest = ctx.fire(case.state, trigger)
    if dest is None:
        unmet.insert(0, f"{trigger} is not possible in state {case.state}")
        return case.state
    return dest


def _with_auto_support(ctx: Context, case: CaseRecord, state: str,
                       triggers: tuple[str, ...], after: CaseRecord) -> tuple[str, ...]:
    """Append begin_support when the case is planned and its support package is complete."""
    if state == "planned" and not guards.support_complete(after, ctx.policy):
        return (*triggers, "begin_support")
    return triggers


def file_plan(ctx: Context, case: CaseRecord, plan: Plan) -> Built | list[str]:
    """File the plan (identified → planned, and on to supported if support is complete)."""
    unmet = guards.plan_complete(plan, ctx.policy)
    unmet += guards.deadline_within_limit(plan.deadline, ctx.on, ctx.policy)
    state = _state(ctx, case, "file_plan", unmet)
    if unmet:
        return unmet
    assert plan.deadline is not None
    triggers = _with_auto_support(ctx, case, state, ("file_plan",), case)
    return Built(PlanFiled, {"problems": plan.problems, "measures": plan.measures,
                             "responsible": plan.responsible, "deadline": plan.deadline},
                 triggers)


def return_plan(ctx: Context, case: CaseRecord, reason: str) -> Built | list[str]:
    """Send a vague plan back (planned → identified)."""
    unmet = [] if reason.strip() else ["a reason for returning the plan is required"]
    _state(ctx, case, "return_plan", unmet)
    return unmet or Built(PlanReturned, {"reason": reason}, ("return_plan",))


def assign_support(ctx: Context, case: CaseRecord, level: str, person: str) -> Built | list[str]:
    """Assign a support level; completing the package moves a planned case to supported."""
    unmet: list[str] = []
    if level not in ctx.policy.support.levels:
        unmet.append(f"unknown support level {level!r} (expected one of "
                     f"{', '.join(ctx.policy.support.levels)})")
    if not case.is_open:
        unmet.append(f"the case is closed ({case.state})")
    unmet += ctx.support_reasons(case, level, person)
    if unmet:
        return unmet
    after = attrs.evolve(case, support=(*[s for s in case.support if s[0] != level],
                                        (level, person)))
    triggers = _with_auto_support(ctx, case, case.state, (), after)
    return Built(SupportAssigned, {"level": level, "person": person}, triggers)


def release_support(ctx: Context, case: CaseRecord, level: str) -> Built | list[str]:
    """Release a support level (a replacement is assigned with assign_support)."""
    holder = case.holder(level)
    if not case.is_open:
        return [f"the case is closed ({case.state})"]
    if holder is None:
        return [f"{level} is not assigned"]
    return Built(SupportReleased, {"level": level, "person": holder})


def record_report(ctx: Context, case: CaseRecord, kind: str, month: str,
                  resolved: tuple[str, ...] = (), note: str = "") -> Built | list[str]:
    """Record a monthly work plan, a duty ledger or a progress report resolving problems."""
    unmet: list[str] = []
    if kind not in REPORT_KINDS:
        unmet.append(f"report kind {kind!r} (expected one of {', '.join(REPORT_KINDS)})")
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() \
            or not 1 <= int(month[5:]) <= 12:
        unmet.append(f"month {month!r} (expected YYYY-MM)")
    if not case.is_open:
        unmet.append(f"the case is closed ({case.state})")
    stray = [a for a in resolved if a not in case.problems]
    if stray:
        unmet.append(f"resolved aspects {stray} are not problems of the plan "
                     f"({', '.join(case.problems) or 'no plan on file'})")
    return unmet or Built(ReportRecorded, {"kind": kind, "month": month,
                                           "resolved": tuple(resolved), "note": note})


def request_verification(ctx: Context, case: CaseRecord) -> Built | list[str]:
    """Ask for verification (supported → verifying)."""
    unmet = guards.problems_resolved(case) + guards.support_complete(case, ctx.policy)
    _state(ctx, case, "request_verification", unmet)
    return unmet or Built(VerificationRequested, {}, ("request_verification",))


def record_verification(ctx: Context, case: CaseRecord, score: float, votes: guards.Votes,
                        team: tuple[str, ...]) -> Built | list[str]:
    """Record the team's result: accepted, or back to supported with a new deadline."""
    unmet = guards.vote_problems(score, votes, ctx.policy)
    unmet += ctx.team_reasons(case, team) if team else ["the verification team is empty"]
    failed = guards.acceptance(score, votes, ctx.policy)
    trigger = "fail_verification" if failed else "pass_verification"
    _state(ctx, case, trigger, unmet)
    if unmet:
        return unmet
    new_deadline = None if not failed else ctx.on + timedelta(
        days=ctx.policy.plan.retry_deadline_days)
    return Built(VerificationRecorded, {
        "score": float(score), "satisfied": votes.satisfied,
        "basically_satisfied": votes.basically_satisfied, "dissatisfied": votes.dissatisfied,
        "team": tuple(team), "passed": not failed, "reasons": tuple(failed),
        "attempt": case.attempts + 1, "new_deadline": new_deadline}, (trigger,))


def delist(ctx: Context, case: CaseRecord) -> Built | list[str]:
    """Delist (accepted → delisted), only on a passing, independent verification."""
    unmet: list[str] = []
    if case.passed is not True:
        unmet.append("no passing verification on file")
    unmet += [u for u in guards.verifier_independent(case, case.verifiers, ctx.conflicts(case))
              if case.verifiers]
    _state(ctx, case, "delist", unmet)
    return unmet or Built(CaseDelisted, {}, ("delist",))


def reopen(ctx: Context, case: CaseRecord, reason: str) -> Built | list[str]:
    """Reopen a relapsed case found in follow-up (delisted → supported)."""
    unmet = guards.within_follow_up(case, ctx.on, ctx.policy)
    if not reason.strip():
        unmet.append("a reason for reopening is required")
    _state(ctx, case, "reopen", unmet)
    deadline = ctx.on + timedelta(days=ctx.policy.plan.retry_deadline_days)
    return unmet or Built(CaseReopened, {"reason": reason, "new_deadline": deadline},
                          ("reopen",))


BUILDERS: dict[str, Callable[..., Built | list[str]]] = {
    "file_plan": file_plan,
    "return_plan": return_plan,
    "assign_support": assign_support,
    "release_support": release_support,
    "record_report": record_report,
    "request_verification": request_verification,
    "record_verification": record_verification,
    "delist": delist,
    "reopen": reopen,
}
