"""Reading and writing the tables behind `rectify.inputs` (CSV, TSV, XLSX and JSON).

This layer knows files, encodings and formats, not organizations: it turns a
file into numbered rows of raw values and reports what kept it from doing so
as `Problem` values located by file, row and column.

Text files are read as UTF-8 (with or without a byte-order mark), UTF-16 with
a byte-order mark, or GB 18030 (which decodes every GBK and GB 2312 file);
other encodings are recognised with the optional ``charset-normalizer``
package, or named by the caller.  Workbooks are read with the optional
``python-calamine`` package (fast) or ``openpyxl`` in read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import orjson

from rectify.errors import InputError, Problem

__all__ = [
    "FORMATS",
    "Table",
    "decode_text",
    "file_format",
    "read_table",
    "where",
    "write_table",
]

#: The suffixes the loaders read (any case).
FORMATS = (".csv", ".tsv", ".xlsx", ".json")
_WORKBOOKS = (".xlsx", ".xlsm")

_ENCODING_HINT = ("pass the file's encoding (--encoding gb18030, or encoding= in Python), or "
                  "save it as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')")
#: Encodings whose files GB 18030 reads identically (it is their superset).
_DETECTED = ("gb18030", "big5", "big5hkscs", "utf_16", "utf_32")
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "hz", "euc_cn", "ms936"})


def where(source: str, row: int, column: str | None = None) -> str:
    """The location of a cell: ``file:row N:column`` (or ``file:row N``)."""
    return f"{source}:row {row}:{column}" if column else f"{source}:row {row}"


@attrs.frozen
class Table:
    """The raw rows of one file.

    ``rows`` holds ``(row number, values by column)``; a CSV file's or a
    sheet's header is row 1 and its data starts at row 2 (the numbers a
    spreadsheet shows); a JSON file's row N is the N-th object of its list.
    Empty cells and JSON nulls are ``""``; text cells are stripped; workbook
    cells are text as a CSV file would hold them.  ``first_row`` gives, for
    each column, the row where it was first seen (the header row for CSV and
    XLSX), so column problems can be located.  ``encoding`` is how the file
    was decoded (``utf-8``, ``gb18030``, ..., or ``xlsx``).
    """

    source: str
    header: bool
    columns: tuple[str, ...]
    first_row: Mapping[str, int]
    rows: tuple[tuple[int, dict[str, Any]], ...]
    encoding: str = "utf-8"


def file_format(path: Path, problems: list[Problem]) -> str | None:
    """The format from the file's suffix (``.csv``, ``.tsv``, ``.xlsx``, ``.json``).

    ``None`` with a problem for any other suffix.
    """
    suffix = path.suffix.lower()
    if suffix in _WORKBOOKS:
        return ".xlsx"
    if suffix in FORMATS:
        return suffix
    if suffix == ".xls":
        problems.append(Problem(path.name, "a .csv, .tsv, .xlsx or .json file",
                                "an Excel 97-2003 workbook (.xls)",
                                "open it in Excel or WPS and save it as .xlsx"))
        return None
    problems.append(Problem(path.name, "a .csv, .tsv, .xlsx or .json file",
                            path.suffix or "(no suffix)",
                            "name the file with a suffix matching its content"))
    return None


def read_table(path: Path, nested: Mapping[str, str], problems: list[Problem], *,  # noqa: PLR0911
               encoding: str | None = None, sheet: str | None = None) -> Table | None:
    """Read ``path`` as a table; on failure add problems and return ``None``.

    ``nested`` maps a JSON key holding an object (``"aspects"``) to the prefix
    its entries get as columns (``"aspect:"``), so every format shares one
    column schema.  ``encoding`` names the encoding of a text file (detected
    when ``None``); ``sheet`` the worksheet of a workbook (the first when
    ``None``).
    """
    if not path.exists() and not path.is_symlink():
        problems.append(Problem(str(path), "an existing file", "no such file",
                                "check the path and the file name"))
        return None
    suffix = file_format(path, problems)
    if suffix is None:
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(str(path), "an existing file", "no such file",
                                "check the path and the file name"))
        return None
    except IsADirectoryError:
        problems.append(Problem(str(path), "a readable file", "a directory",
                                "name a file inside the directory"))
        return None
    except OSError as exc:
        problems.append(Problem(str(path), "a readable file", exc.strerror or str(exc),
                                "check the path and the file's permissions"))
        return None
    if suffix == ".xlsx":
        return _read_xlsx(path, data, sheet, problems)
    decoded = decode_text(data, path.name, problems, encoding)
    if decoded is None:
        return None
    text, used = decoded
    if suffix == ".json":
        return _read_json(path.name, text, nested, problems, used)
    return _read_csv(path.name, text, problems, "\t" if suffix == ".tsv" else ",", used)


# -- encodings -------------------------------------------------------------------------------


def decode_text(data: bytes, source: str, problems: list[Problem],  # noqa: PLR0911
                encoding: str | None = None) -> tuple[str, str] | None:
    """``(text, encoding used)`` for the bytes of a text file, or ``None`` with a problem.

    With ``encoding`` the bytes must decode in it.  Otherwise a byte-order
    mark decides; then UTF-8; then GB 18030 when the result reads as Chinese
    text; then the guess of ``charset-normalizer`` when it is installed.
    """
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            problems.append(Problem(source, "a known text encoding (utf-8, gb18030, gbk, "
                                    "big5, utf-16...)", encoding, "correct the encoding name"))
            return None
        try:
            return _strip_bom(data.decode(name)), name
        except UnicodeDecodeError as exc:
            problems.append(Problem(source, f"text in {name}", _offending(data, exc),
                                    "pass the file's actual encoding, or save it as UTF-8"))
            return None
        except UnicodeError as exc:  # a codec that refuses these bytes otherwise
            problems.append(Problem(source, f"text in {name}", str(exc),
                                    "pass the file's actual encoding, or save it as UTF-8"))
            return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
            codecs.BOM_UTF32_LE):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            problems.append(Problem(source, "UTF-16 text (the file starts with its mark)",
                                    _offending(data, exc), _ENCODING_HINT))
            return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(text):
        return text, "gb18030"
    guessed = _detect(data)
    if guessed is not None:
        return guessed
    problems.append(Problem(source, "UTF-8 or GB 18030 (GBK) text",
                            _offending(data, first_error), _ENCODING_HINT))
    return None


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _offending(data: bytes, exc: UnicodeDecodeError) -> str:
    return f"byte 0x{data[exc.start]:02x} at offset {exc.start}"


def _reads_as_chinese(text: str) -> bool:
    """Whether most non-ASCII characters are CJK ideographs or CJK punctuation."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return True
    cjk = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
              or "\uff00" <= c <= "\uffef" or "\u3400" <= c <= "\u4dbf")
    return cjk >= 0.9 * len(wide)


def _detect(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    # Only the encodings Chinese exports use: a single-byte code page "decodes" any bytes.
    best = from_bytes(data, cp_isolation=list(_DETECTED)).best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    if name.replace("-", "_") in _GB_FAMILY:
        name = "gb18030"
    try:
        return _strip_bom(data.decode(name)), name
    except (UnicodeError, LookupError):  # pragma: no cover - the detector decoded it already
        return None


# -- formats ---------------------------------------------------------------------------------


def _header(source: str, cells: Sequence[str], problems: list[Problem]) -> tuple[str, ...]:
    columns = tuple(cells)
    seen: set[str] = set()
    for column in columns:
        if column in seen or not column:
            problems.append(Problem(where(source, 1, column or "(blank)"),
                                    "a distinct, non-empty column name", column,
                                    "name every column once"))
        seen.add(column)
    return columns


def _rows(source: str, columns: tuple[str, ...], records: Iterable[Sequence[str]],
          problems: list[Problem], start: int) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    width = len(columns)
    for number, record in enumerate(records, start=start):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue  # blank lines are allowed anywhere
        if len(cells) > width:
            extra = [cell for cell in cells[width:] if cell]
            if extra:
                problems.append(Problem(where(source, number),
                                        f"at most {width} values (one per column)",
                                        extra, "remove the extra values or add a column name"))
                continue
        elif len(cells) < width:
            cells += [""] * (width - len(cells))
        rows.append((number, dict(zip(columns, cells, strict=False))))
    return rows


def _read_csv(source: str, text: str, problems: list[Problem], delimiter: str,
              encoding: str) -> Table | None:
    if "\x00" in text:
        offset = text.index("\x00")
        problems.append(Problem(where(source, text.count("\n", 0, offset) + 1),
                                "text without NUL characters", "a NUL character (\\x00)",
                                "this is not a text export; export the table again as CSV"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
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
    columns = _header(source, [cell.strip() for cell in records[0]], problems)
    rows = _rows(source, columns, records[1:], problems, 2)
    return Table(source, True, columns, dict.fromkeys(columns, 1), tuple(rows), encoding)


def _xlsx_cell(value: Any) -> str:  # noqa: PLR0911
    """A workbook cell as the text a CSV export would hold."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, dt.datetime):
        return (value.date().isoformat() if value.time() == dt.time() else
                value.isoformat(sep=" "))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _read_xlsx(path: Path, data: bytes, sheet: str | None,
               problems: list[Problem]) -> Table | None:
    source = path.name
    try:
        grid = _sheet_grid(data, sheet)
    except ImportError:
        problems.append(Problem(source, "the xlsx extra to read workbooks",
                                "neither python-calamine nor openpyxl is installed",
                                "pip install 'rectify[xlsx]', or save the sheet as CSV"))
        return None
    except KeyError as exc:
        problems.append(Problem(source, f"a worksheet named {sheet!r}", exc.args[0],
                                "name one of the workbook's sheets"))
        return None
    except Exception as exc:  # the workbook parsers raise untyped errors on damaged files
        problems.append(Problem(source, "a readable .xlsx workbook",
                                f"{type(exc).__name__}: {exc}"[:200],
                                "open the file in Excel or WPS and save it again as .xlsx"))
        return None
    records = [[_xlsx_cell(v) for v in row] for row in grid]
    # The header is the first row with a value (exports often start with a title row gap).
    first = next((i for i, r in enumerate(records) if any(records[i])), None)
    if first is None:
        problems.append(Problem(where(source, 1), "a header row naming the columns",
                                "an empty sheet", "put the column names on the first row"))
        return None
    while records[first] and not records[first][-1]:
        records[first].pop()
    columns = _header(source, records[first], problems)
    rows = _rows(source, columns, records[first + 1:], problems, first + 2)
    return Table(source, True, columns, dict.fromkeys(columns, first + 1), tuple(rows), "xlsx")


def _sheet_grid(data: bytes, sheet: str | None) -> list[list[Any]]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return _openpyxl_grid(data, sheet)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if sheet is not None and sheet not in book.sheet_names:
        raise KeyError(", ".join(book.sheet_names))
    chosen = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    grid: list[list[Any]] = chosen.to_python(skip_empty_area=False)
    return grid


def _openpyxl_grid(data: bytes, sheet: str | None) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise KeyError(", ".join(book.sheetnames))
        chosen = book[sheet] if sheet else book.worksheets[0]
        return [list(row) for row in chosen.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_json(source: str, text: str, nested: Mapping[str, str], problems: list[Problem],
               encoding: str) -> Table | None:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        problems.append(Problem(f"{source}:line {exc.lineno}:column {exc.colno}", "valid JSON",
                                exc.msg, "correct the JSON at that position (numbers must be "
                                "finite and fit in 64 bits; at most 1024 levels of nesting)"))
        return None
    if not isinstance(data, list):
        problems.append(Problem(source, "a JSON list of objects, one per row",
                                type(data).__name__, "wrap the objects in [ ... ]"))
        return None
    first_row: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(where(source, number), "a JSON object", _short(item),
                                    "write each row as an object of column: value"))
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            prefix = nested.get(key)
            if prefix is None:
                values[key.strip()] = _clean(value)
            elif isinstance(value, dict):
                values.update({prefix + str(k).strip(): _clean(v) for k, v in value.items()})
            elif value is not None:
                problems.append(Problem(where(source, number, key), "an object of name: value",
                                        _short(value), f"write {key} as {{\"name\": value, ...}}"))
        for key in values:
            first_row.setdefault(key, number)
        rows.append((number, values))
    return Table(source, False, tuple(first_row), first_row, tuple(rows), encoding)


def _short(value: Any) -> Any:
    """A value small enough to show in a message (deep or long values are cut)."""
    if isinstance(value, list | dict):
        text = orjson.dumps(value).decode()
        return text if len(text) <= 60 else text[:57] + "..."
    return value


def _clean(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | dict):
        return _short(value) if not isinstance(value, list) or not all(
            isinstance(v, str) for v in value) else value
    return value


def write_table(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    nested: Mapping[str, str],
    *,
    bom: bool = False,
) -> None:
    """Write rows to ``path`` as CSV, TSV or JSON (by suffix), UTF-8 with ``\\n`` line ends.

    Missing and ``None`` values are written as empty cells (CSV) or left out
    (JSON); columns named with a ``nested`` prefix are grouped into one object
    per row in JSON.  ``bom`` starts the file with a byte-order mark, which
    Excel needs to recognise UTF-8.

    Raises:
        InputError: the suffix is not ``.csv``, ``.tsv`` or ``.json``, or the
            file cannot be written.
    """
    problems: list[Problem] = []
    suffix = file_format(path, problems)
    if suffix == ".xlsx":
        problems.append(Problem(path.name, "a .csv, .tsv or .json file to write", path.suffix,
                                "write CSV, or use rectify.reporting.frames for workbooks"))
    if suffix is None or problems:
        raise InputError(f"cannot write {path}", problems)
    buffer = io.StringIO(newline="")
    if suffix in (".csv", ".tsv"):
        writer = csv.writer(buffer, lineterminator="\n",
                            delimiter="\t" if suffix == ".tsv" else ",")
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
        buffer.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
    data = buffer.getvalue().encode("utf-8")
    try:
        path.write_bytes(b"\xef\xbb\xbf" + data if bom else data)
    except OSError as exc:
        raise InputError(f"cannot write {path}", [Problem(
            str(path), "a writable file path", exc.strerror or str(exc),
            "choose another path or create the folder first")]) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)
