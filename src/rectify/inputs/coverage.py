"""Loading the coverage inputs: agency units, contact points, pairings, cross-assessments.

Same conventions as `rectify.inputs` (CSV or JSON by suffix, UTF-8, one
`InputError` listing every problem as
``file:row N:column``).  The column schemas are documented in
``docs/coverage.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from rectify.coverage.model import (
    DEPARTMENTS,
    PROBLEM_TYPES,
    ContactPoint,
    CrossAssessment,
    Pairing,
    Unit,
)
from rectify.forest import Population
from rectify.inputs._rows import _duplicate, _load_rows, _Row

__all__ = [
    "CONTACT_POINT_COLUMNS",
    "CROSS_ASSESSMENT_COLUMNS",
    "PAIRING_COLUMNS",
    "UNIT_COLUMNS",
    "load_contact_points",
    "load_cross_assessments",
    "load_pairings",
    "load_units",
]

#: Agency unit columns; ``True`` marks the required ones.
UNIT_COLUMNS: Mapping[str, bool] = {"id": True, "name": True, "department": False,
                                    "capacity": False, "county": False}
#: Contact point columns (领导联系点).
CONTACT_POINT_COLUMNS: Mapping[str, bool] = {"person": True, "county": True, "township": False,
                                             "since": False, "visits": False}
#: Pairing columns (结对共建).
PAIRING_COLUMNS: Mapping[str, bool] = {"unit": True, "org": True, "problem_type": False,
                                       "since": False}
#: Cross-assessment columns (交叉互评).
CROSS_ASSESSMENT_COLUMNS: Mapping[str, bool] = {"assessor": True, "assessed": True,
                                                "period": False, "drawn_on": False}


def _int(row: _Row, column: str, low: int = 0) -> int | None:
    value = row.values.get(column, "")
    if value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    else:
        row.fail(column, f"a whole number of at least {low}", value,
                 "write digits only, e.g. 3")
        return None
    if number < low:
        row.fail(column, f"a whole number of at least {low}", value, "correct the value")
        return None
    return number


def _date(row: _Row, column: str) -> date | None:
    value = row.values.get(column, "")
    if value == "":
        return None
    try:
        if not isinstance(value, str):
            raise TypeError
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        row.fail(column, "a date as YYYY-MM-DD", value, "write the date like 2017-03-05")
        return None


def _known(row: _Row, column: str, value: str, known: Collection[str] | None,
           what: str) -> None:
    if value and known is not None and value not in known:
        row.fail(column, f"the id of {what}", value, f"correct the id or add the {what}")


def load_units(path: str | Path, *,
               departments: Collection[str] | None = tuple(DEPARTMENTS)) -> list[Unit]:
    """Load agency units (机关单位): ``id``, ``name``, ``department``, ``capacity``, ``county``.

    ``departments`` is the set of allowed department types (``None``: any).
    Raises `InputError` with every problem.
    """
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> Unit | None:
        uid = row.text("id", required=True)
        if uid:
            _duplicate(row, "id", uid, seen, "unit id")
        name = row.text("name", required=True)
        department = row.text("department")
        if department and departments is not None and department not in departments:
            row.fail("department", f"one of {', '.join(departments)}", department,
                     "use a department type the pairing map knows")
        capacity = _int(row, "capacity")
        county = row.text("county")
        return Unit(uid, name, department, capacity, county) if row.ok else None

    return _load_rows(path, "units", UNIT_COLUMNS, parse)


def load_contact_points(path: str | Path, *,
                        people: Collection[str] | None = None) -> list[ContactPoint]:
    """Load leaders' contact points (领导联系点): person, county, township, since, visits.

    An empty ``township`` makes the county itself the contact point.
    ``people``, when given, must contain every person.  One row per person and
    area.  Raises `InputError` with every problem.
    """
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> ContactPoint | None:
        person = row.text("person", required=True)
        _known(row, "person", person, people, "a person in the people table")
        county = row.text("county", required=True)
        township = row.text("township")
        if person and county:
            _duplicate(row, "township", f"{person} {county}/{township}", seen,
                       "person and area")
        since = _date(row, "since")
        visits = _int(row, "visits")
        return ContactPoint(person, county, township, since, visits) if row.ok else None

    return _load_rows(path, "contact points", CONTACT_POINT_COLUMNS, parse)


def load_pairings(path: str | Path, *, units: Collection[str] | None = None,
                  population: Population | None = None,
                  problem_types: Collection[str] | None = tuple(PROBLEM_TYPES)) -> list[Pairing]:
    """Load unit-village pairings (结对共建): ``unit``, ``org``, ``problem_type``, ``since``.

    ``units`` and ``population``, when given, must contain the unit and the
    organization; ``problem_types`` is the set of allowed problem types.
    Raises `InputError` with every problem.
    """
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> Pairing | None:
        unit = row.text("unit", required=True)
        _known(row, "unit", unit, units, "a unit in the units table")
        org = row.text("org", required=True)
        if org and population is not None and org not in population:
            row.fail("org", "the code of an organization of the population", org,
                     "correct the code or add the organization")
        if unit and org:
            _duplicate(row, "org", f"{unit} {org}", seen, "unit and organization")
        problem = row.text("problem_type")
        if problem and problem_types is not None and problem not in problem_types:
            row.fail("problem_type", f"one of {', '.join(problem_types)}", problem,
                     "use a problem type of the pairing map")
        since = _date(row, "since")
        return Pairing(unit, org, problem, since) if row.ok else None

    return _load_rows(path, "pairings", PAIRING_COLUMNS, parse)


def load_cross_assessments(path: str | Path) -> list[CrossAssessment]:
    """Load cross-assessments (交叉互评): ``assessor``, ``assessed``, ``period``, ``drawn_on``.

    A county may not assess itself, and assesses at most one county per
    period.  Raises `InputError` with every problem.
    """
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> CrossAssessment | None:
        assessor = row.text("assessor", required=True)
        assessed = row.text("assessed", required=True)
        period = row.text("period")
        if assessor and assessor == assessed:
            row.fail("assessed", "a county other than the assessor", assessed,
                     "no county assesses itself: draw another county")
        if assessor:
            _duplicate(row, "assessor", f"{assessor} {period}", seen, "assessor and period")
        drawn_on = _date(row, "drawn_on")
        return CrossAssessment(assessor, assessed, period, drawn_on) if row.ok else None

    return _load_rows(path, "cross-assessments", CROSS_ASSESSMENT_COLUMNS, parse)
