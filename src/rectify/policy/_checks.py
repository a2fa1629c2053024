"""Consistency checks of a structured policy: ranges, references between tables, bands."""

from __future__ import annotations

import difflib
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping

from rectify.errors import Problem
from rectify.model import Grade
from rectify.policy import Label, LadderStep, Policy

__all__ = ["STANDARD_ROLES", "known_roles", "policy_problems"]

#: The roles the presets use (people files name them; policies grant them commands).
STANDARD_ROLES = frozenset({"secretary", "county_leader", "org_department", "paired_unit",
                            "committee_supervisor", "first_secretary", "verifier"})

#: The range of each documented fact a direct criterion may test: ``(low, high)``.
FACT_RANGES: dict[str, tuple[float, float]] = {
    "total": (0.0, 100.0),
    "satisfaction": (0.0, 1.0),
    "secretary_vacant_months": (0.0, math.inf),
    "mass_incidents": (0.0, math.inf),
    "months_without_activity": (0.0, math.inf),
    "years_without_candidate": (0.0, math.inf),
}


def known_roles(policy: Policy) -> frozenset[str]:
    """Every role ``policy`` names: granted a command, scoped, or needed for a support level.

    A person's role outside this set grants nothing under the policy, so the
    people loader refuses it as a likely misspelling.
    """
    roles = {r for granted in policy.permissions.commands.values() for r in granted}
    roles.update(policy.permissions.scopes)
    roles.update(policy.coverage.level_roles.values())
    roles.update(policy.coverage.pairing.values())
    return frozenset(roles)

_GRADES = [g.value for g in Grade]


def policy_problems(policy: Policy) -> list[Problem]:
    """Every inconsistency in ``policy``, in the order of the TOML tables."""
    problems: list[Problem] = []
    if not policy.meta.name.strip():
        problems.append(Problem("meta.name", "a non-empty name", policy.meta.name))
    problems += _labels("kinds", policy.kinds)
    problems += _labels("aspects", policy.aspects)
    problems += _grades(policy.grades)
    problems += _identification(policy)
    problems += _support(policy)
    problems += _verification(policy)
    if policy.escalation.consecutive_years < 1:
        problems.append(Problem("escalation.consecutive_years", "a whole number ≥ 1",
                                policy.escalation.consecutive_years))
    problems += _lifecycle(policy)
    problems += _roles(policy)
    problems += _calendar(policy)
    problems += _carry_over_and_ladder(policy)
    return problems


def _roles(policy: Policy) -> list[Problem]:
    """Role names that look like misspellings of a standard role, and scopes nobody uses."""
    problems: list[Problem] = []
    places: list[tuple[str, str]] = [
        (f"permissions.commands.{command}", role)
        for command, roles in policy.permissions.commands.items() for role in roles]
    places += [(f"permissions.scopes.{role}", role) for role in policy.permissions.scopes]
    places += [(f"coverage.level_roles.{level}", role)
               for level, role in policy.coverage.level_roles.items()]
    for where, role in places:
        if role in STANDARD_ROLES:
            continue
        near = difflib.get_close_matches(role, sorted(STANDARD_ROLES), n=1, cutoff=0.8)
        if near:
            problems.append(Problem(where, f"a known role ({', '.join(sorted(STANDARD_ROLES))})"
                                    " or a new role not resembling one", role,
                                    f"did you mean {near[0]!r}?"))
    granted = {r for roles in policy.permissions.commands.values() for r in roles}
    for role in policy.permissions.scopes:
        if role not in granted:
            problems.append(Problem(f"permissions.scopes.{role}", "a role some command is "
                                    "granted to", role, "grant it a command under "
                                    "[permissions.commands] or remove the scope"))
    return problems


_COMMANDS = frozenset({
    "open_cases", "file_plan", "return_plan", "assign_support", "release_support",
    "record_report", "request_verification", "record_verification", "delist", "reopen",
    "close_year", "record_talk", "record_appraisal", "appoint", "vacate",
})
#: Commands added after policies were first written: a policy that omits them falls back
#: to their default roles (`rectify.lifecycle.permissions.allowed_roles`).
_OPTIONAL_COMMANDS = frozenset({"appoint", "vacate"})
_SCOPES = ("any", "assigned", "own_organization")
_APPRAISALS = ("good", "fairly_good", "average", "poor")


def _at_least(location: str, value: int, minimum: int) -> list[Problem]:
    if value < minimum:
        return [Problem(location, f"a whole number ≥ {minimum}", value)]
    return []


def _between(location: str, value: int, low: int, high: int) -> list[Problem]:
    if not low <= value <= high:
        return [Problem(location, f"a whole number in [{low}, {high}]", value)]
    return []


def _lifecycle(policy: Policy) -> list[Problem]:
    plan, acc, sched = policy.plan, policy.accountability, policy.schedule
    problems = _at_least("plan.max_deadline_days", plan.max_deadline_days, 1)
    problems += _at_least("plan.retry_deadline_days", plan.retry_deadline_days, 1)
    problems += _at_least("plan.follow_up_months", plan.follow_up_months, 0)
    problems += _at_least("accountability.cautionary_months", acc.cautionary_months, 1)
    problems += _at_least("accountability.correction_days", acc.correction_days, 1)
    problems += [Problem("accountability.talk_grades", f"appraisal grades among {_APPRAISALS}",
                         g) for g in acc.talk_grades if g not in _APPRAISALS]
    problems += _between("schedule.weekly_reminder_weekday", sched.weekly_reminder_weekday, 0, 6)
    for key in ("monthly_plan_due_day", "monthly_spot_check_day", "quarterly_bulletin_day",
                "annual_rating_day"):
        problems += _between(f"schedule.{key}", getattr(sched, key), 1, 28)
    problems += _between("schedule.annual_rating_month", sched.annual_rating_month, 1, 12)
    for command, roles in policy.permissions.commands.items():
        if command not in _COMMANDS:
            problems.append(Problem(f"permissions.commands.{command}",
                                    f"a command among {', '.join(sorted(_COMMANDS))}", command,
                                    "correct the command name or remove it"))
        if not roles:
            problems.append(Problem(f"permissions.commands.{command}", "at least one role", [],
                                    "name the roles allowed to issue it"))
    for command in sorted(_COMMANDS - _OPTIONAL_COMMANDS - set(policy.permissions.commands)):
        problems.append(Problem(f"permissions.commands.{command}", "the roles allowed to "
                                "issue this command", None, "add it under [permissions.commands]"))
    cov = policy.coverage
    for key in ("max_cases_per_person", "max_villages_per_unit", "min_contact_points",
                "max_contact_points", "min_visits"):
        problems += _at_least(f"coverage.{key}", getattr(cov, key), 0)
    problems += _at_least("coverage.max_stations_per_first_secretary",
                          cov.max_stations_per_first_secretary, 1)
    for kind_of_problem, role in cov.pairing.items():
        if not role.strip() or not kind_of_problem.strip():
            problems.append(Problem(f"coverage.pairing.{kind_of_problem}",
                                    "a problem type naming a role", role))
    for kind, unit in cov.supervising_committees.items():
        if kind not in policy.kinds:
            problems.append(_unknown_kind(f"coverage.supervising_committees.{kind}", kind,
                                          policy))
        if not unit.strip():
            problems.append(Problem(f"coverage.supervising_committees.{kind}",
                                    "the name of the supervising committee's unit", unit))
    if cov.max_contact_points < cov.min_contact_points:
        problems.append(Problem("coverage.max_contact_points",
                                f"a number ≥ min_contact_points ({cov.min_contact_points})",
                                cov.max_contact_points))
    for role, scope in policy.permissions.scopes.items():
        if scope not in _SCOPES:
            problems.append(Problem(f"permissions.scopes.{role}", f"one of {_SCOPES}", scope))
    return problems


def _labels(table: str, labels: Mapping[str, Label]) -> list[Problem]:
    if not labels:
        return [Problem(table, "at least one entry", {}, f"declare the {table} of this policy")]
    return [
        Problem(f"{table}.{key}.zh", "a Chinese label", label.zh)
        for key, label in labels.items()
        if not label.zh.strip()
    ]


def _fraction(location: str, value: float) -> list[Problem]:
    if not 0 <= value <= 1:
        return [Problem(location, "a fraction in [0, 1]", value, "write 15% as 0.15")]
    return []


def _grades(grades: Mapping[str, float]) -> list[Problem]:
    if sorted(grades) != _GRADES:
        return [Problem("grades", "exactly the lower bounds of A, B, C and D", sorted(grades),
                        "declare A, B, C and D, e.g. A = 90, B = 80, C = 60, D = 0")]
    problems = [
        Problem(f"grades.{g}", "a score in [0, 100]", grades[g])
        for g in _GRADES
        if not 0 <= grades[g] <= 100
    ]
    if grades["D"] != 0:
        problems.append(Problem("grades.D", "0 (band D covers every score below C)", grades["D"]))
    for upper, lower in itertools.pairwise(_GRADES):
        if grades[upper] <= grades[lower]:
            problems.append(
                Problem(f"grades.{upper}", f"a lower bound above grade {lower}'s ({grades[lower]})",
                        grades[upper], "bands must not overlap: A > B > C > D")
            )
    return problems


def _identification(policy: Policy) -> list[Problem]:
    ident = policy.identification
    problems: list[Problem] = []
    for kind, fraction in ident.quota.items():
        where = f"identification.quota.{kind}"
        if kind not in policy.kinds:
            problems.append(_unknown_kind(where, kind, policy))
        problems += _fraction(where, fraction)
    for kind in policy.kinds:
        if kind not in ident.quota:
            problems.append(Problem(f"identification.quota.{kind}", "a quota for every kind", None,
                                    "add it; write 0 to list this kind by direct criteria only"))
    problems += [_unknown_kind(f"identification.ranked.{kind}", kind, policy)
                 for kind in ident.ranked if kind not in policy.kinds]
    for key, minimum in (("min_group_size", 1), ("min_per_kind", 0), ("near_miss_ranks", 0)):
        value = getattr(ident, key)
        if value < minimum:
            problems.append(Problem(f"identification.{key}", f"a whole number ≥ {minimum}", value))
    for rule_id, count in Counter(c.id for c in ident.direct).items():
        if count > 1:
            problems.append(Problem("identification.direct", "unique criterion ids", rule_id,
                                    f"{count} criteria share this id; rename all but one"))
    for i, crit in enumerate(ident.direct):
        where = f"identification.direct[{i}]"
        if not crit.id.strip():
            problems.append(Problem(f"{where}.id", "a non-empty id", crit.id))
        numeric = (crit.fact, crit.op, crit.threshold)
        if crit.grades and any(v is not None for v in numeric):
            problems.append(Problem(where, "either grades or fact/op/threshold, not both",
                                    crit.id, "split it into two criteria"))
        elif not crit.grades and any(v is None for v in numeric):
            problems.append(Problem(where, "grades, or all of fact, op and threshold", crit.id,
                                    'e.g. fact = "secretary_vacant_months", op = ">", '
                                    "threshold = 3"))
        problems += _threshold(where, crit.fact, crit.threshold)
        for grade in crit.grades:
            if grade not in _GRADES:
                problems.append(Problem(f"{where}.grades", "grades among A, B, C, D", grade))
        problems += [_unknown_kind(f"{where}.kinds", k, policy) for k in crit.kinds
                     if k not in policy.kinds]
    return problems


def _threshold(where: str, fact: str | None, threshold: float | None) -> list[Problem]:
    """A direct criterion's threshold: finite, and within the range of a documented fact."""
    if threshold is None:
        return []
    if not math.isfinite(threshold):
        return [Problem(f"{where}.threshold", "a finite number", threshold,
                        "write the number the fact is compared with, e.g. threshold = 3")]
    low, high = FACT_RANGES.get(fact or "", (-math.inf, math.inf))
    if not low <= threshold <= high:
        span = f"from {low:g}" + ("" if high == math.inf else f" to {high:g}")
        hint = " (a share: write 60% as 0.6)" if fact == "satisfaction" else ""
        return [Problem(f"{where}.threshold", f"a number {span} for the fact {fact}{hint}",
                        threshold, "a criterion outside the fact's range never or always "
                        "fires; correct the threshold")]
    return []


def _support(policy: Policy) -> list[Problem]:
    support = policy.support
    problems = _labels("support.levels", support.levels)
    used: set[str] = set()
    for kind, levels in support.required.items():
        where = f"support.required.{kind}"
        if kind not in policy.kinds:
            problems.append(_unknown_kind(where, kind, policy))
        for level in levels:
            used.add(level)
            if level not in support.levels:
                problems.append(Problem(where, f"support levels among {_names(support.levels)}",
                                        level, "declare it under [support.levels] or remove it"))
    for kind in policy.kinds:
        if kind not in support.required:
            problems.append(Problem(f"support.required.{kind}", "the support levels this kind "
                                    "requires", None, "add a list (may be empty)"))
    for level in support.levels:
        if level not in used:
            problems.append(Problem(f"support.levels.{level}", "a level some kind requires", level,
                                    "add it to a kind under [support.required] or remove it"))
    return problems


def _verification(policy: Policy) -> list[Problem]:
    v = policy.verification
    problems: list[Problem] = []
    if not 0 <= v.pass_score <= 100:
        problems.append(Problem("verification.pass_score", "a score in [0, 100]", v.pass_score))
    problems += _fraction("verification.max_dissatisfied", v.max_dissatisfied)
    problems += _fraction("verification.min_satisfied", v.min_satisfied)
    if v.panel_size < 1:
        problems.append(Problem("verification.panel_size", "a whole number ≥ 1", v.panel_size))
    if not 0 <= v.min_votes <= max(v.panel_size, 0):
        problems.append(Problem("verification.min_votes",
                                f"a whole number in [0, panel_size] ([0, {v.panel_size}]; "
                                "0 asks for the whole panel)", v.min_votes))
    return problems


def _unknown_kind(where: str, kind: str, policy: Policy) -> Problem:
    return Problem(where, f"a kind declared under [kinds] ({_names(policy.kinds)})", kind,
                   "declare the kind or correct the name")


def _names(keys: Iterable[str]) -> str:
    return ", ".join(keys)


#: The largest day count a policy may set (ten years) and the largest month count.
MAX_DAYS = 3660
MAX_MONTHS = 120
MAX_WINDOW_YEARS = 50


def _calendar(policy: Policy) -> list[Problem]:
    """Upper bounds of day and month counts, the date window, and invariants set aside.

    Lower bounds are checked with their tables; an unbounded count would put
    deadlines beyond any real calendar (and past the year 9999).
    """
    problems: list[Problem] = []
    counts = (("plan.max_deadline_days", policy.plan.max_deadline_days, MAX_DAYS, "days"),
              ("plan.retry_deadline_days", policy.plan.retry_deadline_days, MAX_DAYS, "days"),
              ("plan.follow_up_months", policy.plan.follow_up_months, MAX_MONTHS, "months"),
              ("accountability.cautionary_months", policy.accountability.cautionary_months,
               MAX_MONTHS, "months"),
              ("accountability.correction_days", policy.accountability.correction_days,
               MAX_DAYS, "days"))
    for where, value, high, unit in counts:
        if value > high:
            problems.append(Problem(where, f"a whole number of {unit} ≤ {high}", value,
                                    f"write the period in {unit}, at most ten years"))
    for key in ("years_before", "years_after"):
        value = getattr(policy.dates, key)
        if not 0 <= value <= MAX_WINDOW_YEARS:
            problems.append(Problem(f"dates.{key}",
                                    f"a whole number of years in [0, {MAX_WINDOW_YEARS}]", value,
                                    "the years a command may lie before or after its "
                                    "campaign year"))
    for name, reason in policy.invariants.not_applicable.items():
        if not reason.strip():
            problems.append(Problem(f"invariants.not_applicable.{name}",
                                    "the reason the invariant does not apply", reason,
                                    "say why, e.g. \"rounds to nearest: may list fewer\""))
    return problems


#: Commands a policy may leave out of ``[permissions.commands]`` (added after older policies
#: were written: they fall back to the roles of ``record_talk``).
_OPTIONAL_COMMANDS = frozenset({"record_finding"})
_COMMANDS = _COMMANDS | _OPTIONAL_COMMANDS
_CARRY_OVER = ("continue", "relist")


def _carry_over_and_ladder(policy: Policy) -> list[Problem]:
    """The carry-over of unfinished cases, the escalation ladder and the findings."""
    plan = policy.plan
    problems: list[Problem] = []
    if plan.carry_over not in _CARRY_OVER:
        problems.append(Problem("plan.carry_over", f"one of {', '.join(_CARRY_OVER)}",
                                plan.carry_over, '"continue" keeps the case open into the '
                                'next year; "relist" opens the next year\'s case'))
    problems += _between("plan.carry_over_days", plan.carry_over_days, 1, 366)
    problems += _ladder(policy)
    return problems


_TALKS = ("admonishment", "cautionary")


def _ladder(policy: Policy) -> list[Problem]:
    """Every problem of the ladder steps and the findings, with range checks."""
    from rectify.policy import LADDER_ACTIONS, LADDER_BASES

    esc = policy.escalation
    problems: list[Problem] = []
    for kind, rule in esc.findings.items():
        where = f"escalation.findings.{kind}"
        if not rule.zh.strip():
            problems.append(Problem(f"{where}.zh", "a Chinese label", rule.zh))
        problems += _between(f"{where}.extend_years", rule.extend_years, 0, 10)
        if rule.talk not in ("", *_TALKS):
            problems.append(Problem(f"{where}.talk", f"empty or one of {', '.join(_TALKS)}",
                                    rule.talk))
    for i, step in enumerate(esc.ladder):
        where = f"escalation.ladder[{i}]"
        if step.basis not in LADDER_BASES:
            problems.append(Problem(f"{where}.basis", f"one of {', '.join(LADDER_BASES)}",
                                    step.basis))
        if step.action not in LADDER_ACTIONS:
            problems.append(Problem(f"{where}.action", f"one of {', '.join(LADDER_ACTIONS)}",
                                    step.action))
        problems += _between(f"{where}.years", step.years, 1, 20)
        problems += _between(f"{where}.months", step.months, 0, 60)
        if step.action == "talk" and step.talk not in _TALKS:
            problems.append(Problem(f"{where}.talk", f"one of {', '.join(_TALKS)} for a talk",
                                    step.talk, 'e.g. talk = "cautionary" (诫勉)'))
        if step.action != "talk" and step.talk:
            problems.append(Problem(f"{where}.talk", "empty unless the action is talk",
                                    step.talk))
        if step.cascade and step.action != "dismissal":
            problems.append(Problem(f"{where}.cascade", "false unless the action is dismissal",
                                    step.cascade))
        if step.basis == "appraisal":
            if not step.grades:
                problems.append(Problem(f"{where}.grades", "the appraisal grades that count",
                                        [], 'e.g. grades = ["average", "poor"]'))
            problems += [Problem(f"{where}.grades", f"appraisal grades among {_APPRAISALS}", g)
                         for g in step.grades if g not in _APPRAISALS]
        elif step.grades:
            problems.append(Problem(f"{where}.grades", "empty unless the basis is appraisal",
                                    list(step.grades)))
        if step.finding and step.basis != "finding":
            problems.append(Problem(f"{where}.finding", "empty unless the basis is finding",
                                    step.finding))
        if step.finding and step.finding not in esc.findings:
            problems.append(Problem(f"{where}.finding", "a kind declared under "
                                    f"[escalation.findings] ({_names(esc.findings)})",
                                    step.finding))
    problems += _monotone(esc.ladder)
    return problems


def _monotone(steps: Iterable[LadderStep]) -> list[Problem]:
    """A later step of a basis (more years) is never weaker; no two steps share a rung."""
    problems: list[Problem] = []
    rungs: dict[tuple[str, tuple[str, ...], str], list[tuple[int, int, LadderStep]]] = {}
    for i, step in enumerate(steps):
        rungs.setdefault((step.basis, tuple(sorted(step.grades)), step.finding), []).append(
            (step.years, i, step))
    for rung in rungs.values():
        rung.sort(key=lambda t: (t[0], t[1]))
        for (years_a, i, a), (years_b, j, b) in itertools.pairwise(rung):
            if years_a == years_b:
                problems.append(Problem(f"escalation.ladder[{j}].years", "a number of years no "
                                        f"other step of basis {b.basis} uses", years_b,
                                        f"steps {i} and {j} apply to the same years; merge them"))
            elif b.strength < a.strength:
                problems.append(Problem(f"escalation.ladder[{j}].action", f"an action at least as "
                                        f"severe as step {i} ({a.action}) after fewer years",
                                        b.action, "a ladder never gets weaker as the years "
                                        "add up; reorder the actions"))
    return problems
