"""Guards for the case lifecycle from the coverage graph: support and verification conflicts.

Each returns readable reasons (empty when fine), in the style of
:mod:`rectify.guards`; :class:`~rectify.Campaign` can run them before
``assign_support`` and ``record_verification``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rectify._coverage_model import CaseCoverage, Coverage
from rectify.case import CaseRecord
from rectify.events import SupportAssigned
from rectify.forest import Population

if TYPE_CHECKING:
    from rectify.campaign import Campaign

__all__ = ["holder_loads", "support_conflicts", "support_reasons", "verification_conflicts"]


def holder_loads(source: Coverage | Campaign, *, exclude: str | None = None) -> Counter[str]:
    """How many distinct open cases each person or unit supports (``exclude``: skip a case)."""
    loads: Counter[str] = Counter()
    if isinstance(source, Coverage):
        for case in source.cases.values():
            if case.is_open and case.id != exclude:
                loads.update({holder for _, holder, _ in case.support})
    else:
        for record in source.cases(open_only=True):
            if record.id != exclude:
                loads.update(record.supporters)
    return loads


def _chain_place(code: str, case_org: str) -> str:
    if code == case_org:
        return f"{code}, the case's organization"
    return f"{code}, above {case_org} in its chain"


def _conflict_reasons(case: CaseCoverage | CaseRecord, person: str, population: Population,
                      ) -> list[tuple[str, str, dict[str, Any]]]:
    """Why ``person`` may not verify ``case``: (English, Chinese, facts) per reason."""
    reasons: list[tuple[str, str, dict[str, Any]]] = []
    for level, holder in ((s[0], s[1]) for s in case.support):
        if holder == person:
            reasons.append((f"{person} supports the case as {level}",
                            f"{person}是该整顿对象的包扶人员({level})",
                            {"role": "supporter", "level": level}))
    org = population.get(case.org)
    if org is not None:
        for o in (org, *population.ancestors(org.code)):
            if o.secretary == person:
                reasons.append((f"{person} is the secretary of {_chain_place(o.code, case.org)}",
                                f"{person}是{o.name}书记, 属本组织链条",
                                {"role": "chain_secretary", "org": o.code}))
    return reasons


def support_reasons(case: CaseRecord | CaseCoverage, level: str, person: str,
                    population: Population, *, load: int = 0, max_cases_per_person: int = 5,
                    roles: Collection[str] | None = None,
                    level_roles: Mapping[str, str] | None = None) -> list[str]:
    """Why ``person`` may not take support ``level`` on ``case`` (empty: no conflict).

    Pure: ``load`` is how many *other* open cases ``person`` already supports;
    ``roles`` (the person's roles, when known) is checked against
    ``level_roles`` only when that map is given.
    """
    reasons: list[str] = []
    if person in case.verifiers:
        reasons.append(f"{person} verified this case and cannot support it "
                       "(separation of duties)")
    org = population.get(case.org)
    if org is not None and case.holder(level) != person:
        for o in (org, *population.ancestors(org.code)):
            if o.secretary == person:
                reasons.append(f"{person} is the secretary of {_chain_place(o.code, case.org)}"
                               " and cannot support its case")
    already = person in {s[1] for s in case.support}
    if not already and load >= max_cases_per_person:
        reasons.append(f"{person} already supports {load} open cases (cap "
                       f"{max_cases_per_person}, max_cases_per_person)")
    if level_roles is not None and roles is not None:
        role = level_roles.get(level)
        if role is not None and role not in roles:
            reasons.append(f"{person} lacks the role {role} needed for {level}")
    return reasons


def support_conflicts(campaign: Campaign, case_id: str, level: str, person: str, *,
                      max_cases_per_person: int = 5, loads: Mapping[str, int] | None = None,
                      level_roles: Mapping[str, str] | None = None) -> list[str]:
    """Why assigning ``person`` to support ``level`` on a campaign case conflicts (empty: fine).

    Checks: ``person`` verified the case; ``person`` is a secretary of the
    case organization's chain; ``person`` already supports
    ``max_cases_per_person`` other open cases; and, when ``level_roles`` is
    given (e.g. :data:`DEFAULT_LEVEL_ROLES`), ``person`` lacks the level's role.
    ``loads`` (from :func:`holder_loads`) avoids recounting all open cases on
    every call; it must not count this case.  Raises
    :class:`~rectify.errors.UnknownCaseError` for an unknown case.
    """
    case = campaign.case(case_id)
    load = (loads.get(person, 0) if loads is not None
            else holder_loads(campaign, exclude=case_id).get(person, 0))
    known = campaign.people.get(person)
    return support_reasons(case, level, person, campaign.population, load=load,
                           max_cases_per_person=max_cases_per_person,
                           roles=known.roles if known is not None else None,
                           level_roles=level_roles)


def verification_conflicts(campaign: Campaign, case_id: str, team: Iterable[str], *,
                           history: bool = True) -> list[str]:
    """Why members of ``team`` may not verify a campaign case (empty: the team is independent).

    A member conflicts when they support the case now, supported it earlier
    (``history``: read from the case's ledger), or are the secretary of the
    case's organization or of an organization above it.  Raises
    :class:`~rectify.errors.UnknownCaseError` for an unknown case.
    """
    case = campaign.case(case_id)
    earlier: dict[str, list[str]] = defaultdict(list)
    if history:
        for event in campaign.history(case_id):
            if isinstance(event, SupportAssigned):
                earlier[event.person].append(event.level)
    reasons: list[str] = []
    for person in dict.fromkeys(team):
        found = [r[0] for r in _conflict_reasons(case, person, campaign.population)]
        current = {s[0] for s in case.support if s[1] == person}
        past = sorted(set(earlier.get(person, ())) - current)
        if past:
            found.append(f"{person} supported the case earlier as {', '.join(past)}")
        reasons.extend(f"{r} (separation of duties)" for r in found)
    return reasons
