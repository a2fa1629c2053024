"""Compare two policies on one population and year: every changed verdict and its consequences.

`compare` identifies the year under both policies and reports, for
every organization whose verdict differs, both decisions with both sets of
reasons; listing counts by kind, township and rule; and what each policy
entails (`Consequences`): escalations and dismissals with the
cascade, admonishment talks, the support each level needs against the load
cap, and the first secretaries to station.  `replay` does the same for
a year already recorded in a campaign's ledger ("replay this year's cases
under the other policy"), taking the earlier years from the ledger.

Everything is pure: no clock, no I/O.

Talks follow one stated convention, the same in `rectify.simulate.montecarlo`:
an organization listed again the year after a listing, but whose streak has
not reached the policy's escalation limit, calls for an admonishment talk
(约谈) with its secretary.  Dismissals come from `rectify.escalation.escalate`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs

from rectify.campaign import Campaign
from rectify.errors import InvalidValueError
from rectify.escalation import Dismissal, EscalationDecision, escalate, unique_dismissals
from rectify.events import EscalationRecorded, SecretaryDismissed, TalkRecorded
from rectify.forest import Population
from rectify.identify import AssessmentColumns, Decision, Identification, identify
from rectify.model import Assessment, Person
from rectify.policy import Policy
from rectify.simulate._text import level_zh, num, reason_en, reason_zh

__all__ = [
    "FIRST_SECRETARY",
    "Comparison",
    "Consequences",
    "GroupCount",
    "LedgerFacts",
    "LevelNeed",
    "VerdictChange",
    "compare",
    "consequences",
    "repeat_listings",
    "replay",
]

#: The support level whose holder is stationed in one organization at a time (驻村).
FIRST_SECRETARY = "first_secretary"

#: Township shown for organizations that name none.
NO_TOWNSHIP = "(none)"

Assessments = Mapping[str, Assessment] | Iterable[Assessment] | AssessmentColumns


@attrs.define(eq=False)
class VerdictChange:
    """One organization whose verdict differs: its decision under each policy.

    ``direction`` is ``"added"`` when only policy B lists it and ``"removed"``
    when only policy A does.  The decision of the side that lists it comes
    with the comparison; the other side's is built on first access (as
    `Identification` builds decisions on demand).
    """

    org: str
    name: str
    kind: str
    township: str
    direction: str
    _listed: Decision = attrs.field(repr=False)
    _other: Identification = attrs.field(repr=False)
    _unlisted: Decision | None = attrs.field(default=None, repr=False)

    @property
    def a(self) -> Decision:
        """The decision under policy A."""
        return self._listed if self.direction == "removed" else self._not_listed()

    @property
    def b(self) -> Decision:
        """The decision under policy B."""
        return self._listed if self.direction == "added" else self._not_listed()

    def _not_listed(self) -> Decision:
        if self._unlisted is None:
            self._unlisted = self._other.decision(self.org)
        return self._unlisted

    @property
    def listed_rules(self) -> tuple[str, ...]:
        """The rules of the side that lists the organization."""
        return self._listed.rules

    def explain(self, lang: str = "en") -> str:
        """Both verdicts with both sets of reasons, in English or Chinese."""
        if lang == "zh":
            def side(label: str, d: Decision) -> str:
                head = "列为整顿对象" if d.listed else "未列入"
                return f"{label}{head}: " + "; ".join(reason_zh(r, d.kind_zh) for r in d.reasons)
            return f"{self.name}({self.org}): " + side("甲方案", self.a) + "; " \
                + side("乙方案", self.b)

        def side_en(label: str, d: Decision) -> str:
            head = "listed" if d.listed else "not listed"
            return f"{label} {head}: " + "; ".join(reason_en(r) for r in d.reasons)
        return f"{self.org} {self.name}: " + side_en("A", self.a) + " | " + side_en("B", self.b)


@attrs.frozen
class GroupCount:
    """Listings in one group (a kind, a township or a rule) under A and B."""

    key: str
    listed_a: int
    listed_b: int
    added: int
    removed: int

    @property
    def difference(self) -> int:
        """``listed_b - listed_a``."""
        return self.listed_b - self.listed_a


@attrs.frozen
class LevelNeed:
    """The support one level needs for the year's cases, against the load cap.

    ``needed`` is the fewest people who can cover ``cases`` without anyone
    exceeding ``cap`` open cases (a first secretary is stationed in one
    organization, so the cap is 1 for that level).  ``available`` counts the
    people holding the level's role when people were given (else ``None``);
    ``per_cadre`` is then ``cases / available`` and ``over_cap`` says whether
    that exceeds the cap (or nobody is available for cases that need the level).
    """

    level: str
    cases: int
    cap: int
    needed: int
    available: int | None = None

    @property
    def per_cadre(self) -> float | None:
        """Cases per available person, or ``None`` when availability is unknown or zero."""
        if not self.available:
            return None
        return self.cases / self.available

    @property
    def over_cap(self) -> bool:
        """Whether the available people cannot cover the cases within the cap."""
        if self.available is None:
            return False
        return self.needed > self.available

    @property
    def shortfall(self) -> int:
        """People missing to cover the cases within the cap (0 when enough or unknown)."""
        if self.available is None:
            return 0
        return max(0, self.needed - self.available)


@attrs.frozen
class Consequences:
    """What one policy's listings of a year entail.

    ``escalations`` holds the escalating decisions only; ``dismissals`` each
    dismissed post once (the cascade included); ``talks`` the organizations
    whose secretaries are called in for an admonishment talk (listed again
    below the escalation limit); ``support`` one `LevelNeed` per
    support level of the policy.
    """

    listed: int
    escalations: tuple[EscalationDecision, ...]
    dismissals: tuple[Dismissal, ...]
    talks: tuple[str, ...]
    support: tuple[LevelNeed, ...]

    @property
    def first_secretaries(self) -> int:
        """First secretaries to station (one per case that requires one)."""
        return sum(n.cases for n in self.support if n.level == FIRST_SECRETARY)

    def need(self, level: str) -> LevelNeed:
        """The need of one support level."""
        for n in self.support:
            if n.level == level:
                return n
        raise InvalidValueError("level", "a support level of the policy",
                                level, "use one of " + ", ".join(n.level for n in self.support))

    def counts(self) -> dict[str, int]:
        """The consequences as numbers, one key per measure."""
        data = {"listed": self.listed, "escalations": len(self.escalations),
                "dismissals": len(self.dismissals),
                "parent_dismissals": sum(d.role == "parent_secretary" for d in self.dismissals),
                "talks": len(self.talks), "first_secretaries": self.first_secretaries,
                "supporters_needed": sum(n.needed for n in self.support),
                "support_assignments": sum(n.cases for n in self.support)}
        for n in self.support:
            data[f"support.{n.level}.cases"] = n.cases
            data[f"support.{n.level}.needed"] = n.needed
        return data


@attrs.frozen
class LedgerFacts:
    """What a campaign's ledger recorded for the replayed year (policy A's side, as it happened)."""

    listed: frozenset[str]
    escalations: int
    dismissals: int
    talks: int
    matches_identification: bool


@attrs.frozen
class Comparison:
    """The outcome of `compare`: both identifications, the changes and the consequences."""

    year: int
    policy_a: Policy
    policy_b: Policy
    a: Identification
    b: Identification
    changes: tuple[VerdictChange, ...]
    by_kind: tuple[GroupCount, ...]
    by_township: tuple[GroupCount, ...]
    by_rule: tuple[GroupCount, ...]
    consequences_a: Consequences
    consequences_b: Consequences
    ledger: LedgerFacts | None = None

    @property
    def added(self) -> tuple[VerdictChange, ...]:
        """Organizations listed under B only."""
        return tuple(c for c in self.changes if c.direction == "added")

    @property
    def removed(self) -> tuple[VerdictChange, ...]:
        """Organizations listed under A only."""
        return tuple(c for c in self.changes if c.direction == "removed")

    @property
    def unchanged(self) -> bool:
        """Whether no verdict differs."""
        return not self.changes

    def difference(self) -> dict[str, int]:
        """Each consequence under B minus under A (keys of `Consequences.counts`)."""
        a, b = self.consequences_a.counts(), self.consequences_b.counts()
        return {k: b.get(k, 0) - a.get(k, 0) for k in dict.fromkeys([*a, *b])}

    def summary(self, lang: str = "en") -> str:
        """A few lines an official can read: how many verdicts change and what follows."""
        a, b = self.consequences_a.counts(), self.consequences_b.counts()
        if lang == "zh":
            return (f"{self.year}年: 甲方案列入{a['listed']}个, 乙方案列入{b['listed']}个; "
                    f"认定结果不同{len(self.changes)}个 (新增{len(self.added)}个, "
                    f"不再列入{len(self.removed)}个); 问责{a['escalations']}→{b['escalations']}个, "
                    f"免职{a['dismissals']}→{b['dismissals']}人, 约谈{a['talks']}→{b['talks']}人, "
                    f"第一书记{a['first_secretaries']}→{b['first_secretaries']}名")
        return (f"{self.year}: A lists {a['listed']}, B lists {b['listed']}; "
                f"{len(self.changes)} verdict(s) differ ({len(self.added)} added, "
                f"{len(self.removed)} removed); escalations {a['escalations']} -> "
                f"{b['escalations']}, dismissals {a['dismissals']} -> {b['dismissals']}, "
                f"talks {a['talks']} -> {b['talks']}, first secretaries "
                f"{a['first_secretaries']} -> {b['first_secretaries']}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data: policies, changes with reasons, counts and consequences."""
        def decision(d: Decision) -> dict[str, Any]:
            return {"listed": d.listed, "score": d.score, "rank": d.rank,
                    "kind_size": d.kind_size, "cutoff": d.cutoff, "margin": d.margin,
                    "reasons": [{"rule": r.rule, "en": r.en, "zh": r.zh,
                                 "text_zh": reason_zh(r, d.kind_zh), "facts": dict(r.facts)}
                                for r in d.reasons]}

        def groups(rows: Sequence[GroupCount]) -> list[dict[str, Any]]:
            return [attrs.asdict(g) | {"difference": g.difference} for g in rows]

        def side(c: Consequences) -> dict[str, Any]:
            return {"counts": c.counts(),
                    "escalations": [d.org for d in c.escalations],
                    "dismissals": [{"org": d.org, "person": d.person, "role": d.role,
                                    "en": d.reason_en, "zh": d.reason_zh}
                                   for d in c.dismissals],
                    "talks": list(c.talks),
                    "support": [{"level": n.level, "cases": n.cases, "cap": n.cap,
                                 "needed": n.needed, "available": n.available,
                                 "per_cadre": n.per_cadre, "over_cap": n.over_cap}
                                for n in c.support]}

        data: dict[str, Any] = {
            "year": self.year,
            "policy_a": {"name": self.policy_a.meta.name,
                         "fingerprint": self.policy_a.fingerprint()},
            "policy_b": {"name": self.policy_b.meta.name,
                         "fingerprint": self.policy_b.fingerprint()},
            "changes": [{"org": c.org, "name": c.name, "kind": c.kind, "township": c.township,
                         "direction": c.direction, "a": decision(c.a), "b": decision(c.b),
                         "zh": c.explain("zh")} for c in self.changes],
            "by_kind": groups(self.by_kind), "by_township": groups(self.by_township),
            "by_rule": groups(self.by_rule),
            "consequences": {"a": side(self.consequences_a), "b": side(self.consequences_b),
                             "difference": self.difference()},
        }
        if self.ledger is not None:
            data["ledger"] = {"listed": sorted(self.ledger.listed),
                              "escalations": self.ledger.escalations,
                              "dismissals": self.ledger.dismissals, "talks": self.ledger.talks,
                              "matches_identification": self.ledger.matches_identification}
        return data


def compare(policy_a: Policy, policy_b: Policy, population: Population,
            assessments: Assessments, year: int, *,
            history: Mapping[int, Collection[str]] | None = None,
            people: Iterable[Person] | None = None) -> Comparison:
    """Identify ``year`` under both policies and report every difference and its consequences.

    ``history`` gives the organizations listed in earlier years, for the
    escalation rule; by default each policy's own listings of the earlier
    consecutive years found in ``assessments`` are used (what would have
    happened had the policy been in force), and none when ``assessments``
    are columns of one year.  ``people``, when given, lets the support needs
    be set against the people holding each level's role
    (``policy.coverage.level_roles``).

    Raises `IdentificationError` as
    `identify` does, and
    `InvalidValueError` when ``history`` names
    organizations outside ``population``.
    """
    rows = assessments if isinstance(assessments, AssessmentColumns | Mapping) \
        else list(assessments)
    result_a = identify(population, rows, policy_a, year)
    result_b = identify(population, rows, policy_b, year)
    staff = list(people) if people is not None else None
    hist_a = _history(population, rows, policy_a, year, history)
    hist_b = hist_a if history is not None else _history(population, rows, policy_b, year, None)
    return _comparison(population, result_a, result_b, hist_a, hist_b, staff)


def replay(campaign: Campaign, policy_b: Policy, assessments: Assessments,
           year: int) -> Comparison:
    """Replay a year recorded in ``campaign``'s ledger under ``policy_b``.

    Policy A is the campaign's policy; the earlier years' listings are those
    the ledger recorded (history as it happened), and `Comparison.ledger`
    holds what the ledger recorded for ``year`` itself.  The campaign is only read.
    """
    listings = campaign.listings()
    history = {y: orgs for y, orgs in listings.items() if y < year}
    people = list(campaign.people.values()) or None
    result = compare(campaign.policy, policy_b, campaign.population, assessments, year,
                     history=history, people=people)
    records = campaign.records()
    escalations = sum(isinstance(e, EscalationRecorded) and e.year == year for e in records)
    dismissals = sum(isinstance(e, SecretaryDismissed) and e.year == year for e in records)
    talks = sum(isinstance(e, TalkRecorded) and e.on.year == year for e in records)
    recorded = listings.get(year, frozenset())
    # Besides the identification, the ledger lists the organizations whose unfinished
    # case went on into the year.
    going_on = {c.org for c in campaign.cases() if c.year < year <= (c.continued_into or 0)}
    listed = set(result.a.listed_codes)
    facts = LedgerFacts(frozenset(recorded), escalations, dismissals, talks,
                        listed <= set(recorded) and set(recorded) - listed <= going_on)
    return attrs.evolve(result, ledger=facts)


def repeat_listings(population: Population, listings: Mapping[int, Collection[str]], year: int,
                    policy: Policy) -> tuple[list[EscalationDecision], list[str]]:
    """Escalating decisions of ``year`` and the organizations owed a talk.

    Only organizations also listed the year before are examined (nobody
    else can escalate unless the policy escalates on a single listing), so
    the cost follows the repeat listings, not the population.
    """
    listed = listings.get(year, ())
    limit = min((s.years for s in policy.escalation.steps() if s.basis == "listed"),
                default=policy.escalation.consecutive_years)
    before = listings.get(year - 1, ())
    candidates = sorted(listed) if limit <= 1 else sorted(set(listed).intersection(before))
    if not candidates:
        return [], []
    decisions = escalate(population, {**listings, year: candidates}, year, policy)
    escalating = [d for d in decisions if d.escalates]
    talks = [d.org for d in decisions if not d.escalates and len(d.streak) >= 2]
    return escalating, talks


def consequences(population: Population, identification: Identification,
                 listings: Mapping[int, Collection[str]],
                 people: Sequence[Person] | None = None) -> Consequences:
    """The consequences of one identification, given the earlier years' ``listings``."""
    policy = identification.policy
    year = identification.year
    listed = identification.listed_codes
    full = {**{y: v for y, v in listings.items() if y < year}, year: listed}
    escalating, talks = repeat_listings(population, full, year, policy)
    dismissals = unique_dismissals(escalating)
    kinds = {s.kind: s.listed for s in identification.kinds.values()}
    cap = policy.coverage.max_cases_per_person
    roles = policy.coverage.level_roles
    holders: Counter[str] | None = None
    if people is not None:
        holders = Counter()
        for person in people:
            for level in policy.support.levels:
                if roles.get(level, level) in person.roles:
                    holders[level] += 1
    needs = []
    for level in policy.support.levels:
        cases = sum(n for kind, n in kinds.items()
                    if level in policy.support.required.get(kind, ()))
        level_cap = 1 if level == FIRST_SECRETARY else max(cap, 1)
        needs.append(LevelNeed(level, cases, level_cap, -(-cases // level_cap),
                               None if holders is None else holders[level]))
    return Consequences(len(listed), tuple(escalating), dismissals, tuple(talks), tuple(needs))


# -- machinery ------------------------------------------------------------------------------


def _history(population: Population, rows: Any, policy: Policy, year: int,
             given: Mapping[int, Collection[str]] | None) -> dict[int, Collection[str]]:
    """Earlier listings: as given (checked), or identified from the earlier consecutive years."""
    if given is not None:
        unknown = sorted({c for codes in given.values() for c in codes if c not in population})
        if unknown:
            raise InvalidValueError("history", "codes of organizations in the population",
                                    unknown[:10], "pass listings of this population's "
                                    "organizations (for example campaign.listings())")
        return {y: codes for y, codes in given.items() if y < year}
    if isinstance(rows, AssessmentColumns | Mapping):
        return {}
    years = {a.year for a in rows}
    history: dict[int, Collection[str]] = {}
    earlier = year - 1
    # Only as many years as the escalation rule can look back are needed.
    while earlier in years and year - earlier < max(policy.escalation.consecutive_years, 2):
        history[earlier] = frozenset(identify(population, rows, policy, earlier).listed_codes)
        earlier -= 1
    return history


def _comparison(population: Population, a: Identification, b: Identification,
                hist_a: Mapping[int, Collection[str]], hist_b: Mapping[int, Collection[str]],
                people: list[Person] | None) -> Comparison:
    listed_a = a.listed_codes
    listed_b = b.listed_codes
    set_a, set_b = set(listed_a), set(listed_b)
    only_a = sorted(set_a - set_b)
    only_b = sorted(set_b - set_a)
    decisions_a = a.listed()
    decisions_b = b.listed()
    removed = set(only_a)
    listed_side = {d.org: d for d in decisions_a if d.org in removed}
    listed_side.update((d.org, d) for d in decisions_b if d.org not in set_a)
    changes: list[VerdictChange] = []
    for code in sorted([*only_a, *only_b]):
        org = population[code]
        gone = code in removed
        changes.append(VerdictChange(code, org.name, org.kind, org.township or NO_TOWNSHIP,
                                     "removed" if gone else "added", listed_side[code],
                                     b if gone else a))
    kinds = sorted(set(a.policy.kinds) | set(b.policy.kinds))
    by_kind = _groups(kinds, Counter(d.kind for d in decisions_a),
                      Counter(d.kind for d in decisions_b), changes, lambda c: (c.kind,))
    town_a = Counter(population[c].township or NO_TOWNSHIP for c in listed_a)
    town_b = Counter(population[c].township or NO_TOWNSHIP for c in listed_b)
    by_township = _groups(sorted(set(town_a) | set(town_b)), town_a, town_b, changes,
                          lambda c: (c.township,))
    rule_a = Counter(r for d in decisions_a for r in d.rules)
    rule_b = Counter(r for d in decisions_b for r in d.rules)
    by_rule = _groups(sorted(set(rule_a) | set(rule_b)), rule_a, rule_b, changes,
                      lambda c: c.listed_rules)
    return Comparison(a.year, a.policy, b.policy, a, b, tuple(changes), by_kind, by_township,
                      by_rule, consequences(population, a, hist_a, people),
                      consequences(population, b, hist_b, people))


def _groups(keys: Sequence[str], count_a: Mapping[str, int], count_b: Mapping[str, int],
            changes: Sequence[VerdictChange], key_of: Any) -> tuple[GroupCount, ...]:
    added: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for change in changes:
        target = added if change.direction == "added" else removed
        target.update(key_of(change))
    return tuple(GroupCount(k, count_a.get(k, 0), count_b.get(k, 0), added[k], removed[k])
                 for k in keys)


def describe_need(policy: Policy, need: LevelNeed, lang: str = "en") -> str:
    """One line on a level's need: cases, people needed, and the load against the cap."""
    if lang == "zh":
        text = f"{level_zh(policy, need.level)}: 整顿对象{need.cases}个, 至少需要{need.needed}人"
        if need.available is not None:
            text += f", 现有{need.available}人"
            if need.over_cap:
                text += f", 缺{need.shortfall}人(超出每人{need.cap}个的上限)"
        return text
    text = f"{need.level}: {need.cases} case(s), at least {need.needed} people (cap {need.cap})"
    if need.available is not None:
        per = "-" if need.per_cadre is None else num(round(need.per_cadre, 2))
        text += f", {need.available} available, {per} per person"
        if need.over_cap:
            text += f", short by {need.shortfall}"
    return text

