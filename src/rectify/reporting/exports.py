"""Export the ledger (台账) and the case register to XLSX, CSV and JSON; import JSON.

Two tables:

- the **ledger**: one row per event, in position order (`LEDGER_COLUMNS`),
  with the entry in Chinese (事项, 摘要) and the people named;
- the **case register**: one row per case as the events leave it
  (`CASE_COLUMNS`), every coded value (kind, state, problems, support
  levels) with its Chinese label beside the identifier's own column.

XLSX (needs the ``xlsx`` extra, openpyxl) puts each table on its own sheet
with a bold bilingual header row frozen in place, column widths fitted to
the contents, dates as date cells and counts as numbers; CSV writes ``ledger.csv`` and
``cases.csv`` (UTF-8 with a byte-order mark, so spreadsheet programs read
the Chinese) into a directory; JSON writes one document that
`import_json()` loads back into an empty store with an identical replay
and identical hashes.  Exports stream the ledger (the case register is held
once in memory, one record per case).

>>> import json, pathlib, tempfile
>>> from datetime import date
>>> from rectify.events import CaseOpened
>>> from rectify.stores import Append, MemoryStore
>>> store = MemoryStore()
>>> e = CaseOpened(stream="2017-V1", version=1, actor="D1", on=date(2017, 2, 1), policy="p",
...                command="c1", org="V1", year=2017, kind="village", rules=("grade_d",),
...                score=40.0)
>>> store.append([Append("2017-V1", 0, (e,), "c1")])
[True]
>>> tmp = tempfile.TemporaryDirectory()
>>> [p.name for p in export(store, pathlib.Path(tmp.name) / "out", "csv")]
['ledger.csv', 'cases.csv']
>>> path = export(store, pathlib.Path(tmp.name) / "ledger.json", "json")[0]
>>> copy = MemoryStore()
>>> import_json(path, copy)
1
>>> list(copy.replay()) == list(store.replay())
True
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from rectify.errors import InvalidValueError
from rectify.events import SCHEMA_VERSION, Event
from rectify.lifecycle.case import CaseRecord, is_case_stream
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW, build_machine, compile_table
from rectify.reporting.labels import (
    APPRAISAL_ZH,
    REPORT_KIND_ZH,
    ROLE_ZH,
    TALK_ZH,
    aspect_zh,
    event_zh,
    failure_reasons_zh,
    kind_zh,
    level_zh,
    person_zh,
    rules_zh,
    status_zh,
)
from rectify.stores.base import GENESIS, Append, LedgerStore, entry_hash
from rectify.stores.chain import link
from rectify.stores.codec import decode, encode_dict

if TYPE_CHECKING:
    from rectify.campaign import Campaign
    from rectify.forest import Population
    from rectify.model import Person
    from rectify.policy import Policy

__all__ = [
    "CASE_COLUMNS",
    "FORMATS",
    "LEDGER_COLUMNS",
    "case_rows",
    "export",
    "import_json",
    "ledger_rows",
    "write_csv",
    "write_json",
    "write_xlsx",
]

#: ``(key, 中文, English)`` of the ledger's columns.
LEDGER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("position", "序号", "Position"),
    ("stream", "案卷/对象", "Stream"),
    ("version", "版本", "Version"),
    ("type", "事项代码", "Event type"),
    ("type_zh", "事项", "Event"),
    ("actor", "经办人编号", "Actor id"),
    ("actor_name", "经办人", "Actor"),
    ("date", "日期", "Date"),
    ("summary_zh", "摘要", "Summary (Chinese)"),
    ("policy", "政策版本", "Policy fingerprint"),
    ("command", "指令编号", "Command id"),
    ("payload", "内容", "Content (JSON)"),
    ("hash", "校验值", "SHA-256 chain hash"),
)

#: ``(key, 中文, English)`` of the case register's columns.
CASE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "案卷编号", "Case id"),
    ("org", "组织代码", "Organization code"),
    ("name", "组织名称", "Organization name"),
    ("kind", "类别代码", "Kind"),
    ("kind_zh", "类别", "Kind (Chinese)"),
    ("year", "年度", "Year"),
    ("state", "状态代码", "State"),
    ("state_zh", "状态", "State (Chinese)"),
    ("opened_on", "认定日期", "Identified on"),
    ("deadline", "整改期限", "Deadline"),
    ("problems", "问题代码", "Problems"),
    ("problems_zh", "存在问题", "Problems (Chinese)"),
    ("resolved_zh", "已整改问题", "Resolved (Chinese)"),
    ("supporters", "包扶关系代码", "Support (level: person)"),
    ("supporters_zh", "包扶关系", "Support (Chinese)"),
    ("attempts", "验收次数", "Verifications"),
    ("passed", "验收结果", "Last verification passed"),
    ("delisted_on", "销号日期", "Delisted on"),
    ("version", "版本", "Version"),
)

#: The export formats `export()` knows.
FORMATS = ("xlsx", "csv", "json")

_FORMAT = "rectify-ledger"
_FORMAT_VERSION = 1


def ledger_rows(store: LedgerStore, people: Mapping[str, Person] | None = None,
                policy: Policy | None = None) -> Iterator[dict[str, Any]]:
    """One dict per stored event (keys of `LEDGER_COLUMNS`), in position order.

    ``people`` names the actors and the people an entry concerns; ``policy``
    gives the Chinese labels of kinds, aspects and support levels (the
    default preset's when not given).
    """
    people = people or {}
    labels = policy or _default_policy()
    for entry in store.entries():
        data = orjson.loads(entry.payload)
        kind = str(data.get("type"))
        actor = data.get("actor")
        yield {"position": entry.position, "stream": entry.stream, "version": entry.version,
               "type": kind, "type_zh": event_zh(kind), "actor": actor,
               "actor_name": person_zh(people, actor, with_id=False) if actor else "",
               "date": data.get("on"), "summary_zh": _summary_zh(kind, data, people, labels),
               "policy": data.get("policy"), "command": entry.command,
               "payload": entry.payload.decode(), "hash": entry.hash.hex()}


def _default_policy() -> Policy:
    from rectify.policy import load_policy

    return load_policy()


def _summary_zh(  # noqa: PLR0911 - one return per event type reads best
    kind: str, data: Mapping[str, Any], people: Mapping[str, Person], policy: Policy
) -> str:
    """A ledger entry in Chinese: what it records, with names beside ids."""
    def who(key: str = "person") -> str:
        return person_zh(people, data.get(key))

    if kind == "CaseOpened":
        return (f"{kind_zh(str(data.get('kind')), policy)}; 认定依据: "
                f"{rules_zh(data.get('rules') or (), policy)}; 得分{data.get('score'):g}")
    if kind == "PlanFiled":
        problems = "、".join(aspect_zh(str(p[0]), policy) for p in data.get("problems") or ())
        return f"存在问题: {problems}; 整改期限{data.get('deadline')}"
    if kind in ("SupportAssigned", "SupportReleased"):
        return f"{level_zh(str(data.get('level')), policy)}: {who()}"
    if kind == "ReportRecorded":
        text = f"{REPORT_KIND_ZH.get(str(data.get('kind')), '报告')}({data.get('month')})"
        resolved = "、".join(aspect_zh(str(a), policy) for a in data.get("resolved") or ())
        return f"{text}; 已整改: {resolved}" if resolved else text
    if kind == "VerificationRecorded":
        votes = (f"满意{data.get('satisfied')}票、基本满意{data.get('basically_satisfied')}票、"
                 f"不满意{data.get('dissatisfied')}票")
        if data.get("passed"):
            return f"第{data.get('attempt')}次验收合格: 得分{data.get('score'):g}, {votes}"
        why = failure_reasons_zh(float(data.get("score") or 0), int(data.get("satisfied") or 0),
                                 int(data.get("basically_satisfied") or 0),
                                 int(data.get("dissatisfied") or 0), policy)
        return f"第{data.get('attempt')}次验收不合格: {why}; {votes}"
    if kind == "PlanReturned":
        return f"退回原因: {data.get('reason')}"
    if kind == "CaseReopened":
        return f"重新整顿原因: {data.get('reason')}; 新期限{data.get('new_deadline')}"
    if kind == "PolicyChanged":
        return f"调整执行政策, 原因: {data.get('reason')}"
    if kind == "EscalationRecorded":
        years = "、".join(str(y) for y in data.get("streak") or ())
        return f"{years}年连续被列为整顿对象"
    if kind == "SecretaryDismissed":
        return f"免去{who()}{ROLE_ZH.get(str(data.get('role')), '书记')}职务"
    if kind == "TalkRecorded":
        return f"{TALK_ZH.get(str(data.get('kind')), '谈话')}{who()}: {data.get('reason')}"
    if kind == "AppraisalRecorded":
        grade = APPRAISAL_ZH.get(str(data.get("grade")), str(data.get("grade")))
        return f"{who()} {data.get('year')}年度述职评议考核: {grade}"
    return event_zh(kind)


def _project(events: Iterable[Event]) -> list[CaseRecord]:
    table = compile_table(build_machine(WORKFLOW))
    cases: dict[str, CaseRecord] = {}
    for event in events:
        if not is_case_stream(event.stream):
            continue
        cases[event.stream] = apply_event(cases.get(event.stream), event, table)
    return [cases[k] for k in sorted(cases)]


def _iso(value: Any) -> str:
    return "" if value is None else str(value.isoformat())


def case_rows(source: Campaign | LedgerStore,
              population: Population | None = None) -> list[dict[str, Any]]:
    """One dict per case (keys of `CASE_COLUMNS`), in case id order.

    ``source`` is a `Campaign` (its cases and
    population) or a store (its events are projected here; organization
    names come from ``population`` if given).
    """
    from rectify.campaign import Campaign

    people: Mapping[str, Person] = {}
    if isinstance(source, Campaign):
        records = source.cases()
        population = population or source.population
        policy = source.policy
        people = source.people
    else:
        records = _project(source.replay())
        policy = _default_policy()
    rows = []
    for case in records:
        org = population.get(case.org) if population is not None else None
        rows.append({
            "id": case.id, "org": case.org, "name": org.name if org else "",
            "kind": case.kind, "kind_zh": kind_zh(case.kind, policy), "year": case.year,
            "state": case.state, "state_zh": status_zh(case.state),
            "opened_on": _iso(case.opened_on), "deadline": _iso(case.deadline),
            "problems": "; ".join(case.problems),
            "problems_zh": "、".join(aspect_zh(p, policy) for p in case.problems),
            "resolved_zh": "、".join(aspect_zh(p, policy) for p in sorted(case.resolved)),
            "supporters": "; ".join(f"{level}: {person}" for level, person in case.support),
            "supporters_zh": "; ".join(f"{level_zh(level, policy)}: {person_zh(people, person)}"
                                       for level, person in case.support),
            "attempts": case.attempts,
            "passed": "" if case.passed is None else ("是" if case.passed else "否"),
            "delisted_on": _iso(case.delisted_on), "version": case.version,
        })
    return rows


def _header(columns: Sequence[tuple[str, str, str]]) -> list[str]:
    return [f"{zh} {en}" for _, zh, en in columns]


_DATE_KEYS = frozenset({"date", "opened_on", "deadline", "delisted_on"})
_WIDE_KEYS = {"payload": 60, "hash": 20, "policy": 14, "command": 24}


def _cell_value(key: str, value: Any) -> Any:
    if key in _DATE_KEYS and isinstance(value, str) and value:
        from datetime import date

        return date.fromisoformat(value)
    return value


def _text_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_xlsx(path: str | os.PathLike[str], store: LedgerStore,
               cases: Sequence[dict[str, Any]], *, people: Mapping[str, Person] | None = None,
               policy: Policy | None = None) -> Path:
    """Write the ledger and the case register as two sheets of one workbook.

    Each sheet has a bold bilingual header row frozen above the data, column
    widths fitted to the contents (the JSON content and the hash capped),
    dates as date cells and counts as numbers.  Rows are written in
    write-only mode, so the ledger streams; widths come from the first
    rows.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F4E3E3")
    for title, columns, rows in (("台账 Ledger", LEDGER_COLUMNS, ledger_rows(store, people,
                                                                             policy)),
                                 ("案卷 Cases", CASE_COLUMNS, iter(cases))):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        keys = [key for key, _, _ in columns]
        head = [row for _, row in zip(range(200), rows, strict=False)]
        for j, (key, zh, en) in enumerate(columns, start=1):
            widest = max([_text_width(f"{zh} {en}")] + [_text_width(r[key]) for r in head])
            sheet.column_dimensions[get_column_letter(j)].width = min(
                max(widest + 2, 8), _WIDE_KEYS.get(key, 50))
        header = []
        for text in _header(columns):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        sheet.append(header)
        for row in (*head, *rows):
            cells = []
            for key in keys:
                value = _cell_value(key, row[key])
                if key in _DATE_KEYS and value:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(directory: str | os.PathLike[str], store: LedgerStore,
              cases: Sequence[dict[str, Any]], *, people: Mapping[str, Person] | None = None,
              policy: Policy | None = None) -> list[Path]:
    """Write ``ledger.csv`` and ``cases.csv`` (UTF-8 with BOM, bilingual header) in a folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns, rows in (("ledger.csv", LEDGER_COLUMNS, ledger_rows(store, people,
                                                                          policy)),
                                ("cases.csv", CASE_COLUMNS, iter(cases))):
        path = directory / name
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_header(columns))
            keys = [key for key, _, _ in columns]
            writer.writerows([row[key] for key in keys] for row in rows)
        written.append(path)
    return written


def write_json(path: str | os.PathLike[str], store: LedgerStore,
               cases: Sequence[dict[str, Any]]) -> Path:
    """Write one JSON document: format tag, head, entries (streamed) and the case register.

    Each entry has ``position``, ``stream``, ``version``, ``command``,
    ``event`` (the stored event object) and ``hash``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = store.head()
    with path.open("wb") as handle:
        handle.write(b'{"format":"%s","format_version":%d,"event_schema":%d,'
                     b'"head":{"position":%d,"hash":"%s"},"entries":[\n'
                     % (_FORMAT.encode(), _FORMAT_VERSION, SCHEMA_VERSION, head.position,
                        head.hash.hex().encode()))
        first = True
        for entry in store.entries():
            if not first:
                handle.write(b",\n")
            first = False
            handle.write(b'{"position":%d,"stream":%s,"version":%d,"command":%s,'
                         b'"event":%s,"hash":"%s"}'
                         % (entry.position, orjson.dumps(entry.stream), entry.version,
                            orjson.dumps(entry.command), entry.payload,
                            entry.hash.hex().encode()))
        handle.write(b'\n],"cases":')
        handle.write(orjson.dumps(list(cases)))
        handle.write(b"}\n")
    return path


def export(store: LedgerStore, out: str | os.PathLike[str], fmt: str, *,
           campaign: Campaign | None = None,
           population: Population | None = None) -> list[Path]:
    """Export ``store`` as ``fmt`` (``xlsx``, ``csv`` or ``json``) to ``out``; the files written.

    ``out`` is a file for ``xlsx`` and ``json`` and a directory for ``csv``.
    The case register comes from ``campaign`` if given, else from the
    store's events (names from ``population`` if given).
    """
    if fmt not in FORMATS:
        raise InvalidValueError("format", f"one of {', '.join(FORMATS)}", fmt)
    cases = case_rows(campaign if campaign is not None else store, population)
    people = campaign.people if campaign is not None else None
    policy = campaign.policy if campaign is not None else None
    if fmt == "xlsx":
        return [write_xlsx(out, store, cases, people=people, policy=policy)]
    if fmt == "csv":
        return write_csv(out, store, cases, people=people, policy=policy)
    return [write_json(out, store, cases)]


def _batches(entries: list[dict[str, Any]], size: int, upcasters: Any
             ) -> Iterator[tuple[list[Append], list[list[bytes]]]]:
    batch: list[Append] = []
    payloads: list[list[bytes]] = []
    expected = GENESIS
    count = 0
    for row in entries:
        payload = encode_dict(row["event"])
        event_dict = row["event"] if isinstance(row["event"], dict) else {}
        full = entry_hash(expected, payload, str(event_dict.get("stream")),
                          int(event_dict.get("version") or 0), str(row["command"]))
        # Exports of ledgers older than storage schema 3 carry payload-only hashes.
        expected = full if full.hex() == row.get("hash") else link(expected, payload)
        if expected.hex() != row.get("hash"):
            raise InvalidValueError(
                f"entries[{row.get('position')}].hash", expected.hex(), row.get("hash"),
                "the export was changed after it was written; use an untouched copy")
        event = decode(payload, upcasters)
        last = batch[-1] if batch else None
        if last is not None and last.command == row["command"] and last.stream == event.stream:
            batch[-1] = Append(last.stream, last.expected, (*last.events, event), last.command)
            payloads[-1].append(payload)
        else:
            if count >= size:
                yield batch, payloads
                batch, payloads, count = [], [], 0
            batch.append(Append(event.stream, event.version - 1, (event,), row["command"]))
            payloads.append([payload])
        count += 1
    if batch:
        yield batch, payloads


def import_json(path: str | os.PathLike[str], store: LedgerStore, *,
                batch_size: int = 10000) -> int:
    """Load a JSON export into the empty ``store``; the number of events imported.

    The stored bytes, and so every hash, are those of the export: the chain is
    recomputed and checked against the exported hashes as the entries load.
    Raises `InvalidValueError` for a store that is not
    empty, a file that is not a rectify export, or an export that was changed.
    """
    if len(store):
        raise InvalidValueError("store", "an empty store", f"{len(store)} events",
                                "import into a new ledger file or schema")
    try:
        doc = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidValueError(str(path), "a JSON export of a rectify ledger",
                                f"invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise InvalidValueError(str(path), f"a JSON document with format {_FORMAT!r}",
                                doc.get("format") if isinstance(doc, dict) else type(doc),
                                "export it with rectify export --format json")
    total = 0
    append = getattr(store, "append_payloads", None)
    for batch, payloads in _batches(doc["entries"], batch_size,
                                      getattr(store, "upcasters", None)):
        if append is not None:
            append(batch, payloads)
        else:  # a store without byte-exact imports: re-encode (same bytes for this schema)
            store.append(batch)
        total += sum(len(p) for p in payloads)
    return total
