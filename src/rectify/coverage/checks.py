"""Checks over a coverage snapshot: findings with English and Chinese messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rectify.coverage.model import (
    DEFAULT_DEPARTMENT_FOR_PROBLEM,
    DEPARTMENTS,
    PROBLEM_TYPES,
    ContactPoint,
    Coverage,
    holder_loads,
)
from rectify.errors import InvalidValueError
from rectify.escalation import Dismissal, cascade
from rectify.forest import Population
from rectify.lifecycle.guards import conflict_reasons
from rectify.policy import CoveragePolicy, Policy

if TYPE_CHECKING:
    from rectify.campaign import Campaign

__all__ = [
    "CHECKS",
    "Finding",
    "check_all",
    "contact_point_problems",
    "cross_assessment_problems",
    "dismissal_cascade",
    "missing_support",
    "overloaded",
    "pairing_problems",
    "verifier_conflicts",
]

def _limits(policy: Policy | None) -> CoveragePolicy:
    return policy.coverage if policy is not None else CoveragePolicy()


def _given(value: int | None, default: int) -> int:
    return default if value is None else value


#: The checks, in the order `check_all()` runs them, with English and Chinese titles.
CHECKS: Mapping[str, tuple[str, str]] = {
    "missing_support": ("open case lacks a required support level", "在整顿对象缺少必需的包扶层级"),
    "overload": ("person or unit over the load cap", "包扶任务超出上限"),
    "verifier_conflict": ("verifier supports the case or sits in its chain",
                          "验收人员为包扶人员或本组织链条书记"),
    "contact_points": ("leader's contact points break the rules", "领导联系点不符合规定"),
    "cross_assessment": ("cross-assessment is self or reciprocal", "交叉互评出现自评或互评"),
    "pairing_department": ("paired unit's department does not serve the problem type",
                           "结对单位类别与问题类型不符"),
}


@attrs.frozen
class Finding:
    """One problem a check found: which check, about whom, why (English, Chinese), the facts.

    ``subject`` is the id the finding is about (a case, a person, a unit, a
    county); ``facts`` holds plain values (strings, numbers, lists) for
    reports and JSON.
    """

    check: str
    subject: str
    en: str
    zh: str
    facts: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data, for JSON output."""
        return {"check": self.check, "subject": self.subject, "en": self.en, "zh": self.zh,
                "facts": dict(self.facts)}


def missing_support(coverage: Coverage, policy: Policy) -> list[Finding]:
    """Open cases lacking a support level their kind requires (``policy.support.required``).

    One finding per case, listing every missing level.
    """
    required = policy.support.required
    levels = policy.support.levels
    found: list[Finding] = []
    for cid in sorted(coverage.cases):
        case = coverage.cases[cid]
        needed = required.get(case.kind, ())
        if not needed or not case.is_open:
            continue
        held = {level for level, _, _ in case.support}
        missing = [level for level in needed if level not in held]
        if missing:
            zh = "、".join(levels[m].zh if m in levels else m for m in missing)
            found.append(Finding(
                "missing_support", cid,
                f"case {cid} ({case.state}) lacks {', '.join(missing)}",
                f"{cid}({coverage.label(case.org)})缺少{zh}",
                {"case": cid, "org": case.org, "kind": case.kind, "state": case.state,
                 "missing": missing}))
    return found


def overloaded(coverage: Coverage, policy: Policy | None = None, *,
               max_cases_per_person: int | None = None,
               max_villages_per_unit: int | None = None) -> list[Finding]:
    """People and units over their load cap (by default, ``policy.coverage``'s caps).

    A person's load is the number of open cases they support; a unit's is the
    number of organizations it pairs with or supports in open cases, against
    its own ``capacity`` or else ``max_villages_per_unit``.
    """
    limits = _limits(policy)
    max_cases_per_person = _given(max_cases_per_person, limits.max_cases_per_person)
    max_villages_per_unit = _given(max_villages_per_unit, limits.max_villages_per_unit)
    loads = holder_loads(coverage)
    unit_orgs: defaultdict[str, set[str]] = defaultdict(set)
    for pairing in coverage.pairings:
        unit_orgs[pairing.unit].add(pairing.org)
    for case in coverage.cases.values():
        if case.is_open:
            for _, holder, _ in case.support:
                if holder in coverage.units:
                    unit_orgs[holder].add(case.org)
    found: list[Finding] = []
    for holder in sorted(loads):
        if holder in coverage.units or loads[holder] <= max_cases_per_person:
            continue
        n = loads[holder]
        found.append(Finding(
            "overload", holder,
            f"{holder} supports {n} open cases, over the cap of {max_cases_per_person}",
            f"{coverage.label(holder)}包扶{n}个整顿对象, 超过上限{max_cases_per_person}个",
            {"person": holder, "load": n, "cap": max_cases_per_person}))
    for uid in sorted(unit_orgs):
        unit = coverage.units.get(uid)
        cap = unit.capacity if unit is not None and unit.capacity is not None \
            else max_villages_per_unit
        n = len(unit_orgs[uid])
        if n > cap:
            found.append(Finding(
                "overload", uid, f"unit {uid} covers {n} organizations, over its cap of {cap}",
                f"{coverage.label(uid)}结对帮扶{n}个组织, 超过上限{cap}个",
                {"unit": uid, "load": n, "cap": cap, "orgs": sorted(unit_orgs[uid])}))
    return found


def verifier_conflicts(coverage: Coverage) -> list[Finding]:
    """Verifiers who support their case or are secretaries of its organization's chain.

    One finding per case and verifier (separation of duties, 验收人员独立).
    """
    found: list[Finding] = []
    population = coverage.population
    for cid in sorted(coverage.cases):
        case = coverage.cases[cid]
        for person in case.verifiers:
            reasons = conflict_reasons(case, person, population)
            if reasons:
                found.append(Finding(
                    "verifier_conflict", cid,
                    f"case {cid}: verifier " + "; ".join(r[0] for r in reasons),
                    f"{cid}: 验收人员" + "；".join(r[1] for r in reasons),
                    {"case": cid, "org": case.org, "verifier": person,
                     "conflicts": [r[2] for r in reasons]}))
    return found


def contact_point_problems(coverage: Coverage, policy: Policy | None = None, *,
                           standing_roles: Collection[str] = ("standing_committee",),
                           leader_roles: Collection[str] = ("county_leader",),
                           min_contact_points: int | None = None,
                           max_contact_points: int | None = None,
                           min_visits: int | None = None) -> list[Finding]:
    """Contact-point rules (领导联系点).

    A standing-committee member (a person with one of ``standing_roles``)
    keeps exactly one contact point, a county or a township; any other leader
    (``leader_roles``) keeps ``min_contact_points`` to ``max_contact_points``;
    a contact point with recorded visits needs at least ``min_visits`` a year.
    Nothing is reported when no contact points were loaded at all.  Limits
    left out come from ``policy.coverage``.
    """
    if not coverage.contact_points:
        return []  # no contact points loaded: nothing to judge
    limits = _limits(policy)
    min_contact_points = _given(min_contact_points, limits.min_contact_points)
    max_contact_points = _given(max_contact_points, limits.max_contact_points)
    min_visits = _given(min_visits, limits.min_visits)
    per_person: defaultdict[str, list[ContactPoint]] = defaultdict(list)
    for cp in coverage.contact_points:
        per_person[cp.person].append(cp)
    found: list[Finding] = []
    for pid in sorted(set(per_person) | set(coverage.people)):
        roles = coverage.people[pid].roles if pid in coverage.people else frozenset()
        points = per_person.get(pid, [])
        areas = sorted(cp.area for cp in points)
        if roles & set(standing_roles):
            low, high, who_en, who_zh = 1, 1, "standing-committee member", "常委"
        elif roles & set(leader_roles):
            low, high, who_en, who_zh = min_contact_points, max_contact_points, "leader", "领导"
        else:
            continue
        if not low <= len(points) <= high:
            span = f"exactly {low}" if low == high else f"{low} to {high}"
            found.append(Finding(
                "contact_points", pid,
                f"{who_en} {pid} keeps {len(points)} contact point(s); expected {span}",
                f"{who_zh}{coverage.label(pid)}有{len(points)}个联系点, 应为"
                f"{low if low == high else f'{low}至{high}'}个",
                {"person": pid, "count": len(points), "min": low, "max": high,
                 "areas": areas}))
    for cp in coverage.contact_points:
        if cp.visits is not None and cp.visits < min_visits:
            found.append(Finding(
                "contact_points", cp.person,
                f"{cp.person} visited contact point {cp.area} {cp.visits} time(s); "
                f"expected at least {min_visits} a year",
                f"{coverage.label(cp.person)}到联系点{cp.area}{cp.visits}次, 每年应不少于"
                f"{min_visits}次",
                {"person": cp.person, "area": cp.area, "visits": cp.visits,
                 "min_visits": min_visits}))
    return found


def cross_assessment_problems(coverage: Coverage) -> list[Finding]:
    """Cross-assessments (交叉互评) where a county assesses itself or two counties assess each
    other in the same period (one finding per self-assessment and per reciprocal pair)."""
    found: list[Finding] = []
    pairs = {(x.period, x.assessor, x.assessed) for x in coverage.cross_assessments}
    for period, a, b in sorted(pairs):
        if a == b:
            found.append(Finding("cross_assessment", a,
                                 f"{a} assesses itself in period {period or '-'}",
                                 f"{a}在{period or '本期'}自评", {"period": period, "county": a}))
        elif a < b and (period, b, a) in pairs:
            found.append(Finding("cross_assessment", f"{a}/{b}",
                                 f"{a} and {b} assess each other in period {period or '-'}",
                                 f"{a}与{b}在{period or '本期'}相互检查",
                                 {"period": period, "counties": [a, b]}))
    return found


def pairing_problems(coverage: Coverage, *,
                     department_for: Mapping[str, Collection[str]] = DEFAULT_DEPARTMENT_FOR_PROBLEM,
                     ) -> list[Finding]:
    """Pairings whose unit's department does not serve the village's stated problem type."""
    found: list[Finding] = []
    for p in coverage.pairings:
        unit = coverage.units.get(p.unit)
        if not p.problem_type or unit is None or not unit.department:
            continue
        allowed = department_for.get(p.problem_type, ())
        if unit.department not in allowed:
            found.append(Finding(
                "pairing_department", p.unit,
                f"unit {p.unit} ({unit.department}) is paired with {p.org}, a "
                f"{p.problem_type} village served by {', '.join(allowed) or 'no department'}",
                f"{unit.name}({DEPARTMENTS.get(unit.department, unit.department)})结对"
                f"{coverage.label(p.org)}({PROBLEM_TYPES.get(p.problem_type, p.problem_type)}),"
                " 类别不符",
                {"unit": p.unit, "org": p.org, "department": unit.department,
                 "problem_type": p.problem_type, "allowed": list(allowed)}))
    return found


def check_all(coverage: Coverage, policy: Policy, *, max_cases_per_person: int | None = None,
              max_villages_per_unit: int | None = None,
              standing_roles: Collection[str] = ("standing_committee",),
              leader_roles: Collection[str] = ("county_leader",),
              min_contact_points: int | None = None, max_contact_points: int | None = None,
              min_visits: int | None = None,
              department_for: Mapping[str, Collection[str]] = DEFAULT_DEPARTMENT_FOR_PROBLEM,
              checks: Iterable[str] = tuple(CHECKS)) -> list[Finding]:
    """Run every check (or those named in ``checks``), in the order of `CHECKS`.

    Limits left out come from ``policy.coverage``.

    Raises:
        InvalidValueError: ``checks`` names an unknown check.
    """
    runs: dict[str, Callable[[], list[Finding]]] = {
        "missing_support": lambda: missing_support(coverage, policy),
        "overload": lambda: overloaded(coverage, policy,
                                       max_cases_per_person=max_cases_per_person,
                                       max_villages_per_unit=max_villages_per_unit),
        "verifier_conflict": lambda: verifier_conflicts(coverage),
        "contact_points": lambda: contact_point_problems(
            coverage, policy, standing_roles=standing_roles, leader_roles=leader_roles,
            min_contact_points=min_contact_points, max_contact_points=max_contact_points,
            min_visits=min_visits),
        "cross_assessment": lambda: cross_assessment_problems(coverage),
        "pairing_department": lambda: pairing_problems(coverage, department_for=department_for),
    }
    wanted = set(checks)
    unknown = wanted - set(runs)
    if unknown:
        raise InvalidValueError("checks", f"some of {', '.join(runs)}", sorted(unknown))
    return [f for name, run in runs.items() if name in wanted for f in run()]


def dismissal_cascade(source: Population | Coverage | Campaign, org: str,
                      policy: Policy | None = None) -> tuple[Dismissal, ...]:
    """Who exactly is dismissed if ``org`` escalates (如该组织被问责, 免去谁), through the tree.

    ``source`` gives the forest (a population, a coverage snapshot or a
    campaign, whose policy is the default).  See `rectify.escalation.cascade()`.
    """
    if isinstance(source, Population):
        population = source
    else:
        population = source.population
        if policy is None and not isinstance(source, Coverage):
            policy = source.policy
    if policy is None:
        raise ValueError("dismissal_cascade needs a policy for a population or coverage")
    return cascade(population, org, policy)
