"""Export the ledger (台账) and the case register to XLSX, CSV and JSON; import JSON.

Two tables:

- the **ledger**: one row per event, in position order (`LEDGER_COLUMNS`);
- the **case register**: one row per case as the events leave it
  (`CASE_COLUMNS`), with the state's Chinese label.

XLSX (needs the ``xlsx`` extra, openpyxl) puts each table on its own sheet
with a bilingual header row frozen in place; CSV writes ``ledger.csv`` and
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
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from rectify.errors import InvalidValueError
from rectify.events import SCHEMA_VERSION, Event
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW, build_machine, compile_table
from rectify.stores.base import GENESIS, Append, LedgerStore
from rectify.stores.chain import link
from rectify.stores.codec import decode, encode_dict

if TYPE_CHECKING:
    from rectify.campaign import Campaign
    from rectify.forest import Population

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
    ("type", "事项", "Event type"),
    ("actor", "经办人", "Actor"),
    ("date", "日期", "Date"),
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
    ("kind", "类别", "Kind"),
    ("year", "年度", "Year"),
    ("state", "状态", "State"),
    ("state_zh", "状态（中文）", "State (Chinese)"),
    ("opened_on", "认定日期", "Identified on"),
    ("deadline", "整顿期限", "Deadline"),
    ("problems", "问题", "Problems"),
    ("resolved", "已整改", "Resolved"),
    ("supporters", "包扶", "Support (level: person)"),
    ("attempts", "验收次数", "Verifications"),
    ("passed", "验收结果", "Last verification passed"),
    ("delisted_on", "销号日期", "Delisted on"),
    ("version", "版本", "Version"),
)

#: The export formats `export()` knows.
FORMATS = ("xlsx", "csv", "json")

_FORMAT = "rectify-ledger"
_FORMAT_VERSION = 1


def ledger_rows(store: LedgerStore) -> Iterator[dict[str, Any]]:
    """One dict per stored event (keys of `LEDGER_COLUMNS`), in position order."""
    for entry in store.entries():
        data = orjson.loads(entry.payload)
        yield {"position": entry.position, "stream": entry.stream, "version": entry.version,
               "type": data.get("type"), "actor": data.get("actor"), "date": data.get("on"),
               "policy": data.get("policy"), "command": entry.command,
               "payload": entry.payload.decode(), "hash": entry.hash.hex()}


def _project(events: Iterable[Event]) -> list[CaseRecord]:
    table = compile_table(build_machine(WORKFLOW))
    cases: dict[str, CaseRecord] = {}
    for event in events:
        if event.stream.startswith(("person:", "org:")):
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

    if isinstance(source, Campaign):
        records = source.cases()
        population = population or source.population
    else:
        records = _project(source.replay())
    rows = []
    for case in records:
        org = population.get(case.org) if population is not None else None
        rows.append({
            "id": case.id, "org": case.org, "name": org.name if org else "",
            "kind": case.kind, "year": case.year, "state": case.state,
            "state_zh": WORKFLOW.state(case.state).zh, "opened_on": _iso(case.opened_on),
            "deadline": _iso(case.deadline), "problems": "; ".join(case.problems),
            "resolved": "; ".join(sorted(case.resolved)),
            "supporters": "; ".join(f"{level}: {person}" for level, person in case.support),
            "attempts": case.attempts,
            "passed": "" if case.passed is None else ("是" if case.passed else "否"),
            "delisted_on": _iso(case.delisted_on), "version": case.version,
        })
    return rows


def _header(columns: Sequence[tuple[str, str, str]]) -> list[str]:
    return [f"{zh} {en}" for _, zh, en in columns]


def write_xlsx(path: str | os.PathLike[str], store: LedgerStore,
               cases: Sequence[dict[str, Any]]) -> Path:
    """Write the ledger and the case register as two sheets of one workbook (write-only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    book = Workbook(write_only=True)
    for title, columns, rows in (("台账 Ledger", LEDGER_COLUMNS, ledger_rows(store)),
                                 ("案卷 Cases", CASE_COLUMNS, iter(cases))):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append([WriteOnlyCell(sheet, value=text) for text in _header(columns)])
        keys = [key for key, _, _ in columns]
        for row in rows:
            sheet.append([row[key] for key in keys])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(directory: str | os.PathLike[str], store: LedgerStore,
              cases: Sequence[dict[str, Any]]) -> list[Path]:
    """Write ``ledger.csv`` and ``cases.csv`` (UTF-8 with BOM, bilingual header) in a folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns, rows in (("ledger.csv", LEDGER_COLUMNS, ledger_rows(store)),
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
    if fmt == "xlsx":
        return [write_xlsx(out, store, cases)]
    if fmt == "csv":
        return write_csv(out, store, cases)
    return [write_json(out, store, cases)]


def _batches(entries: list[dict[str, Any]], size: int, upcasters: Any
             ) -> Iterator[tuple[list[Append], list[list[bytes]]]]:
    batch: list[Append] = []
    payloads: list[list[bytes]] = []
    expected = GENESIS
    count = 0
    for row in entries:
        payload = encode_dict(row["event"])
        expected = link(expected, payload)
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
