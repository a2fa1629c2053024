"""Turning raw table rows into records: columns, headers in Chinese, mappings and checks.

Shared by `rectify.inputs.records` (organizations, assessments, people) and
`rectify.inputs.coverage`.  A loader names its columns (`Schema`); the
header of a file may use them, their Chinese names, a mapping the caller
gives, or (for assessments) the policy's aspect labels.  Every problem is
collected as a `Problem` and raised at once as one `InputError`.
"""

from __future__ import annotations

import difflib
import enum
import math
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from rectify.errors import InputError, InvalidValueError, Problem
from rectify.inputs._tables import Table, read_table, where
from rectify.model import describe_character, unsafe_character

__all__ = [
    "YEARS",
    "Schema",
    "normalize_header",
    "suggest",
]

#: The years an assessment may carry.
YEARS = range(1921, 2101)

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)
_SEPARATORS = re.compile(r"[\s\-]+")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
_DIGITS = re.compile(r"[0-9]+")


def normalize_header(text: str) -> str:
    """A header as compared with the known names: NFKC, case-folded, ``_`` for spaces.

    >>> normalize_header(" Org  Code "), normalize_header("组织编码（代码）")
    ('org_code', '组织编码(代码)')
    """
    return _SEPARATORS.sub("_", unicodedata.normalize("NFKC", text).strip().casefold())


def suggest(value: str, candidates: Collection[str]) -> str | None:
    """The candidate closest to a misspelt ``value``, if one is close enough."""
    found = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.7)
    if found:
        return found[0]
    lowered = {c.casefold(): c for c in candidates}
    found = difflib.get_close_matches(value.casefold(), list(lowered), n=1, cutoff=0.7)
    return lowered[found[0]] if found else None


@attrs.frozen
class Schema:
    """The columns of one table and the other names a header may give them.

    ``columns`` maps each column to whether a file must have it; ``prefixes``
    maps ``aspect:``-style prefixes to the names allowed after them (``None``:
    any); ``aliases`` maps other header names (Chinese, synonyms; compared
    after `normalize_header()`) to a column; ``values`` maps a column to the
    other spellings of its values (``直属`` to ``direct``).
    """

    what: str
    columns: Mapping[str, bool]
    prefixes: Mapping[str, Collection[str] | None] = attrs.field(factory=dict)
    aliases: Mapping[str, str] = attrs.field(factory=dict)
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)

    def listing(self) -> str:
        """The known columns, for messages."""
        return ", ".join(list(self.columns) + [f"{p}<name>" for p in self.prefixes])

    def known_names(self) -> list[str]:
        """Every column name a header may use verbatim (prefixed names included)."""
        names = list(self.columns)
        for prefix, allowed in self.prefixes.items():
            names += [prefix + n for n in allowed or ()]
        return names


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

    def text(self, column: str, required: bool = False, *, code: bool = False) -> str:
        """The cell as text; ``code`` refuses control, invisible and bidirectional characters."""
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
        bad = unsafe_character(value, code=code) if value else None
        if bad is not None:
            what = "a code" if code else "text"
            self.fail(column, f"{what} without control, invisible or bidirectional characters",
                      value, f"remove the {describe_character(bad)}")
            return ""
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
            if isinstance(value, str):
                text = value.translate(_FULL_WIDTH_DIGITS).replace(",", "")
                if not text.isascii():
                    raise ValueError
                number = float(text)
            else:
                number = float(value)
        except (TypeError, ValueError, OverflowError):
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
        if isinstance(value, int) and not isinstance(value, bool):
            text: object = str(value)
        elif isinstance(value, str):
            text = value.translate(_FULL_WIDTH_DIGITS).removesuffix("年")
        else:
            text = value
        if not isinstance(text, str) or not _DIGITS.fullmatch(text) or len(text) > 4 or int(
                text) not in YEARS:
            self.fail(column, expected, value, "write the year as four digits, e.g. 2017")
            return 0
        return int(text)

    def choice(self, column: str, enum_type: type[_E], default: _E | None = None,
               required: bool = True, aliases: Mapping[str, str] | None = None) -> _E | None:
        value = self.text(column, required=required)
        if not value:
            return default
        value = (aliases or {}).get(value, value)
        for member in enum_type:
            if value in (member.value, getattr(member, "zh", None)):
                return member
        names = ", ".join(f"{m.value} ({getattr(m, 'zh', '')})" for m in enum_type)
        self.fail(column, f"one of {names}", value,
                  "use the English identifier or the Chinese label")
        return default


def resolve_columns(table: Table, schema: Schema, mapping: Mapping[str, str] | None,
                    value_maps: Mapping[str, Mapping[str, str]] | None,
                    problems: list[Problem]) -> Table:
    """``table`` with its headers renamed to the schema's columns and its values mapped.

    A header is kept when it is a column (or a prefixed name); otherwise the
    caller's ``mapping``, then the schema's aliases (Chinese names,
    synonyms, compared after `normalize_header()`) rename it.  Headers the
    mapping names but the file lacks are reported.  Two headers that rename to
    one column are reported.
    """
    mapping = dict(mapping or {})
    aliases = {normalize_header(k): v for k, v in schema.aliases.items()}
    folded = {normalize_header(c): c for c in schema.known_names()}
    rename: dict[str, str] = {}
    for column in table.columns:
        target = column
        if column in mapping:
            target = mapping[column]
        elif column not in schema.columns and not any(
                column.startswith(p) for p in schema.prefixes):
            key = normalize_header(column)
            target = folded.get(key) or aliases.get(key) or column
        rename[column] = target
    for header in mapping:
        if header not in table.columns:
            problems.append(Problem(where(table.source, 1), f"a column named {header!r} (from "
                                    "the column mapping)", list(table.columns),
                                    "correct the mapping or the file's header"))
    seen: dict[str, str] = {}
    for column, target in rename.items():
        if target in seen and target:
            problems.append(Problem(where(table.source, table.first_row[column], column),
                                    f"one column for {target}", [seen[target], column],
                                    "remove one of the two columns or map it elsewhere"))
        seen.setdefault(target, column)
    maps = {**schema.values, **(value_maps or {})}
    if all(k == v for k, v in rename.items()) and not any(c in maps for c in rename.values()):
        return table
    rows: list[tuple[int, dict[str, Any]]] = []
    mapped = {c: {**schema.values.get(c, {}), **(value_maps or {}).get(c, {})}
              for c in set(rename.values()) if c in maps}
    for number, values in table.rows:
        row = {rename.get(k, k): v for k, v in values.items()}
        for column, spellings in mapped.items():
            cell = row.get(column)
            if isinstance(cell, str) and cell in spellings:
                row[column] = spellings[cell]
        rows.append((number, row))
    first_row = {rename.get(k, k): n for k, n in reversed(list(table.first_row.items()))}
    return attrs.evolve(table, columns=tuple(rename[c] for c in table.columns),
                        first_row=first_row, rows=tuple(rows))


def _check_columns(table: Table, known: Mapping[str, bool], problems: list[Problem],
                   prefixes: Mapping[str, Collection[str] | None] | None = None,
                   hints: Collection[str] = ()) -> set[str]:
    """Report missing required columns (CSV header) and unknown columns (every format).

    An unknown column is named with the closest known one ("did you mean").
    Returns the required columns missing from a header.
    """
    prefixes = prefixes or {}
    absent: set[str] = set()
    if table.header:
        for column, required in known.items():
            if required and column not in table.columns:
                absent.add(column)
                problems.append(Problem(where(table.source, table.first_row.get(column, 1)
                                              if table.first_row else 1, column),
                                        f"a column named {column!r}", list(table.columns),
                                        f"add a {column} column to the header row"))
    listing = ", ".join(list(known) + [f"{p}<name>" for p in prefixes])
    candidates = list(known) + [p + n for p, names in prefixes.items() for n in names or ()]
    candidates += list(hints)
    for column in table.columns:
        prefix = next((p for p in prefixes if column.startswith(p)), None)
        if column in known or not column:
            continue
        location = where(table.source, table.first_row[column], column)
        near = suggest(column, candidates)
        if prefix is None:
            fix = (f"did you mean {near!r}? correct the name" if near else
                   "remove the column, correct its name or map it with a column mapping")
            problems.append(Problem(location, f"one of the columns {listing}", column, fix))
            continue
        name, names = column[len(prefix):], prefixes[prefix]
        if not name or (names is not None and name not in names):
            allowed = "a name" if names is None else f"one of {', '.join(names)}"
            fix = (f"did you mean {near!r}? correct the name" if near and near != column else
                   "correct the name after the prefix or remove the column")
            problems.append(Problem(location, f"{prefix}<name> with {allowed}", column, fix))
    return absent


def _table(path: str | Path, schema: Schema, *, nested: Mapping[str, str] | None = None,
           encoding: str | None = None, mapping: Mapping[str, str] | None = None,
           value_maps: Mapping[str, Mapping[str, str]] | None = None,
           sheet: str | None = None, hints: Collection[str] = (),
           ) -> tuple[Table, list[Problem], set[str]]:
    """Read, rename and check the columns; raise at once if the file cannot be read."""
    problems: list[Problem] = []
    table = read_table(Path(path), nested or {}, problems, encoding=encoding, sheet=sheet)
    if table is None:
        raise InputError(f"cannot load {schema.what} from {path}", problems)
    table = resolve_columns(table, schema, mapping, value_maps, problems)
    absent = _check_columns(table, schema.columns, problems, schema.prefixes, hints)
    return table, problems, absent


def _raise(path: str | Path, what: str, problems: list[Problem]) -> None:
    if problems:
        raise InputError(f"cannot load {what} from {path}", problems)


def _load_rows(path: str | Path, what: str | Schema, columns: Mapping[str, bool],
               parse: Callable[[_Row], _T | None], **options: Any) -> list[_T]:
    """Read a table with fixed columns, parse each row; one InputError with every problem.

    ``options`` are those of `_table()` (``encoding``, ``mapping``, ...).
    """
    schema = what if isinstance(what, Schema) else Schema(what, columns)
    table, problems, absent = _table(path, schema, **options)
    result: list[_T] = []
    for number, values in table.rows:
        row = _Row(table, number, values, problems, absent)
        item = parse(row)
        if row.ok and item is not None:
            result.append(item)
    _raise(path, schema.what, problems)
    return result


def _duplicate(row: _Row, column: str, key: object, seen: dict[Any, int], label: str) -> None:
    first = seen.setdefault(key, row.line)
    if first != row.line:
        row.fail(column, f"one row per {label}", key,
                 f"row {first} has the same {label}; keep one of them")


def _build(row: _Row, factory: Callable[..., _T], **fields: Any) -> list[_T]:
    """The record as a one-item list, or an empty list and a problem if the model rejects it."""
    try:
        return [factory(**fields)]
    except InvalidValueError as exc:
        row.fail(exc.field, exc.expected, exc.got, "correct the value")
        return []
