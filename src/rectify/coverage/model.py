"""Records of the coverage graph (包扶、联系点、结对、交叉互评) and the snapshot the checks read.

A `Coverage` is a plain, immutable-by-convention snapshot: the
organization forest, the open and closed cases with who supports and
verifies them, the people, the agency units, the leaders' contact points,
the unit-village pairings and the cross-assessments between counties.  The
checks of `rectify.coverage` run on it directly (fast at national
scale); `rectify.coverage.build_graph()` turns it into a networkx graph
for pictures, exports and ad-hoc questions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from rectify.forest import Population
from rectify.lifecycle.case import OPEN_STATES
from rectify.model import Person

__all__ = [
    "DEFAULT_DEPARTMENT_FOR_PROBLEM",
    "DEFAULT_LEVEL_ROLES",
    "DEPARTMENTS",
    "PROBLEM_TYPES",
    "CaseCoverage",
    "ContactPoint",
    "Coverage",
    "CrossAssessment",
    "Pairing",
    "Unit",
    "holder_loads",
]

#: Department types of agency units (机关单位类别), with Chinese labels.
DEPARTMENTS: Mapping[str, str] = MappingProxyType({
    "party_government": "党政部门",
    "economic": "经济部门",
    "political_legal": "政法部门",
    "agricultural": "涉农部门",
})

#: Problem types of listed villages (软、穷、乱、专业), with Chinese labels.
PROBLEM_TYPES: Mapping[str, str] = MappingProxyType({
    "weak": "软弱型",
    "poor": "贫困型",
    "disorderly": "混乱型",
    "specialised": "专业型",
})

#: The domain's default pairing by problem type (domain.md §3): which department
#: types serve which problem type.  A policy may state another map.
DEFAULT_DEPARTMENT_FOR_PROBLEM: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "weak": ("party_government",),
    "poor": ("economic",),
    "disorderly": ("political_legal",),
    "specialised": ("agricultural",),
})

#: The role a person needs to hold each default support level (五级包扶).
DEFAULT_LEVEL_ROLES: Mapping[str, str] = MappingProxyType({
    "leader_contact": "county_leader",
    "org_guidance": "org_department",
    "paired_unit": "paired_unit",
    "committee_supervisor": "committee_supervisor",
    "first_secretary": "first_secretary",
})


@attrs.frozen(slots=True)
class Unit:
    """An agency unit (机关单位) that pairs with villages (结对共建).

    ``department`` is one of `DEPARTMENTS` (or a locality's own type);
    ``capacity`` is how many villages it may pair with (``None``: the caller's
    default cap applies).
    """

    id: str
    name: str
    department: str = ""
    capacity: int | None = None
    county: str = ""


@attrs.frozen(slots=True)
class ContactPoint:
    """A leader's contact point (领导联系点): a county, or a township of a county.

    ``township`` is empty when the contact point is the county itself (a city
    standing-committee member); ``visits`` counts the visits recorded this
    year (``None``: not recorded).
    """

    person: str
    county: str
    township: str = ""
    since: date | None = None
    visits: int | None = None

    @property
    def area(self) -> str:
        """``county`` or ``county/township``: the key of the area node."""
        return f"{self.county}/{self.township}" if self.township else self.county


@attrs.frozen(slots=True)
class Pairing:
    """An agency unit paired with a village (结对共建), optionally for a problem type."""

    unit: str
    org: str
    problem_type: str = ""
    since: date | None = None


@attrs.frozen(slots=True)
class CrossAssessment:
    """County ``assessor`` assesses county ``assessed`` (交叉互评) in ``period`` (``2017Q1``)."""

    assessor: str
    assessed: str
    period: str = ""
    drawn_on: date | None = None


@attrs.frozen(slots=True)
class CaseCoverage:
    """Who covers one case: its support (level, holder, since) and its latest verifiers."""

    id: str
    org: str
    kind: str
    year: int
    state: str
    support: tuple[tuple[str, str, date | None], ...] = ()
    verifiers: tuple[str, ...] = ()
    verified_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Whether the case is still being rectified."""
        return self.state in OPEN_STATES

    @property
    def supporters(self) -> frozenset[str]:
        """Everyone (people or units) currently supporting the case."""
        return frozenset(holder for _, holder, _ in self.support)

    def holder(self, level: str) -> str | None:
        """Who holds ``level``, if anyone."""
        for assigned, holder, _ in self.support:
            if assigned == level:
                return holder
        return None


@attrs.define(slots=True)
class Coverage:
    """Everything the coverage checks look at (a snapshot; build with `of()`).

    ``cases`` maps case ids to `CaseCoverage`; ``people`` and
    ``units`` map ids to records.  Support holders that are neither a person
    nor a unit are still counted (as people with unknown names).
    """

    population: Population
    cases: Mapping[str, CaseCoverage] = attrs.field(factory=dict)
    people: Mapping[str, Person] = attrs.field(factory=dict)
    units: Mapping[str, Unit] = attrs.field(factory=dict)
    contact_points: tuple[ContactPoint, ...] = ()
    pairings: tuple[Pairing, ...] = ()
    cross_assessments: tuple[CrossAssessment, ...] = ()

    @classmethod
    def of(cls, population: Population, cases: Iterable[CaseCoverage] = (),
           people: Iterable[Person] = (), units: Iterable[Unit] = (),
           contact_points: Iterable[ContactPoint] = (), pairings: Iterable[Pairing] = (),
           cross_assessments: Iterable[CrossAssessment] = ()) -> Coverage:
        """A snapshot from its parts (iterables of records)."""
        return cls(population, {c.id: c for c in cases}, {p.id: p for p in people},
                   {u.id: u for u in units}, tuple(contact_points), tuple(pairings),
                   tuple(cross_assessments))

    def open_cases(self) -> list[CaseCoverage]:
        """The open cases, in id order."""
        return [c for _, c in sorted(self.cases.items()) if c.is_open]

    def chain_secretaries(self, org: str) -> frozenset[str]:
        """Secretaries of ``org`` and of every organization above it (its chain)."""
        found = self.population.get(org)
        if found is None:
            return frozenset()
        chain = (found, *self.population.ancestors(org))
        return frozenset(o.secretary for o in chain if o.secretary)

    def label(self, node_id: str) -> str:
        """The Chinese name of a person, unit or organization id (the id itself if unknown)."""
        if node_id in self.people:
            return self.people[node_id].name
        if node_id in self.units:
            return self.units[node_id].name
        org = self.population.get(node_id)
        return org.name if org is not None else node_id


def holder_loads(coverage: Coverage, *, exclude: str | None = None) -> Counter[str]:
    """How many distinct open cases each person or unit supports (``exclude``: skip a case)."""
    loads: Counter[str] = Counter()
    for case in coverage.cases.values():
        if case.is_open and case.id != exclude:
            loads.update({holder for _, holder, _ in case.support})
    return loads
