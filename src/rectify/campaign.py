"""The facade: a campaign of cases driven by commands and recorded as events.

The campaign is the only code that reads the ledger's store for a rule: it
gathers the plain data each rule needs (case records, the population, the
policy, event lists) and hands it to the pure rules of `rectify.lifecycle`,
`rectify.escalation`, `rectify.accountability`, `rectify.schedule` and
`rectify.coverage`, none of which knows the campaign.

>>> from datetime import date
>>> from rectify import Campaign, Person, load_policy
>>> from rectify.identify import identify
>>> from rectify.sample import sample_assessments, sample_people, sample_population
>>> population = sample_population()
>>> dept = Person("OD-1", "组织部干部", roles={"org_department"})
>>> campaign = Campaign(load_policy(), population=population, people=[*sample_people(), dept])
>>> result = identify(population, sample_assessments(), campaign.policy, 2017)
>>> opened = campaign.open_cases(result, actor=dept, on=date(2017, 2, 1))
>>> len(opened.opened), campaign.case("2017-T04-05").state
(20, 'identified')
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from rectify._gc import gc_paused
from rectify._logging import get_logger
from rectify.accountability import (
    AccountabilityRecord,
    Appraisal,
    AppraisalGrade,
    AppraisalOutcome,
    Talk,
    TalkKind,
    appraisal_outcome,
    record_of,
)
from rectify.coverage.model import (
    CaseCoverage,
    ContactPoint,
    Coverage,
    CrossAssessment,
    Pairing,
    Unit,
)
from rectify.errors import (
    CommandRefused,
    InvalidValueError,
    PermissionDenied,
    PolicyConflict,
    RectifyError,
    UnknownCaseError,
)
from rectify.escalation import (
    Consequence,
    EscalationDecision,
    consequence_of_step,
    consequences,
    dismissals_for,
    escalate,
    run_ending,
    step_for,
)
from rectify.events import (
    POLICY_STREAM,
    AppraisalRecorded,
    CaseCarriedOver,
    CaseContinued,
    CaseOpened,
    ConsequenceRecorded,
    Event,
    FindingRecorded,
    PolicyChanged,
    PostAppointed,
    PostVacated,
    SecretaryDismissed,
    SupportAssigned,
    TalkRecorded,
    VerificationRecorded,
)
from rectify.forest import Population
from rectify.identify import Listing
from rectify.lifecycle.builders import event_builder, positional_builder
from rectify.lifecycle.case import CaseRecord, Plan, case_id, org_stream, person_stream
from rectify.lifecycle.commands import (
    AssignSupport,
    Built,
    CaseCommand,
    Context,
    Delist,
    FilePlan,
    RecordReport,
    RecordVerification,
    ReleaseSupport,
    Reopen,
    RequestVerification,
    ReturnPlan,
)
from rectify.lifecycle.dates import (
    EARLIEST,
    LATEST,
    calendar_problems,
    case_date_problems,
    order_problems,
    person_date_problems,
    window,
    window_problems,
    year_start_problems,
)
from rectify.lifecycle.guards import SecretaryOf, Votes, support_reasons, team_reasons
from rectify.lifecycle.ids import content_id
from rectify.lifecycle.permissions import allowed_roles, missing_right, scope_denial
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import default_machine, default_table
from rectify.model import Person, in_scope
from rectify.policy import LadderStep, Policy
from rectify.posts import POST_ROLES, SECRETARY, Holdings, Initial, Post
from rectify.schedule import DueItem, due
from rectify.stores.base import Append, LedgerStore, ReadModels, Store
from rectify.stores.memory import MemoryStore

__all__ = ["Actor", "BulkResult", "Campaign", "OpenResult"]

_log = get_logger("rectify.campaign")
#: `Append` built slot by slot (once per command; see `rectify.lifecycle.builders`).
_new_append: Callable[[str, int, tuple[Event, ...], str], Append] = positional_builder(Append)
_stdlog = logging.getLogger("rectify.campaign")

ENGINES = ("table", "transitions")

#: Who issues a command: a `Person`, or the id of one of the campaign's people.
Actor = Person | str


@attrs.frozen
class OpenResult:
    """What `Campaign.open_cases` did: cases opened, cases that already existed, escalations."""

    opened: tuple[str, ...]
    existing: tuple[str, ...]
    escalations: tuple[EscalationDecision, ...] = ()


@attrs.frozen
class BulkResult:
    """Accepted command ids, refusals (command id → error) and skipped repeats."""

    accepted: tuple[str, ...]
    refused: dict[str, RectifyError]
    repeated: tuple[str, ...]


class _Holder:
    """The small mutable object the shared ``transitions`` machine moves."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Campaign:
    """Cases of one policy over a population, with their ledger.

    ``store`` defaults to a fresh `rectify.stores.MemoryStore`.  The campaign
    keeps no state of its own: every query reads the store's read models, so
    it starts at once whatever the ledger's size and always sees what other
    processes recorded; every command checks its guards inside the store's
    write transaction.  ``people`` lets commands name
    actors by id.  ``engine`` chooses how workflow triggers are resolved:
    ``"table"`` (the transition table compiled once from the ``transitions``
    machine, fast) or ``"transitions"`` (the machine itself); both give the
    same results.

    Raises `rectify.errors.InvalidValueError` for an unknown engine.
    """

    def __init__(self, policy: Policy, store: LedgerStore | None = None, *,
                 population: Population, people: Iterable[Person] = (),
                 engine: str = "table") -> None:
        if engine not in ENGINES:
            raise InvalidValueError("engine", f"one of {', '.join(ENGINES)}", engine)
        chosen = store if store is not None else MemoryStore()
        if not isinstance(chosen, ReadModels):
            raise InvalidValueError("store", "a store that keeps read models (MemoryStore, "
                                    "SQLiteStore or PostgresStore)", type(chosen).__name__)
        self.policy = policy
        self.store: Store = chosen
        self.population = population
        self.people = {p.id: p for p in people}
        self._engine = engine
        self._table = default_table()
        self._initial: Initial | None = None
        self._holdings_kept: tuple[Store, object, tuple[int, bytes], Holdings] | None = None

    # -- queries ---------------------------------------------------------------

    def case(self, case: str) -> CaseRecord:
        """The case with this id (``"2017-V01-03"``).

        Raises `rectify.errors.UnknownCaseError` for an unknown id.
        """
        record = self.store.case(case)
        if record is None:
            raise UnknownCaseError(case, "case ids read YEAR-ORGCODE; see cases()")
        return record

    def case_for(self, org: str, year: int) -> CaseRecord:
        """The case of ``org`` in ``year``."""
        return self.case(case_id(year, org))

    def cases(self, *, year: int | None = None, state: str | None = None,
              open_only: bool = False, kind: str | None = None, township: str | None = None,
              overdue_on: date | None = None, after: str | None = None,
              limit: int | None = None, scope: str | None = None) -> list[CaseRecord]:
        """Cases in id order, optionally filtered by year, state, openness, kind, township
        (of the organization, from the population), being overdue on a date or lying
        within a scope (a county, or a province and its counties: `rectify.model.in_scope`).

        ``after`` (a case id) and ``limit`` page through them: pass the last id
        of one page as ``after`` for the next.  Every filter runs in the store.
        """
        orgs = None if township is None else [
            o.code for o in self.population if o.township == township]
        if scope:
            return self.store.cases(year=year, state=state, open_only=open_only, kind=kind,
                                    orgs=orgs, overdue_on=overdue_on, after=after, limit=limit,
                                    scope=scope)
        return self.store.cases(year=year, state=state, open_only=open_only, kind=kind,
                                orgs=orgs, overdue_on=overdue_on, after=after, limit=limit)

    def history(self, case: str) -> list[Event]:
        """Every event of a case, oldest first."""
        self.case(case)
        return list(self.store.read(case))

    def listings(self) -> dict[int, frozenset[str]]:
        """Organizations listed per year (from the cases opened)."""
        return self.store.listings()

    def records(self) -> list[Event]:
        """Accountability events: escalations, dismissals, talks, appraisals."""
        return self.store.records()

    def policies_seen(self) -> frozenset[str]:
        """Fingerprints of every policy under which the ledger's events were recorded."""
        return self.store.policies()

    def reports_filed(self) -> frozenset[tuple[str, str, str]]:
        """``(case, kind, month)`` of every report recorded."""
        return self.store.reports_filed()

    def load(self, person: str) -> int:
        """How many open cases ``person`` supports."""
        return self.store.load(person)

    def fire(self, state: str, trigger: str) -> str | None:
        """The state ``trigger`` leads to from ``state``, or ``None`` if it is not allowed."""
        if self._engine == "table":
            return self._table.get((state, trigger))
        from transitions import MachineError

        holder = _Holder(state)
        try:
            default_machine().events[trigger].trigger(holder)
        except (MachineError, KeyError, ValueError):
            # Unknown trigger (KeyError), unknown state (ValueError) or not allowed here.
            return None
        return holder.state

    def accountability(self, person: str, on: date) -> AccountabilityRecord:
        """Talks, appraisals and dismissals of ``person``; restrictions active on ``on``.

        Raises `rectify.errors.InvalidValueError` for a date outside the calendar
        the ledger accepts (`rectify.lifecycle.dates.EARLIEST` … ``LATEST``).
        """
        _check_as_of(on)
        return record_of(person, on, self.store.records(), self.policy)

    def due(self, on: date, within_days: int = 7) -> list[DueItem]:
        """What falls due on ``on``: cadence, case deadlines, first secretaries' reports.

        Raises `rectify.errors.InvalidValueError` for a date outside the calendar
        the ledger accepts, or a negative or over-long ``within_days``.
        """
        _check_as_of(on)
        if not 0 <= within_days <= 3660:
            raise InvalidValueError("within_days", "a whole number of days in [0, 3660]",
                                    within_days, "look ahead at most ten years")
        return due(on, self.policy, self.cases(open_only=True), self.store.reports_filed(),
                   within_days)

    def overdue(self, on: date) -> list[DueItem]:
        """Only what is overdue on ``on``."""
        return [item for item in self.due(on) if item.overdue]

    def coverage(self, *, units: Iterable[Unit] = (),
                 contact_points: Iterable[ContactPoint] = (),
                 pairings: Iterable[Pairing] = (),
                 cross_assessments: Iterable[CrossAssessment] = (),
                 dated: bool = True) -> Coverage:
        """The coverage snapshot (包扶覆盖) of the campaign, with the optional inputs added.

        ``dated`` reads each covered case's history for the dates support was
        assigned and verification recorded (one store read per covered case);
        ``False`` skips it (dates are then ``None``).
        """
        cases: list[CaseCoverage] = []
        for record in self.cases():
            assigned: dict[tuple[str, str], date] = {}
            verified_on: date | None = None
            if dated and (record.support or record.verifiers):
                for event in self.store.read(record.id):
                    if isinstance(event, SupportAssigned):
                        assigned[(event.level, event.person)] = event.on
                    elif isinstance(event, VerificationRecorded):
                        verified_on = event.on
            support = tuple((level, holder, assigned.get((level, holder)))
                            for level, holder in record.support)
            cases.append(CaseCoverage(record.id, record.org, record.kind, record.year,
                                      record.state, support, record.verifiers, verified_on))
        return Coverage.of(self._population_in_post(), cases, self.people.values(), units,
                           contact_points, pairings, cross_assessments)

    def support_conflicts(self, case: str, level: str, person: str, *,
                          max_cases_per_person: int | None = None,
                          loads: Mapping[str, int] | None = None,
                          level_roles: Mapping[str, str] | None = None) -> list[str]:
        """Why assigning ``person`` to support ``level`` on ``case`` conflicts (empty: fine).

        Checks: ``person`` verified the case; ``person`` is a secretary of the
        case organization's chain; ``person`` already supports the cap of
        other open cases (the policy's ``coverage.max_cases_per_person`` unless
        given); and, when ``level_roles`` is given, ``person`` lacks the level's
        role.  ``loads`` overrides the campaign's own count of open cases per
        person; it must not count this case.  Raises
        `rectify.errors.UnknownCaseError` for an unknown case.
        """
        record = self.case(case)
        if loads is not None:
            load = loads.get(person, 0)
        else:
            load = self.load(person) - (1 if person in record.supporters and record.is_open
                                        else 0)
        known = self.people.get(person)
        cap = (max_cases_per_person if max_cases_per_person is not None
               else self.policy.coverage.max_cases_per_person)
        return support_reasons(record, level, person, self.population, load=load,
                               max_cases_per_person=cap,
                               roles=known.roles if known is not None else None,
                               level_roles=level_roles)

    def verification_conflicts(self, case: str, team: Iterable[str]) -> list[str]:
        """Why members of ``team`` may not verify ``case`` (empty: the team is independent).

        A member conflicts when they support the case now, supported it
        earlier, or are the secretary of the case's organization or of an
        organization above it.  Raises `rectify.errors.UnknownCaseError` for an
        unknown case.
        """
        return team_reasons(self.case(case), team, self.population)

    # -- commands ----------------------------------------------------------------

    def open_cases(self, identification: Listing, *, actor: Actor, on: date,
                   command_id: str | None = None) -> OpenResult:
        """Open a case (已认定) for every listed organization; existing ones are left alone.

        ``identification`` is an `Identification`, or any `rectify.identify.Listing`
        (one province's share of a national identification, say).

        Organizations listed in consecutive years escalate as the policy says
        (see `rectify.escalation`): the escalation and the dismissals are
        recorded in the ledger.
        """
        person = self._actor(actor, "open_cases", None)
        self._check_scope(person, "open_cases", identification.listed_codes)
        year = identification.year
        dated = calendar_problems(on) + window_problems(on, self.policy, year,
                                                        f"identification for {year}")
        if dated:
            raise CommandRefused(f"identification {year}", "-", "open_cases", dated)
        command = command_id or content_id(
            "open_cases", str(year), {"listed": sorted(identification.listed_codes)},
            actor=person.id, on=on, policy=self.policy.fingerprint())
        batch: list[Append] = []
        projected: list[CaseRecord | None] = []
        opened: list[str] = []
        existing: list[str] = []
        with gc_paused(), self.store.transaction():
            self._check_policy()  # also when every case exists already: nothing to append
            continuing = self._continuing(year)
            # In organization order, so that the ledger does not depend on the order of the
            # input files' rows.
            decisions = sorted(identification.listed(), key=lambda d: d.org)
            started = self.store.versions([case_id(year, d.org) for d in decisions])
            for decision in decisions:
                cid = case_id(year, decision.org)
                if started.get(cid):
                    existing.append(cid)
                    continue
                if decision.org in continuing:  # its unfinished case goes on this year
                    existing.append(continuing[decision.org])
                    continue
                event = CaseOpened(stream=cid, version=1, actor=person.id, on=on,
                                   policy=self.policy.fingerprint(), command=f"{command}:{cid}",
                                   org=decision.org, year=year, kind=decision.kind,
                                   rules=decision.rules, score=decision.score,
                                   scope=self._scope_of(decision.org))
                batch.append(Append(cid, 0, (event,), event.command))
                projected.append(apply_event(None, event, self._table))
                opened.append(cid)
            appended = self._commit(batch, projected)
            opened = [cid for cid, ok in zip(opened, appended, strict=True) if ok]
            self._last_places(identification, person, on)
            escalations = self._escalate(year, person, on)
        return OpenResult(tuple(opened), tuple(existing), tuple(escalations))

    def execute(self, command: CaseCommand, *, actor: Actor, on: date,
                command_id: str | None = None) -> CaseRecord:
        """Carry out one case command (`rectify.lifecycle.commands`) and return the case after it.

        A ``command_id`` already recorded is an idempotent retry: nothing is
        recorded again.  Raises `rectify.errors.PermissionDenied`,
        `rectify.errors.CommandRefused` or `rectify.errors.UnknownCaseError`;
        a refusal changes nothing.
        """
        with self.store.transaction():
            before = self.case(command.case)
            prepared = self._prepare(command, before, actor, on, command_id, self.store.load)
            if prepared is None:
                return before
            # The case after the command is its events projected onto the record read
            # under the lock: the store was not changed by anyone else meanwhile, so it
            # keeps this projection instead of working it out again.
            after = before
            projected: list[CaseRecord | None] = []
            for event in prepared.events:
                after = apply_event(after, event, self._table)
                projected.append(after)
            self._commit([prepared], projected)
        self._log_transition(prepared, before, after)
        return after

    def file_plan(self, case: str, plan: Plan, *, actor: Actor, on: date,
                  command_id: str | None = None) -> CaseRecord:
        """File the individual plan (报备整顿方案); a vague plan is refused with every gap."""
        return self.execute(FilePlan(case, plan), actor=actor, on=on, command_id=command_id)

    def return_plan(self, case: str, reason: str, *, actor: Actor, on: date,
                    command_id: str | None = None) -> CaseRecord:
        """Send a filed plan back for rework (退回方案)."""
        return self.execute(ReturnPlan(case, reason), actor=actor, on=on, command_id=command_id)

    def assign_support(self, case: str, level: str, person: str, *, actor: Actor, on: date,
                       command_id: str | None = None) -> CaseRecord:
        """Assign a support level (包扶) to a person or unit."""
        return self.execute(AssignSupport(case, level, person), actor=actor, on=on,
                            command_id=command_id)

    def release_support(self, case: str, level: str, *, actor: Actor, on: date,
                        command_id: str | None = None) -> CaseRecord:
        """Release a support level."""
        return self.execute(ReleaseSupport(case, level), actor=actor, on=on,
                            command_id=command_id)

    def record_report(self, case: str, kind: str, month: str, *, actor: Actor, on: date,
                      resolved: Sequence[str] = (), note: str = "",
                      command_id: str | None = None) -> CaseRecord:
        """Record a first secretary's work plan or duty ledger, or a progress report."""
        return self.execute(RecordReport(case, kind, month, tuple(resolved), note), actor=actor,
                            on=on, command_id=command_id)

    def request_verification(self, case: str, *, actor: Actor, on: date,
                             command_id: str | None = None) -> CaseRecord:
        """Ask for verification (申请考核验收) once every problem is resolved."""
        return self.execute(RequestVerification(case), actor=actor, on=on,
                            command_id=command_id)

    def record_verification(self, case: str, score: float, votes: Votes,
                            team: Sequence[str], *, actor: Actor, on: date,
                            command_id: str | None = None) -> CaseRecord:
        """Record a verification (考核验收); failing sends the case back with a new deadline."""
        return self.execute(RecordVerification(case, score, votes, tuple(team)), actor=actor,
                            on=on, command_id=command_id)

    def delist(self, case: str, *, actor: Actor, on: date,
               command_id: str | None = None) -> CaseRecord:
        """Delist (销号) after a passing, independent verification."""
        return self.execute(Delist(case), actor=actor, on=on, command_id=command_id)

    def reopen(self, case: str, reason: str, *, actor: Actor, on: date,
               command_id: str | None = None) -> CaseRecord:
        """Reopen a delisted case for a relapse found in follow-up (回头看)."""
        return self.execute(Reopen(case, reason), actor=actor, on=on, command_id=command_id)

    def close_year(self, year: int, *, actor: Actor, on: date,
                   command_id: str | None = None) -> list[str]:
        """Close a year: every case still open in it goes on (限期整改销号). Returns their ids.

        A case ends only by being delisted.  Under ``plan.carry_over =
        "continue"`` (the default) each unfinished case continues, still open,
        into the next year (`rectify.events.CaseContinued`), with a new
        deadline ``plan.carry_over_days`` days after ``on``; under
        ``"relist"`` it ends as carried over (结转) and the organization's case
        for the next year is opened.  A case whose organization already has a
        case in the next year is carried over into that one.  Either way the
        organization counts as listed in the next year, so the year's
        escalations are recorded when its cases are already open.
        """
        person = self._actor(actor, "close_year", None)
        command = command_id or content_id("close_year", str(year), {}, actor=person.id,
                                           on=on, policy=self.policy.fingerprint())
        fingerprint = self.policy.fingerprint()
        into = year + 1
        batch: list[Append] = []
        with self.store.transaction():
            self._check_policy()
            # A scoped actor closes the year of its own scope only.
            open_cases = [case for case in self.cases(open_only=True,
                                                      scope=person.scope or None)
                          if case.current_year == year]
            dated = (calendar_problems(on) + year_start_problems(on, year, "closing it")
                     + window_problems(on, self.policy, year, f"the year {year}"))
            for case in open_cases:
                dated += order_problems(on, case.last_on or case.opened_on,
                                        case.last_event or "CaseOpened", f"the case {case.id}")
            if dated:
                raise CommandRefused(f"year {year}", "-", "close_year", dated)
            for case in open_cases:
                successor = case_id(into, case.org)
                common: dict[str, Any] = {
                    "stream": case.id, "version": case.version + 1, "actor": person.id,
                    "on": on, "policy": fingerprint, "command": f"{command}:{case.id}"}
                if self.policy.plan.carry_over == "continue" \
                        and not self.store.version(successor):
                    deadline = on + timedelta(days=self.policy.plan.carry_over_days)
                    event: Event = CaseContinued(org=case.org, into=into,
                                                 new_deadline=deadline, **common)
                    batch.append(Append(case.id, case.version, (event,), event.command))
                    continue
                event = CaseCarriedOver(transitions=("carry_over",), **common)
                batch.append(Append(case.id, case.version, (event,), event.command))
                if not self.store.version(successor):
                    opened = CaseOpened(stream=successor, version=1, actor=person.id, on=on,
                                        policy=fingerprint, command=f"{command}:{successor}",
                                        org=case.org, year=into, kind=case.kind,
                                        rules=("carried_over",), score=self._score(case))
                    batch.append(Append(successor, 0, (opened,), opened.command))
            appended = self._commit(batch)
            if self.store.cases(year=into, limit=1):
                self._escalate(into, person, on)
        return [a.stream for a, ok in zip(batch, appended, strict=True)
                if ok and not isinstance(a.events[0], CaseOpened)]

    def _score(self, case: CaseRecord) -> float:
        """The score the case was opened with (for a case opened again by ``relist``)."""
        for event in self.store.read(case.id):
            if isinstance(event, CaseOpened):
                return event.score
        return 0.0  # pragma: no cover - a case record always starts with CaseOpened

    def record_talk(self, person: str, kind: TalkKind | str, reason: str, *, actor: Actor,
                    on: date, case: str | None = None,
                    command_id: str | None = None) -> Talk:
        """Record an admonishment (约谈) or cautionary (诫勉) talk with ``person``."""
        talk = Talk(person, kind, on, reason)
        if not reason.strip():
            raise CommandRefused(person_stream(person), "-", "record_talk",
                                 ["a reason for the talk is required"])
        year = self.case(case).year if case is not None else None
        if not self.store.has_command(command_id or ""):
            unmet = self._standing(person, on, self.holdings())
            if unmet:
                raise CommandRefused(person_stream(person), "-", "record_talk", unmet)
        self._person_event(actor, "record_talk", person, on, command_id, TalkRecorded,
                           campaign_year=year, person=person, kind=talk.kind.value,
                           reason=reason,
                           case=case)
        return talk

    def record_appraisal(self, person: str, year: int, grade: AppraisalGrade | str, *,
                         actor: Actor, on: date,
                         command_id: str | None = None) -> AppraisalOutcome:
        """Record a secretary's appraisal grade (述职评议考核); returns what it entails."""
        appraisal = Appraisal(person, year, grade)
        if isinstance(year, int) and not isinstance(year, bool) and on.year < year:
            raise CommandRefused(person_stream(person), "-", "record_appraisal",
                                 year_start_problems(on, year, f"the appraisal of {year}"))
        who = self._person_event(actor, "record_appraisal", person, on, command_id,
                                 AppraisalRecorded, campaign_year=year, person=person,
                                 year=year, grade=appraisal.grade.value)
        self._appraisal_steps(appraisal, who, on)
        return appraisal_outcome(appraisal, self.policy, on)

    def record_finding(self, org: str | None = None, kind: str = "", *, actor: Actor,
                       on: date, township: str | None = None, year: int | None = None,
                       note: str = "", command_id: str | None = None) -> list[Event]:
        """Record a finding (发现问题) against an organization or a township; returns the events.

        ``kind`` is a key of the policy's ``escalation.findings`` (a plaque
        mishandled, a misreport, a spot-check result); ``township`` names a
        township or street (``Organization.township``) instead of ``org``:
        the finding is recorded against its committee.  ``year`` (default:
        the year of ``on``) is the year it counts in.  The policy's effects
        are recorded with it: the listing extended by ``extend_years`` years,
        a talk with the secretary, and the ladder's ``finding`` steps when
        the finding counts.  A ``command_id`` already recorded records
        nothing again.  Raises `rectify.errors.InvalidValueError` for an
        unknown kind, organization or township and
        `rectify.errors.PermissionDenied`; a refusal changes nothing.
        """
        command = "record_finding" if "record_finding" in self.policy.permissions.commands \
            else "record_talk"
        who = self._actor(actor, command, None)
        rules = self.policy.escalation.findings
        if kind not in rules:
            raise InvalidValueError("kind", f"a kind of finding of the policy "
                                    f"({', '.join(rules) or 'none declared'})", kind,
                                    "declare it under [escalation.findings] or correct it")
        code = self._finding_target(org, township)
        counted = on.year if year is None else year
        if isinstance(counted, bool) or not isinstance(counted, int) \
                or not 1 <= counted <= 9998:
            raise InvalidValueError("year", "a calendar year", counted)
        rule = rules[kind]
        dated = calendar_problems(on) + window_problems(on, self.policy, counted,
                                                        f"the finding's year {counted}")
        if dated:
            raise CommandRefused(org_stream(code), "-", "record_finding", dated)
        command_id = command_id or content_id(
            "record_finding", org_stream(code),
            {"kind": kind, "year": counted, "note": note}, actor=who.id, on=on,
            policy=self.policy.fingerprint())
        stream = org_stream(code)
        with self.store.transaction():
            if self.store.has_command(command_id):
                return []
            self._check_policy()
            version = self.store.version(stream)
            finding = FindingRecorded(stream=stream, version=version + 1, actor=who.id, on=on,
                                      policy=self.policy.fingerprint(), command=command_id,
                                      org=code, kind=kind, year=counted, note=note,
                                      extend_years=rule.extend_years, counts=rule.counts)
            self._commit([Append(stream, version, (finding,), command_id)])
            holdings = self.holdings()
            secretary = self._secretaries(holdings, on)
            steps: list[Consequence] = []
            if rule.talk:
                steps.append(Consequence(stream, f"finding-talk:{command_id}",
                                         ConsequenceRecorded, {
                                             "org": code, "person": secretary(code),
                                             "action": "talk", "basis": "finding",
                                             "year": counted, "step": -1, "years": (counted,),
                                             "talk": rule.talk, "months": 0,
                                             "cause": f"finding:{kind}"}))
            if rule.counts:
                steps += self._basis_steps(code, "finding", counted, on, secretary,
                                           finding=kind)
            recorded = self._record(steps, who, on, holdings)
            if rule.extend_years:
                for extra in range(1, rule.extend_years + 1):
                    if self.store.cases(year=counted + extra, limit=1):
                        recorded += self._record(
                            consequences([d for d in escalate(
                                self.population, self.listings(), counted + extra,
                                self.policy, secretary)
                                if d.escalates and d.org == code], counted + extra,
                                self.population, secretary), who, on, holdings)
        return [finding, *recorded]

    def _finding_target(self, org: str | None, township: str | None) -> str:
        if (org is None) == (township is None):
            raise InvalidValueError("org", "an organization code or a township, not both", org,
                                    "pass org=CODE or township=NAME")
        if org is not None:
            if org not in self.population:
                raise InvalidValueError("org", "the code of an organization in the population",
                                        org, "correct the code")
            return org
        committees = [o.code for o in self.population
                      if o.township == township and o.kind in ("township", "street")]
        if len(committees) != 1:
            known = sorted({o.township for o in self.population
                            if o.kind in ("township", "street")})
            raise InvalidValueError("township", f"a township or street with one committee "
                                    f"({', '.join(known) or 'none in the population'})",
                                    township, "correct the name or pass org=CODE")
        return committees[0]

    def _basis_steps(self, org: str, basis: str, year: int, on: date, secretary: SecretaryOf,
                     finding: str | None = None) -> list[Consequence]:
        """The ladder step a ``finding`` or ``last_place`` basis calls for in ``year``."""
        ladder = [s for s in self.policy.escalation.ladder if s.basis == basis]
        if not ladder:
            return []
        events = [e for e in self.store.read(org_stream(org)) if isinstance(e, FindingRecorded)]
        best: tuple[int, LadderStep, tuple[int, ...]] | None = None
        for index, step in enumerate(self.policy.escalation.ladder):
            if step.basis != basis:
                continue
            if basis == "last_place":
                years = {e.year for e in events if e.kind == "last_place"}
            else:
                years = {e.year for e in events if e.counts and e.kind != "last_place"
                         and (not step.finding or e.kind == step.finding)}
            run = run_ending(years, year)
            if step_for([step], basis, len(run), finding=finding) is None:
                continue
            if best is None or step.years >= best[1].years:
                best = (index, step, run)
        if best is None:
            return []
        index, step, run = best
        return self._step_consequences(org, step, index, year, run, f"{basis}:{year}-{org}",
                                       secretary)

    def _step_consequences(self, org: str, step: LadderStep, index: int, year: int,
                           run: tuple[int, ...], cause: str,
                           secretary: SecretaryOf) -> list[Consequence]:
        if step.action == "record":
            return []
        if step.action != "dismissal":
            return [consequence_of_step(org, secretary(org), step, index, year, run, cause)]
        people = dismissals_for(self.population, org, len(run), step.cascade, secretary)
        return [Consequence(org_stream(d.org), f"dismissal:{step.basis}:{year}:{d.org}",
                            SecretaryDismissed, {"org": d.org, "person": d.person,
                                                 "role": d.role, "year": year,
                                                 "cause": f"{year}-{org}"})
                for d in people]

    def _last_places(self, identification: Listing, actor: Person, on: date) -> None:
        """Record the last-placed organization of each kind when the ladder has that basis."""
        if not any(s.basis == "last_place" for s in self.policy.escalation.ladder):
            return
        year = identification.year
        steps: list[Consequence] = []
        for decision in identification.listed():
            if decision.rank != 1:
                continue
            steps.append(Consequence(org_stream(decision.org),
                                     f"last-place:{year}:{decision.org}", FindingRecorded, {
                                         "org": decision.org, "kind": "last_place",
                                         "year": year, "note": decision.kind,
                                         "extend_years": 0, "counts": False}))
        self._record(steps, actor, on)
        holdings = self.holdings()
        secretary = self._secretaries(holdings, on)
        for step in steps:
            org = str(step.fields["org"])
            self._record(self._basis_steps(org, "last_place", year, on, secretary), actor, on,
                         holdings)

    def _appraisal_steps(self, appraisal: Appraisal, actor: Person, on: date) -> None:
        """Record the ladder step the secretary's appraisals call for (basis ``appraisal``)."""
        ladder = self.policy.escalation.ladder
        if not any(s.basis == "appraisal" for s in ladder):
            return
        holdings = self.holdings()
        orgs = [p.org for p in holdings.posts_of(appraisal.person, on) if p.role == SECRETARY]
        if not orgs:
            return
        grades = {(e.year, e.grade) for e in self.store.read(person_stream(appraisal.person))
                  if isinstance(e, AppraisalRecorded)}
        grade = appraisal.grade.value
        best: tuple[int, LadderStep, tuple[int, ...]] | None = None
        for index, step in enumerate(ladder):
            if step.basis != "appraisal" or grade not in step.grades:
                continue
            run = run_ending({y for y, g in grades if g in step.grades}, appraisal.year)
            if step_for([step], "appraisal", len(run), grade=grade) is None:
                continue
            if best is None or step.years >= best[1].years:
                best = (index, step, run)
        if best is None:
            return
        index, step, run = best
        self._record(self._step_consequences(orgs[0], step, index, appraisal.year, run,
                                             f"appraisal:{appraisal.year}-{appraisal.person}",
                                             self._secretaries(holdings, on)),
                     actor, on, holdings)

    def run_bulk(self, commands: Iterable[tuple[CaseCommand, str]], *, actor: Actor,
                 on: date, atomic: bool = False,
                 optimistic: bool | None = None) -> BulkResult:
        """Carry out many ``(command, command_id)`` pairs as one all-or-nothing batch.

        Each command is checked against the cases as the earlier ones leave
        them, exactly as issuing them one at a time in order would (the same
        guards, events and states), but every accepted event is recorded in
        one append.  Refused commands do not stop the batch: they come back in
        `BulkResult.refused`.  Nothing is recorded if the store refuses the
        batch (for example on a concurrent change); the cases are then as before.
        With ``atomic=True`` a single refusal records nothing at all: the result
        then lists the refusals, and ``accepted`` is empty.

        With ``optimistic=True`` the batch is checked in a `store.snapshot()`, without
        holding the ledger's write lock, so other workers go on recording meanwhile; under
        the lock the store is asked again for what the checks read (the cases' versions,
        the command ids, the loads and stations of the people named, the records mark).
        If anything changed, the batch is checked again under the lock, so the outcome is
        always that of checking it under the lock.  ``None`` (the default) takes the
        store's `optimistic_batches` (``True`` for `PostgresStore`).
        """
        items = list(commands)
        if optimistic is None:
            optimistic = getattr(self.store, "optimistic_batches", False)
        with gc_paused():
            staged: _Staged | None = None
            if optimistic:
                # Check the batch against one snapshot without holding the write lock, then
                # keep the result if nothing it read has changed by the time the lock is held.
                with self.store.snapshot():
                    staged = self._stage(items, actor, on, tentative=True)
            with self.store.transaction():
                if staged is None or not staged.still_holds(self.store):
                    staged = self._stage(items, actor, on)
                for event, fields in staged.warnings:
                    _warn(None, event, **fields)
                if atomic and staged.refused:
                    return BulkResult((), staged.refused, tuple(staged.repeated))
                self._commit(staged.batch, staged.projected)
        return BulkResult(tuple(staged.accepted), staged.refused, tuple(staged.repeated))

    def _stage(self, items: Sequence[tuple[CaseCommand, str]], actor: Actor,
               on: date, *, tentative: bool = False) -> _Staged:
        """Check every command of a batch against the store as it stands, in order.

        A ``tentative`` check (in a snapshot) gathers its warnings in the result instead of
        logging them: they are logged only if the check is kept.
        """
        out = _Staged(mark=self.store.records_mark())
        warnings = out.warnings if tentative else None
        seen: set[str] = set()
        staged: dict[str, CaseRecord] = {}
        loads: Counter[str] = Counter()
        stationed: Counter[str] = Counter()
        # The posts do not change within a batch, and every command has the same date.
        day = _DayLookups(self, on, self._lazy_holdings())
        # One read per batch for what every command checks: the cases, the command ids
        # already recorded, and the loads of the people assigned.
        asked = out.asked = list(dict.fromkeys(c.case for c, _ in items))
        if tentative:
            out.tokens = self.store.case_tokens(asked)
        records = self.store.cases_by_id(asked)
        out.commands = [cid for _, cid in items]
        recorded = out.recorded = self.store.recorded_commands(out.commands)
        named = [c.person for c, _ in items if isinstance(c, AssignSupport)]
        stored_loads = out.loads = _Counts(named, self.store.loads(named), self.store.load)
        stationed_now = [c.person for c, _ in items
                         if isinstance(c, AssignSupport) and c.level == "first_secretary"]
        stored_stations = out.stations = _Counts(
            stationed_now, self.store.loads(stationed_now, "first_secretary"), self._stations)

        def load_of(person: str) -> int:
            return stored_loads(person) + loads[person]

        def stations_of(person: str) -> int:
            return stored_stations(person) + stationed[person]

        is_recorded = recorded.__contains__
        table = self._table
        for command, command_id in items:
            before = staged.get(command.case) or records.get(command.case)
            if before is None:  # an unknown case is refused first, as one at a time
                out.refused[command_id] = UnknownCaseError(
                    command.case, "case ids read YEAR-ORGCODE; see cases()")
                continue
            if command_id in seen:
                out.repeated.append(command_id)
                continue
            try:
                prepared = self._prepare(command, before, actor, on, command_id, load_of,
                                         stations=stations_of, recorded=is_recorded,
                                         lookups=day, warnings=warnings)
            except RectifyError as exc:
                out.refused[command_id] = exc
                continue
            seen.add(command_id)
            if prepared is None:
                out.repeated.append(command_id)
                continue
            # Stage the new state so later commands of the batch see it, as they would
            # one at a time; the store keeps these records instead of projecting again.
            record = before
            for event in prepared.events:
                record = apply_event(record, event, table)
                out.projected.append(record)
            if record.support is not before.support or record.state != before.state:
                _count_load(loads, before, record)
                _count_stations(stationed, before, record)
            staged[command.case] = record
            out.batch.append(prepared)
            out.accepted.append(command_id)
        return out

    def prepare(self, command: CaseCommand, *, actor: Actor, on: date,
                command_id: str) -> Append | None:
        """Check a command and build its events without recording them.

        Returns ``None`` for a command id already recorded (an idempotent
        retry).  Raises `rectify.errors.PermissionDenied`,
        `rectify.errors.CommandRefused` or `rectify.errors.UnknownCaseError`.
        Call it inside `store.transaction()` so that nothing changes between the
        check and the append.  Raises `rectify.errors.PolicyConflict` when the
        ledger is kept under another policy.
        """
        self._check_policy()
        return self._prepare(command, self.case(command.case), actor, on, command_id,
                             self.store.load)

    def command_id(self, command: CaseCommand, *, actor: Actor, on: date) -> str:
        """The id a case command gets when none is given: a hash of its content.

        See `rectify.lifecycle.ids.content_id`: the command's name, case and
        arguments, the actor's id, the date and the policy's fingerprint.
        """
        return content_id(command.name, command.case, command.arguments(),
                          actor=_actor_id(actor), on=on, policy=self.policy.fingerprint())

    def _prepare(self, command: CaseCommand, record: CaseRecord, actor: Actor, on: date,
                 command_id: str | None, loads: Callable[[str], int], *,
                 stations: Callable[[str], int] | None = None,
                 holdings: Callable[[], Holdings] | None = None,
                 recorded: Callable[[str], bool] | None = None,
                 lookups: _DayLookups | None = None,
                 warnings: list[tuple[str, dict[str, Any]]] | None = None) -> Append | None:
        """The command checked and its events built (see `prepare()`); ``warnings``, when
        given, gathers the refusal and denial log entries instead of logging them."""
        if command_id is None:
            command_id = self.command_id(command, actor=actor, on=on)
        if (recorded or self.store.has_command)(command_id):
            return None
        day = lookups or _DayLookups(self, on, holdings or self._lazy_holdings())
        name = command.name
        # The actor's right, answered once per batch when it cannot depend on the case
        # beyond its scope; anything else (and every denial) goes through `_actor`.
        person = day.allowed(actor, name, record)
        if person is None:
            person = self._actor(actor, name, record, on, day.holdings, warnings)
        context = day.context(person.id, loads, stations or self._stations)
        if isinstance(command, Delist):
            context = day.with_recorder(context, self._recorder(record))
        dated = day.case_date_problems(record)
        # A date outside the calendar is refused before any rule computes a deadline from it.
        built = [] if day.off_calendar else command.build(context, record)
        if built.__class__ is list or dated:
            unmet = dated + (built if isinstance(built, list) else [])
            _warn(warnings, "command.refused", command=name, case=command.case,
                  state=record.state, actor=person.id, unmet=unmet)
            raise CommandRefused(command.case, record.state, name, unmet)
        assert isinstance(built, Built)
        event = event_builder(built.event)(command.case, record.version + 1, person.id, on,
                                           day.fingerprint, command_id, built.triggers,
                                           built.fields)
        return _new_append(command.case, record.version, (event,), command_id)

    # -- machinery ---------------------------------------------------------------

    def _roles(self, person: str) -> frozenset[str] | None:
        known = self.people.get(person)
        return known.roles if known is not None else None

    def _actor(self, actor: Actor, command: str, case: CaseRecord | None,
               on: date | None = None,
               holdings: Callable[[], Holdings] | None = None,
               warnings: list[tuple[str, dict[str, Any]]] | None = None) -> Person:
        # The campaign's own record of a person decides their roles, never the Person
        # object a caller hands in; only a campaign without a register trusts it.
        pid = actor.id if isinstance(actor, Person) else actor
        person = self.people.get(pid)
        if person is None and isinstance(actor, Person) and not self.people:
            person = actor
        if person is None:
            raise PermissionDenied(str(pid), command, "unknown actor: pass a Person or the id "
                                   "of one of the campaign's people", case.id if case else None)
        secretary = None
        if on is not None and holdings is not None:
            found = holdings
            secretary = lambda org: found().holder(org, SECRETARY, on=on)  # noqa: E731
        missing = missing_right(person, command, case, self.population, self.policy,
                                secretary=secretary)
        if missing is not None:
            _warn(warnings, "command.denied", command=command, actor=person.id,
                  case=case.id if case else None, missing=missing)
            raise PermissionDenied(person.id, command, missing, case.id if case else None)
        return person

    def _continuing(self, year: int) -> dict[str, str]:
        """Organization → id of its open case of an earlier year that went on into ``year``.

        (A case that went on and was delisted since leaves room for a new listing.)
        """
        listed = self.store.listings().get(year, frozenset())
        if not listed:
            return {}
        return {c.org: c.id for c in self.store.cases(open_only=True)
                if c.year < year <= (c.continued_into or 0) and c.org in listed}

    @staticmethod
    def _secretaries(holdings: Holdings, on: date) -> SecretaryOf:
        """Who holds each organization's secretary post on ``on``, from ``holdings`` read once
        (the one place the rules get the holder from)."""
        return lambda org: holdings.holder(org, SECRETARY, on=on)

    def _escalate(self, year: int, actor: Person, on: date) -> list[EscalationDecision]:
        """Record the escalations and dismissals that ``year``'s listings call for."""
        listings = self.listings()
        if year not in listings:
            return []

        holdings = self.holdings()
        holder = self._secretaries(holdings, on)
        decisions = sorted((d for d in escalate(self.population, listings, year, self.policy,
                                                holder)
                            if d.escalates and in_scope(self._scope_of(d.org), actor.scope)),
                           key=lambda d: d.org)
        self._record(consequences(decisions, year, self.population, holder), actor, on,
                     holdings)
        return decisions

    def _record(self, steps: Iterable[Consequence], actor: Person, on: date,
                holdings: Holdings | None = None) -> list[Event]:
        """Append the consequences not recorded yet (their command ids derive from their basis).

        Dismissals name the holder of the day (the rules were given `_secretaries`); one
        whose holder was already dismissed from the post is not recorded again.
        """
        versions: dict[str, int] = {}
        batch: list[Append] = []
        fingerprint = self.policy.fingerprint()
        for step in steps:
            if self.store.has_command(step.command):
                continue
            if step.event is SecretaryDismissed and step.fields["person"] is not None:
                holdings = holdings or self.holdings()
                post = Post(str(step.fields["org"]), SECRETARY)
                if holdings.was_dismissed(post, str(step.fields["person"])):
                    continue
            current = versions.get(step.stream, self.store.version(step.stream))
            event = step.event(stream=step.stream, version=current + 1, actor=actor.id, on=on,
                               policy=fingerprint, command=step.command,
                               **step.fields)
            versions[step.stream] = current + 1
            batch.append(Append(step.stream, current, (event,), step.command))
        self._commit(batch)
        return [a.events[0] for a in batch]

    def _person_event(self, actor: Actor, command: str, subject: str, on: date,
                      command_id: str | None, build: type[Event], *,
                      campaign_year: int | None, **fields: Any) -> Person:
        who = self._actor(actor, command, None)
        command_id = command_id or content_id(command, person_stream(subject), fields,
                                              actor=who.id, on=on,
                                              policy=self.policy.fingerprint())
        with self.store.transaction():
            if self.store.has_command(command_id):
                return who
            stream = person_stream(subject)
            version = self.store.version(stream)
            last = None
            if version:
                latest = list(self.store.read(stream))[-1]
                last = (latest.on, type(latest).__name__)
            dated = person_date_problems(on, self.policy, subject, last=last,
                                         year=campaign_year)
            if dated:
                raise CommandRefused(stream, "-", command, dated)
            event = build(stream=stream, version=version + 1, actor=who.id, on=on,
                          policy=self.policy.fingerprint(), command=command_id, **fields)
            self._commit([Append(stream, version, (event,), command_id)])
        return who

    def _commit(self, batch: Sequence[Append],
                projected: Sequence[CaseRecord | None] | None = None) -> list[bool]:
        if not batch:
            return []
        self._check_policy()
        return self.store.append(batch, projected=projected)

    def _log_transition(self, prepared: Append, before: CaseRecord, after: CaseRecord) -> None:
        if not _stdlog.isEnabledFor(logging.INFO):
            return
        for event in prepared.events:
            if event.transitions:
                _log.info("case.transition", case=event.stream, triggers=list(event.transitions),
                          source=before.state, dest=after.state, actor=event.actor,
                          on=event.on.isoformat(), command=event.command)

    # -- posts (组织调整) --------------------------------------------------------------

    def holdings(self) -> Holdings:
        """Every post's holders over time: the population's secretaries and the ledger's
        appointments, removals and dismissals (see `rectify.posts`)."""
        if self._initial is None:
            self._initial = Initial(self.population)
        store = self.store
        # The mark and the records come from one state of the ledger; the holdings are kept
        # for this store, its upcasters and that mark (a record added or rolled back since
        # moves it).
        upcasters = getattr(store, "upcasters", None)
        with store.snapshot():
            mark = store.records_mark()
            kept = self._holdings_kept
            if kept is not None and kept[0] is store and kept[1] is upcasters \
                    and kept[2] == mark:
                return kept[3]
            holdings = Holdings.of(self._initial, store.records())
        self._holdings_kept = (store, upcasters, mark, holdings)
        return holdings

    def _population_in_post(self) -> Population:
        """The population with each secretary post's latest holder (after appointments and
        dismissals), for snapshots such as the coverage graph."""
        holdings = self.holdings()
        latest = {post.org: holdings.who_held(post, date.max)
                  for post in holdings.changed_posts() if post.role == SECRETARY}
        if not latest:
            return self.population
        return Population([attrs.evolve(o, secretary=latest[o.code]) if o.code in latest else o
                           for o in self.population])

    def holder(self, org: str, role: str = SECRETARY, *, on: date) -> str | None:
        """Who holds the post ``role`` at ``org`` on ``on`` (``None``: vacant)."""
        return self.holdings().holder(org, role, on=on)

    def who_held(self, post: Post, on: date) -> str | None:
        """Who held ``post`` on ``on`` (``None``: vacant)."""
        return self.holdings().who_held(post, on)

    def appoint(self, org: str, person: str, *, role: str = SECRETARY, actor: Actor,
                on: date, reason: str = "", command_id: str | None = None) -> Post:
        """Appoint ``person`` to the post ``role`` at ``org`` from ``on`` (组织调整: 任命).

        A holder still in the post leaves it on that date.  Refused
        (`rectify.errors.CommandRefused`) for an unknown organization or post,
        a person the campaign does not know, or someone already holding the
        post; a refusal records nothing.  The case of the organization goes on
        under the new holder.
        """
        return self._post_event("appoint", org, person, role, actor, on, reason, command_id)

    def vacate(self, org: str, *, role: str = SECRETARY, actor: Actor, on: date,
               reason: str = "", command_id: str | None = None) -> Post:
        """Remove the holder of the post ``role`` at ``org`` from ``on`` (免职、调离).

        Refused (`rectify.errors.CommandRefused`) for an unknown organization or
        post, or a post that is vacant on ``on``.
        """
        return self._post_event("vacate", org, None, role, actor, on, reason, command_id)

    def _post_event(self, command: str, org: str, person: str | None, role: str,
                    actor: Actor, on: date, reason: str, command_id: str | None) -> Post:
        who = self._actor(actor, command, None)
        if calendar_problems(on):
            raise CommandRefused(org_stream(org), "-", command, calendar_problems(on))
        command_id = command_id or content_id(command, org_stream(org),
                                              {"person": person, "role": role,
                                               "reason": reason},
                                              actor=who.id, on=on,
                                              policy=self.policy.fingerprint())
        post = Post(org, role)
        stream = org_stream(org)
        with self.store.transaction():
            if self.store.has_command(command_id):
                return post
            holdings = self.holdings()
            current = holdings.who_held(post, on)
            unmet: list[str] = []
            if org not in self.population:
                unmet.append(f"organization {org!r} is not in the population")
            if role not in POST_ROLES:
                unmet.append(f"post {role!r} (expected one of {', '.join(POST_ROLES)})")
            if person is not None:
                if self.people and person not in self.people:
                    unmet.append(f"{person} is not one of the campaign's people")
                if current == person:
                    unmet.append(f"{person} already holds the post {role} of {org}")
            elif current is None:
                unmet.append(f"the post {role} of {org} is vacant on {on}")
            if unmet:
                raise CommandRefused(stream, "-", command, unmet)
            version = self.store.version(stream)
            base: dict[str, Any] = {
                "stream": stream, "version": version + 1, "actor": who.id, "on": on,
                "policy": self.policy.fingerprint(), "command": command_id, "org": org,
                "role": role, "reason": reason}
            event: Event = (PostAppointed(person=person, previous=current, **base)
                            if person is not None
                            else PostVacated(person=current or "", **base))
            self._commit([Append(stream, version, (event,), command_id)])
        return post

    def _lazy_holdings(self) -> Callable[[], Holdings]:
        """The holdings, read from the store on first use only (most commands name nobody)."""
        cache: list[Holdings] = []

        def get() -> Holdings:
            if not cache:
                cache.append(self.holdings())
            return cache[0]
        return get

    def _standing(self, person: str, on: date, holdings: Holdings) -> list[str]:
        """Why ``person`` may not be named on ``on``: unknown, or no longer in their post."""
        if self.people and person not in self.people and not holdings.ever_held(person):
            return [f"{person} is not one of the campaign's people"]
        return self._former(person, on, holdings)

    @staticmethod
    def _former(person: str, on: date, holdings: Holdings) -> list[str]:
        """Why ``person`` may not be named on ``on`` because they lost their post."""
        lost = holdings.lost_post(person, on)
        if lost:
            posts = ", ".join(f"{p.role} of {p.org}" for p in lost)
            return [f"{person} no longer holds the post ({posts}) on {on}"]
        return []

    def _unit(self, person: str) -> str | None:
        known = self.people.get(person)
        return known.unit if known is not None else None

    def _recorder(self, record: CaseRecord) -> str | None:
        """Who recorded the latest verification of ``record`` (one read of its history)."""
        if record.passed is None:
            return None
        if record.verified_by is not None:
            return record.verified_by
        found: str | None = None
        for event in self.store.read(record.id):
            if isinstance(event, VerificationRecorded):
                found = event.actor
        return found

    def _stations(self, person: str) -> int:
        """Open cases ``person`` is stationed at as first secretary (from the store)."""
        return self.store.load(person, "first_secretary")


    # -- one policy per ledger ----------------------------------------------------

    def change_policy(self, new_policy: Policy, *, actor: Actor, on: date, reason: str,
                      command_id: str | None = None) -> Campaign:
        """Adopt ``new_policy`` for the ledger on purpose (政策调整); returns a campaign under it.

        A ledger is recorded under one policy at a time: its first writer's,
        until a change like this one records a `rectify.events.PolicyChanged`
        event (on the ledger's stream `rectify.events.POLICY_STREAM`, naming
        both fingerprints, the actor, the date and the reason).  From then on
        commands under the old policy are refused with
        `rectify.errors.PolicyConflict`; reading under either stays possible.
        This campaign keeps its policy: use the one returned.

        The right is the organization department's (``org_department``, see
        `rectify.lifecycle.permissions.LEDGER_RIGHTS`), checked under this
        campaign's policy.  Raises `rectify.errors.PermissionDenied`, and
        `rectify.errors.CommandRefused` for a blank reason, an empty ledger (its
        first command records its policy) or a policy the ledger already keeps.
        A ``command_id`` already recorded is an idempotent retry.
        """
        who = self._actor(actor, "change_policy", None)
        fingerprint = new_policy.fingerprint()
        command = command_id or content_id("change_policy", POLICY_STREAM,
                                           {"policy": fingerprint, "reason": reason},
                                           actor=who.id, on=on, policy=fingerprint)
        with self.store.transaction():
            if self.store.has_command(command):
                return self._under(new_policy)
            current = self.store.current_policy()
            unmet = []
            if not reason.strip():
                unmet.append("a reason for the policy change is required (--reason)")
            if current is None:
                unmet.append("the ledger is empty: its first command records the policy it "
                             "runs under, no change is needed")
            elif current == fingerprint:
                unmet.append(f"the ledger is already kept under this policy ({fingerprint[:12]})")
            if unmet or current is None:
                raise CommandRefused(POLICY_STREAM, (current or "-")[:12], "change_policy",
                                     unmet)
            version = self.store.version(POLICY_STREAM)
            event = PolicyChanged(stream=POLICY_STREAM, version=version + 1, actor=who.id,
                                  on=on, policy=fingerprint, command=command,
                                  previous=current, name=new_policy.meta.name, reason=reason)
            self.store.append([Append(POLICY_STREAM, version, (event,), command)])
        return self._under(new_policy)

    def _under(self, policy: Policy) -> Campaign:
        """This campaign's store, population and people under ``policy``."""
        return Campaign(policy, self.store, population=self.population,
                        people=self.people.values(), engine=self._engine)

    def _check_policy(self) -> None:
        """Refuse to record under another policy than the ledger's (call inside the write
        transaction, where no one else can change it)."""
        current = self.store.current_policy()
        fingerprint = self.policy.fingerprint()
        if current is None or current == fingerprint:
            return
        raise PolicyConflict(current, fingerprint, ledger_name=self.policy_name(current),
                             name=self.policy.meta.name)

    def policy_name(self, fingerprint: str) -> str:
        """The name of the policy with ``fingerprint``: from the ledger's change that adopted
        it, or a bundled preset's; '' when unknown."""
        for event in self.store.read(POLICY_STREAM):
            if isinstance(event, PolicyChanged) and event.policy == fingerprint:
                return event.name
        from rectify.policy import load_policy, preset_names

        for preset in preset_names():
            if load_policy(preset).fingerprint() == fingerprint:
                return preset
        return ""


    # -- scopes -----------------------------------------------------------------------

    def _scope_of(self, org: str) -> str:
        """The scope of organization ``org`` (``""`` when unknown or unscoped)."""
        found = self.population.get(org)
        return found.scope if found is not None else ""

    def _check_scope(self, person: Person, command: str, orgs: Iterable[str]) -> None:
        """Refuse ``command`` when a scoped ``person`` would act on organizations outside
        its scope."""
        if not person.scope:
            return
        outside = sorted({(self._scope_of(org) or "(none)", org) for org in orgs
                          if not in_scope(self._scope_of(org), person.scope)})
        if outside:
            shown = ", ".join(f"{org} ({scope})" for scope, org in outside[:5])
            more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
            raise PermissionDenied(person.id, command, scope_denial(person.scope, [
                scope for scope, _ in outside]) + f": {shown}{more}")


class _DayLookups:
    """What the rules ask of the posts on one day, each answer worked out once.

    ``holdings`` is read on first use; the answers hold while the posts do not change
    (one command, or a batch of case commands, which appoint and vacate no one).
    """

    def __init__(self, campaign: Campaign, on: date, holdings: Callable[[], Holdings]) -> None:
        self.holdings = holdings
        self._campaign = campaign
        self._on = on
        self._context: Context | None = None
        self._secretaries: dict[str, str | None] = {}
        self._standing: dict[str, tuple[str, ...]] = {}
        self._former: dict[str, tuple[str, ...]] = {}
        #: Whether the day lies outside the calendar the ledger accepts.
        self.off_calendar = bool(calendar_problems(on))
        #: The campaign policy's fingerprint (every event of the day carries it).
        self.fingerprint = campaign.policy.fingerprint()
        self._windows: dict[int, tuple[date, date]] = {}
        self._rights: dict[str, Person | None] = {}
        self._rights_of: Actor | None = None
        self._recorders: dict[tuple[int, str | None], tuple[Context, Context]] = {}

    def with_recorder(self, context: Context, recorder: str | None) -> Context:
        """``context`` naming ``recorder`` as the verification's recorder (one per recorder
        and context: a batch of delistings names the same few)."""
        key = (id(context), recorder)
        found = self._recorders.get(key)
        if found is None or found[0] is not context:
            found = self._recorders[key] = (context, attrs.evolve(context, recorder=recorder))
        return found[1]

    def case_date_problems(self, record: CaseRecord) -> list[str]:
        """`rectify.lifecycle.dates.case_date_problems` of ``record`` on the day, the
        campaign year's window worked out once per year."""
        found = self._windows.get(record.year)
        if found is None:
            found = self._windows[record.year] = window(self._campaign.policy, record.year)
        on = self._on
        if found[0] <= on <= found[1] and on >= (record.last_on or record.opened_on):
            return []
        return case_date_problems(record, on, self._campaign.policy)

    def allowed(self, actor: Actor, command: str, record: CaseRecord) -> Person | None:
        """The acting person when `rectify.lifecycle.permissions.missing_right` is sure to
        allow ``command`` on ``record``; ``None`` when only `Campaign._actor` can tell.

        It is sure when the actor holds a role the policy lets issue the command on any
        case (scope ``any``) and the case lies within the actor's scope: then the case's
        organization and support do not matter.  Worked out once per command name for
        one actor (a batch's).
        """
        if actor is not self._rights_of:
            self._rights_of = actor
            self._rights = {}
        try:
            person = self._rights[command]
        except KeyError:
            person = self._rights[command] = self._anywhere(actor, command)
        if person is None or not in_scope(record.scope, person.scope):
            return None
        return person

    def _anywhere(self, actor: Actor, command: str) -> Person | None:
        """The person ``actor`` stands for when one of its roles grants ``command`` on
        every case (of its scope), else ``None`` (as `Campaign._actor` resolves them)."""
        c = self._campaign
        pid = actor.id if isinstance(actor, Person) else actor
        person = c.people.get(pid)
        if person is None and isinstance(actor, Person) and not c.people:
            person = actor
        if person is None:
            return None
        scopes = c.policy.permissions.scopes
        for role in allowed_roles(command, c.policy):
            if role in person.roles and scopes.get(role, "any") == "any":
                return person
        return None

    # Plain dictionaries rather than functools.cache: a command one at a time makes one
    # of these, and building three cache wrappers cost more than the lookups they saved.
    def secretary(self, org: str) -> str | None:
        """Who holds the secretary post of ``org`` on the day."""
        try:
            return self._secretaries[org]
        except KeyError:
            found = self._secretaries[org] = self.holdings().holder(org, SECRETARY, on=self._on)
            return found

    def standing(self, person: str) -> list[str]:
        """`Campaign._standing()` on the day (a fresh list)."""
        return self._reasons(self._standing, self._campaign._standing, person)

    def former(self, person: str) -> list[str]:
        """`Campaign._former()` on the day (a fresh list)."""
        return self._reasons(self._former, self._campaign._former, person)

    def _reasons(self, kept: dict[str, tuple[str, ...]],
                 why: Callable[[str, date, Holdings], list[str]], person: str) -> list[str]:
        found = kept.get(person)
        if found is None:
            found = kept[person] = tuple(why(person, self._on, self.holdings()))
        return list(found)

    def context(self, actor: str, loads: Callable[[str], int],
                stations: Callable[[str], int]) -> Context:
        """What a command of ``actor`` consults on the day (one object for a batch's commands)."""
        ctx = self._context
        if ctx is None or ctx.actor != actor or ctx.loads is not loads \
                or ctx.stations is not stations:
            c = self._campaign
            ctx = self._context = Context(c.policy, self._on, c.population, c.fire, loads,
                                          c._roles, self.standing, stations, actor, self.former,
                                          None, c._unit, self.secretary)
        return ctx


@attrs.define
class _Staged:
    """A batch checked against the store, and what the checks read from it."""

    mark: tuple[int, bytes]
    batch: list[Append] = attrs.field(factory=list)
    projected: list[CaseRecord | None] = attrs.field(factory=list)
    accepted: list[str] = attrs.field(factory=list)
    refused: dict[str, RectifyError] = attrs.field(factory=dict)
    repeated: list[str] = attrs.field(factory=list)
    #: The cases asked for, and the tokens of the stored records of those that existed
    #: (see `rectify.stores.base.ReadModels.case_tokens`; kept by a tentative check only).
    asked: list[str] = attrs.field(factory=list)
    tokens: dict[str, object] = attrs.field(factory=dict)
    #: Every command id of the batch, and those of them already recorded then.
    commands: list[str] = attrs.field(factory=list)
    recorded: set[str] = attrs.field(factory=set)
    loads: _Counts | None = None
    stations: _Counts | None = None
    #: The warnings of a tentative check, logged if it is kept.
    warnings: list[tuple[str, dict[str, Any]]] = attrs.field(factory=list)

    def still_holds(self, store: Store) -> bool:
        """Whether the store still answers every read the checks made as it did then."""
        if store.records_mark() != self.mark:
            return False
        # Tokens of the stored records, not versions: a rebuild of the read models changes
        # records without moving a version.
        if store.case_tokens(self.asked) != self.tokens:
            return False
        if store.recorded_commands(self.commands) != self.recorded:
            return False
        return (self.loads is None or self.loads.unchanged(store.loads)) and (
            self.stations is None or self.stations.unchanged(
                lambda people: store.loads(people, "first_secretary")))


class _Counts:
    """A count per person read for a whole batch (``found`` for those ``asked``; absent
    means 0), asking ``fallback`` for anyone else."""

    __slots__ = ("_asked", "_fallback", "_found")

    def __init__(self, asked: Iterable[str], found: dict[str, int],
                 fallback: Callable[[str], int]) -> None:
        self._asked = set(asked)
        self._found = found
        self._fallback = fallback

    def __call__(self, person: str) -> int:
        if person not in self._asked:
            self._found[person] = self._fallback(person)
            self._asked.add(person)
        return self._found.get(person, 0)

    def unchanged(self, read: Callable[[list[str]], dict[str, int]]) -> bool:
        """Whether ``read`` (a batch read of the counts) still gives every count asked."""
        asked = list(self._asked)
        now = read(asked)
        return all(now.get(p, 0) == self._found.get(p, 0) for p in asked)


def _check_as_of(on: date) -> None:
    """Refuse an as-of date outside the calendar the ledger accepts."""
    if calendar_problems(on):
        raise InvalidValueError("on", f"a date from {EARLIEST.isoformat()} to "
                                f"{LATEST.isoformat()}", on.isoformat(), "correct the date")


def _warn(gathered: list[tuple[str, dict[str, Any]]] | None, event: str,
          **fields: Any) -> None:
    """Log a warning, or add it to ``gathered`` to be logged once its check is kept."""
    if gathered is not None:
        gathered.append((event, fields))
    elif _stdlog.isEnabledFor(logging.WARNING):
        _log.warning(event, **fields)


def _actor_id(actor: Actor) -> str:
    """The id of an actor given as a `Person` or an id."""
    return actor.id if isinstance(actor, Person) else str(actor)


def _count_load(loads: Counter[str], before: CaseRecord, after: CaseRecord) -> None:
    """Count a staged change of a case's supporters into ``loads`` (open cases per person)."""
    if before.support is not after.support or before.is_open != after.is_open:
        old = before.supporters if before.is_open else frozenset()
        new = after.supporters if after.is_open else frozenset()
        for person in old - new:
            loads[person] -= 1
        for person in new - old:
            loads[person] += 1


def _count_stations(stationed: Counter[str], before: CaseRecord, after: CaseRecord) -> None:
    """Count a staged change of a case's first secretary into ``stationed``."""
    old = before.holder("first_secretary") if before.is_open else None
    new = after.holder("first_secretary") if after.is_open else None
    if old != new:
        if old is not None:
            stationed[old] -= 1
        if new is not None:
            stationed[new] += 1
