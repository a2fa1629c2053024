"""Who covers whom (包扶覆盖): the coverage graph, its checks and the lifecycle guards.

A `Coverage` snapshot (from `coverage_from_campaign()` or
`Coverage.of()`) holds the organization forest, the cases with their
supporters and verifiers, people, agency units, leaders' contact points,
unit-village pairings and cross-assessments.  The checks read it directly and
return `Finding` records with English and Chinese messages;
`build_graph()` turns it into a ``networkx.MultiDiGraph`` for pictures
(`rectify.reporting.diagrams`) and exports (GraphML, node-link JSON).

The limits (load caps, contact points per leader, visits a year) come from
the policy's ``[coverage]`` table; the checks take them as keyword overrides.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rectify.coverage.checks import (
    CHECKS,
    Finding,
    check_all,
    contact_point_problems,
    cross_assessment_problems,
    dismissal_cascade,
    missing_support,
    overloaded,
    pairing_problems,
    verifier_conflicts,
)
from rectify.coverage.graph import (
    EDGE_TYPES,
    NODE_TYPES,
    build_graph,
    case_subgraph,
    county_subgraph,
    node_link,
    write_graphml,
    write_node_link,
)
from rectify.coverage.model import (
    DEFAULT_DEPARTMENT_FOR_PROBLEM,
    DEFAULT_LEVEL_ROLES,
    DEPARTMENTS,
    PROBLEM_TYPES,
    CaseCoverage,
    ContactPoint,
    Coverage,
    CrossAssessment,
    Pairing,
    Unit,
)
from rectify.coverage.model import holder_loads as _coverage_loads
from rectify.lifecycle.guards import support_reasons, team_reasons

if TYPE_CHECKING:
    from rectify.campaign import Campaign

# The coverage tables' loaders live in rectify.inputs.coverage (a higher layer); they are
# still reachable here, imported on first use so that this package never imports inputs.
_FROM_INPUTS = frozenset({
    "CONTACT_POINT_COLUMNS", "CROSS_ASSESSMENT_COLUMNS", "PAIRING_COLUMNS", "UNIT_COLUMNS",
    "load_contact_points", "load_cross_assessments", "load_pairings", "load_units",
})


def __getattr__(name: str) -> Any:
    """The coverage loaders of `rectify.inputs.coverage`, under their old names."""
    if name in _FROM_INPUTS:
        return getattr(importlib.import_module("rectify.inputs.coverage"), name)
    raise AttributeError(f"module 'rectify.coverage' has no attribute {name!r}")

__all__ = [
    "CHECKS",
    "CONTACT_POINT_COLUMNS",
    "CROSS_ASSESSMENT_COLUMNS",
    "DEFAULT_DEPARTMENT_FOR_PROBLEM",
    "DEFAULT_LEVEL_ROLES",
    "DEPARTMENTS",
    "EDGE_TYPES",
    "NODE_TYPES",
    "PAIRING_COLUMNS",
    "PROBLEM_TYPES",
    "UNIT_COLUMNS",
    "CaseCoverage",
    "ContactPoint",
    "Coverage",
    "CrossAssessment",
    "Finding",
    "Pairing",
    "Unit",
    "build_graph",
    "case_subgraph",
    "check_all",
    "contact_point_problems",
    "county_subgraph",
    "coverage_from_campaign",
    "cross_assessment_problems",
    "dismissal_cascade",
    "holder_loads",
    "load_contact_points",
    "load_cross_assessments",
    "load_pairings",
    "load_units",
    "missing_support",
    "node_link",
    "overloaded",
    "pairing_problems",
    "support_conflicts",
    "support_reasons",
    "verification_conflicts",
    "verifier_conflicts",
    "write_graphml",
    "write_node_link",
]


def coverage_from_campaign(campaign: Campaign, *, units: Iterable[Unit] = (),
                           contact_points: Iterable[ContactPoint] = (),
                           pairings: Iterable[Pairing] = (),
                           cross_assessments: Iterable[CrossAssessment] = (),
                           dated: bool = True) -> Coverage:
    """The coverage snapshot of a campaign: the same as `rectify.Campaign.coverage`."""
    return campaign.coverage(units=units, contact_points=contact_points, pairings=pairings,
                             cross_assessments=cross_assessments, dated=dated)


def holder_loads(source: Coverage | Campaign, *, exclude: str | None = None) -> Counter[str]:
    """How many distinct open cases each person or unit supports (``exclude``: skip a case)."""
    coverage = source if isinstance(source, Coverage) else source.coverage(dated=False)
    return _coverage_loads(coverage, exclude=exclude)


def support_conflicts(campaign: Campaign, case_id: str, level: str, person: str, *,
                      max_cases_per_person: int | None = None,
                      loads: Mapping[str, int] | None = None,
                      level_roles: Mapping[str, str] | None = None) -> list[str]:
    """Why assigning ``person`` to ``level`` on a campaign case conflicts: see
    `rectify.Campaign.support_conflicts`."""
    return campaign.support_conflicts(case_id, level, person,
                                      max_cases_per_person=max_cases_per_person, loads=loads,
                                      level_roles=level_roles)


def verification_conflicts(campaign: Campaign, case_id: str, team: Iterable[str], *,
                           history: bool = True) -> list[str]:
    """Why members of ``team`` may not verify a campaign case (empty: independent).

    ``history=False`` leaves out the people who supported the case earlier.
    Raises `rectify.errors.UnknownCaseError` for an unknown case.
    """
    record = campaign.case(case_id)
    if not history:
        record = attrs.evolve(record, past_support=())
    return team_reasons(record, team, campaign.population)
