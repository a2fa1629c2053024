"""A hypothesis state machine that drives a `Campaign` as officials would.

`CampaignMachine` opens cases year after year from generated
assessments and issues every case command (complete and vague plans, support
assignments that provoke independence conflicts, reports, passing and failing
verifications, delisting, reopening, closing years) from actors with and
without the right to issue them.  After every step it checks the ledger
against an independent reference:

- a refused command (`CommandRefused` or
  `PermissionDenied`) changed nothing;
- every recorded event moved its case along an edge of the workflow definition,
  and its actor held the right to issue the command (`missing_right()`);
- no case was delisted without a passing verification whose team shares no one
  with the supporters at delisting time; a case is sent back for re-rectification
  only by a failed verification;
- escalations and dismissals are exactly those the policy asks for: a secretary
  is dismissed only for an organization listed in at least
  ``policy.escalation.consecutive_years`` consecutive years, a parent's
  secretary only for the direct parent of a second-tier branch;
- at most one case per organization and year;
- replaying the store into a fresh campaign gives the same cases.

Use it with your own policy::

    from rectify import load_policy
    from rectify.testing.machine import machine_for

    TestMyCounty = machine_for(load_policy("my-county.toml")).TestCase

Two organizations of the built-in forest (`ALWAYS_LISTED`, a direct
village and a second-tier branch) score 0 every year, so every run reaches the
escalation and its cascade; the teardown drives one case through every state
and asserts that they were all reached.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from rectify.campaign import Campaign
from rectify.errors import CommandRefused, PermissionDenied
from rectify.events import (
    SupportAssigned,
)
from rectify.forest import Population
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord, Plan, case_id
from rectify.lifecycle.commands import REPORT_KINDS
from rectify.lifecycle.guards import Votes
from rectify.lifecycle.permissions import missing_right
from rectify.lifecycle.workflow import WORKFLOW
from rectify.model import Assessment, Person
from rectify.policy import Policy, load_policy
from rectify.stores.memory import MemoryStore
from rectify.testing.county import (
    _CLEAN_VERIFIER,
    _VERIFIERS_TO_BE,
    ALWAYS_LISTED,
    campaign_forest,
    campaign_people,
)
from rectify.testing.invariants import (
    date_order_problems,
    dismissals_once_per_holder,
    ladder_problems,
    named_while_in_post,
    panels_complete,
    stations_within_cap,
    unfinished_case_continues,
)
from rectify.testing.ledger_rules import (
    COMMAND_OF,
    LedgerFacts,
    check_ledger,
    policy_breaches,
    scope_breaches,
)
from rectify.testing.strategies import plans, verification_results

__all__ = [
    "ALWAYS_LISTED",
    "COMMAND_OF",
    "CampaignMachine",
    "LedgerFacts",
    "campaign_forest",
    "campaign_people",
    "check_ledger",
    "machine_for",
]



#: Scores the other organizations draw from: grade boundaries and ties (cheap to generate).
_SCORES = (1.0, 45.0, 59.5, 60.0, 60.0, 69.5, 70.0, 75.0, 79.5, 80.0, 85.0, 89.5, 90.0, 100.0)



def _event(text: str) -> None:
    """Count ``text`` in hypothesis' statistics (a no-op outside a hypothesis test)."""
    with contextlib.suppress(InvalidArgument):
        event(text)


def _note(text: str) -> None:
    """Show ``text`` with a failing example (a no-op outside a hypothesis test)."""
    with contextlib.suppress(InvalidArgument):
        note(text)




















class CampaignMachine(RuleBasedStateMachine):
    """Drives one campaign of `policy` over `population`; see the module docs.

    Subclass with other class attributes, or call `machine_for()`.
    """

    policy: ClassVar[Policy] = load_policy()
    engine: ClassVar[str] = "table"
    population: ClassVar[Population] = campaign_forest()
    first_year: ClassVar[int] = 2017
    #: Years the random steps may open; the teardown adds what escalation needs.
    extra_years: ClassVar[int] = 2

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        self.people = {p.id: p for p in campaign_people(cls.population, cls.policy)}
        self.everyone = sorted(self.people.values(), key=lambda p: p.id)
        self.store = MemoryStore()
        self.campaign = Campaign(cls.policy, self.store, population=cls.population,
                                 people=self.everyone, engine=cls.engine)
        self.years: list[int] = []
        self.today = date(cls.first_year, 2, 1)
        self.counter = 0
        self.reached: set[str] = set()
        #: Set by the teardown, so that statistics count what the random steps reached.
        self.quiet = False

    # -- helpers -----------------------------------------------------------------

    def _has(self, *states: str) -> bool:
        return any(c.state in states for c in self.campaign.cases())

    def _count(self, text: str) -> None:
        if not self.quiet:
            _event(text)

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def _tick(self, data: st.DataObject) -> None:
        year = self.years[-1] if self.years else self.first_year
        days = data.draw(st.integers(0, 20), label="days pass")
        self.today = min(self.today + timedelta(days=days), date(year, 12, 20))

    def _pick(self, data: st.DataObject, states: Iterable[str]) -> CaseRecord:
        cases = self.campaign.cases()
        wanted = set(states)
        natural = [c for c in cases if c.state in wanted]
        prefer: int = data.draw(st.integers(0, 4), label="natural")
        pool = natural if natural and prefer else cases
        case = pool[data.draw(st.integers(0, len(pool) - 1), label="case")]
        _note(f"case {case.id} in {case.state}")
        return case

    def _actor(self, data: st.DataObject, command: str, case: CaseRecord | None) -> Person:
        proper = [p for p in self.everyone if self._missing(p, command, case) is None]
        prefer: int = data.draw(st.integers(0, 4), label="proper")
        pool = proper if proper and prefer else self.everyone
        person = pool[data.draw(st.integers(0, len(pool) - 1), label="actor")]
        _note(f"actor {person.id} {sorted(person.roles)}")
        return person

    def _missing(self, actor: Person, command: str, case: CaseRecord | None) -> str | None:
        """`missing_right()` with the secretaries holding their posts today."""
        holdings = self.campaign.holdings()
        return missing_right(actor, command, case, self.population, self.policy,
                             secretary=lambda org: holdings.holder(org, on=self.today))

    def _conflicts(self, case: CaseRecord) -> set[str]:
        return set(self.population.chain_secretaries(case.org))

    def _may_support(self, case: CaseRecord, level: str, person: str) -> bool:  # noqa: PLR0911
        """Whether ``person`` may take ``level`` on ``case``: roles, conflicts, load cap."""
        if level not in self.policy.support.levels or not case.is_open:
            return False
        if person in case.verifiers:
            return False
        if person in self._conflicts(case) and case.holder(level) != person:
            return False
        coverage = self.policy.coverage
        role = coverage.level_roles.get(level)
        known = self.people.get(person)
        if known is not None and role is not None and role not in known.roles:
            return False
        if self.campaign.holdings().lost_post(person, self.today):
            return False  # a dismissed secretary is named nowhere
        others = [c for c in self.campaign.cases(open_only=True) if c.id != case.id]
        if level == "first_secretary" and case.holder(level) != person and sum(
                1 for c in others if c.holder(level) == person) \
                >= coverage.max_stations_per_first_secretary:
            return False
        load = sum(1 for c in others if person in c.supporters)
        return person in case.supporters or load < coverage.max_cases_per_person

    def _ever_supported(self, case: CaseRecord) -> set[str]:
        return {e.person for e in self.campaign.history(case.id)
                if isinstance(e, SupportAssigned)}

    def _complete(self, case: CaseRecord, support: Mapping[str, str]) -> bool:
        return all(level in support for level in self.policy.support.required.get(case.kind, ()))

    def _attempt(self, command: str, case: CaseRecord | None, actor: Person,
                 call: Callable[[], object], expected: bool | None,
                 then: str | None = None) -> bool:
        """Issue a command; check the outcome and that a refusal changed nothing.

        ``expected`` says whether the command must be accepted (``None``: not
        predicted) provided the actor has the right; ``then`` is the state the
        case must be in afterwards.
        """
        size = len(self.store)
        before = self.campaign.cases()
        records = self.campaign.records()
        missing = self._missing(actor, command, case)
        outcome = "accepted"
        error: Exception | None = None
        try:
            call()
        except PermissionDenied as exc:
            outcome, error = "denied", exc
        except CommandRefused as exc:
            outcome, error = "refused", exc
        if outcome == "denied":
            assert missing is not None, f"{actor.id} holds the right to {command}: {error}"
        else:
            assert missing is None, f"{command} by {actor.id} was {outcome} although the " \
                f"actor lacks the right ({missing}): {error}"
        if outcome == "refused":
            assert expected is not True, f"{command} should have been accepted: {error}"
        if outcome == "accepted":
            assert expected is not False, f"{command} on {case} should have been refused"
        self._count(f"{command}: {outcome}")
        _note(f"{command}: {outcome}")
        if outcome != "accepted":
            assert len(self.store) == size, f"refused {command} appended events"
            assert self.campaign.cases() == before, f"refused {command} changed a case"
            assert self.campaign.records() == records
            return False
        if case is not None:
            assert len(self.store) == size + 1, f"{command} appended {len(self.store) - size}"
            after = self.campaign.case(case.id)
            self.reached.add(after.state)
            self._count(f"state reached: {after.state}")
            assert after.version == case.version + 1
            last = self.store.read(case.id)
            assert list(last)[-1].actor == actor.id
            if then is not None:
                assert after.state == then, f"{command}: {case.state} -> {after.state}, " \
                    f"expected {then}"
        return True

    def _assessments(self, data: st.DataObject | None, year: int) -> list[Assessment]:
        orgs = self.population.organizations
        if data is None:
            totals = [100.0] * len(orgs)
        else:
            totals = data.draw(st.lists(st.sampled_from(_SCORES), min_size=len(orgs),
                                        max_size=len(orgs)), label="scores")
        return [Assessment(o.code, year, 0.0 if o.code in ALWAYS_LISTED else total)
                for o, total in zip(orgs, totals, strict=True)]

    def _open_year(self, data: st.DataObject | None, year: int) -> None:
        result = identify(self.population, self._assessments(data, year), self.policy, year)
        listed = set(result.listed_codes)
        assert set(ALWAYS_LISTED) <= listed, \
            f"the policy must list {ALWAYS_LISTED} (score 0) to steer the machine; got {listed}"
        if data is not None and data.draw(st.booleans(), label="someone else opens"):
            someone = self._actor(data, "open_cases", None)
            self._attempt("open_cases", None, someone, lambda: self.campaign.open_cases(
                result, actor=someone, on=date(year, 2, 1)), None)
        if year not in self.years:
            self.years.append(year)
        self.today = max(self.today, date(year, 2, 1))
        opened = self.campaign.open_cases(result, actor=self.people["OD-1"], on=self.today,
                                          command_id=self._id(f"open-{year}"))
        _note(f"{year}: opened {opened.opened}, existing {opened.existing}")
        assert {self.campaign.case(c).org for c in (*opened.opened, *opened.existing)} == listed

    def _close(self, year: int, actor: Person, on: date) -> None:
        def close() -> None:
            closed = self.campaign.close_year(year, actor=actor, on=on,
                                              command_id=self._id("close"))
            for message in unfinished_case_continues(self.campaign, year, closed):
                raise AssertionError(message)
        self._attempt("close_year", None, actor, close, True)
        if self._missing(actor, "close_year", None) is None:
            assert not [c for c in self.campaign.cases(open_only=True)
                        if c.current_year == year]

    # -- rules -------------------------------------------------------------------

    @initialize(data=st.data())
    def first_identification(self, data: st.DataObject) -> None:
        """Identify the first year and open its cases."""
        self._open_year(data, self.first_year)

    @precondition(lambda self: len(self.years) <= self.extra_years)
    @rule(data=st.data())
    def next_year(self, data: st.DataObject) -> None:
        """Close the current year (carrying open cases over) and open the next."""
        year = self.years[-1]
        self._close(year, self._actor(data, "close_year", None), date(year, 12, 31))
        self._close(year, self.people["OD-1"], date(year, 12, 31))
        self._open_year(data, year + 1)

    @rule(data=st.data())
    def appoint(self, data: st.DataObject) -> None:
        """Appoint a successor, or anyone, to an organization's secretary post (组织调整)."""
        self._tick(data)
        orgs = [o.code for o in self.population]
        org = data.draw(st.sampled_from(orgs), label="post")
        pool = [p.id for p in self.everyone if "secretary" in p.roles]
        person = data.draw(st.sampled_from(pool), label="appointee")
        actor = self._actor(data, "appoint", None)
        current = self.campaign.holder(org, on=self.today)
        self._attempt("appoint", None, actor, lambda: self.campaign.appoint(
            org, person, actor=actor, on=self.today, command_id=self._id("appoint")),
            current != person)
        if self._missing(actor, "appoint", None) is None:
            assert self.campaign.holder(org, on=self.today) == person

    @rule(data=st.data())
    def identify_again(self, data: st.DataObject) -> None:
        """Run the current year's identification again: existing cases stay as they are."""
        self._open_year(data, self.years[-1])

    @rule(data=st.data())
    def close_year(self, data: st.DataObject) -> None:
        """Close any year opened so far, possibly by someone without the right."""
        year = data.draw(st.sampled_from(self.years), label="year")
        self._tick(data)
        self._close(year, self._actor(data, "close_year", None), self.today)

    @rule(data=st.data())
    def file_plan(self, data: st.DataObject) -> None:
        """File a complete or a vague plan."""
        case = self._pick(data, {"identified"})
        self._tick(data)
        complete = data.draw(st.integers(0, 3), label="complete") > 0
        plan = data.draw(plans(self.policy, self.today, complete=complete), label="plan")
        actor = self._actor(data, "file_plan", case)
        ok = case.state == "identified" and complete
        then = "supported" if self._complete(case, dict(case.support)) else "planned"
        self._attempt("file_plan", case, actor, lambda: self.campaign.file_plan(
            case.id, plan, actor=actor, on=self.today, command_id=self._id("plan")), ok, then)

    @precondition(lambda self: self._has("planned"))
    @rule(data=st.data())
    def return_plan(self, data: st.DataObject) -> None:
        """Send a plan back (a blank reason is refused)."""
        case = self._pick(data, {"planned"})
        reason = data.draw(st.sampled_from(["方案笼统, 措施不具体", " "]), label="reason")
        actor = self._actor(data, "return_plan", case)
        ok = case.state == "planned" and bool(reason.strip())
        self._attempt("return_plan", case, actor, lambda: self.campaign.return_plan(
            case.id, reason, actor=actor, on=self.today, command_id=self._id("return")),
            ok, "identified")

    @rule(data=st.data())
    def assign_support(self, data: st.DataObject) -> None:
        """Assign a support level, sometimes to a verifier-to-be or a secretary of the chain."""
        case = self._pick(data, {"identified", "planned", "supported"})
        levels = list(self.policy.support.levels)
        required = [lv for lv in self.policy.support.required.get(case.kind, ())
                    if case.holder(lv) is None]
        level = data.draw(st.sampled_from(required or levels) | st.sampled_from(
            [*levels, "no_such_level"]), label="level")
        holders = sorted(p.id for p in self.everyone if level in p.roles)
        odd = sorted({*_VERIFIERS_TO_BE, *self._conflicts(case), *case.verifiers})
        person = data.draw(st.sampled_from(holders or odd) | st.sampled_from(odd),
                           label="person")
        actor = self._actor(data, "assign_support", case)
        ok = self._may_support(case, level, person)
        support = {**dict(case.support), level: person}
        then = "supported" if case.state == "planned" and self._complete(case, support) \
            else case.state
        self._attempt("assign_support", case, actor, lambda: self.campaign.assign_support(
            case.id, level, person, actor=actor, on=self.today,
            command_id=self._id("assign")), ok, then)

    @rule(data=st.data())
    def release_support(self, data: st.DataObject) -> None:
        """Release a support level (assigned or not)."""
        case = self._pick(data, {"planned", "supported"})
        held = [lv for lv, _ in case.support]
        levels = list(self.policy.support.levels)
        level = data.draw(st.sampled_from(held or levels) | st.sampled_from(levels),
                          label="level")
        actor = self._actor(data, "release_support", case)
        self._attempt("release_support", case, actor, lambda: self.campaign.release_support(
            case.id, level, actor=actor, on=self.today, command_id=self._id("release")),
            case.holder(level) is not None and case.is_open, case.state)

    @rule(data=st.data())
    def record_report(self, data: st.DataObject) -> None:
        """Record a report, usually resolving some problems of the plan."""
        case = self._pick(data, {"supported", "planned"})
        self._tick(data)
        unresolved = list(case.unresolved)
        resolved = data.draw(st.lists(st.sampled_from(unresolved), unique=True)
                             if unresolved else st.just([]), label="resolved")
        if data.draw(st.integers(0, 9), label="stray") == 0:
            resolved.append("no_such_problem")
        kind = data.draw(st.sampled_from([*REPORT_KINDS, "gossip"]), label="kind")
        month = f"{self.today.year}-{self.today.month:02d}"
        if data.draw(st.integers(0, 9), label="bad month") == 0:
            month = f"{self.today.year}-13"
        actor = self._actor(data, "record_report", case)
        ok = (case.is_open and kind in REPORT_KINDS and not month.endswith("13")
              and set(resolved) <= set(case.problems))
        self._attempt("record_report", case, actor, lambda: self.campaign.record_report(
            case.id, kind, month, actor=actor, on=self.today, resolved=resolved,
            command_id=self._id("report")), ok, case.state)

    @precondition(lambda self: self._has("supported"))
    @rule(data=st.data())
    def request_verification(self, data: st.DataObject) -> None:
        """Ask for verification (refused unless problems are resolved and support complete)."""
        case = self._pick(data, {"supported"})
        actor = self._actor(data, "request_verification", case)
        ok = (case.state == "supported" and bool(case.problems) and not case.unresolved
              and self._complete(case, dict(case.support)))
        self._attempt("request_verification", case, actor,
                      lambda: self.campaign.request_verification(
                          case.id, actor=actor, on=self.today, command_id=self._id("request")),
                      ok, "verifying")

    @precondition(lambda self: self._has("verifying"))
    @rule(data=st.data())
    def record_verification(self, data: st.DataObject) -> None:
        """Record a passing or failing verification by an independent or conflicting team."""
        case = self._pick(data, {"verifying"})
        self._tick(data)
        passing = data.draw(st.booleans(), label="passing")
        score, votes = data.draw(verification_results(self.policy, passing), label="result")
        malformed = data.draw(st.integers(0, 14), label="malformed") == 0
        if malformed:
            votes = data.draw(st.sampled_from([Votes(0, 0, 0), Votes(
                self.policy.verification.panel_size + 1, 0, 0)]), label="bad votes")
        verifiers = sorted(p.id for p in self.everyone if "verifier" in p.roles)
        barred = case.supporters | self._conflicts(case) | self._ever_supported(case)
        clean = [v for v in verifiers if v not in barred]
        conflicting = sorted(barred)
        team = data.draw(st.lists(st.sampled_from(clean), min_size=1, unique=True)
                         if clean else st.just([]), label="team")
        if conflicting and data.draw(st.integers(0, 3), label="conflict") == 0:
            team.append(data.draw(st.sampled_from(conflicting), label="conflicting member"))
            self._count("verification team with a supporter or secretary")
        if data.draw(st.integers(0, 19), label="empty team") == 0:
            team = []
        actor = self._actor(data, "record_verification", case)
        independent = bool(team) and not set(team) & barred and (
            actor.id in team or actor.id not in barred)
        ok = case.state == "verifying" and independent and not malformed
        then = "accepted" if passing else "supported"
        accepted = self._attempt(
            "record_verification", case, actor, lambda: self.campaign.record_verification(
                case.id, score, votes, team, actor=actor, on=self.today,
                command_id=self._id("verify")), ok, then)
        if accepted:
            record = self.campaign.case(case.id)
            assert record.passed is passing
            assert record.attempts == case.attempts + 1
            assert record.verifiers == tuple(team)

    @precondition(lambda self: self._has("accepted"))
    @rule(data=st.data())
    def delist(self, data: st.DataObject) -> None:
        """Delist (refused unless the latest verification passed)."""
        case = self._pick(data, {"accepted"})
        self._tick(data)
        actor = self._actor(data, "delist", case)
        self._attempt("delist", case, actor, lambda: self.campaign.delist(
            case.id, actor=actor, on=self.today, command_id=self._id("delist")),
            case.state == "accepted", "delisted")

    @precondition(lambda self: self._has("delisted"))
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        """Reopen a delisted case (refused after the follow-up period or without a reason)."""
        case = self._pick(data, {"delisted"})
        self._tick(data)
        reason = data.draw(st.sampled_from(["回头看发现问题反弹", ""]), label="reason")
        actor = self._actor(data, "reopen", case)
        ok: bool | None = case.state == "delisted" and bool(reason.strip())
        if ok and case.delisted_on is not None:
            days = (self.today - case.delisted_on).days
            months = self.policy.plan.follow_up_months
            if days > months * 31:
                ok = False
            elif days > months * 28:
                ok = None  # near the end of the follow-up period: not predicted
        self._attempt("reopen", case, actor, lambda: self.campaign.reopen(
            case.id, reason, actor=actor, on=self.today, command_id=self._id("reopen")),
            ok, "supported")

    @rule(data=st.data())
    def rectify_fully(self, data: st.DataObject) -> None:
        """Drive one case as far as it goes: plan, support, reports, verification, delisting."""
        case = self._pick(data, {"identified", "planned", "supported", "verifying"})
        self._drive(case.id, fail_first=data.draw(st.booleans(), label="fail first"),
                    steps=data.draw(st.integers(1, 24), label="steps"),
                    leave_verification=data.draw(st.booleans(), label="leave verification"))

    def _drive(self, cid: str, *, fail_first: bool, steps: int = 24,
               leave_verification: bool = False) -> None:
        """Take case ``cid`` towards delisting with correct commands, at most ``steps`` of them.

        With ``fail_first`` the first verification fails and the case goes round
        again; with ``leave_verification`` the drive stops at ``verifying`` and
        leaves the verification to the rule that provokes conflicts.
        """
        failed = not fail_first
        for _ in range(steps):
            case = self.campaign.case(cid)
            if case.state == "verifying" and leave_verification:
                return
            if case.state == "verifying":
                self._drive_verification(case, passing=failed)
                failed = True
            elif not self._drive_step(case):
                return

    def _drive_step(self, case: CaseRecord) -> bool:
        """Issue the next correct command for ``case``; ``False`` when there is none."""
        od = self.people["OD-1"]
        cid, state, on = case.id, case.state, self.today
        call: Callable[[], object] | None = None
        then: str | None = None
        if state == "identified":
            plan = Plan([(a, f"{a}: 问题") for a in sorted(self.policy.aspects)[:2]],
                        ["措施"], ["责任人"], on + timedelta(days=30))
            command, then = "file_plan", ("supported" if self._complete(
                case, dict(case.support)) else "planned")
            call = functools.partial(self.campaign.file_plan, cid, plan, actor=od, on=on,
                                     command_id=self._id("plan"))
        elif state in ("planned", "supported") and not self._complete(case, dict(case.support)):
            level = next(lv for lv in self.policy.support.required[case.kind]
                         if case.holder(lv) is None)
            person = next((p.id for p in self.everyone
                           if level in p.roles and self._may_support(case, level, p.id)), None)
            command = "assign_support"
            if person is not None:  # else everyone who could take it is at the load cap
                call = functools.partial(self.campaign.assign_support, cid, level, person,
                                         actor=od, on=on, command_id=self._id("assign"))
        elif state == "supported" and case.unresolved:
            command, then = "record_report", state
            call = functools.partial(self.campaign.record_report, cid, "progress", f"{on:%Y-%m}",
                                     resolved=case.unresolved, actor=od, on=on,
                                     command_id=self._id("report"))
        elif state == "supported":
            command, then = "request_verification", "verifying"
            call = functools.partial(self.campaign.request_verification, cid, actor=od, on=on,
                                     command_id=self._id("request"))
        elif state == "accepted":
            command, then = "delist", "delisted"
            call = functools.partial(self.campaign.delist, cid, actor=od, on=on,
                                     command_id=self._id("delist"))
        if call is None:
            return False
        return self._attempt(command, case, od, call, True, then)

    def _drive_verification(self, case: CaseRecord, *, passing: bool) -> None:
        verifier = self.people[_CLEAN_VERIFIER]
        panel = self.policy.verification.panel_size
        call = functools.partial(self.campaign.record_verification, case.id,
                                 100.0 if passing else 0.0, Votes(panel, 0, 0), [verifier.id],
                                 actor=verifier, on=self.today, command_id=self._id("verify"))
        self._attempt("record_verification", case, verifier, call, True,
                      "accepted" if passing else "supported")

    # -- invariants --------------------------------------------------------------

    @invariant()
    def ledger_keeps_the_rules(self) -> None:
        """Every rule of the module docs holds over the whole ledger."""
        facts = check_ledger(self.store.replay(), self.population, self.policy, self.people)
        assert not ladder_problems(self.policy), ladder_problems(self.policy)
        assert facts.cases == {c.id: c for c in self.campaign.cases()}
        assert facts.listings == {y: set(orgs) for y, orgs in self.campaign.listings().items()}
        states = {c.state for c in self.campaign.cases()}
        self.reached |= states
        for state in sorted(states):
            self._count(f"state reached: {state}")
        if facts.escalations:
            self._count("escalation reached during the steps")
        if any(role == "parent_secretary" for _, _, role, _ in facts.dismissals):
            self._count("cascade reached during the steps")

    @invariant()
    def dates_run_forward(self) -> None:
        """Every stream's events are in date order and within the policy's date window."""
        problems = date_order_problems(self.store.replay(), self.policy)
        assert not problems, problems

    def posts_panels_and_stations(self) -> None:
        """Dismissals once per holder, nobody named after losing a post, whole panels, one
        station per first secretary (`rectify.testing.invariants`)."""
        events = list(self.store.replay())
        problems = (dismissals_once_per_holder(events, self.population)
                    + named_while_in_post(events, self.population)
                    + panels_complete(events, self.policy)
                    + stations_within_cap(events, self.policy))
        assert not problems, "; ".join(problems)

    @invariant()
    def replay_gives_the_same_cases(self) -> None:
        """A fresh campaign over the same store has the same cases and records."""
        fresh = Campaign(self.policy, self.store, population=self.population,
                         people=self.everyone, engine=self.engine)
        assert fresh.cases() == self.campaign.cases()
        assert fresh.records() == self.campaign.records()
        assert fresh.listings() == self.campaign.listings()
        assert fresh.reports_filed() == self.campaign.reports_filed()

    @invariant()
    def one_policy_per_ledger(self) -> None:
        """Every event carries the ledger's policy, and the store names it."""
        assert not policy_breaches(self.store.replay(), self.store.current_policy())

    @invariant()
    def no_change_outside_scope(self) -> None:
        """No case was changed by an actor of another scope."""
        assert not scope_breaches(self.store.replay(), self.people)

    def teardown(self) -> None:
        """Finish the campaign so that escalation, its cascade and every state are reached.

        Opens one more year (and as many as the policy's escalation needs),
        drives a fresh case of an always-listed organization through a failed
        and a passing verification to delisting, closes the year and reopens
        the delisted case; then checks the invariants and asserts the paths
        were reached.
        """
        if not self.years:  # the initialize step itself failed
            return
        self.quiet = True
        self._finish()

    def _finish(self) -> None:
        limit = self.policy.escalation.consecutive_years
        while True:
            year = self.years[-1]
            self._close(year, self.people["OD-1"], date(year, 12, 31))
            self._open_year(None, year + 1)
            if len(self.years) >= limit:
                break
        year = self.years[-1]
        # V01's case this year: a fresh one, or its unfinished case going on into the year.
        going_on = [c.id for c in self.campaign.cases()
                    if c.org == "V01" and c.year < year <= (c.continued_into or 0)]
        fresh = self.campaign.store.case(case_id(year, "V01")) is not None
        driven = case_id(year, "V01") if fresh or not going_on else going_on[-1]
        going_on = [] if fresh else going_on
        self._drive(driven, fail_first=True)
        self.reached |= {c.state for c in self.campaign.cases()}
        self._close(year, self.people["OD-1"], date(year, 12, 31))
        self.reached |= {c.state for c in self.campaign.cases()}
        record = self.campaign.case(driven)
        assert record.state == "delisted"
        assert record.attempts == 2 or going_on
        self.today = date(year, 12, 31)
        case = self.campaign.case(driven)
        self._attempt("reopen", case, self.people["OD-1"], lambda: self.campaign.reopen(
            driven, "回头看发现反弹", actor="OD-1", on=self.today,
            command_id=self._id("reopen")), True, "supported")
        self.ledger_keeps_the_rules()
        self.dates_run_forward()
        self.replay_gives_the_same_cases()
        if "carried_over" not in self.reached:
            # Under carry_over = "continue" a case is carried over only into its
            # organization's case of the next year, opened before the year was closed.
            self._open_year(None, year + 1)
            self._close(year, self.people["OD-1"], self.today)
            self.reached |= {c.state for c in self.campaign.cases()}
            assert self.campaign.case(driven).state == "carried_over"
            self.ledger_keeps_the_rules()
            self.replay_gives_the_same_cases()
        missing = {s.name for s in WORKFLOW.states} - self.reached
        assert not missing, f"states never reached: {sorted(missing)}"
        facts = check_ledger(self.store.replay(), self.population, self.policy, self.people)
        for org in ALWAYS_LISTED:
            assert (org, year) in facts.escalations, f"{org} did not escalate in {year}"
        if self.policy.escalation.dismiss_secretary:
            roles = {role for _, _, role, _ in facts.dismissals}
            assert "secretary" in roles
            if self.policy.escalation.cascade_to_parent:
                # T1 loses its secretary of the day: by the cascade, or by its own
                # escalation when its case went on into the year too (once per holder).
                assert any(org == "T1" and ((role == "parent_secretary"
                                             and cause.endswith("-T1-01"))
                                            or (role == "secretary" and cause.endswith("-T1")))
                           for org, _, role, cause in facts.dismissals)


def machine_for(policy: Policy, *, engine: str = "table",
                population: Population | None = None) -> type[CampaignMachine]:
    """A `CampaignMachine` subclass for ``policy`` (and ``engine``, ``population``).

    A custom ``population`` must contain the codes of `ALWAYS_LISTED`,
    with ``T1-01`` a second-tier branch under ``T1``, and kinds ``policy`` knows.
    """
    attributes: dict[str, Any] = {"policy": policy, "engine": engine}
    if population is not None:
        attributes["population"] = population
    name = f"CampaignMachine_{policy.meta.name.replace('-', '_')}_{engine}"
    return type(name, (CampaignMachine,), attributes)
