"""Loading organizations, assessments and people from CSV and JSON files.

The format is chosen by the file's suffix (``.csv`` or ``.json``); files are
UTF-8, with or without a byte-order mark.  Every loader either returns
everything or raises one `InputError` listing every
problem it found, each located as ``file:row N:column`` with what was
expected, what was found and how to fix it.  Tree problems (unknown parent,
cycle, ...) are reported the same way: `load_organizations()` raises
``InputError``, never ``ForestError`` (the ``ForestError`` raised by
`Population` is chained as ``__cause__``).

The column schemas are documented in ``docs/inputs.md``.  The writers
(`write_organizations()`, ...) produce files the loaders read back.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from rectify.errors import ForestError, InputError, InvalidValueError, Problem
from rectify.forest import Population
from rectify.inputs._tables import Table, read_table, where, write_table
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier

__all__ = [
    "ASSESSMENT_COLUMNS",
    "ORGANIZATION_COLUMNS",
    "PERSON_COLUMNS",
    "YEARS",
    "load_assessments",
    "load_organizations",
    "load_people",
    "write_assessments",
    "write_organizations",
    "write_people",
]

#: Organization columns; ``True`` marks the columns a file must have.
ORGANIZATION_COLUMNS: Mapping[str, bool] = {
    "code": True, "name": True, "kind": True, "tier": True, "form": False,
    "parent": False, "secretary": False, "county": False, "township": False,
}
#: Assessment columns besides ``aspect:<name>`` and ``fact:<name>``.
ASSESSMENT_COLUMNS: Mapping[str, bool] = {"org": True, "year": True, "total": True,
                                          "grade": False}
#: People columns.
PERSON_COLUMNS: Mapping[str, bool] = {"id": True, "name": True, "roles": False, "unit": False}
#: The years an assessment may carry.
YEARS = range(1921, 2101)

_NESTED = {"aspects": "aspect:", "facts": "fact:"}
_ROLE_SEPARATORS = re.compile(r"[;|；]")
_FOREST_LOCATION = re.compile(r"organization (.*?)(?:\.(parent))?")
_E = TypeVar("_E", bound=enum.Enum)


class _Row:
    """One row being converted; every failed conversion adds a problem and clears ``ok``."""

    def __init__(self, table: Table, number: int, values: Mapping[str, Any],
                 problems: list[Problem], absent: Collection[str]) -> None:
        self.source, self.line, self.values = table.source, number, values
        self.problems, self.absent = problems, absent
        self.ok = True

    def fail(self, column: str, expected: str, got: object, fix: str) -> None:
        self.problems.append(Problem(where(self.source, self.line, column), expected, got, fix))
        self.ok = False

    def text(self, column: str, required: bool = False) -> str:
        value: object = self.values.get(column, "")
        if not isinstance(value, str):
            self.fail(column, "text", value, "write the value as text (in quotes in JSON)")
            return ""
        if required and not value:
            if column in self.absent:  # reported once, for the header
                self.ok = False
            else:
                self.fail(column, f"a value for {column} (required)", value,
                          f"fill in the {column}")
        return value

    def number(self, column: str, low: float | None = None, high: float | None = None,
               required: bool = False) -> float | None:
        value = self.values.get(column, "")
        if value == "":
            if required and column in self.absent:
                self.ok = False
            elif required:
                self.fail(column, f"a number for {column} (required)", value,
                          f"fill in the {column}")
            return None
        span = "a number" if low is None or high is None else f"a number from {low:g} to {high:g}"
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            self.fail(column, span, value, "write digits with a decimal point, e.g. 72.5")
            return None
        if not math.isfinite(number) or (low is not None and number < low) or (
                high is not None and number > high):
            self.fail(column, span, value, "correct the value: it is out of range")
            return None
        return number

    def year(self, column: str) -> int:
        value = self.values.get(column, "")
        expected = f"a year from {YEARS[0]} to {YEARS[-1]}"
        if value == "":
            if column in self.absent:
                self.ok = False
            else:
                self.fail(column, expected + " (required)", value, "fill in the year")
            return 0
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not text.isdigit() or int(text) not in YEARS:
            self.fail(column, expected, value, "write the year as four digits, e.g. 2017")
            return 0
        return int(text)

    def choice(self, column: str, enum_type: type[_E], default: _E | None = None,
               required: bool = True) -> _E | None:
        value = self.text(column, required=required)
        if not value:
            return default
        for member in enum_type:
            if value in (member.value, getattr(member, "zh", None)):
                return member
        names = ", ".join(f"{m.value} ({getattr(m, 'zh', '')})" for m in enum_type)
        self.fail(column, f"one of {names}", value,
                  "use the English identifier or the Chinese label")
        return default


def _check_columns(table: Table, known: Mapping[str, bool], problems: list[Problem],
                   prefixes: Mapping[str, Collection[str] | None] | None = None) -> set[str]:
    """Report missing required columns (CSV header) and unknown columns (both formats).

    Returns the required columns missing from a CSV header.
    """
    prefixes = prefixes or {}
    absent: set[str] = set()
    if table.header:
        for column, required in known.items():
            if required and column not in table.columns:
                absent.add(column)
                problems.append(Problem(where(table.source, 1, column),
                                        f"a column named {column!r}", list(table.columns),
                                        f"add a {column} column to the header row"))
    listing = ", ".join(list(known) + [f"{p}<name>" for p in prefixes])
    for column in table.columns:
        prefix = next((p for p in prefixes if column.startswith(p)), None)
        if column in known or not column:
            continue
        location = where(table.source, table.first_row[column], column)
        if prefix is None:
            problems.append(Problem(location, f"one of the columns {listing}", column,
                                    "remove the column or correct its name"))
            continue
        name, names = column[len(prefix):], prefixes[prefix]
        if not name or (names is not None and name not in names):
            allowed = "a name" if names is None else f"one of {', '.join(names)}"
            problems.append(Problem(location, f"{prefix}<name> with {allowed}", column,
                                    "correct the name after the prefix or remove the column"))
    return absent


def _table(path: str | Path, what: str, known: Mapping[str, bool],
           prefixes: Mapping[str, Collection[str] | None] | None = None,
           ) -> tuple[Table, list[Problem], set[str]]:
    """Read and check the columns; raise at once if the file cannot be read as a table."""
    problems: list[Problem] = []
    table = read_table(Path(path), _NESTED if prefixes else {}, problems)
    if table is None:
        raise InputError(f"cannot load {what} from {path}", problems)
    return table, problems, _check_columns(table, known, problems, prefixes)


def _raise(path: str | Path, what: str, problems: list[Problem]) -> None:
    if problems:
        raise InputError(f"cannot load {what} from {path}", problems)


def _load_rows(path: str | Path, what: str, columns: Mapping[str, bool],
               parse: Callable[[_Row], _T | None]) -> list[_T]:
    """Read a table with fixed columns, parse each row; one InputError with every problem."""
    table, problems, absent = _table(path, what, columns)
    result: list[_T] = []
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        item = parse(row)
        if row.ok and item is not None:
            result.append(item)
    _raise(path, what, problems)
    return result


def _duplicate(row: _Row, column: str, key: object, seen: dict[Any, int], label: str) -> None:
    first = seen.setdefault(key, row.line)
    if first != row.line:
        row.fail(column, f"one row per {label}", key,
                 f"row {first} has the same {label}; keep one of them")


def load_organizations(path: str | Path, *, kinds: Collection[str] | None = None) -> Population:
    """Load organizations and check the tree, returning a `Population`.

    ``kinds``, when given (``policy.kinds``), is the set of allowed kinds.
    Raises `InputError` with every problem, including
    the tree's (duplicate codes, unknown parents, cycles...).
    """
    table, problems, absent = _table(path, "organizations", ORGANIZATION_COLUMNS)
    orgs: list[Organization] = []
    rows: dict[str, int] = {}
    invalid: set[str] = set()
    valid: set[str] = set()
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        code = row.text("code", required=True)
        if code:
            _duplicate(row, "code", code, rows, "organization code")
        name = row.text("name", required=True)
        kind = row.text("kind", required=True)
        if kind and kinds is not None and kind not in kinds:
            row.fail("kind", f"one of the policy's kinds ({', '.join(kinds)})", kind,
                     "correct the kind or use a policy that declares it")
        tier = row.choice("tier", Tier)
        form = row.choice("form", OrgForm, OrgForm.BRANCH, required=False)
        fields = {c: row.text(c) for c in ("parent", "secretary", "county", "township")}
        if not row.ok or tier is None or form is None:
            if code not in valid:
                invalid.add(code)
            continue
        valid.add(code)
        orgs.extend(_build(row, Organization, code=code, name=name, kind=kind, tier=tier,
                           form=form, parent=fields["parent"] or None,
                           secretary=fields["secretary"] or None, county=fields["county"],
                           township=fields["township"]))
    population, cause = _forest(table.source, orgs, rows, invalid, problems)
    if problems or population is None:
        raise InputError(f"cannot load organizations from {path}", problems) from cause
    return population


_T = TypeVar("_T")


def _build(row: _Row, factory: Callable[..., _T], **fields: Any) -> list[_T]:
    """The record as a one-item list, or an empty list and a problem if the model rejects it."""
    try:
        return [factory(**fields)]
    except InvalidValueError as exc:  # pragma: no cover - the row checks come first
        row.fail(exc.field, exc.expected, exc.got, "correct the value")
        return []


def _forest(source: str, orgs: list[Organization], rows: Mapping[str, int], invalid: set[str],
            problems: list[Problem]) -> tuple[Population | None, ForestError | None]:
    # Leave out branches whose parent (or an ancestor) is on an invalid row:
    # that row's problem is already reported, and "unknown parent" would mislead.
    kept = {o.code: o for o in orgs}
    changed = True
    while changed:
        orphans = [c for c, o in kept.items() if o.parent in invalid]
        invalid.update(orphans)
        changed = bool(orphans)
        for code in orphans:
            del kept[code]
    try:
        return Population(kept.values()), None
    except ForestError as exc:
        for p in exc.problems:
            match = _FOREST_LOCATION.fullmatch(p.location)
            if match and match.group(1) in rows:
                column = "parent" if match.group(2) else "code"
                location = where(source, rows[match.group(1)], column)
            else:  # pragma: no cover - every forest problem names an organization
                location = f"{source}:{p.location}"
            problems.append(Problem(location, p.expected, p.got, p.fix))
        return None, exc


def load_assessments(
    path: str | Path,
    *,
    aspects: Collection[str] | None = None,
    population: Population | None = None,
) -> list[Assessment]:
    """Load annual assessments, in file order.

    ``aspects``, when given (``policy.aspects``), is the set of allowed
    ``aspect:<name>`` columns; ``population``, when given, must contain every
    assessed organization.  Raises `InputError` with
    every problem, including two rows for one organization and year.
    """
    prefixes: dict[str, Collection[str] | None] = {"aspect:": aspects, "fact:": None}
    table, problems, absent = _table(path, "assessments", ASSESSMENT_COLUMNS, prefixes)
    aspect_columns = [c for c in table.columns if c.startswith("aspect:")]
    fact_columns = [c for c in table.columns if c.startswith("fact:")]
    result: list[Assessment] = []
    seen: dict[Any, int] = {}
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        org = row.text("org", required=True)
        if org and population is not None and org not in population:
            row.fail("org", "the code of an organization of the population", org,
                     "correct the code or add the organization")
        year = row.year("year")
        if org and year:
            _duplicate(row, "org", f"{org} {year}", seen, "organization and year")
        total = row.number("total", 0, 100, required=True)
        grade = row.choice("grade", Grade, required=False)
        scores = {c[7:]: row.number(c, 0, 100) for c in aspect_columns}
        facts = {c[5:]: row.number(c) for c in fact_columns}
        if not row.ok or total is None:
            continue
        result.extend(_build(
            row, Assessment, org=org, year=year, total=total, grade=grade,
            aspects={k: v for k, v in scores.items() if v is not None},
            facts={k: v for k, v in facts.items() if v is not None}))
    _raise(path, "assessments", problems)
    return result


def load_people(path: str | Path) -> list[Person]:
    """Load people, in file order.

    ``roles`` are separated by ``;`` or ``|`` (a JSON list of strings also
    works).  Raises `InputError` with every problem,
    including a duplicate id.
    """
    seen: dict[Any, int] = {}

    def parse(row: _Row) -> Person | None:
        pid = row.text("id", required=True)
        if pid:
            _duplicate(row, "id", pid, seen, "person id")
        name = row.text("name", required=True)
        raw = row.values.get("roles", "")
        if isinstance(raw, list) and all(isinstance(r, str) for r in raw):
            roles = {r.strip() for r in raw} - {""}
        else:
            roles = {r.strip() for r in _ROLE_SEPARATORS.split(row.text("roles"))} - {""}
        unit = row.text("unit")
        if not row.ok:
            return None
        built = _build(row, Person, id=pid, name=name, roles=roles, unit=unit)
        return built[0] if built else None

    return _load_rows(path, "people", PERSON_COLUMNS, parse)


def write_organizations(organizations: Iterable[Organization], path: str | Path, *,
                        bom: bool = False) -> None:
    """Write organizations to a .csv or .json file that `load_organizations()` reads."""
    rows = [{"code": o.code, "name": o.name, "kind": o.kind, "tier": o.tier.value,
             "form": o.form.value, "parent": o.parent, "secretary": o.secretary,
             "county": o.county, "township": o.township} for o in organizations]
    write_table(Path(path), list(ORGANIZATION_COLUMNS), rows, {}, bom=bom)


def write_assessments(assessments: Iterable[Assessment], path: str | Path, *,
                      bom: bool = False) -> None:
    """Write assessments to a .csv or .json file that `load_assessments()` reads.

    Aspect and fact columns come in the order they first appear.
    """
    rows: list[dict[str, Any]] = []
    columns: dict[str, None] = dict.fromkeys(ASSESSMENT_COLUMNS)
    facts: dict[str, None] = {}
    for a in assessments:
        row: dict[str, Any] = {"org": a.org, "year": a.year, "total": a.total,
                               "grade": a.grade.value if a.grade else None}
        row.update({f"aspect:{k}": v for k, v in a.aspects.items()})
        columns.update(dict.fromkeys(f"aspect:{k}" for k in a.aspects))
        row.update({f"fact:{k}": v for k, v in a.facts.items()})
        facts.update(dict.fromkeys(f"fact:{k}" for k in a.facts))
        rows.append(row)
    write_table(Path(path), [*columns, *facts], rows, _NESTED, bom=bom)


def write_people(people: Iterable[Person], path: str | Path, *, bom: bool = False) -> None:
    """Write people to a .csv or .json file that `load_people()` reads (roles sorted)."""
    rows = [{"id": p.id, "name": p.name, "roles": ";".join(sorted(p.roles)), "unit": p.unit}
            for p in people]
    write_table(Path(path), list(PERSON_COLUMNS), rows, {}, bom=bom)
