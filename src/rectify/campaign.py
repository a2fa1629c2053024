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
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

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
    RectifyError,
    UnknownCaseError,
)
from rectify.escalation import EscalationDecision, consequences, escalate
from rectify.events import (
    AppraisalRecorded,
    CaseCarriedOver,
    CaseOpened,
    Event,
    PostAppointed,
    PostVacated,
    SecretaryDismissed,
    SupportAssigned,
    TalkRecorded,
    VerificationRecorded,
)
from rectify.forest import Population
from rectify.identify import Identification
from rectify.lifecycle.case import CaseRecord, Plan, case_id, org_stream, person_stream
from rectify.lifecycle.commands import (
    AssignSupport,
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
from rectify.lifecycle.guards import Votes, support_reasons, team_reasons
from rectify.lifecycle.permissions import missing_right
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import default_machine, default_table
from rectify.model import Person
from rectify.policy import Policy
from rectify.posts import POST_ROLES, SECRETARY, Holdings, Initial, Post
from rectify.schedule import DueItem, due
from rectify.stores.base import Append, LedgerStore, ReadModels, Store
from rectify.stores.memory import MemoryStore

__all__ = ["Actor", "BulkResult", "Campaign", "OpenResult"]

_log = get_logger("rectify.campaign")
_stdlog = logging.getLogger("rectify.campaign")

ENGINES = ("table", "transitions")

#: Who issues a command: a `Person`, or the id of one of the campaign's people.
Actor = Person | str


def _new_id() -> str:
    """A random command id (os.urandom is several times cheaper than uuid4 here)."""
    return os.urandom(16).hex()


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
              limit: int | None = None) -> list[CaseRecord]:
        """Cases in id order, optionally filtered by year, state, openness, kind, township
        (of the organization, from the population) or being overdue on a date.

        ``after`` (a case id) and ``limit`` page through them: pass the last id
        of one page as ``after`` for the next.  Every filter runs in the store.
        """
        orgs = None if township is None else [
            o.code for o in self.population if o.township == township]
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
        """Talks, appraisals and dismissals of ``person``; restrictions active on ``on``."""
        return record_of(person, on, self.store.records(), self.policy)

    def due(self, on: date, within_days: int = 7) -> list[DueItem]:
        """What falls due on ``on``: cadence, case deadlines, first secretaries' reports."""
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
        return Coverage.of(self.population, cases, self.people.values(), units,
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

    def open_cases(self, identification: Identification, *, actor: Actor, on: date,
                   command_id: str | None = None) -> OpenResult:
        """Open a case (已认定) for every listed organization; existing ones are left alone.

        Organizations listed in consecutive years escalate as the policy says
        (see `rectify.escalation`): the escalation and the dismissals are
        recorded in the ledger.
        """
        person = self._actor(actor, "open_cases", None)
        command = command_id or _new_id()
        year = identification.year
        batch: list[Append] = []
        opened: list[str] = []
        existing: list[str] = []
        with self.store.transaction():
            for decision in identification.listed():
                cid = case_id(year, decision.org)
                if self.store.version(cid):
                    existing.append(cid)
                    continue
                event = CaseOpened(stream=cid, version=1, actor=person.id, on=on,
                                   policy=self.policy.fingerprint(), command=f"{command}:{cid}",
                                   org=decision.org, year=year, kind=decision.kind,
                                   rules=decision.rules, score=decision.score)
                batch.append(Append(cid, 0, (event,), event.command))
                opened.append(cid)
            appended = self._commit(batch)
            opened = [cid for cid, ok in zip(opened, appended, strict=True) if ok]
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
            prepared = self._prepare(command, before, actor, on, command_id or _new_id(),
                                     self.store.load)
            if prepared is None:
                return before
            self._commit([prepared])
        # The case after the command is its events projected onto the record read
        # under the lock: the store was not changed by anyone else meanwhile.
        after = before
        for event in prepared.events:
            after = apply_event(after, event, self._table)
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
        """Close a year: every case of it still open is carried over (结转). Returns their ids."""
        person = self._actor(actor, "close_year", None)
        command = command_id or _new_id()
        batch = []
        with self.store.transaction():
            for case in self.cases(year=year, open_only=True):
                event = CaseCarriedOver(stream=case.id, version=case.version + 1,
                                        actor=person.id, on=on,
                                        policy=self.policy.fingerprint(),
                                        command=f"{command}:{case.id}",
                                        transitions=("carry_over",))
                batch.append(Append(case.id, case.version, (event,), event.command))
            appended = self._commit(batch)
        return [a.stream for a, ok in zip(batch, appended, strict=True) if ok]

    def record_talk(self, person: str, kind: TalkKind | str, reason: str, *, actor: Actor,
                    on: date, case: str | None = None,
                    command_id: str | None = None) -> Talk:
        """Record an admonishment (约谈) or cautionary (诫勉) talk with ``person``."""
        talk = Talk(person, kind, on, reason)
        if not reason.strip():
            raise CommandRefused(person_stream(person), "-", "record_talk",
                                 ["a reason for the talk is required"])
        if case is not None:
            self.case(case)
        if not self.store.has_command(command_id or ""):
            unmet = self._standing(person, on, self.holdings())
            if unmet:
                raise CommandRefused(person_stream(person), "-", "record_talk", unmet)
        self._person_event(actor, "record_talk", person, on, command_id, TalkRecorded,
                           person=person, kind=talk.kind.value, reason=reason, case=case)
        return talk

    def record_appraisal(self, person: str, year: int, grade: AppraisalGrade | str, *,
                         actor: Actor, on: date,
                         command_id: str | None = None) -> AppraisalOutcome:
        """Record a secretary's appraisal grade (述职评议考核); returns what it entails."""
        appraisal = Appraisal(person, year, grade)
        self._person_event(actor, "record_appraisal", person, on, command_id,
                           AppraisalRecorded, person=person, year=year,
                           grade=appraisal.grade.value)
        return appraisal_outcome(appraisal, self.policy, on)

    def run_bulk(self, commands: Iterable[tuple[CaseCommand, str]], *, actor: Actor,
                 on: date) -> BulkResult:
        """Carry out many ``(command, command_id)`` pairs as one all-or-nothing batch.

        Each command is checked against the cases as the earlier ones leave
        them, exactly as issuing them one at a time in order would (the same
        guards, events and states), but every accepted event is recorded in
        one append.  Refused commands do not stop the batch: they come back in
        `BulkResult.refused`.  Nothing is recorded if the store refuses the
        batch (for example on a concurrent change); the cases are then as before.
        """
        batch: list[Append] = []
        accepted: list[str] = []
        refused: dict[str, RectifyError] = {}
        repeated: list[str] = []
        seen: set[str] = set()
        staged: dict[str, CaseRecord] = {}
        loads: Counter[str] = Counter()
        stationed: Counter[str] = Counter()
        holdings = self._lazy_holdings()
        with self.store.transaction():
            for command, command_id in commands:
                before = staged.get(command.case) or self.store.case(command.case)
                if before is None:  # an unknown case is refused first, as one at a time
                    refused[command_id] = UnknownCaseError(
                        command.case, "case ids read YEAR-ORGCODE; see cases()")
                    continue
                if command_id in seen:
                    repeated.append(command_id)
                    continue
                try:
                    prepared = self._prepare(
                        command, before, actor, on, command_id,
                        lambda p: self.store.load(p) + loads[p],
                        stations=lambda p: self._stations(p) + stationed[p],
                        holdings=holdings)
                except RectifyError as exc:
                    refused[command_id] = exc
                    continue
                seen.add(command_id)
                if prepared is None:
                    repeated.append(command_id)
                    continue
                # Stage the new state so later commands of the batch see it, as they would
                # one at a time.
                record = before
                for event in prepared.events:
                    record = apply_event(record, event, self._table)
                _count_load(loads, before, record)
                _count_stations(stationed, before, record)
                staged[command.case] = record
                batch.append(prepared)
                accepted.append(command_id)
            self._commit(batch)
        return BulkResult(tuple(accepted), refused, tuple(repeated))

    def prepare(self, command: CaseCommand, *, actor: Actor, on: date,
                command_id: str) -> Append | None:
        """Check a command and build its events without recording them.

        Returns ``None`` for a command id already recorded (an idempotent
        retry).  Raises `rectify.errors.PermissionDenied`,
        `rectify.errors.CommandRefused` or `rectify.errors.UnknownCaseError`.
        Call it inside `store.transaction()` so that nothing changes between the
        check and the append.
        """
        return self._prepare(command, self.case(command.case), actor, on, command_id,
                             self.store.load)

    def _prepare(self, command: CaseCommand, record: CaseRecord, actor: Actor, on: date,
                 command_id: str, loads: Callable[[str], int], *,
                 stations: Callable[[str], int] | None = None,
                 holdings: Callable[[], Holdings] | None = None) -> Append | None:
        if self.store.has_command(command_id):
            return None
        found = holdings or self._lazy_holdings()
        person = self._actor(actor, command.name, record, on, found)
        recorder = self._recorder(record) if isinstance(command, Delist) else None
        context = Context(self.policy, on, self.population, self.fire, loads, self._roles,
                          lambda p: self._standing(p, on, found()), stations or self._stations,
                          person.id, lambda p: self._former(p, on, found()), recorder,
                          self._unit)
        built = command.build(context, record)
        if isinstance(built, list):
            if _stdlog.isEnabledFor(logging.WARNING):
                _log.warning("command.refused", command=command.name, case=command.case,
                             state=record.state, actor=person.id, unmet=built)
            raise CommandRefused(command.case, record.state, command.name, built)
        event = built.event(stream=command.case, version=record.version + 1, actor=person.id,
                            on=on, policy=self.policy.fingerprint(), command=command_id,
                            transitions=built.triggers, **built.fields)
        return Append(command.case, record.version, (event,), command_id)

    # -- machinery ---------------------------------------------------------------

    def _roles(self, person: str) -> frozenset[str] | None:
        known = self.people.get(person)
        return frozenset(known.roles) if known is not None else None

    def _actor(self, actor: Actor, command: str, case: CaseRecord | None,
               on: date | None = None,
               holdings: Callable[[], Holdings] | None = None) -> Person:
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
            if _stdlog.isEnabledFor(logging.WARNING):
                _log.warning("command.denied", command=command, actor=person.id,
                             case=case.id if case else None, missing=missing)
            raise PermissionDenied(person.id, command, missing, case.id if case else None)
        return person

    def _escalate(self, year: int, actor: Person, on: date) -> list[EscalationDecision]:
        """Record the escalations and dismissals that ``year``'s listings call for."""
        listings = self.listings()
        if year not in listings:
            return []
        decisions = [d for d in escalate(self.population, listings, year, self.policy)
                     if d.escalates]
        versions: dict[str, int] = {}
        batch: list[Append] = []
        fingerprint = self.policy.fingerprint()
        holdings = self.holdings()
        for planned in consequences(decisions, year):
            step = planned
            if self.store.has_command(step.command):
                continue
            if step.event is SecretaryDismissed:
                # The post's holder on the date is dismissed, once: not whoever the
                # population names, and nobody already dismissed from this post.
                post = Post(str(step.fields["org"]), SECRETARY)
                holder = holdings.who_held(post, on)
                if holder is not None and holdings.was_dismissed(post, holder):
                    continue
                step = attrs.evolve(planned, fields={**planned.fields, "person": holder})
            current = versions.get(step.stream, self.store.version(step.stream))
            event = step.event(stream=step.stream, version=current + 1, actor=actor.id, on=on,
                               policy=fingerprint, command=step.command,
                               **step.fields)
            versions[step.stream] = current + 1
            batch.append(Append(step.stream, current, (event,), step.command))
        self._commit(batch)
        return decisions

    def _person_event(self, actor: Actor, command: str, subject: str, on: date,
                      command_id: str | None, build: type[Event], **fields: Any) -> None:
        who = self._actor(actor, command, None)
        command_id = command_id or _new_id()
        with self.store.transaction():
            if self.store.has_command(command_id):
                return
            stream = person_stream(subject)
            version = self.store.version(stream)
            event = build(stream=stream, version=version + 1, actor=who.id, on=on,
                          policy=self.policy.fingerprint(), command=command_id, **fields)
            self._commit([Append(stream, version, (event,), command_id)])

    def _commit(self, batch: Sequence[Append]) -> list[bool]:
        if not batch:
            return []
        return self.store.append(batch)

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
        return Holdings.of(self._initial, self.store.records())

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
        command_id = command_id or _new_id()
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
        found: str | None = None
        for event in self.store.read(record.id):
            if isinstance(event, VerificationRecorded):
                found = event.actor
        return found

    def _stations(self, person: str) -> int:
        """Open cases ``person`` is stationed at as first secretary (from the store)."""
        return self.store.load(person, "first_secretary")


def _count_load(loads: Counter[str], before: CaseRecord, after: CaseRecord) -> None:
    """Count a staged change of a case's supporters into ``loads`` (open cases per person)."""
    if before.support is not after.support or before.is_open != after.is_open:
        if before.is_open:
            loads.subtract(before.supporters)
        if after.is_open:
            loads.update(after.supporters)


def _count_stations(stationed: Counter[str], before: CaseRecord, after: CaseRecord) -> None:
    """Count a staged change of a case's first secretary into ``stationed``."""
    old = before.holder("first_secretary") if before.is_open else None
    new = after.holder("first_secretary") if after.is_open else None
    if old != new:
        if old is not None:
            stationed[old] -= 1
        if new is not None:
            stationed[new] += 1
