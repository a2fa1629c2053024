"""Reading and writing the tables behind `rectify.inputs` (CSV and JSON, UTF-8).

This layer knows files, encodings and formats, not organizations: it turns a
file into numbered rows of raw values and reports what kept it from doing so
as `Problem` values located by file, row and column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from rectify.errors import InputError, Problem

FORMATS = (".csv", ".json")

_EXCEL_HINT = "save the file as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')"


def where(source: str, row: int, column: str | None = None) -> str:
    """The location of a cell: ``file:row N:column`` (or ``file:row N``)."""
    return f"{source}:row {row}:{column}" if column else f"{source}:row {row}"


@attrs.frozen
class Table:
    """The raw rows of one file.

    ``rows`` holds ``(row number, values by column)``; a CSV file's header is
    row 1 and its data starts at row 2 (the numbers a spreadsheet shows); a
    JSON file's row N is the N-th object of its list.  Empty cells and JSON
    nulls are ``""``; CSV cells and JSON strings are stripped.  ``first_row``
    gives, for each column, the row where it was first seen (the header row
    for CSV), so column problems can be located.
    """

    source: str
    header: bool
    columns: tuple[str, ...]
    first_row: Mapping[str, int]
    rows: tuple[tuple[int, dict[str, Any]], ...]


def file_format(path: Path, problems: list[Problem]) -> str | None:
    """``.csv`` or ``.json`` from the file's suffix, or ``None`` with a problem."""
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return suffix
    problems.append(Problem(path.name, "a .csv or .json file", path.suffix or "(no suffix)",
                            "name the file with a .csv or .json suffix matching its content"))
    return None


def read_table(path: Path, nested: Mapping[str, str], problems: list[Problem]) -> Table | None:
    """Read ``path`` as a table; on failure add problems and return ``None``.

    ``nested`` maps a JSON key holding an object (``"aspects"``) to the prefix
    its entries get as columns (``"aspect:"``), so both formats share one
    column schema.
    """
    suffix = file_format(path, problems)
    if suffix is None:
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(str(path), "an existing file", "no such file",
                                "check the path and the file name"))
        return None
    except OSError as exc:
        problems.append(Problem(str(path), "a readable file", exc.strerror or str(exc),
                                "check the path and the file's permissions"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        got = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        problems.append(Problem(path.name, "UTF-8 text", got, _EXCEL_HINT))
        return None
    if suffix == ".csv":
        return _read_csv(path.name, text, problems)
    return _read_json(path.name, text, nested, problems)


def _read_csv(source: str, text: str, problems: list[Problem]) -> Table | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        problems.append(Problem(where(source, reader.line_num), "well-formed CSV", str(exc),
                                "close every quoted value and use commas between values"))
        return None
    if not records or not any(cell.strip() for cell in records[0]):
        problems.append(Problem(where(source, 1), "a header row naming the columns",
                                "an empty first row", "put the column names on the first row"))
        return None
    columns = tuple(cell.strip() for cell in records[0])
    seen: set[str] = set()
    for column in columns:
        if column in seen or not column:
            problems.append(Problem(where(source, 1, column or "(blank)"),
                                    "a distinct, non-empty column name", column,
                                    "name every column once"))
        seen.add(column)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are allowed anywhere
        if len(record) > len(columns):
            extra = [cell for cell in record[len(columns):] if cell.strip()]
            if extra:
                problems.append(Problem(where(source, number),
                                        f"at most {len(columns)} values (one per column)",
                                        extra, "remove the extra values or add a column name"))
                continue
        cells = [cell.strip() for cell in record] + [""] * (len(columns) - len(record))
        rows.append((number, dict(zip(columns, cells, strict=False))))
    return Table(source, True, columns, dict.fromkeys(columns, 1), tuple(rows))


def _read_json(
    source: str, text: str, nested: Mapping[str, str], problems: list[Problem]
) -> Table | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(f"{source}:line {exc.lineno}:column {exc.colno}", "valid JSON",
                                exc.msg, "correct the JSON syntax at that position"))
        return None
    if not isinstance(data, list):
        problems.append(Problem(source, "a JSON list of objects, one per row",
                                type(data).__name__, "wrap the objects in [ ... ]"))
        return None
    first_row: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(where(source, number), "a JSON object", item,
                                    "write each row as an object of column: value"))
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            prefix = nested.get(key)
            if prefix is None:
                values[key] = _clean(value)
            elif isinstance(value, dict):
                values.update({prefix + str(k): _clean(v) for k, v in value.items()})
            elif value is not None:
                problems.append(Problem(where(source, number, key), "an object of name: value",
                                        value, f"write {key} as {{\"name\": value, ...}}"))
        for key in values:
            first_row.setdefault(key, number)
        rows.append((number, values))
    return Table(source, False, tuple(first_row), first_row, tuple(rows))


def _clean(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value


def write_table(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    nested: Mapping[str, str],
    *,
    bom: bool = False,
) -> None:
    """Write rows to ``path`` as CSV or JSON (by suffix), UTF-8 with ``\\n`` line ends.

    Missing and ``None`` values are written as empty cells (CSV) or left out
    (JSON); columns named with a ``nested`` prefix are grouped into one object
    per row in JSON.  ``bom`` starts the file with a byte-order mark, which
    Excel needs to recognise UTF-8.  An unknown suffix raises
    `InputError`.
    """
    problems: list[Problem] = []
    suffix = file_format(path, problems)
    if suffix is None:
        raise InputError(f"cannot write {path}", problems)
    buffer = io.StringIO(newline="")
    if suffix == ".csv":
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_cell(row.get(column)) for column in columns)
    else:
        prefixes = {prefix: key for key, prefix in nested.items()}
        items: list[dict[str, Any]] = []
        for row in rows:
            item: dict[str, Any] = {}
            for column in columns:
                value = row.get(column)
                if value is None or value == "":
                    continue
                prefix = next((p for p in prefixes if column.startswith(p)), None)
                if prefix is None:
                    item[column] = value
                else:
                    item.setdefault(prefixes[prefix], {})[column[len(prefix):]] = value
            items.append(item)
        buffer.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + data if bom else data)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)
