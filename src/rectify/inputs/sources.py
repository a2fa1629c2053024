"""Finding a county's tables: a folder of files, one file, or one workbook with a sheet each.

What a user names after ``--population`` (or passes to `load_county()`):

- a folder holding ``organizations``, ``assessments`` and ``people`` files
  (``.csv``, ``.tsv``, ``.xlsx`` or ``.json``, in that order of preference);
- one of those files (a file named after another table stands for its folder,
  so ``dir/organizations.csv`` finds ``dir/assessments.csv``);
- a workbook whose sheets are the tables, named in English
  (``organizations``) or Chinese (``组织``, ``评定``, ``人员``...); a workbook
  with one sheet is the organizations table.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from rectify.errors import InputError, Problem
from rectify.forest import Population
from rectify.inputs.mapping import ColumnMapping
from rectify.inputs.records import load_assessments, load_organizations, load_people
from rectify.model import Assessment, Person

if TYPE_CHECKING:
    from rectify.policy import Policy

__all__ = ["SHEET_NAMES", "County", "find_table", "load_county"]

_STEMS = ("organizations", "assessments", "people")
_SUFFIXES = (".csv", ".tsv", ".xlsx", ".json")
#: The sheet names (compared without case) that hold each table in a workbook.
SHEET_NAMES: Mapping[str, tuple[str, ...]] = {
    "organizations": ("organizations", "组织", "党组织", "组织名册", "基层党组织"),
    "assessments": ("assessments", "评定", "年度评定", "考核", "评分", "排查"),
    "people": ("people", "人员", "人员名单", "干部"),
}


def _sheets(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except ImportError:
        pass
    except Exception:  # a damaged workbook: the loader reports it
        return []
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        names = list(book.sheetnames)
        book.close()
    except Exception:  # likewise
        return []
    return names


def find_table(source: str | Path, stem: str) -> tuple[Path, str | None]:
    """The file (and worksheet, for a workbook) holding table ``stem`` in ``source``.

    ``stem`` is ``organizations``, ``assessments`` or ``people``.  For a folder
    without the table, the ``.csv`` path is returned so that the loader reports
    it missing.
    """
    path = Path(source)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        sheets = _sheets(path)
        wanted = {n.casefold() for n in SHEET_NAMES.get(stem, (stem,))}
        for sheet in sheets:
            if sheet.strip().casefold() in wanted:
                return path, sheet
        if stem == "organizations" and path.stem not in _STEMS:
            return path, None
    if path.stem in _STEMS and path.stem != stem:
        path = path.parent
    if not path.is_dir():
        return path, None
    for suffix in _SUFFIXES:
        candidate = path / f"{stem}{suffix}"
        if candidate.exists():
            return candidate, None
    return path / f"{stem}.csv", None


@attrs.frozen
class County:
    """A county's tables as loaded: the organizations, their assessments, the people."""

    population: Population
    assessments: list[Assessment]
    people: list[Person]


def load_county(
    source: str | Path,
    *,
    policy: Policy | None = None,
    assessments: str | Path | None = None,
    people: bool = False,
    encoding: str | None = None,
    columns: ColumnMapping | Mapping[str, str] | None = None,
) -> County:
    """Load a county's organizations and assessments (and people) from ``source``.

    ``source`` is a folder, a file or a workbook (see `find_table()`);
    ``assessments`` names the assessments file when it is elsewhere.  With
    ``people`` the people table is loaded too (otherwise `County.people` is
    empty).  ``policy``, ``encoding`` and ``columns`` are passed to every
    loader.

    Raises:
        InputError: with every problem of the first table that fails.
    """
    path, sheet = find_table(source, "organizations")
    population = load_organizations(path, policy=policy, sheet=sheet, encoding=encoding,
                                    columns=columns)
    path, sheet = find_table(assessments or source, "assessments")
    if sheet is None and path == Path(source) and Path(source).suffix.lower() == ".xlsx":
        raise InputError(f"cannot load assessments from {source}", [Problem(
            str(source), "a sheet of assessments (named assessments or 评定)",
            _sheets(Path(source)), "add the sheet, or name the assessments file separately "
            "(--assessments FILE)")])
    rows = load_assessments(path, population=population, policy=policy, sheet=sheet,
                            encoding=encoding, columns=columns)
    found: list[Person] = []
    if people:
        path, sheet = find_table(source, "people")
        found = load_people(path, policy=policy, sheet=sheet, encoding=encoding,
                            columns=columns)
    return County(population, rows, found)
