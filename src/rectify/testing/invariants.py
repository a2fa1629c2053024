"""A catalogue of named invariants (不变量) that a policy is expected to keep.

Each `Invariant` has a name, an English and a Chinese description, a
scope and a check function that returns the violation messages (an empty
list when it holds):

- scope ``"identification"`` checks an `IdentificationExample`
  (a population, its assessments for one year);
- scopes ``"campaign"`` and ``"ledger"`` check a `CampaignRun`, the
  result of running a `CampaignExample` (a population, assessments for
  one or more years, a sequence of commands) on the in-memory store.

`CATALOGUE` holds the built-in invariants; `register()` adds your
own (or replaces one of the same name), `get()` and `select()` look
them up.  The examples and the driver that runs them are plain data and code
without hypothesis, so that a saved counterexample can be replayed anywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Literal

import attrs

from rectify.campaign import Campaign
from rectify.errors import RectifyError
from rectify.events import (
    CaseDelisted,
    CaseOpened,
    CaseReopened,
    Event,
    SecretaryDismissed,
    SupportAssigned,
    SupportReleased,
    VerificationRecorded,
)
from rectify.forest import Population
from rectify.identify import identify
from rectify.lifecycle.case import Plan
from rectify.lifecycle.guards import Votes
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier
from rectify.policy import Policy
from rectify.stores.chain import verify
from rectify.stores.memory import MemoryStore

__all__ = [
    "ACTIONS",
    "CATALOGUE",
    "CampaignExample",
    "CampaignRun",
    "IdentificationExample",
    "Invariant",
    "Scope",
    "Step",
    "get",
    "names",
    "register",
    "run_campaign",
    "select",
]

Scope = Literal["identification", "campaign", "ledger"]

#: What a `Step` does with an organization's case in a year.
ACTIONS: tuple[str, ...] = ("pass", "fail", "fail_then_pass", "plan_only", "reopen")

#: The number of consecutive listings the domain requires before a dismissal (连续两年).
DOMAIN_CONSECUTIVE_YEARS = 2


# -- examples ------------------------------------------------------------------------------


def _org_json(o: Organization) -> dict[str, Any]:
    return {"code": o.code, "name": o.name, "kind": o.kind, "tier": o.tier.value,
            "form": o.form.value, "parent": o.parent, "secretary": o.secretary}


def _org_from(d: Mapping[str, Any]) -> Organization:
    return Organization(d["code"], d["name"], d["kind"], Tier(d["tier"]), OrgForm(d["form"]),
                        parent=d.get("parent"), secretary=d.get("secretary"))


def _assessment_json(a: Assessment) -> dict[str, Any]:
    d: dict[str, Any] = {"org": a.org, "year": a.year, "total": a.total}
    if a.grade is not None:
        d["grade"] = a.grade.value
    if a.facts:
        d["facts"] = dict(a.facts)
    return d


def _assessment_from(d: Mapping[str, Any]) -> Assessment:
    grade = Grade(d["grade"]) if d.get("grade") is not None else None
    return Assessment(d["org"], int(d["year"]), float(d["total"]), grade,
                      facts=dict(d.get("facts", {})))


@attrs.frozen
class IdentificationExample:
    """A population and its assessments for `year`: the input of an identification."""

    organizations: tuple[Organization, ...]
    assessments: tuple[Assessment, ...]
    year: int = 2017

    @property
    def population(self) -> Population:
        """The organizations as a `Population`."""
        return Population(list(self.organizations))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; `from_json()` reads it back."""
        return {"year": self.year,
                "organizations": [_org_json(o) for o in self.organizations],
                "assessments": [_assessment_json(a) for a in self.assessments]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdentificationExample:
        """Read what `to_json()` wrote."""
        return cls(tuple(_org_from(o) for o in data["organizations"]),
                   tuple(_assessment_from(a) for a in data["assessments"]), int(data["year"]))

    def render(self) -> str:
        """A readable listing: one line per organization with its score."""
        scores = {a.org: a for a in self.assessments}
        lines = [f"year {self.year}, {len(self.organizations)} organization(s):"]
        for o in self.organizations:
            a = scores.get(o.code)
            score = "no assessment" if a is None else f"score {a.total:g}" + (
                f" grade {a.grade.value}" if a.grade else "") + (
                f" facts {dict(a.facts)}" if a.facts else "")
            parent = f" under {o.parent}" if o.parent else ""
            lines.append(f"  {o.code} {o.kind} {o.tier.value}{parent}: {score}")
        return "\n".join(lines)


@attrs.frozen
class Step:
    """One command of a campaign example: ``action`` on ``org``'s case in year ``year``.

    Actions (`ACTIONS`): ``pass`` drives the case to delisting with a
    passing verification; ``fail`` drives it to a failed verification;
    ``fail_then_pass`` fails once, then passes and delists; ``plan_only``
    files a plan; ``reopen`` drives to delisting and reopens the case.  A
    step for an organization that has no case that year is skipped.
    """

    year: int
    org: str
    action: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"year": self.year, "org": self.org, "action": self.action}


@attrs.frozen
class CampaignExample:
    """A multi-year campaign: a population, one set of assessments per year, the steps."""

    organizations: tuple[Organization, ...]
    assessments: tuple[Assessment, ...]
    years: tuple[int, ...]
    steps: tuple[Step, ...] = ()

    @property
    def population(self) -> Population:
        """The organizations as a `Population`."""
        return Population(list(self.organizations))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; `from_json()` reads it back."""
        return {"years": list(self.years),
                "organizations": [_org_json(o) for o in self.organizations],
                "assessments": [_assessment_json(a) for a in self.assessments],
                "steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CampaignExample:
        """Read what `to_json()` wrote."""
        return cls(tuple(_org_from(o) for o in data["organizations"]),
                   tuple(_assessment_from(a) for a in data["assessments"]),
                   tuple(int(y) for y in data["years"]),
                   tuple(Step(int(s["year"]), s["org"], s["action"]) for s in data["steps"]))

    def render(self) -> str:
        """A readable listing: organizations with their scores per year, then the steps."""
        by = {(a.org, a.year): a.total for a in self.assessments}
        years = ", ".join(map(str, self.years))
        lines = [f"years {years}; {len(self.organizations)} organization(s):"]
        for o in self.organizations:
            parent = f" under {o.parent}" if o.parent else ""
            scores = " ".join(f"{y}:{by.get((o.code, y), float('nan')):g}" for y in self.years)
            lines.append(f"  {o.code} {o.kind} {o.tier.value}{parent}: scores {scores}")
        lines.append("steps:" if self.steps else "steps: none (identification and close_year only)")
        lines += [f"  {s.year} {s.action} {s.org}" for s in self.steps]
        return "\n".join(lines)


# -- the campaign driver ---------------------------------------------------------------------


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
    from rectify.testing.machine import campaign_people

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


# -- the catalogue ---------------------------------------------------------------------------


@attrs.frozen
class Invariant:
    """A named guarantee: ``check`` returns the violation messages, empty when it holds.

    ``check`` takes ``(policy, example)`` for scope ``"identification"`` (an
    `IdentificationExample`) and ``(policy, run)`` for scopes
    ``"campaign"`` and ``"ledger"`` (a `CampaignRun`).
    """

    name: str
    description: str
    zh: str
    scope: Scope
    check: Callable[[Policy, Any], list[str]] = attrs.field(eq=False, repr=False)


#: The invariants by name, in catalogue order; extend with `register()`.
CATALOGUE: dict[str, Invariant] = {}


def register(invariant: Invariant) -> Invariant:
    """Add ``invariant`` to `CATALOGUE` (replacing one of the same name); return it."""
    if invariant.scope not in ("identification", "campaign", "ledger"):
        raise ValueError(f"unknown scope {invariant.scope!r} of invariant {invariant.name!r}")
    CATALOGUE[invariant.name] = invariant
    return invariant


def names() -> list[str]:
    """The names of the registered invariants, in catalogue order."""
    return list(CATALOGUE)


def get(name: str) -> Invariant:
    """The registered invariant ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown invariant {name!r}; known: {', '.join(CATALOGUE)}") from None


def select(chosen: Iterable[str | Invariant] | None = None) -> list[Invariant]:
    """Invariants by name or as given; all registered ones when ``chosen`` is ``None``."""
    if chosen is None:
        return list(CATALOGUE.values())
    return [c if isinstance(c, Invariant) else get(c) for c in chosen]


def _invariant(name: str, scope: Scope, description: str, zh: str) -> Callable[
        [Callable[[Policy, Any], list[str]]], Callable[[Policy, Any], list[str]]]:
    def decorate(check: Callable[[Policy, Any], list[str]]) -> Callable[[Policy, Any], list[str]]:
        register(Invariant(name, description, zh, scope, check))
        return check
    return decorate


def _identified(policy: Policy, example: IdentificationExample,
                organizations: Sequence[Organization] | None = None,
                assessments: Sequence[Assessment] | None = None) -> set[str]:
    orgs = list(example.organizations if organizations is None else organizations)
    rows = list(example.assessments if assessments is None else assessments)
    return set(identify(Population(orgs), rows, policy, example.year).listed_codes)


@_invariant("quota_met", "identification",
            "each kind lists at least its quota fraction of its organizations: "
            "listed ≥ fraction × size, exactly",
            "各类别整顿对象不低于规定比例 (列入数 ≥ 比例 × 总数)")
def _quota_met(policy: Policy, example: IdentificationExample) -> list[str]:
    listed = _identified(policy, example)
    ident = policy.identification
    sizes: dict[str, list[str]] = {}
    for o in example.organizations:
        sizes.setdefault(o.kind, []).append(o.code)
    messages = []
    for kind, codes in sorted(sizes.items()):
        if len(codes) < ident.min_group_size:
            continue
        needed = Fraction(repr(ident.quota[kind])) * len(codes)
        got = sum(1 for c in codes if c in listed)
        if got < needed:
            messages.append(f"kind {kind}: {got} of {len(codes)} listed, below the quota "
                            f"{ident.quota[kind]:g} × {len(codes)} = {float(needed):g}")
    return messages


@_invariant("direct_criteria_list", "identification",
            "an organization meeting a direct criterion is always listed",
            "符合直接认定情形的党组织一律列入")
def _direct_criteria_list(policy: Policy, example: IdentificationExample) -> list[str]:
    from rectify.testing.reference import _meets

    listed = _identified(policy, example)
    kinds = {o.code: o.kind for o in example.organizations}
    return [f"{a.org} meets a direct criterion (score {a.total:g}) but is not listed"
            for a in example.assessments
            if a.org in kinds and _meets(policy, kinds[a.org], a) and a.org not in listed]


@_invariant("identification_deterministic", "identification",
            "identification does not depend on the order of organizations and assessments",
            "认定结果与党组织和测评数据的排列顺序无关")
def _deterministic(policy: Policy, example: IdentificationExample) -> list[str]:
    base = _identified(policy, example)
    orgs = list(example.organizations)
    rows = list(example.assessments)
    orders = {
        "reversed": (orgs[::-1], rows[::-1]),
        "sorted by code": (sorted(orgs, key=lambda o: o.code),
                           sorted(rows, key=lambda a: a.org, reverse=True)),
    }
    messages = []
    for label, (o, r) in orders.items():
        other = _identified(policy, example, o, r)
        if other != base:
            messages.append(f"{label} order lists {sorted(other)} instead of {sorted(base)}")
    return messages


@_invariant("one_case_per_org_year", "campaign",
            "at most one case per organization and year, however often identification runs",
            "同一党组织同一年度只立一个整顿案件")
def _one_case(policy: Policy, run: CampaignRun) -> list[str]:
    seen: dict[tuple[str, int], int] = {}
    for e in run.events:
        if isinstance(e, CaseOpened):
            seen[(e.org, e.year)] = seen.get((e.org, e.year), 0) + 1
    return [f"{org} has {n} cases in {year}" for (org, year), n in sorted(seen.items()) if n > 1]


def _case_log(run: CampaignRun) -> dict[str, list[Event]]:
    streams: dict[str, list[Event]] = {}
    for e in run.events:
        if not e.stream.startswith(("org:", "person:")):
            streams.setdefault(e.stream, []).append(e)
    return streams


@_invariant("delisting_requires_independent_pass", "campaign",
            "a case is delisted only after a passing verification by a team sharing no one "
            "with its supporters",
            "未经独立考核验收合格不得销号")
def _delisting(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for stream, events in _case_log(run).items():
        support: dict[str, str] = {}
        last: VerificationRecorded | None = None
        for e in events:
            if isinstance(e, SupportAssigned):
                support[e.level] = e.person
            elif isinstance(e, SupportReleased):
                support.pop(e.level, None)
            elif isinstance(e, VerificationRecorded):
                last = e
            elif isinstance(e, CaseReopened):
                last = None
            elif isinstance(e, CaseDelisted):
                if last is None or not last.passed:
                    messages.append(f"{stream} delisted without a passing verification")
                elif set(last.team) & set(support.values()):
                    messages.append(f"{stream} delisted although its verifiers "
                                    f"{sorted(set(last.team) & set(support.values()))} "
                                    "support it")
    return messages


@_invariant("rerectification_after_failure", "campaign",
            "a case goes back to rectification (fail_verification) only after a failed "
            "verification",
            "验收不合格方可重新整顿")
def _rerectification(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for e in run.events:
        if "fail_verification" in e.transitions and (
                not isinstance(e, VerificationRecorded) or e.passed):
            messages.append(f"{e.stream} sent back to rectification by {type(e).__name__} "
                            f"v{e.version} without a failed verification")
    return messages


def _listings(run: CampaignRun) -> dict[int, set[str]]:
    listings: dict[int, set[str]] = {}
    for e in run.events:
        if isinstance(e, CaseOpened):
            listings.setdefault(e.year, set()).add(e.org)
    return listings


def _streak(listings: Mapping[int, set[str]], org: str, year: int) -> int:
    n = 0
    while org in listings.get(year - n, ()):
        n += 1
    return n


@_invariant("dismissal_after_repeat_listing", "campaign",
            "no secretary is dismissed for an organization listed fewer than "
            f"{DOMAIN_CONSECUTIVE_YEARS} consecutive years",
            f"党组织连续{DOMAIN_CONSECUTIVE_YEARS}年被列为整顿对象的, 方可免去书记职务")
def _dismissal(policy: Policy, run: CampaignRun) -> list[str]:
    listings = _listings(run)
    messages = []
    for e in run.events:
        if not isinstance(e, SecretaryDismissed):
            continue
        cause_org = e.cause.split("-", 1)[1] if "-" in e.cause else e.org
        streak = _streak(listings, cause_org, e.year)
        if streak < DOMAIN_CONSECUTIVE_YEARS:
            messages.append(f"{e.person} dismissed as {e.role} of {e.org} in {e.year} for "
                            f"{cause_org}, listed {streak} consecutive year(s) "
                            f"(< {DOMAIN_CONSECUTIVE_YEARS})")
    return messages


@_invariant("cascade_only_to_parent", "campaign",
            "a dismissal cascades only from a second-tier branch to its direct parent",
            "问责延伸仅限二级党组织的上级党组织书记")
def _cascade(policy: Policy, run: CampaignRun) -> list[str]:
    population = run.population
    messages = []
    for e in run.events:
        if not isinstance(e, SecretaryDismissed) or e.role != "parent_secretary":
            continue
        cause_org = e.cause.split("-", 1)[1]
        cause = population.get(cause_org)
        if cause is None or cause.tier is not Tier.SECOND_TIER or cause.parent != e.org:
            messages.append(f"{e.person} of {e.org} dismissed as parent secretary for "
                            f"{cause_org}, which is not a second-tier branch directly under it")
    return messages


@_invariant("ledger_append_only_and_verifies", "ledger",
            "the ledger only grows and its SHA-256 hash chain verifies",
            "台账只增不改, 哈希链校验通过")
def _ledger(policy: Policy, run: CampaignRun) -> list[str]:
    messages = []
    for before, after in zip(run.snapshots, run.snapshots[1:], strict=False):
        if after[: len(before)] != before:
            messages.append("an earlier ledger entry changed between years")
    report = verify(run.store)
    if not report.ok:
        messages.append(str(report))
    return messages


@_invariant("replay_equals_live", "ledger",
            "replaying the ledger into a fresh campaign gives the same cases and records",
            "重放台账所得状态与实时状态一致")
def _replay(policy: Policy, run: CampaignRun) -> list[str]:
    fresh = Campaign(policy, run.store, population=run.population, people=list(run.people))
    messages = []
    if fresh.cases() != run.campaign.cases():
        messages.append("replayed cases differ from the live ones")
    if fresh.records() != run.campaign.records():
        messages.append("replayed accountability records differ from the live ones")
    if fresh.listings() != run.campaign.listings():
        messages.append("replayed listings differ from the live ones")
    return messages


@_invariant("ledger_rules", "ledger",
            "every event follows an edge of the workflow, by an actor with the right, and "
            "escalations are exactly those the policy asks for "
            "(rectify.testing.machine.check_ledger)",
            "台账每条记录符合流程定义、权限和问责规则")
def _ledger_rules(policy: Policy, run: CampaignRun) -> list[str]:
    from rectify.testing.machine import check_ledger

    try:
        check_ledger(run.events, run.population, policy, {p.id: p for p in run.people})
    except AssertionError as exc:
        return [str(exc) or "check_ledger failed"]
    return []
