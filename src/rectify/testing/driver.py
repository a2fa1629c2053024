"""Running a `CampaignExample` through a real `rectify.Campaign`, deterministically.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import attrs

from rectify.campaign import Campaign
from rectify.errors import RectifyError
from rectify.events import (
    Event,
)
from rectify.forest import Population
from rectify.identify import identify
from rectify.lifecycle.case import Plan
from rectify.lifecycle.guards import Votes
from rectify.model import Person
from rectify.policy import Policy
from rectify.stores.memory import MemoryStore
from rectify.testing.county import campaign_people
from rectify.testing.examples import CampaignExample, Step

__all__ = [
    "CampaignRun",
    "run_campaign",
]


@attrs.frozen
class CampaignRun:
    """The outcome of `run_campaign()`: the campaign, its store and what happened.

    ``snapshots`` holds the ledger's entry hashes after each year (to check
    that the ledger only grows); ``trace`` says, per step, what was done or
    refused.
    """

    policy: Policy
    example: CampaignExample
    population: Population
    people: tuple[Person, ...]
    store: MemoryStore
    campaign: Campaign
    snapshots: tuple[tuple[bytes, ...], ...]
    trace: tuple[str, ...]

    @property
    def events(self) -> list[Event]:
        """Every event of the ledger, in order."""
        return list(self.store.replay())


def _hashes(store: MemoryStore) -> tuple[bytes, ...]:
    return tuple(e.hash for e in store.entries())


def run_campaign(policy: Policy, example: CampaignExample) -> CampaignRun:
    """Run ``example`` under ``policy`` on a fresh in-memory store, deterministically.

    Each year: identify, open the cases (``OD-1`` of
    `campaign_people()`), apply the year's
    steps with correct commands, close the year.  A refused command is
    recorded in the trace, not raised: invariants judge the ledger.
    """
    population = example.population
    people = tuple(campaign_people(population, policy))
    store = MemoryStore()
    campaign = Campaign(policy, store, population=population, people=list(people))
    driver = _Driver(policy, campaign, people)
    snapshots: list[tuple[bytes, ...]] = []
    for year in example.years:
        result = identify(population, [a for a in example.assessments if a.year == year],
                          policy, year)
        driver.today = date(year, 2, 1)
        campaign.open_cases(result, actor="OD-1", on=driver.today, command_id=f"open-{year}")
        for step in example.steps:
            if step.year == year:
                driver.step(step)
        campaign.close_year(year, actor="OD-1", on=date(year, 12, 31),
                            command_id=f"close-{year}")
        snapshots.append(_hashes(store))
    return CampaignRun(policy, example, population, people, store, campaign,
                       tuple(snapshots), tuple(driver.trace))


class _Driver:
    """Issues correct commands for a step, as an organization department would."""

    def __init__(self, policy: Policy, campaign: Campaign, people: Sequence[Person]) -> None:
        self.policy = policy
        self.campaign = campaign
        self.people = people
        self.today = date(2017, 2, 1)
        self.counter = 0
        self.trace: list[str] = []

    def _id(self) -> str:
        self.counter += 1
        return f"step-{self.counter}"

    def _do(self, what: str, call: Callable[[], object]) -> bool:
        self.today = min(self.today + timedelta(days=3), date(self.today.year, 12, 20))
        try:
            call()
        except RectifyError as exc:
            self.trace.append(f"{what}: refused ({str(exc).splitlines()[0]})")
            return False
        self.trace.append(f"{what}: done")
        return True

    def step(self, step: Step) -> None:
        try:
            case = self.campaign.case_for(step.org, step.year)
        except RectifyError:
            self.trace.append(f"{step.year} {step.action} {step.org}: no case, skipped")
            return
        cid = case.id
        if step.action == "plan_only":
            self._plan(cid)
            return
        if step.action in ("fail", "fail_then_pass"):
            self._to_verification(cid)
            self._verify(cid, passing=False)
            if step.action == "fail":
                return
        if not self._to_verification(cid) or not self._verify(cid, passing=True):
            return
        od = "OD-1"
        if self._do(f"delist {cid}", lambda: self.campaign.delist(
                cid, actor=od, on=self.today, command_id=self._id())) \
                and step.action == "reopen":
            self._do(f"reopen {cid}", lambda: self.campaign.reopen(
                cid, "回头看发现问题反弹", actor=od, on=self.today, command_id=self._id()))

    def _plan(self, cid: str) -> bool:
        if self.campaign.case(cid).state != "identified":
            return True
        plan = Plan([(a, f"{a}: 问题") for a in sorted(self.policy.aspects)[:2]], ["措施"],
                    ["责任人"], self.today + timedelta(days=30))
        return self._do(f"file_plan {cid}", lambda: self.campaign.file_plan(
            cid, plan, actor="OD-1", on=self.today, command_id=self._id()))

    def _to_verification(self, cid: str) -> bool:
        if not self._plan(cid):
            return False
        case = self.campaign.case(cid)
        roles = self.policy.coverage.level_roles
        for level in self.policy.support.required.get(case.kind, ()):
            if self.campaign.case(cid).holder(level) is not None:
                continue
            role = roles.get(level, level)
            chain = self._chain(case.org)
            candidates = [p.id for p in self.people
                          if (role in p.roles or level in p.roles) and p.id not in chain
                          and p.id != "VER-3"]
            candidates.sort(key=self.campaign.load)
            if not candidates or not self._do(
                    f"assign_support {cid} {level} {candidates[0]}",
                    functools.partial(self.campaign.assign_support, cid, level, candidates[0],
                                      actor="OD-1", on=self.today, command_id=self._id())):
                return False
        case = self.campaign.case(cid)
        if case.unresolved and not self._do(f"record_report {cid}", lambda: (
                self.campaign.record_report(cid, "progress", f"{self.today:%Y-%m}",
                                            resolved=list(case.unresolved), actor="OD-1",
                                            on=self.today, command_id=self._id()))):
            return False
        if self.campaign.case(cid).state == "verifying":
            return True
        return self._do(f"request_verification {cid}", lambda: (
            self.campaign.request_verification(cid, actor="OD-1", on=self.today,
                                               command_id=self._id())))

    def _chain(self, org: str) -> set[str]:
        population = self.campaign.population
        if population is None:
            return set()
        o = population[org]
        return {x.secretary for x in (o, *population.ancestors(org)) if x.secretary}

    def _verify(self, cid: str, *, passing: bool) -> bool:
        panel = max(self.policy.verification.panel_size, 1)
        votes = Votes(panel, 0, 0) if passing else Votes(0, 0, panel)
        score = 100.0 if passing else 0.0
        return self._do(f"record_verification {cid} {'pass' if passing else 'fail'}", lambda: (
            self.campaign.record_verification(cid, score, votes, ["VER-3"], actor="VER-3",
                                              on=self.today, command_id=self._id())))
