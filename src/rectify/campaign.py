"""The facade: a campaign of cases driven by commands and recorded as events.

>>> from datetime import date
>>> from rectify import Campaign, Person, load_policy
>>> from rectify.identify import identify
>>> from rectify.sample import sample_assessments, sample_people, sample_population
>>> population = sample_population()
>>> campaign = Campaign(load_policy(), population=population, people=sample_people())
>>> result = identify(population, sample_assessments(), campaign.policy, 2017)
>>> dept = Person("OD-1", "组织部干部", roles={"org_department"})
>>> opened = campaign.open_cases(result, actor=dept, on=date(2017, 2, 1))
>>> len(opened.opened), campaign.case("2017-V01-03").state
(23, 'identified')
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import attrs

from rectify import _builders
from rectify import _campaign_people as _people
from rectify._campaign_people import AccountabilityRecord
from rectify._logging import get_logger
from rectify.accountability import AppraisalGrade, AppraisalOutcome, Talk, TalkKind
from rectify.case import CaseRecord, Plan, apply_event, case_id
from rectify.errors import CommandRefused, PermissionDenied, UnknownCaseError
from rectify.events import CaseCarriedOver, CaseOpened, Event
from rectify.forest import Population
from rectify.guards import Votes
from rectify.identify import Identification
from rectify.model import Person
from rectify.permissions import missing_right
from rectify.policy import Policy
from rectify.schedule import DueItem
from rectify.stores.base import Append, LedgerStore
from rectify.stores.memory import MemoryStore
from rectify.workflow import WORKFLOW, build_machine, compile_table

__all__ = ["Campaign", "OpenResult"]

_log = get_logger("rectify.campaign")
_stdlog = logging.getLogger("rectify.campaign")


def _new_id() -> str:
    """A random command id (os.urandom is several times cheaper than uuid4 here)."""
    return os.urandom(16).hex()

Actor = Person | str


@attrs.frozen
class OpenResult:
    """What :meth:`Campaign.open_cases` did: cases opened, cases that already existed."""

    opened: tuple[str, ...]
    existing: tuple[str, ...]
    escalations: tuple[Any, ...] = ()


class _Holder:
    """The small mutable object the shared ``transitions`` machine moves."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Campaign:
    """Cases of one policy over a population, with their ledger.

    ``store`` defaults to a fresh :class:`~rectify.stores.MemoryStore`; the
    campaign replays whatever the store already holds.  ``people`` lets
    commands name actors by id.  ``engine`` chooses how workflow triggers are
    resolved: ``"table"`` (the transition table compiled from the
    ``transitions`` machine, fast) or ``"transitions"`` (the machine itself);
    both give the same results.
    """

    def __init__(self, policy: Policy, store: LedgerStore | None = None, *,
                 population: Population, people: Iterable[Person] = (),
                 engine: str = "table") -> None:
        if engine not in ("table", "transitions"):
            raise ValueError(f"engine: expected 'table' or 'transitions', got {engine!r}")
        self.policy = policy
        self.store: LedgerStore = store if store is not None else MemoryStore()
        self.population = population
        self.people = {p.id: p for p in people}
        self._machine = build_machine(WORKFLOW)
        self._table = compile_table(self._machine)
        self._engine = engine
        self._cases: dict[str, CaseRecord] = {}
        self._listings: dict[int, set[str]] = {}
        self._records: list[Event] = []
        self._reports: set[tuple[str, str, str]] = set()
        self._policies: set[str] = set()
        self._loads: Counter[str] = Counter()
        for event in self.store.replay():
            self._apply(event)

    # -- queries ---------------------------------------------------------------

    def case(self, case: str) -> CaseRecord:
        """The case with this id (``"2017-V01-03"``)."""
        try:
            return self._cases[case]
        except KeyError:
            raise UnknownCaseError(case, "case ids read YEAR-ORGCODE; see cases()") from None

    def case_for(self, org: str, year: int) -> CaseRecord:
        """The case of ``org`` in ``year``."""
        return self.case(case_id(year, org))

    def cases(self, *, year: int | None = None, state: str | None = None,
              open_only: bool = False) -> list[CaseRecord]:
        """Cases in id order, optionally filtered by year, state or openness."""
        return [c for _, c in sorted(self._cases.items())
                if (year is None or c.year == year) and (state is None or c.state == state)
                and (not open_only or c.is_open)]

    def history(self, case: str) -> list[Event]:
        """Every event of a case, oldest first."""
        self.case(case)
        return list(self.store.read(case))

    def listings(self) -> dict[int, frozenset[str]]:
        """Organizations listed per year (from the cases opened)."""
        return {year: frozenset(orgs) for year, orgs in sorted(self._listings.items())}

    def records(self) -> list[Event]:
        """Accountability events: escalations, dismissals, talks, appraisals."""
        return list(self._records)

    def policies_seen(self) -> frozenset[str]:
        """Fingerprints of every policy under which the ledger's events were recorded."""
        return frozenset(self._policies)

    def reports_filed(self) -> frozenset[tuple[str, str, str]]:
        """``(case, kind, month)`` of every report recorded."""
        return frozenset(self._reports)

    def fire(self, state: str, trigger: str) -> str | None:
        """The state ``trigger`` leads to from ``state``, or ``None`` if it is not allowed."""
        if self._engine == "table":
            return self._table.get((state, trigger))
        holder = _Holder(state)
        from transitions import MachineError

        try:
            self._machine.events[trigger].trigger(holder)
        except (MachineError, KeyError, ValueError):
            # Unknown trigger (KeyError), unknown state (ValueError) or not allowed here.
            return None
        return holder.state

    # -- commands ----------------------------------------------------------------

    def open_cases(self, identification: Identification, *, actor: Actor, on: date,
                   command_id: str | None = None) -> OpenResult:
        """Open a case (已认定) for every listed organization; existing ones are left alone.

        Organizations listed in consecutive years escalate as the policy says
        (see :mod:`rectify.escalation`): the escalation and the dismissals are
        recorded in the ledger.
        """
        person = self._actor(actor, "open_cases", None)
        command = command_id or _new_id()
        year = identification.year
        batch: list[Append] = []
        opened: list[str] = []
        existing: list[str] = []
        for decision in identification.listed():
            cid = case_id(year, decision.org)
            if cid in self._cases or self.store.version(cid):
                existing.append(cid)
                continue
            event = CaseOpened(stream=cid, version=1, actor=person.id, on=on,
                               policy=self.policy.fingerprint(), command=f"{command}:{cid}",
                               org=decision.org, year=year, kind=decision.kind,
                               rules=decision.rules, score=decision.score)
            batch.append(Append(cid, 0, (event,), event.command))
            opened.append(cid)
        from rectify._escalate import escalation_appends

        appended = self._commit(batch)
        opened = [cid for cid, ok in zip(opened, appended, strict=True) if ok]
        escalations, extra = escalation_appends(self, year, person, on, command)
        self._commit(extra)
        return OpenResult(tuple(opened), tuple(existing), tuple(escalations))

    def file_plan(self, case: str, plan: Plan, *, actor: Actor, on: date,
                  command_id: str | None = None) -> CaseRecord:
        """File the individual plan (报备整顿方案); a vague plan is refused with every gap."""
        return self._run("file_plan", case, actor, on, command_id, plan=plan)

    def return_plan(self, case: str, reason: str, *, actor: Actor, on: date,
                    command_id: str | None = None) -> CaseRecord:
        """Send a filed plan back for rework (退回方案)."""
        return self._run("return_plan", case, actor, on, command_id, reason=reason)

    def assign_support(self, case: str, level: str, person: str, *, actor: Actor, on: date,
                       command_id: str | None = None) -> CaseRecord:
        """Assign a support level (包扶) to a person or unit."""
        return self._run("assign_support", case, actor, on, command_id, level=level,
                         person=person)

    def release_support(self, case: str, level: str, *, actor: Actor, on: date,
                        command_id: str | None = None) -> CaseRecord:
        """Release a support level."""
        return self._run("release_support", case, actor, on, command_id, level=level)

    def record_report(self, case: str, kind: str, month: str, *, actor: Actor, on: date,
                      resolved: Sequence[str] = (), note: str = "",
                      command_id: str | None = None) -> CaseRecord:
        """Record a first secretary's work plan or duty ledger, or a progress report."""
        return self._run("record_report", case, actor, on, command_id, kind=kind, month=month,
                         resolved=tuple(resolved), note=note)

    def request_verification(self, case: str, *, actor: Actor, on: date,
                             command_id: str | None = None) -> CaseRecord:
        """Ask for verification (申请考核验收) once every problem is resolved."""
        return self._run("request_verification", case, actor, on, command_id)

    def record_verification(self, case: str, score: float, votes: Votes,
                            team: Sequence[str], *, actor: Actor, on: date,
                            command_id: str | None = None) -> CaseRecord:
        """Record a verification (考核验收); failing sends the case back with a new deadline."""
        return self._run("record_verification", case, actor, on, command_id, score=score,
                         votes=votes, team=tuple(team))

    def delist(self, case: str, *, actor: Actor, on: date,
               command_id: str | None = None) -> CaseRecord:
        """Delist (销号) after a passing, independent verification."""
        return self._run("delist", case, actor, on, command_id)

    def reopen(self, case: str, reason: str, *, actor: Actor, on: date,
               command_id: str | None = None) -> CaseRecord:
        """Reopen a delisted case for a relapse found in follow-up (回头看)."""
        return self._run("reopen", case, actor, on, command_id, reason=reason)

    def close_year(self, year: int, *, actor: Actor, on: date,
                   command_id: str | None = None) -> list[str]:
        """Close a year: every case of it still open is carried over (结转). Returns their ids."""
        person = self._actor(actor, "close_year", None)
        command = command_id or _new_id()
        batch = []
        for case in self.cases(year=year, open_only=True):
            event = CaseCarriedOver(stream=case.id, version=case.version + 1, actor=person.id,
                                    on=on, policy=self.policy.fingerprint(),
                                    command=f"{command}:{case.id}", transitions=("carry_over",))
            batch.append(Append(case.id, case.version, (event,), event.command))
        appended = self._commit(batch)
        return [a.stream for a, ok in zip(batch, appended, strict=True) if ok]

    def record_talk(self, person: str, kind: TalkKind | str, reason: str, *, actor: Actor,
                    on: date, case: str | None = None,
                    command_id: str | None = None) -> Talk:
        """Record an admonishment (约谈) or cautionary (诫勉) talk with ``person``."""
        return _people.record_talk(self, person, kind, reason, actor=actor, on=on, case=case,
                                   command_id=command_id)

    def record_appraisal(self, person: str, year: int, grade: AppraisalGrade | str, *,
                         actor: Actor, on: date,
                         command_id: str | None = None) -> AppraisalOutcome:
        """Record a secretary's appraisal grade (述职评议考核); returns what it entails."""
        return _people.record_appraisal(self, person, year, grade, actor=actor, on=on,
                                        command_id=command_id)

    def accountability(self, person: str, on: date) -> AccountabilityRecord:
        """Talks, appraisals and dismissals of ``person``; restrictions active on ``on``."""
        return _people.accountability(self, person, on)

    def due(self, on: date, within_days: int = 7) -> list[DueItem]:
        """What falls due on ``on``: cadence, case deadlines, first secretaries' reports."""
        return _people.due(self, on, within_days)

    def overdue(self, on: date) -> list[DueItem]:
        """Only what is overdue on ``on``."""
        return [item for item in self.due(on) if item.overdue]

    # -- machinery ---------------------------------------------------------------

    def _actor(self, actor: Actor, command: str, case: CaseRecord | None) -> Person:
        person = actor if isinstance(actor, Person) else self.people.get(actor)
        if person is None:
            raise PermissionDenied(str(actor), command, "unknown actor: pass a Person or the id "
                                   "of one of the campaign's people", case.id if case else None)
        missing = missing_right(person, command, case, self.population, self.policy)
        if missing is not None:
            if _stdlog.isEnabledFor(logging.WARNING):
                _log.warning("command.denied", command=command, actor=person.id,
                             case=case.id if case else None, missing=missing)
            raise PermissionDenied(person.id, command, missing, case.id if case else None)
        return person

    def load(self, person: str) -> int:
        """How many open cases ``person`` supports."""
        return self._loads.get(person, 0)

    def _support_reasons(self, case: CaseRecord, level: str, person: str) -> list[str]:
        from rectify._coverage_guards import support_reasons

        known = self.people.get(person)
        cov = self.policy.coverage
        others = self.load(person) - (1 if person in case.supporters and case.is_open else 0)
        return support_reasons(case, level, person, self.population, load=others,
                               max_cases_per_person=cov.max_cases_per_person,
                               roles=known.roles if known is not None else None,
                               level_roles=cov.level_roles if known is not None else None)

    def _team_reasons(self, case: CaseRecord, team: tuple[str, ...]) -> list[str]:
        from rectify._coverage_guards import verification_conflicts

        return verification_conflicts(self, case.id, team)

    def _count_load(self, before: CaseRecord | None, after: CaseRecord) -> None:
        """Keep each supporter's count of open cases in step with a case's change."""
        if before is None or before.support is not after.support \
                or before.is_open != after.is_open:
            if before is not None and before.is_open:
                self._loads.subtract(before.supporters)
            if after.is_open:
                self._loads.update(after.supporters)

    def _conflicts(self, case: CaseRecord) -> frozenset[str]:
        """Secretaries of the case's organization and of its parents: never its verifiers."""
        org = self.population.get(case.org)
        if org is None:
            return frozenset()
        chain = (org, *self.population.ancestors(org.code))
        return frozenset(o.secretary for o in chain if o.secretary)

    def prepare(self, command: str, case: str, actor: Actor, on: date, command_id: str,
                **args: Any) -> Append | None:
        """Check a command and build its events without recording them.

        Returns ``None`` for a command id already recorded (an idempotent
        retry).  Raises :class:`~rectify.errors.PermissionDenied` or
        :class:`~rectify.errors.CommandRefused`.  Used by the commands and by
        :mod:`rectify.bulk`.
        """
        record = self.case(case)
        if self.store.has_command(command_id):
            return None
        person = self._actor(actor, command, record)
        ctx = _builders.Context(self.policy, on, self.fire, self._conflicts,
                                self._support_reasons, self._team_reasons)
        built = _builders.BUILDERS[command](ctx, record, **args)
        if isinstance(built, list):
            if _stdlog.isEnabledFor(logging.WARNING):
                _log.warning("command.refused", command=command, case=case,
                             state=record.state, actor=person.id, unmet=built)
            raise CommandRefused(case, record.state, command, built)
        event = built.event(stream=case, version=record.version + 1, actor=person.id, on=on,
                            policy=self.policy.fingerprint(), command=command_id,
                            transitions=built.triggers, **built.fields)
        return Append(case, record.version, (event,), command_id)

    def _run(self, command: str, case: str, actor: Actor, on: date, command_id: str | None,
             **args: Any) -> CaseRecord:
        prepared = self.prepare(command, case, actor, on, command_id or _new_id(),
                                **args)
        if prepared is not None:
            self._commit([prepared])
        return self._cases[case]

    def _commit(self, batch: Sequence[Append]) -> list[bool]:
        if not batch:
            return []
        appended = self.store.append(batch)
        for item, ok in zip(batch, appended, strict=True):
            if ok:
                for event in item.events:
                    self._apply(event)
        return appended

    def _apply(self, event: Event) -> None:
        self._policies.add(event.policy)
        if event.stream.startswith(("person:", "org:")):
            self._records.append(event)
            return
        before = self._cases.get(event.stream)
        after = apply_event(before, event, self._table)
        self._cases[event.stream] = after
        self._count_load(before, after)
        if isinstance(event, CaseOpened):
            self._listings.setdefault(event.year, set()).add(event.org)
        kind = getattr(event, "kind", None)
        if kind in _builders.REPORT_KINDS:
            self._reports.add((event.stream, str(kind), str(getattr(event, "month", ""))))
        if event.transitions and _stdlog.isEnabledFor(logging.INFO):
            _log.info("case.transition", case=event.stream, triggers=list(event.transitions),
                      source=before.state if before else None, dest=after.state,
                      actor=event.actor, on=event.on.isoformat(), command=event.command)


