"""Seeded multi-year Monte Carlo of a policy through the real campaign and the bulk path.

`simulate` runs ``runs`` independent futures of ``years`` years.  Each
run is a real `Campaign` on a fresh
`MemoryStore`: every year it identifies, opens the
cases (recording escalations and dismissals as the policy says), holds the
admonishment talks, and drives the cases with `rectify.bulk.run_bulk`
batches: plans, the support package, progress reports, verification
requests, verifications (passing or failing as the `OutcomeModel`
draws), delisting, look-backs that reopen relapses, and finally
``close_year``: the unfinished cases go on into the next year, where they
are verified again (and count as listed).  The next year's scores drift as
the model says.  Every guard of the workflow runs, so a
simulated year is a year the ledger would accept.

Randomness comes only from ``random.Random(seed)``: the same seed gives the
same runs.  No clock is read and nothing is written.

The yearly calendar of a run (dates inside the simulated year): cases open on
15 February, plans are filed on 1 March and the support package assigned on
10 March; problems are reported resolved and verification requested in late
June, and the first verification is on 1 July.  A failed case is verified
again at its new deadline (``policy.plan.retry_deadline_days`` later), and a
passed one is delisted five days after.  A relapse is found
``model.relapse.lookback_days`` after delisting and reopens the case, which is
then verified again at its new deadline.  Nothing is scheduled after 20
December; the year closes on 31 December.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from rectify import Campaign, Person, Plan, Votes
from rectify.bulk import BulkCommand, run_bulk
from rectify.errors import InvalidValueError
from rectify.events import SecretaryDismissed
from rectify.forest import Population
from rectify.identify import AssessmentColumns, Identification, identify
from rectify.model import Assessment, Grade
from rectify.policy import Policy
from rectify.simulate.compare import FIRST_SECRETARY, repeat_listings
from rectify.simulate.model import OutcomeModel, default_outcome_model
from rectify.stores import MemoryStore

__all__ = [
    "METRICS",
    "Interval",
    "Simulation",
    "YearStats",
    "simulate",
]

#: The measures of a simulated year, with their English and Chinese names.
METRICS: Mapping[str, tuple[str, str]] = {
    "listings": ("organizations listed", "列为整顿对象"),
    "repeat_listings": ("listed again after the year before", "连续列入"),
    "escalations": ("escalations", "问责"),
    "dismissals": ("secretaries dismissed (cascade included)", "免去书记职务"),
    "talks": ("admonishment talks", "约谈"),
    "verifications": ("verifications", "考核验收次数"),
    "failed_verifications": ("failed verifications", "验收不合格"),
    "delisted": ("cases delisted", "销号"),
    "relapses": ("relapses after delisting", "销号后反弹"),
    "reopened": ("cases reopened in the year", "回头看重新整顿"),
    "carried_over": ("cases carried over unfinished", "未销号转入下年"),
    "continued": ("cases of the year before going on, not listed again",
                  "上年度未销号继续整顿(本年度未再列入)"),
    "support_assignments": ("support assignments (supporter workload)", "包扶任务"),
    "supporters_needed": ("supporters needed at the load cap", "所需包扶人员"),
    "first_secretaries": ("first secretaries stationed", "选派第一书记"),
    "refused": ("commands refused by the workflow", "被拒绝的指令"),
}

_CUTOFF = (12, 20)  # nothing is scheduled after 20 December
_OD = Person("SIM-OD", "组织部(模拟)", {"org_department"})
_TEAM = (Person("SIM-VER-1", "验收组甲(模拟)", {"verifier"}),
         Person("SIM-VER-2", "验收组乙(模拟)", {"verifier"}))
_TALK_REASON = "连续被列为整顿对象, 尚未达到问责年数, 约谈提醒"
_RELAPSE_REASON = "回头看发现问题反弹"


@attrs.frozen
class YearStats:
    """What happened in one simulated year of one run (keys of `METRICS`)."""

    year: int
    listings: int = 0
    repeat_listings: int = 0
    escalations: int = 0
    dismissals: int = 0
    talks: int = 0
    verifications: int = 0
    failed_verifications: int = 0
    delisted: int = 0
    relapses: int = 0
    reopened: int = 0
    carried_over: int = 0
    support_assignments: int = 0
    supporters_needed: int = 0
    first_secretaries: int = 0
    refused: int = 0
    support: Mapping[str, int] = attrs.field(factory=dict)
    continued: int = 0

    def value(self, metric: str) -> int:
        """The value of one metric."""
        if metric not in METRICS:
            raise InvalidValueError("metric", f"one of {', '.join(METRICS)}", metric)
        return int(getattr(self, metric))


@attrs.frozen
class Interval:
    """A metric's distribution over the runs: mean and the 90% interval (5th-95th percentile)."""

    mean: float
    low: float
    high: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Interval:
        """The distribution of ``values`` (linear interpolation between order statistics)."""
        if not values:
            return cls(0.0, 0.0, 0.0, 0.0, 0.0)
        ordered = sorted(values)
        return cls(sum(ordered) / len(ordered), _quantile(ordered, 0.05),
                   _quantile(ordered, 0.95), ordered[0], ordered[-1])

    def render(self) -> str:
        """``mean [low, high]`` with one decimal."""
        return f"{self.mean:.1f} [{self.low:.1f}, {self.high:.1f}]"


@attrs.frozen
class Simulation:
    """The outcome of `simulate`: every run's years, and their distributions."""

    policy: Policy
    model: OutcomeModel
    seed: int
    years: tuple[int, ...]
    runs: tuple[tuple[YearStats, ...], ...]

    def values(self, metric: str, year: int) -> list[int]:
        """``metric`` in ``year`` for every run, in run order."""
        index = self._index(year)
        return [run[index].value(metric) for run in self.runs]

    def distribution(self, metric: str, year: int) -> Interval:
        """Mean and 90% interval of ``metric`` in ``year`` over the runs."""
        return Interval.of([float(v) for v in self.values(metric, year)])

    def totals(self, metric: str) -> Interval:
        """Distribution of ``metric`` summed over the simulated years."""
        return Interval.of([float(sum(s.value(metric) for s in run)) for run in self.runs])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data: settings, distributions per metric and year, and every run."""
        return {
            "policy": {"name": self.policy.meta.name, "fingerprint": self.policy.fingerprint()},
            "model": {"name": self.model.meta.name, "fingerprint": self.model.fingerprint()},
            "seed": self.seed, "runs": len(self.runs), "years": list(self.years),
            "distributions": {m: {str(y): attrs.asdict(self.distribution(m, y))
                                  for y in self.years} for m in METRICS},
            "totals": {m: attrs.asdict(self.totals(m)) for m in METRICS},
            "per_run": [[attrs.asdict(s) for s in run] for run in self.runs],
        }

    def _index(self, year: int) -> int:
        if year not in self.years:
            raise InvalidValueError("year", f"a simulated year ({self.years[0]}-"
                                    f"{self.years[-1]})", year)
        return self.years.index(year)


def simulate(policy: Policy, population: Population,
             assessments: Mapping[str, Assessment] | Iterable[Assessment] | AssessmentColumns,
             years: int = 3, runs: int = 200, seed: int = 0,
             model: OutcomeModel | None = None, *, start: int | None = None) -> Simulation:
    """Run ``runs`` seeded futures of ``years`` years of ``policy`` from ``start``.

    ``start`` defaults to the latest year of ``assessments`` (the year of
    columns); its assessments are the first simulated year's, later years'
    scores drift as ``model`` (default: `default_outcome_model`) says.
    Listings of the earlier consecutive years found in ``assessments`` are
    opened and closed first, so that the first simulated year can escalate
    as it would in reality.

    Raises `InvalidValueError` for ``years`` or
    ``runs`` below 1, `OutcomeModelError` when
    the model does not fit the policy, and
    `IdentificationError` for assessments that cannot
    be identified.
    """
    for name, value in (("years", years), ("runs", runs)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidValueError(name, "a whole number ≥ 1", value,
                                    f"pass {name}=1 or more")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InvalidValueError("seed", "a whole number", seed, "pass an integer seed")
    chosen = model or default_outcome_model()
    chosen.require(policy)
    base = _Base.of(population, assessments, policy, chosen, start)
    master = random.Random(seed)
    seeds = [master.getrandbits(64) for _ in range(runs)]
    results = tuple(_Run(base, random.Random(s)).run(years) for s in seeds)
    return Simulation(policy, chosen, seed, tuple(range(base.start, base.start + years)), results)


# -- inputs ----------------------------------------------------------------------------------


@attrs.frozen
class _Base:
    """What every run shares: the population, the first year's columns and the anchors."""

    policy: Policy
    model: OutcomeModel
    population: Population
    start: int
    totals: list[float]
    grades: list[Grade | None] | None
    facts: dict[str, list[float | None]]
    weakest: list[tuple[str, ...]]
    anchors: list[float]
    first: Identification
    history: tuple[Identification, ...]

    @classmethod
    def of(cls, population: Population, assessments: Any, policy: Policy,
           model: OutcomeModel, start: int | None) -> _Base:
        orgs = population.organizations
        fallback: tuple[str, ...] = (model.plan.fallback_aspect,)
        history_rows: list[Assessment] = []
        if isinstance(assessments, AssessmentColumns):
            if start is not None and start != assessments.year:
                raise InvalidValueError("start", f"the year of the columns ({assessments.year})",
                                        start, "pass columns of the start year")
            year = assessments.year
            columns = assessments
            weakest = [fallback] * len(orgs)
        else:
            rows = list(assessments.values()) if isinstance(assessments, Mapping) \
                else list(assessments)
            years = sorted({a.year for a in rows})
            if not years:
                raise InvalidValueError("assessments", "assessments of at least one year", [],
                                        "pass the assessments of the start year")
            year = start if start is not None else years[-1]
            columns = AssessmentColumns.of(population, rows, year) if year in years \
                else AssessmentColumns(year, [])  # identify reports the missing year
            by_code = {a.org: a for a in rows if a.year == year}
            weakest = [_weakest(by_code.get(o.code), policy, model) or fallback for o in orgs]
            history_rows = [a for a in rows if a.year < year]
        first = identify(population, columns if len(columns.totals) else [], policy, year)
        history: list[Identification] = []
        earlier = year - 1
        present = {a.year for a in history_rows}
        while earlier in present and year - earlier < max(policy.escalation.consecutive_years, 2):
            history.insert(0, identify(population, history_rows, policy, earlier))
            earlier -= 1
        totals = [float(t) for t in columns.totals]
        grades = list(columns.grades) if columns.grades else None
        facts = {k: list(v) for k, v in columns.facts.items()}
        return cls(policy, model, population, year, totals, grades, facts, weakest,
                   _anchors(population, totals, model.drift.anchor), first, tuple(history))


def _weakest(assessment: Assessment | None, policy: Policy,
             model: OutcomeModel) -> tuple[str, ...]:
    if assessment is None or not assessment.aspects:
        return ()
    ranked = sorted((score, aspect) for aspect, score in assessment.aspects.items()
                    if aspect in policy.aspects)
    return tuple(aspect for _, aspect in ranked[:model.plan.problems])


def _anchors(population: Population, totals: list[float], anchor: str) -> list[float]:
    if not totals:
        return []
    if anchor == "population_mean":
        mean = sum(totals) / len(totals)
        return [mean] * len(totals)
    sums: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for org, total in zip(population.organizations, totals, strict=True):
        sums[org.kind] += total  # type: ignore[assignment]
        sizes[org.kind] += 1
    means = {k: sums[k] / sizes[k] for k in sizes}
    return [means[o.kind] for o in population.organizations]


# -- one run -----------------------------------------------------------------------------------


class _Run:
    """One future: a campaign on a memory store, driven year by year."""

    def __init__(self, base: _Base, rng: random.Random) -> None:
        self.base = base
        self.policy = base.policy
        self.model = base.model
        self.rng = rng
        self.population = base.population
        self.campaign = Campaign(base.policy, MemoryStore(), population=base.population,
                                 people=[_OD, *_TEAM])
        self.index = {o.code: i for i, o in enumerate(base.population.organizations)}
        self.counter = 0

    def run(self, years: int) -> tuple[YearStats, ...]:
        # The assessed history gives the listings (the streaks of escalation) only: how its
        # cases ended is not known, so they are not closed as unfinished.
        for result in self.base.history:
            self.campaign.open_cases(result, actor=_OD, on=date(result.year, 2, 15),
                                     command_id=f"history:{result.year}")
        totals = list(self.base.totals)
        stats: list[YearStats] = []
        for k in range(years):
            year = self.base.start + k
            result = self.base.first if k == 0 else self._identify(year, totals)
            year_stats, delisted, relapsed = self._year(result)
            stats.append(year_stats)
            if k + 1 < years:
                totals = self._drift(totals, delisted, relapsed)
        return tuple(stats)

    def _identify(self, year: int, totals: list[float]) -> Identification:
        facts = self.base.facts if self.model.drift.carry_facts else {}
        return identify(self.population, AssessmentColumns(year, totals, None, facts),
                        self.policy, year)

    def _id(self, what: str) -> str:
        self.counter += 1
        return f"sim:{self.counter}:{what}"

    def _bulk(self, commands: list[BulkCommand], actor: Person, on: date) -> int:
        if not commands:
            return 0
        return len(run_bulk(self.campaign, commands, actor=actor, on=on).refused)

    def _year(self, result: Identification) -> tuple[YearStats, set[str], set[str]]:
        c = self.campaign
        year = result.year
        opened = c.open_cases(result, actor=_OD, on=date(year, 2, 15),
                              command_id=f"open:{year}")
        # Cases not delisted last year go on this year: verified again, not planned anew.
        going_on = [x.id for x in c.cases(open_only=True)
                    if x.continued_into == year and x.year < year]
        case_of = {c.case(cid).org: cid for cid in (*opened.opened, *going_on)}
        listings = c.listings()
        talks = self._talks(listings, year, case_of)
        dismissals = sum(isinstance(e, SecretaryDismissed) and e.year == year
                         for e in c.records())
        repeat = len(listings.get(year, frozenset()) & listings.get(year - 1, frozenset()))
        cases = list(opened.opened)
        counts: Counter[str] = Counter()
        counts["refused"] += self._plans(cases, date(year, 3, 1))
        per_level = self._support(cases, date(year, 3, 10), counts)
        delisted, relapsed = self._agenda([*cases, *going_on], year, counts)
        carried = c.close_year(year, actor=_OD, on=date(year, 12, 31),
                               command_id=f"close:{year}")
        cap = max(self.policy.coverage.max_cases_per_person, 1)
        needed = {lv: -(-n // (1 if lv == FIRST_SECRETARY else cap)) for lv, n in per_level.items()}
        stats = YearStats(
            year=year, listings=len(result.listed_codes), repeat_listings=repeat,
            escalations=len(opened.escalations), dismissals=dismissals, talks=talks,
            verifications=counts["verifications"],
            failed_verifications=counts["failed_verifications"], delisted=counts["delisted"],
            relapses=counts["relapses"], reopened=counts["reopened"], carried_over=len(carried),
            continued=sum(1 for cid in going_on
                          if c.case(cid).org not in set(result.listed_codes)),
            support_assignments=sum(per_level.values()), supporters_needed=sum(needed.values()),
            first_secretaries=per_level[FIRST_SECRETARY], refused=counts["refused"],
            support=dict(sorted(per_level.items())))
        return stats, delisted - relapsed, relapsed

    def _talks(self, listings: Mapping[int, frozenset[str]], year: int,
               case_of: Mapping[str, str]) -> int:
        """Admonishment talks with the secretaries listed again below the escalation limit."""
        _escalating, talk_orgs = repeat_listings(self.population, listings, year, self.policy)
        talks = 0
        for code in talk_orgs:
            # The secretary in post on the day (a dismissed one is named nowhere).
            secretary = self.campaign.holder(code, on=date(year, 2, 20))
            if secretary:
                self.campaign.record_talk(secretary, "admonishment", _TALK_REASON, actor=_OD,
                                          on=date(year, 2, 20),
                                          case=case_of.get(code, f"{year}-{code}"),
                                          command_id=self._id("talk"))
                talks += 1
        return talks

    def _plans(self, cases: Sequence[str], filed: date) -> int:
        """File one plan per case naming its weakest aspects; returns the refusals."""
        policy = self.policy
        days = max(1, min(150, policy.plan.max_deadline_days))
        plans: list[BulkCommand] = []
        for cid in cases:
            org = self.population[self.campaign.case(cid).org]
            problems = [(a, f"{policy.aspects[a].zh}: 限期整改")
                        for a in self.base.weakest[self.index[org.code]]]
            plan = Plan(problems=problems, measures=["逐项制定整改措施"],
                        responsible=[self.campaign.holder(org.code, on=filed) or _OD.id],
                        deadline=filed + timedelta(days))
            plans.append(BulkCommand("file_plan", cid, self._id("plan"), {"plan": plan}))
        return self._bulk(plans, _OD, filed)

    def _support(self, cases: Sequence[str], on: date, counts: Counter[str]) -> Counter[str]:
        """Assign every required level, filling each supporter up to the load cap."""
        policy = self.policy
        support: list[BulkCommand] = []
        per_level: Counter[str] = Counter()
        cap = max(policy.coverage.max_cases_per_person, 1)
        for cid in cases:
            for level in policy.support.required.get(self.campaign.case(cid).kind, ()):
                level_cap = 1 if level == FIRST_SECRETARY else cap
                # A year's own supporters: last year's go on with the cases that continue.
                person = f"SIM-{level}-{on.year}-{per_level[level] // level_cap + 1}"
                per_level[level] += 1
                if person not in self.campaign.people:
                    # Supporters are the campaign's people, holding the level's role.
                    role = policy.coverage.level_roles.get(level)
                    self.campaign.people[person] = Person(
                        person, f"{level}(模拟)", {role} if role else set(),
                        unit=f"模拟单位{person[4:]}" if level == "paired_unit" else "")
                support.append(BulkCommand("assign_support", cid, self._id("support"),
                                           {"level": level, "person": person}))
        counts["refused"] += self._bulk(support, _OD, on)
        return per_level

    def _agenda(self, cases: Sequence[str], year: int,
                counts: Counter[str]) -> tuple[set[str], set[str]]:
        """Verifications, delistings and look-backs in date order until 20 December."""
        c = self.campaign
        agenda: list[tuple[date, int, str, tuple[str, ...]]] = []
        seq = 0

        def schedule(on: date, action: str, ids: Sequence[str]) -> None:
            nonlocal seq
            if ids and on <= date(year, *_CUTOFF):
                seq += 1
                heapq.heappush(agenda, (on, seq, action, tuple(ids)))

        schedule(date(year, 7, 1), "verify", cases)
        delisted: set[str] = set()
        relapsed: set[str] = set()
        failures: Counter[str] = Counter()
        while agenda:
            on, _, action, ids = heapq.heappop(agenda)
            while agenda and agenda[0][0] == on and agenda[0][2] == action:
                ids += heapq.heappop(agenda)[3]
            if action == "verify":
                counts["refused"] += self._verify(ids, on, counts, failures, schedule)
            elif action == "delist":
                cmds = [BulkCommand("delist", cid, self._id("delist")) for cid in ids
                        if c.case(cid).state == "accepted"]
                counts["refused"] += self._bulk(cmds, _OD, on)
                done = [cid for cid in ids if c.case(cid).state == "delisted"]
                counts["delisted"] += len(done)
                for cid in done:
                    code = c.case(cid).org
                    delisted.add(code)
                    if self.rng.random() < self.model.relapse.probability:
                        relapsed.add(code)
                        counts["relapses"] += 1
                        schedule(on + timedelta(days=self.model.relapse.lookback_days),
                                 "reopen", [cid])
            else:
                cmds = [BulkCommand("reopen", cid, self._id("reopen"),
                                    {"reason": _RELAPSE_REASON}) for cid in ids]
                counts["refused"] += self._bulk(cmds, _OD, on)
                back = [cid for cid in ids if c.case(cid).state == "supported"]
                counts["reopened"] += len(back)
                schedule(on + timedelta(days=self.policy.plan.retry_deadline_days), "verify",
                         back)
        return delisted, relapsed

    def _verify(self, ids: Sequence[str], on: date, counts: Counter[str],
                failures: Counter[str], schedule: Any) -> int:
        """Report resolved, request and verify the cases due on ``on``; schedule what follows."""
        c = self.campaign
        policy = self.policy
        prepare: list[BulkCommand] = []
        for cid in ids:
            case = c.case(cid)
            if case.state != "supported":
                continue
            if case.unresolved:
                prepare.append(BulkCommand("record_report", cid, self._id("report"), {
                    "kind": "progress", "month": f"{on.year}-{on.month:02d}",
                    "resolved": case.unresolved}))
            prepare.append(BulkCommand("request_verification", cid, self._id("request")))
        refused = self._bulk(prepare, _OD, on - timedelta(days=2))
        rules = policy.verification
        panel = max(rules.panel_size, 0)
        verify: list[BulkCommand] = []
        for cid in ids:
            case = c.case(cid)
            if case.state != "verifying":
                continue
            levels = [level for level, _ in case.support]
            p = self.model.pass_probability(case.problems, levels, failures[cid])
            if self.rng.random() < p:
                score = round(min(100.0, rules.pass_score + self.rng.uniform(0, 15)), 1)
                votes = Votes(panel, 0, 0)
            else:
                score = round(max(0.0, rules.pass_score - self.rng.uniform(1, 15)), 1)
                votes = Votes(0, 0, panel)
            verify.append(BulkCommand("record_verification", cid, self._id("verify"), {
                "score": score, "votes": votes, "team": tuple(p.id for p in _TEAM)}))
        refused += self._bulk(verify, _TEAM[0], on)
        passed: list[str] = []
        failed: list[str] = []
        for command in verify:
            state = c.case(command.case).state
            if state == "accepted":
                passed.append(command.case)
            elif state == "supported":
                failed.append(command.case)
                failures[command.case] += 1
        counts["verifications"] += len(passed) + len(failed)
        counts["failed_verifications"] += len(failed)
        schedule(on + timedelta(days=5), "delist", passed)
        schedule(on + timedelta(days=policy.plan.retry_deadline_days), "verify", failed)
        return refused

    def _drift(self, totals: list[float], delisted: set[str],
               relapsed: set[str]) -> list[float]:
        d = self.model.drift
        keep = 1.0 - d.reversion
        step = d.resolution
        gauss = self.rng.gauss
        sd = d.sd
        anchors = self.base.anchors
        out = [a + keep * (s - a) + (gauss(0.0, sd) if sd else 0.0)
               for s, a in zip(totals, anchors, strict=True)]
        for org in delisted:
            out[self.index[org]] += d.delisted_gain
        for org in relapsed:
            out[self.index[org]] -= d.relapse_penalty
        out = [min(100.0, max(0.0, round(v / step) * step)) for v in out]
        if d.delisted_floor:
            for org in delisted:
                i = self.index[org]
                out[i] = max(out[i], min(100.0, d.delisted_floor))
        return out


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
