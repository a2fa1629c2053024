"""Column mappings: reading another system's export without renaming its headers.

A mapping is a small TOML file, one table per input table, naming which of
the file's headers is which column, and optionally other spellings of coded
values::

    [organizations.columns]
    "单位编码" = "code"
    "单位名称" = "name"
    "单位类别" = "kind"

    [organizations.values.kind]
    "农村" = "village"

    [assessments.columns]
    "考核得分" = "total"
    "书记缺位月数" = "fact:secretary_vacant_months"

Pass it as ``columns=load_mapping(path)`` to a loader, or ``--columns
mapping.toml`` on the command line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from rectify.errors import InputError, Problem
from rectify.inputs._rows import suggest

__all__ = ["TABLES", "ColumnMapping", "load_mapping"]

#: The tables a mapping may name, with the columns each knows (prefixes end with ``:``).
TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "organizations": ("code", "name", "kind", "tier", "form", "parent", "secretary", "county",
                      "township"),
    "assessments": ("org", "year", "total", "grade", "aspect:", "fact:"),
    "people": ("id", "name", "roles", "unit"),
    "units": ("id", "name", "department", "capacity", "county"),
    "contact_points": ("person", "county", "township", "since", "visits"),
    "pairings": ("unit", "org", "problem_type", "since"),
    "cross_assessments": ("assessor", "assessed", "period", "drawn_on"),
})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@attrs.frozen
class ColumnMapping:
    """Which header of another system's export is which column, per table.

    ``columns[table]`` maps a header of the file to a column of the table
    (``"单位编码" = "code"``); ``values[table][column]`` maps other spellings
    of a column's values to the ones rectify knows (``"农村" = "village"``).
    """

    columns: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    values: Mapping[str, Mapping[str, Mapping[str, str]]] = attrs.field(factory=dict)

    def columns_for(self, table: str) -> Mapping[str, str]:
        """The header renames for ``table`` (empty when the mapping does not name it)."""
        return self.columns.get(table, _EMPTY)

    def values_for(self, table: str) -> Mapping[str, Mapping[str, str]]:
        """The value spellings for ``table``'s columns."""
        return self.values.get(table, _EMPTY)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "mapping") -> ColumnMapping:
        """A mapping from plain data shaped like the TOML file.

        Raises:
            InputError: an unknown table, key or column, or a value that is not text.
        """
        problems: list[Problem] = []
        columns: dict[str, dict[str, str]] = {}
        values: dict[str, dict[str, dict[str, str]]] = {}
        for table, body in data.items():
            known = TABLES.get(table)
            if known is None:
                near = suggest(table, TABLES)
                problems.append(Problem(f"{source}:{table}", f"a table among {', '.join(TABLES)}",
                                        table, f"did you mean {near!r}?" if near else
                                        "correct the table name"))
                continue
            if not isinstance(body, Mapping):
                problems.append(Problem(f"{source}:{table}", "a table with columns and values",
                                        body, f"write [{table}.columns]"))
                continue
            for key in body:
                if key not in ("columns", "values"):
                    problems.append(Problem(f"{source}:{table}.{key}", "columns or values", key,
                                            "write [TABLE.columns] or [TABLE.values.COLUMN]"))
            columns[table] = _columns(source, table, body.get("columns", {}), known, problems)
            values[table] = _values(source, table, body.get("values", {}), known, problems)
        if problems:
            raise InputError(f"cannot read the column mapping {source}", problems)
        return cls(columns, values)


def _is_column(name: str, known: tuple[str, ...]) -> bool:
    return name in known or any(k.endswith(":") and name.startswith(k) and name != k
                                for k in known)


def _columns(source: str, table: str, body: Any, known: tuple[str, ...],
             problems: list[Problem]) -> dict[str, str]:
    if not isinstance(body, Mapping):
        problems.append(Problem(f"{source}:{table}.columns", 'a table of "header" = "column"',
                                body, f'write [{table}.columns] then "单位编码" = "code"'))
        return {}
    result: dict[str, str] = {}
    for header, column in body.items():
        where = f"{source}:{table}.columns.{header}"
        if not isinstance(column, str) or not _is_column(column, known):
            near = suggest(str(column), [k for k in known if not k.endswith(":")])
            problems.append(Problem(where, f"a column of {table} ({', '.join(known)})", column,
                                    f"did you mean {near!r}?" if near else
                                    "name one of the table's columns"))
            continue
        result[str(header).strip()] = column
    return result


def _values(source: str, table: str, body: Any, known: tuple[str, ...],
            problems: list[Problem]) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    if not isinstance(body, Mapping):
        problems.append(Problem(f"{source}:{table}.values", "a table per column", body,
                                f'write [{table}.values.kind] then "农村" = "village"'))
        return result
    for column, spellings in body.items():
        where = f"{source}:{table}.values.{column}"
        if not _is_column(column, known):
            problems.append(Problem(where, f"a column of {table}", column,
                                    "name one of the table's columns"))
            continue
        if not isinstance(spellings, Mapping) or not all(
                isinstance(v, str) for v in spellings.values()):
            problems.append(Problem(where, 'a table of "spelling" = "value"', spellings,
                                    'write e.g. "农村" = "village"'))
            continue
        result[column] = {str(k).strip(): v for k, v in spellings.items()}
    return result


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column mapping from a TOML file.

    Raises:
        InputError: the file is missing, unreadable, not UTF-8, not valid TOML
            (located by line and column) or names unknown tables or columns.
    """
    from rectify.policy._io import toml_position

    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"cannot read the column mapping {path}", [Problem(
            str(path), "an existing TOML file", "no such file", "check the path")]) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the column mapping {path}", [Problem(
            str(path), "UTF-8 text", exc.reason, "save the mapping as UTF-8")]) from None
    except OSError as exc:
        raise InputError(f"cannot read the column mapping {path}", [Problem(
            str(path), "a readable file", exc.strerror or str(exc), "check the path")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = toml_position(exc, text)
        raise InputError(f"cannot read the column mapping {path}", [Problem(
            f"{path.name}:line {line}:column {column}", "valid TOML", message,
            "correct the TOML at that position; quote headers that contain spaces or "
            "Chinese punctuation")]) from None
    return ColumnMapping.from_dict(data, path.name)
