"""Decisions, cases, the ledger and bulletins as Apache Arrow tables, DataFrames and files.

Analysts work in pandas, polars, DuckDB or a spreadsheet; every one of them
reads Arrow.  So each table rectify produces has one Arrow form here, and the
DataFrames go through it (``to_pandas()`` / ``to_polars()`` are Arrow's own
conversions, zero-copy where the types allow):

- `decisions_table()`: one row per organization of an `Identification`
  (`DECISION_COLUMNS`), the same fields as ``rectify identify --json``;
- `cases_table()`: the case register, one row per `CaseRecord`;
- `ledger_table()`: one row per ledger entry;
- `bulletin_table()` / `bulletin_tables()`: the tables of a bulletin.

`write_rows()` writes plain rows as CSV, XLSX, JSON or Parquet for the
command line.  ``pyarrow`` (the ``arrow`` extra), ``pandas`` and ``polars``
(the ``pandas`` and ``polars`` extras) are imported only when used; a missing
one raises `ImportError` naming the extra.

>>> from rectify import load_policy
>>> from rectify.forest import Population
>>> from rectify.identify import identify
>>> from rectify.model import Assessment, Organization, Tier
>>> orgs = Population([Organization(f"V{i}", f"村{i}", "village", Tier.DIRECT)
...                    for i in range(1, 8)])
>>> scores = [Assessment(f"V{i}", 2017, 50.0 + 5 * i) for i in range(1, 8)]
>>> result = identify(orgs, scores, load_policy(), 2017)
>>> rows = decision_rows(result)
>>> [(r["org_id"], r["listed"], r["rules"]) for r in rows[:2]]
[('V1', True, ['grade_d']), ('V2', True, ['quota'])]
"""

from __future__ import annotations

import csv
import html
import math
import os
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from rectify.errors import InvalidValueError

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from rectify.identify import Identification
    from rectify.lifecycle.case import CaseRecord
    from rectify.reporting.bulletin import Bulletin
    from rectify.stores.base import LedgerStore

__all__ = [
    "CASE_FIELDS",
    "DECISION_COLUMNS",
    "FILE_FORMATS",
    "bulletin_html",
    "bulletin_table",
    "bulletin_tables",
    "case_rows",
    "cases_html",
    "cases_table",
    "decision_rows",
    "decisions_html",
    "decisions_table",
    "ledger_table",
    "to_pandas",
    "to_polars",
    "write_rows",
]

#: ``(key, 中文, English)`` of the decision columns, in the order of ``rectify identify --json``.
DECISION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("org_id", "组织编码", "Organization code"),
    ("name", "组织名称", "Name"),
    ("kind", "党建类型", "Kind"),
    ("tier", "层级", "Tier"),
    ("year", "年度", "Year"),
    ("listed", "列为整顿对象", "Listed"),
    ("score", "总分", "Score"),
    ("grade", "等次", "Grade"),
    ("rank", "倒数名次", "Rank (1 = lowest)"),
    ("kind_size", "同类组织数", "Kind size"),
    ("cutoff", "分数线", "Cut-off"),
    ("margin", "与分数线之差", "Margin"),
    ("near_miss", "临界", "Near miss"),
    ("policy", "政策版本", "Policy fingerprint"),
    ("rules", "认定规则", "Rules"),
    ("reason_zh", "理由", "Reason (Chinese)"),
    ("reason_en", "理由（英文）", "Reason"),
    ("county", "县", "County"),
    ("township", "乡镇", "Township"),
)
#: The case register's fields, in order.
CASE_FIELDS = ("id", "org", "name", "kind", "year", "state", "state_zh", "version", "opened_on",
               "deadline", "problems", "resolved", "support", "attempts", "passed", "verifiers",
               "delisted_on")
#: The formats `write_rows()` writes.
FILE_FORMATS = ("csv", "xlsx", "json", "parquet")

_HTML_ROWS = 20


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError("Arrow tables need the arrow extra: pip install 'rectify[arrow]'"
                          ) from None
    return pyarrow


# -- decisions -------------------------------------------------------------------------------


def _decision_columns(result: Identification) -> dict[str, list[Any]]:
    """Every decision field as a column, computed kind by kind, not decision by decision."""
    from rectify.identify import RULE_LABELS

    orgs = result.population.organizations
    size = len(orgs)
    kinds = [o.kind for o in orgs]
    scores: list[float] = result._scores
    summaries = {k: r.summary for k, r in result._kinds.items()}
    sorted_scores = {k: r.sorted_scores for k, r in result._kinds.items()}
    outside = result._unranked  # organizations outside their kind's unit of ranking
    rank = [0 if i in outside else bisect_left(sorted_scores[k], s) + 1
            for i, (k, s) in enumerate(zip(kinds, scores, strict=True))]
    cut = {k: s.cutoff for k, s in summaries.items()}
    cutoffs = [None if i in outside else cut[k] for i, k in enumerate(kinds)]
    margins = [None if c is None else round(s - c, 6)
               for s, c in zip(scores, cutoffs, strict=True)]
    listed = [False] * size
    rules: list[list[str]] = [["not_ranked"] if i in outside else [result._kinds[k].reason]
                              for i, k in enumerate(kinds)]
    for i, m in enumerate(margins):
        if m == 0 and rules[i][0] == "above_cutoff":
            rules[i] = ["tie_break"]
    labels: dict[str, tuple[str, str]] = {r: (en, zh) for r, (en, zh) in RULE_LABELS.items()}
    for i in set(result._quota).union(result._direct):
        crits = result._direct.get(i, ())
        rules[i] = [c.id for c, _ in crits] + (["quota"] if i in result._quota else [])
        labels.update((c.id, (c.en, c.zh)) for c, _ in crits)
        listed[i] = True
    near = result._near
    texts: dict[tuple[str, ...], tuple[str, str]] = {}
    reason_en: list[str] = []
    reason_zh: list[str] = []
    for row in rules:
        key = tuple(row)
        text = texts.get(key)
        if text is None:
            text = texts[key] = ("; ".join(labels[r][0] for r in row),
                                 "；".join(labels[r][1] for r in row))
        reason_en.append(text[0])
        reason_zh.append(text[1])
    return {
        "org_id": [o.code for o in orgs], "name": [o.name for o in orgs], "kind": kinds,
        "tier": [o.tier.value for o in orgs], "year": [result.year] * size, "listed": listed,
        "score": scores, "grade": [g.value for g in result._grades], "rank": rank,
        "kind_size": [summaries[k].size for k in kinds], "cutoff": cutoffs, "margin": margins,
        "near_miss": [not listed[i] and i in near for i in range(size)],
        "policy": [result.fingerprint] * size, "rules": rules, "reason_zh": reason_zh,
        "reason_en": reason_en, "county": [o.county for o in orgs],
        "township": [o.township for o in orgs],
    }


def decision_rows(result: Identification) -> list[dict[str, Any]]:
    """One dict per decision (keys of `DECISION_COLUMNS`), in code order."""
    columns = _decision_columns(result)
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(),
                                                                    strict=True)]


def decisions_table(result: Identification) -> pyarrow.Table:
    """The decisions of ``result`` as an Arrow table (`DECISION_COLUMNS`).

    ``rules`` is a list of rule ids per organization, ``reason_zh`` and
    ``reason_en`` the rules' labels; the columns repeated on every row
    (``kind``, ``tier``, ``grade``, ``year``, ``policy``...) are
    dictionary-encoded.  The schema's metadata carries the Chinese headers
    (``zh:<column>``) and the policy.

    Raises:
        ImportError: pyarrow is not installed (the ``arrow`` extra).
    """
    pa = _pyarrow()
    columns = _decision_columns(result)
    types = {
        "org_id": pa.string(), "name": pa.string(), "kind": pa.string(), "tier": pa.string(),
        "year": pa.int32(), "listed": pa.bool_(), "score": pa.float64(),
        "grade": pa.string(), "rank": pa.int32(), "kind_size": pa.int32(),
        "cutoff": pa.float64(), "margin": pa.float64(), "near_miss": pa.bool_(),
        "policy": pa.string(), "rules": pa.list_(pa.string()), "reason_zh": pa.string(),
        "reason_en": pa.string(), "county": pa.string(), "township": pa.string(),
    }
    repeated = {"kind", "tier", "grade", "policy", "reason_zh", "reason_en", "county",
                "township"}
    arrays = []
    for key, values in columns.items():
        array = pa.array(values, type=types[key])
        arrays.append(array.dictionary_encode() if key in repeated else array)
    metadata = {f"zh:{k}": zh for k, zh, _ in DECISION_COLUMNS}
    metadata.update(policy=result.fingerprint, policy_name=result.policy.meta.name,
                    year=str(result.year))
    return pa.Table.from_arrays(arrays, names=list(columns), metadata=metadata)


def decisions_html(result: Identification, limit: int = _HTML_ROWS) -> str:
    """An HTML summary of an identification for Jupyter: the counts, then the listed rows."""
    head = (f"<p><b>{result.year} identification / 排查认定</b>: "
            f"{len(result.listed_codes)} of {len(result)} listed / 列为整顿对象 "
            f"(policy {html.escape(result.policy.meta.name)}, {result.fingerprint[:12]})</p>")
    names = {o.code: o.name for o in result.population}
    rows = [{"code": d.org, "name / 名称": names[d.org], "kind": d.kind, "score": d.score,
             "rank": f"{d.rank}/{d.kind_size}", "rules / 理由": ", ".join(d.rules)}
            for d in result.listed()[:limit]]
    more = len(result.listed_codes) - len(rows)
    return head + _html(rows, more)


# -- cases and the ledger --------------------------------------------------------------------


def case_rows(cases: Iterable[CaseRecord], names: Mapping[str, str] | None = None
              ) -> list[dict[str, Any]]:
    """One dict per case (`CASE_FIELDS`), typed: dates as `date`, lists as lists."""
    from rectify.lifecycle.workflow import WORKFLOW

    names = names or {}
    return [{
        "id": c.id, "org": c.org, "name": names.get(c.org, ""), "kind": c.kind,
        "year": c.year, "state": c.state, "state_zh": WORKFLOW.state(c.state).zh,
        "version": c.version, "opened_on": c.opened_on, "deadline": c.deadline,
        "problems": list(c.problems), "resolved": sorted(c.resolved),
        "support": [{"level": level, "person": person} for level, person in c.support],
        "attempts": c.attempts, "passed": c.passed, "verifiers": list(c.verifiers),
        "delisted_on": c.delisted_on,
    } for c in cases]


def _case_schema(pa: Any) -> Any:
    text, texts = pa.string(), pa.list_(pa.string())
    return pa.schema([
        ("id", text), ("org", text), ("name", text), ("kind", text), ("year", pa.int32()),
        ("state", text), ("state_zh", text), ("version", pa.int32()),
        ("opened_on", pa.date32()), ("deadline", pa.date32()), ("problems", texts),
        ("resolved", texts),
        ("support", pa.list_(pa.struct([("level", text), ("person", text)]))),
        ("attempts", pa.int32()), ("passed", pa.bool_()), ("verifiers", texts),
        ("delisted_on", pa.date32()),
    ])


def cases_table(cases: Iterable[CaseRecord], names: Mapping[str, str] | None = None
                ) -> pyarrow.Table:
    """The case register as an Arrow table (`CASE_FIELDS`); ``names`` maps codes to names.

    Raises:
        ImportError: pyarrow is not installed (the ``arrow`` extra).
    """
    pa = _pyarrow()
    return pa.Table.from_pylist(case_rows(cases, names), schema=_case_schema(pa))


def cases_html(cases: Sequence[CaseRecord], limit: int = _HTML_ROWS) -> str:
    """An HTML table of cases for Jupyter."""
    from rectify.lifecycle.workflow import WORKFLOW

    rows = [{"case": c.id, "state / 状态": f"{c.state} / {WORKFLOW.state(c.state).zh}",
             "deadline": c.deadline.isoformat() if c.deadline else "",
             "support / 包扶": "; ".join(f"{lv}: {p}" for lv, p in c.support),
             "attempts": c.attempts} for c in cases[:limit]]
    return _html(rows, len(cases) - len(rows))


def ledger_table(store: LedgerStore) -> pyarrow.Table:
    """Every ledger entry as an Arrow row: position, stream, version, type, actor, date, ...

    ``payload`` is the stored event as JSON text, ``hash`` the chain hash in hex.

    Raises:
        ImportError: pyarrow is not installed (the ``arrow`` extra).
    """
    from rectify.reporting.exports import ledger_rows

    pa = _pyarrow()
    rows = list(ledger_rows(store))
    for row in rows:
        row["date"] = date.fromisoformat(row["date"]) if row.get("date") else None
    text = pa.string()
    schema = pa.schema([("position", pa.int64()), ("stream", text), ("version", pa.int32()),
                        ("type", text), ("actor", text), ("date", pa.date32()),
                        ("policy", text), ("command", text), ("payload", text),
                        ("hash", text)])
    return pa.Table.from_pylist(rows, schema=schema)


# -- bulletins -------------------------------------------------------------------------------


def bulletin_table(bulletin: Bulletin, name: str) -> pyarrow.Table:
    """The bulletin's table ``name`` (``summary``, ``states``, ...) as an Arrow table.

    Columns are the table's keys; the metadata carries its titles and each
    column's Chinese header (``zh:<key>``).

    Raises:
        KeyError: the bulletin has no table of that name.
        ImportError: pyarrow is not installed (the ``arrow`` extra).
    """
    pa = _pyarrow()
    table = bulletin.table(name)
    columns: dict[str, list[Any]] = {key: table.column(key) for key in table.keys}
    arrays = []
    for values in columns.values():
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: keep them as text
            arrays.append(pa.array(["" if v is None else str(v) for v in values]))
    metadata = {"zh": table.zh, "en": table.en}
    metadata.update({f"zh:{c.key}": c.zh for c in table.columns})
    return pa.Table.from_arrays(arrays, names=list(columns), metadata=metadata)


def bulletin_tables(bulletin: Bulletin) -> dict[str, pyarrow.Table]:
    """Every table of the bulletin as Arrow, by name."""
    return {t.name: bulletin_table(bulletin, t.name) for t in bulletin.tables}


def bulletin_html(bulletin: Bulletin, lang: str = "zh") -> str:
    """The bulletin's title and tables as HTML, for Jupyter."""
    parts = [f"<h3>{html.escape(bulletin.title(lang))}</h3>"]
    for table in bulletin.tables:
        shown = [i for i, c in enumerate(table.columns) if c.shown(lang)]
        rows = [{table.columns[i].header(lang): row[i] for i in shown}
                for row in table.rows[:_HTML_ROWS]]
        parts.append(f"<h4>{html.escape(table.title(lang))}</h4>"
                     + _html(rows, len(table.rows) - len(rows)))
    return "\n".join(parts)


# -- DataFrames and files --------------------------------------------------------------------


def to_pandas(table: pyarrow.Table) -> pandas.DataFrame:
    """An Arrow table as a pandas DataFrame (dictionary columns become categoricals).

    Raises:
        ImportError: pandas is not installed (the ``pandas`` extra).
    """
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError("DataFrames need the pandas extra: pip install 'rectify[pandas]'"
                          ) from None
    frame: pandas.DataFrame = table.to_pandas()
    return frame


def to_polars(table: pyarrow.Table) -> polars.DataFrame:
    """An Arrow table as a polars DataFrame.

    Raises:
        ImportError: polars is not installed (the ``polars`` extra).
    """
    try:
        import polars
    except ImportError:
        raise ImportError("DataFrames need the polars extra: pip install 'rectify[polars]'"
                          ) from None
    frame = polars.from_arrow(table)
    assert isinstance(frame, polars.DataFrame)  # a Table gives a DataFrame, not a Series
    return frame


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) if not isinstance(v, dict) else
                         ": ".join(str(x) for x in v.values()) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def write_rows(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], fmt: str, *,
               headers: Mapping[str, str] | None = None, sheet: str = "rectify") -> Path:
    """Write plain rows to ``path`` as ``fmt`` (`FILE_FORMATS`); the path written.

    CSV is UTF-8 with a byte-order mark (spreadsheets then read the Chinese),
    lists joined with ``; ``; XLSX has one sheet with a frozen header row;
    JSON is a list of objects; Parquet keeps the types (needs pyarrow).
    ``headers`` maps keys to the header shown (CSV and XLSX), e.g. ``组织编码
    org_id``.

    Raises:
        InvalidValueError: an unknown format, or a path that cannot be
            written (a directory, a missing folder, no permission).
        ImportError: the format needs an extra that is not installed.
    """
    if fmt not in FILE_FORMATS:
        raise InvalidValueError("--format", f"one of {', '.join(FILE_FORMATS)}", fmt)
    target = Path(path)
    keys = list(rows[0]) if rows else list(headers or {})
    shown = [(headers or {}).get(k, k) for k in keys]
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        if fmt == "csv":
            with target.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(shown)
                writer.writerows([_text(row.get(k)) for k in keys] for row in rows)
        elif fmt == "json":
            target.write_bytes(orjson.dumps(list(rows), option=orjson.OPT_INDENT_2
                                            | orjson.OPT_NON_STR_KEYS, default=str) + b"\n")
        elif fmt == "xlsx":
            _write_xlsx(target, sheet, shown, ([_text(row.get(k)) for k in keys] for row in rows))
        else:
            pa = _pyarrow()
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(list(rows)), target)
    except OSError as exc:
        raise InvalidValueError("--out", "a writable file path", str(target),
                                f"{exc.strerror or exc}: choose another path, or create the "
                                "folder first") from None
    return target


def _write_xlsx(path: Path, title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise ImportError("XLSX files need the xlsx extra: pip install 'rectify[xlsx]'"
                          ) from None
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _html(rows: Sequence[Mapping[str, Any]], more: int = 0) -> str:
    if not rows:
        return "<p><i>none / 无</i></p>"
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(_text(row[k])))}</td>" for k in keys)
                   + "</tr>" for row in rows)
    tail = f"<p><i>… and {more} more</i></p>" if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"
