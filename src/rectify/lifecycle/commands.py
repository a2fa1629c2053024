"""The case commands as typed records, and what each one records.

A command names its case and its arguments (`AssignSupport("2017-V01-03",
"first_secretary", "P0263")`).  `build` checks it against the case as it
stands, running the guards that `rectify.lifecycle.workflow.WORKFLOW` declares
for the triggers it fires, and returns the event to record or every unmet
condition.  It does no I/O and changes nothing: `rectify.Campaign` reads the
case, checks permissions, appends and applies.  The one-at-a-time methods, the
bulk path and the testing kit all go through these records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

import attrs

from rectify.errors import InvalidValueError
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
from rectify.forest import Population
from rectify.lifecycle.builders import positional_builder
from rectify.lifecycle.case import CaseRecord, Plan, replaced
from rectify.lifecycle.guards import (
    GuardInput,
    Votes,
    acceptance,
    member_problems,
    paired_unit_reasons,
    pairing_reasons,
    panel_problems,
    problem_type_reasons,
    recorder_reasons,
    run_guards,
    station_reasons,
    supervisor_reasons,
    support_reasons,
    vote_problems,
)
from rectify.lifecycle.workflow import OPEN_STATES
from rectify.policy import Policy

__all__ = [
    "COMMANDS",
    "REPORT_KINDS",
    "AssignSupport",
    "Built",
    "CaseCommand",
    "Context",
    "Delist",
    "FilePlan",
    "RecordReport",
    "RecordVerification",
    "ReleaseSupport",
    "Reopen",
    "RequestVerification",
    "ReturnPlan",
    "command_from",
]

#: Every kind of report a case takes: the first secretary's monthly work plan and duty
#: ledger, and progress reports that resolve problems.
REPORT_KINDS = ("work_plan", "duty_ledger", "progress")


@attrs.frozen(slots=True)
class Built:
    """A command's outcome before it is recorded: the event class, its fields, its triggers."""

    event: type[Event]
    fields: dict[str, Any]
    triggers: tuple[str, ...] = ()


#: `Built` made slot by slot (one per accepted command; see `rectify.lifecycle.builders`).
_new_built: Callable[[type[Event], dict[str, Any], tuple[str, ...]], Built] = \
    positional_builder(Built)


@attrs.frozen(slots=True)
class Context:
    """What a command may consult besides its case: plain data, never the facade."""

    policy: Policy
    on: date
    population: Population
    fire: Callable[[str, str], str | None]
    loads: Callable[[str], int]
    roles: Callable[[str], frozenset[str] | None]
    #: Why a person may not be named in this command (unknown, or no longer holding the
    #: post they held); empty when they may.  The campaign answers from its people and the
    #: posts of the ledger as of the command's date.
    standing: Callable[[str], list[str]] = attrs.field(default=lambda _person: [])
    #: How many open cases a person is stationed at as first secretary (驻村).
    stations: Callable[[str], int] = attrs.field(default=lambda _person: 0)
    #: Who issues the command (``None`` when not known).
    actor: str | None = None
    #: Why a name in a plan may not stand: a person who no longer holds the post they
    #: held (a plan may also name people by title, which are not checked).
    former: Callable[[str], list[str]] = attrs.field(default=lambda _person: [])
    #: Who recorded the case's latest verification (read for delisting; ``None``: unknown).
    recorder: str | None = None
    #: A person's unit (单位), ``None`` for someone unknown.
    unit: Callable[[str], str | None] = attrs.field(default=lambda _person: None)
    #: Who holds an organization's secretary post on the command's date (``None``: the
    #: population's secretaries); independence checks name the current holders.
    secretary_of: Callable[[str], str | None] | None = None


class CaseCommand:
    """A command on one case.  Subclasses are frozen attrs records named after the command."""

    __slots__ = ()
    name: ClassVar[str]
    case: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """The event to record, or every unmet condition."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def arguments(self) -> dict[str, Any]:
        """The command's arguments besides its case, by name."""
        cls = type(self)
        names = _ARGUMENT_NAMES.get(cls)
        if names is None:
            names = _ARGUMENT_NAMES[cls] = tuple(
                a.name for a in attrs.fields(cls) if a.name != "case")  # type: ignore[arg-type]
        return {name: getattr(self, name) for name in names}


#: The argument names of each command class (attrs.fields is slow to ask per command).
_ARGUMENT_NAMES: dict[type[CaseCommand], tuple[str, ...]] = {}


def _fire(ctx: Context, case: CaseRecord, trigger: str, unmet: list[str],
          check: GuardInput) -> str:
    """Run ``trigger``'s declared guards and find where it leads (unmet conditions appended)."""
    unmet += run_guards(trigger, check)
    dest = ctx.fire(case.state, trigger)
    if dest is None:
        unmet.insert(0, f"{trigger} is not possible in state {case.state}")
        return case.state
    return dest


def _with_auto_support(ctx: Context, state: str, triggers: tuple[str, ...],
                       after: CaseRecord) -> tuple[str, ...]:
    """Append begin_support when the case is planned and its support package is complete."""
    if state != "planned" or ctx.fire(state, "begin_support") is None:
        return triggers  # decided before any guard input is built
    check = GuardInput(after, ctx.policy, ctx.on, ctx.population,
                       secretary_of=ctx.secretary_of)
    if not run_guards("begin_support", check):
        return (*triggers, "begin_support")
    return triggers


def _input(ctx: Context, case: CaseRecord, **extra: Any) -> GuardInput:
    return GuardInput(case, ctx.policy, ctx.on, ctx.population,
                      secretary_of=ctx.secretary_of, **extra)


@attrs.frozen(slots=True)
class FilePlan(CaseCommand):
    """File the individual plan (报备整顿方案): identified → planned (→ supported)."""

    name: ClassVar[str] = "file_plan"
    case: str
    plan: Plan

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """A vague plan is refused with every gap."""
        unmet: list[str] = []
        state = _fire(ctx, case, "file_plan", unmet, _input(ctx, case, plan=self.plan))
        unmet += problem_type_reasons(self.plan.problem_type, ctx.policy)
        for person in dict.fromkeys(r for r in self.plan.responsible if r.strip()):
            unmet += [f"responsible person: {why}" for why in ctx.former(person)]
        if unmet or self.plan.deadline is None:
            return unmet or ["the plan has no deadline"]
        triggers = _with_auto_support(ctx, state, ("file_plan",), case)
        return Built(PlanFiled, {"problems": self.plan.problems, "measures": self.plan.measures,
                                 "responsible": self.plan.responsible,
                                 "deadline": self.plan.deadline,
                                 "problem_type": self.plan.problem_type}, triggers)


@attrs.frozen(slots=True)
class ReturnPlan(CaseCommand):
    """Send a vague plan back for rework (退回方案): planned → identified."""

    name: ClassVar[str] = "return_plan"
    case: str
    reason: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """A reason is required."""
        unmet = [] if self.reason.strip() else ["a reason for returning the plan is required"]
        _fire(ctx, case, "return_plan", unmet, _input(ctx, case))
        return unmet or Built(PlanReturned, {"reason": self.reason}, ("return_plan",))


@attrs.frozen(slots=True)
class AssignSupport(CaseCommand):
    """Assign a support level (包扶) to a person or unit; a complete package starts support."""

    name: ClassVar[str] = "assign_support"
    case: str
    level: str
    person: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Refused for an unknown level, a closed case, or a conflict of the person."""
        unmet: list[str] = []
        if self.level not in ctx.policy.support.levels:
            unmet.append(f"unknown support level {self.level!r} (expected one of "
                         f"{', '.join(ctx.policy.support.levels)})")
        if not case.is_open:
            unmet.append(f"the case is closed ({case.state})")
        cov = ctx.policy.coverage
        roles = ctx.roles(self.person)
        others = ctx.loads(self.person) - (1 if self.person in case.supporters and case.is_open
                                           else 0)
        unmet += support_reasons(case, self.level, self.person, ctx.population, load=others,
                                 max_cases_per_person=cov.max_cases_per_person, roles=roles,
                                 level_roles=cov.level_roles if roles is not None else None,
                                 secretary_of=ctx.secretary_of)
        unmet += ctx.standing(self.person)
        if self.level == "first_secretary" and case.holder(self.level) != self.person:
            unmet += station_reasons(self.person, ctx.stations(self.person), ctx.policy)
        if self.level == "paired_unit" and roles is not None:
            unmet += paired_unit_reasons(self.person, ctx.unit(self.person))
            unmet += pairing_reasons(case.problem_type, self.person, roles, ctx.policy)
        if self.level == "committee_supervisor":
            unmet += supervisor_reasons(case, self.person, ctx.unit(self.person),
                                        ctx.population, ctx.policy)
        if unmet:
            return unmet
        after = replaced(case, {"support": (*[s for s in case.support if s[0] != self.level],
                                            (self.level, self.person))})
        triggers = _with_auto_support(ctx, case.state, (), after)
        return Built(SupportAssigned, {"level": self.level, "person": self.person}, triggers)


@attrs.frozen(slots=True)
class ReleaseSupport(CaseCommand):
    """Release a support level (a replacement is assigned with `AssignSupport`)."""

    name: ClassVar[str] = "release_support"
    case: str
    level: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Refused on a closed case or an unassigned level."""
        holder = case.holder(self.level)
        if not case.is_open:
            return [f"the case is closed ({case.state})"]
        if holder is None:
            return [f"{self.level} is not assigned"]
        return Built(SupportReleased, {"level": self.level, "person": holder})


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _month_ok(month: str) -> bool:
    try:
        return _MONTHS[month]
    except (KeyError, TypeError):  # TypeError: not hashable, then the check says why
        found = (len(month) == 7 and month[4] == "-" and (month[:4] + month[5:]).isdigit()
                 and 1 <= int(month[5:]) <= 12)
        if isinstance(month, str) and len(_MONTHS) < 4096:
            _MONTHS[month] = found
        return found


#: The months checked so far (a batch names a handful, over and over).
_MONTHS: dict[str, bool] = {}


@attrs.frozen(slots=True)
class RecordReport(CaseCommand):
    """A first secretary's work plan or duty ledger, or a progress report resolving problems."""

    name: ClassVar[str] = "record_report"
    case: str
    kind: str
    month: str
    resolved: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    note: str = ""

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Refused for an unknown kind, a malformed month, a closed case or stray aspects."""
        if self.kind in REPORT_KINDS and _month_ok(self.month) and case.state in OPEN_STATES \
                and (not self.resolved or all(a in case.problems for a in self.resolved)):
            return _new_built(ReportRecorded, {"kind": self.kind, "month": self.month,
                                               "resolved": self.resolved, "note": self.note},
                              ())
        unmet: list[str] = []
        if self.kind not in REPORT_KINDS:
            unmet.append(f"report kind {self.kind!r} (expected one of "
                         f"{', '.join(REPORT_KINDS)})")
        if not _month_ok(self.month):
            unmet.append(f"month {self.month!r} (expected YYYY-MM)")
        if not case.is_open:
            unmet.append(f"the case is closed ({case.state})")
        stray = [a for a in self.resolved if a not in case.problems]
        if stray:
            unmet.append(f"resolved aspects {stray} are not problems of the plan "
                         f"({', '.join(case.problems) or 'no plan on file'})")
        return unmet or Built(ReportRecorded, {"kind": self.kind, "month": self.month,
                                               "resolved": self.resolved, "note": self.note})


@attrs.frozen(slots=True)
class RequestVerification(CaseCommand):
    """Ask for verification (申请考核验收): supported → verifying."""

    name: ClassVar[str] = "request_verification"
    case: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Every problem resolved and the support package complete."""
        unmet: list[str] = []
        _fire(ctx, case, "request_verification", unmet, _input(ctx, case))
        return unmet or Built(VerificationRequested, {}, ("request_verification",))


@attrs.frozen(slots=True)
class RecordVerification(CaseCommand):
    """The verification team's result (考核验收): accepted, or back to support."""

    name: ClassVar[str] = "record_verification"
    case: str
    score: float
    votes: Votes
    team: tuple[str, ...] = attrs.field(converter=_strings)

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Failing sends the case back with a new deadline; the team must be independent."""
        unmet = vote_problems(self.score, self.votes, ctx.policy)
        unmet += panel_problems(self.votes, ctx.policy)
        unmet += member_problems(self.team, ctx.roles, ctx.standing, ctx.policy)
        if ctx.actor is not None and ctx.actor not in self.team:
            unmet += recorder_reasons(case, ctx.actor, ctx.population, ctx.secretary_of)
        failed = acceptance(self.score, self.votes, ctx.policy)
        trigger = "fail_verification" if failed else "pass_verification"
        check = _input(ctx, case, team=self.team, score=self.score, votes=self.votes)
        _fire(ctx, case, trigger, unmet, check)
        if unmet:
            return unmet
        new_deadline = None if not failed else ctx.on + timedelta(
            days=ctx.policy.plan.retry_deadline_days)
        return Built(VerificationRecorded, {
            "score": float(self.score), "satisfied": self.votes.satisfied,
            "basically_satisfied": self.votes.basically_satisfied,
            "dissatisfied": self.votes.dissatisfied, "team": self.team,
            "passed": not failed, "reasons": tuple(failed), "attempt": case.attempts + 1,
            "new_deadline": new_deadline}, (trigger,))


@attrs.frozen(slots=True)
class Delist(CaseCommand):
    """Delist (销号): accepted → delisted, only on a passing, independent verification."""

    name: ClassVar[str] = "delist"
    case: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """The guards of the delist trigger decide."""
        unmet: list[str] = []
        _fire(ctx, case, "delist", unmet, _input(ctx, case))
        if ctx.recorder is not None and ctx.recorder not in case.verifiers:
            # The recorder may have taken up support since: independence is checked again.
            unmet += recorder_reasons(case, ctx.recorder, ctx.population, ctx.secretary_of)
        return unmet or Built(CaseDelisted, {}, ("delist",))


@attrs.frozen(slots=True)
class Reopen(CaseCommand):
    """Reopen a delisted case for a relapse found in follow-up (回头看): delisted → supported."""

    name: ClassVar[str] = "reopen"
    case: str
    reason: str

    def build(self, ctx: Context, case: CaseRecord) -> Built | list[str]:
        """Only within the follow-up period, and with a reason."""
        unmet: list[str] = []
        if not self.reason.strip():
            unmet.append("a reason for reopening is required")
        _fire(ctx, case, "reopen", unmet, _input(ctx, case))
        deadline = ctx.on + timedelta(days=ctx.policy.plan.retry_deadline_days)
        return unmet or Built(CaseReopened, {"reason": self.reason, "new_deadline": deadline},
                              ("reopen",))


#: Every case command by name.
COMMANDS: Mapping[str, type[CaseCommand]] = {
    cls.name: cls for cls in (FilePlan, ReturnPlan, AssignSupport, ReleaseSupport,
                              RecordReport, RequestVerification, RecordVerification, Delist,
                              Reopen)
}


def command_from(name: str, case: str, arguments: Mapping[str, Any]) -> CaseCommand:
    """The typed command called ``name`` on ``case`` with ``arguments`` (a bulk row, a file).

    Raises `rectify.errors.InvalidValueError` for an unknown command or arguments
    that do not fit it.
    """
    cls = COMMANDS.get(name)
    if cls is None:
        raise InvalidValueError("command", f"one of {', '.join(COMMANDS)}", name,
                                "use a case command's name")
    try:
        return cls(case, **arguments)  # type: ignore[call-arg]
    except TypeError as exc:
        expected = ", ".join(a.name for a in attrs.fields(cls) if a.name != "case")  # type: ignore[arg-type]
        raise InvalidValueError(f"arguments of {name}", f"exactly: {expected or 'none'}",
                                sorted(arguments), str(exc)) from None
