"""Ledger and case-register exports (XLSX, CSV, JSON) and the JSON re-import."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import orjson
import pytest
from ledger_workers import campaign, scenario

from conftest import Backend
from rectify.errors import InvalidValueError
from rectify.reporting.exports import CASE_COLUMNS, LEDGER_COLUMNS, export, import_json
from rectify.reporting.labels import STATUS_ZH
from rectify.stores import MemoryStore, SQLiteStore
from rectify.stores.chain import verify


@pytest.fixture
def county(tmp_path: Path) -> SQLiteStore:
    """The scenario's ledger in a SQLite file."""
    store = SQLiteStore(tmp_path / "county.db")
    scenario(campaign(store))
    return store


def test_xlsx_has_two_bilingual_sheets(county: SQLiteStore, tmp_path: Path) -> None:
    """The workbook opens with openpyxl: frozen bilingual headers, one row per event and case."""
    openpyxl = pytest.importorskip("openpyxl")
    c = campaign(county)
    (path,) = export(county, tmp_path / "ledger.xlsx", "xlsx", campaign=c)
    book = openpyxl.load_workbook(path, read_only=False)
    assert book.sheetnames == ["台账 Ledger", "案卷 Cases"]
    ledger, cases = book["台账 Ledger"], book["案卷 Cases"]
    assert ledger.freeze_panes == "A2"
    assert cases.freeze_panes == "A2"
    assert ledger.cell(1, 1).value == "序号 Position"
    assert [cell.value for cell in ledger[1]] == [f"{zh} {en}" for _, zh, en in LEDGER_COLUMNS]
    assert ledger.max_row == len(county) + 1
    assert cases.max_row == len(c.cases()) + 1
    keys = [key for key, _, _ in CASE_COLUMNS]
    state, state_zh = keys.index("state"), keys.index("state_zh")
    states = {row[0].value: (row[state].value, row[state_zh].value)
              for row in cases.iter_rows(min_row=2)}
    assert states["2017-V4"] == ("delisted", STATUS_ZH["delisted"])
    assert ledger.cell(1, 1).font.bold
    assert ledger.column_dimensions["B"].width >= 10
    date_column = [key for key, _, _ in LEDGER_COLUMNS].index("date") + 1
    assert isinstance(ledger.cell(2, date_column).value, datetime.datetime)
    assert cases.cell(2, 3).value == "1组党支部"


def test_csv_files_match_the_ledger(county: SQLiteStore, tmp_path: Path) -> None:
    """ledger.csv has one row per event with its hash; cases.csv one per case."""
    written = export(county, tmp_path / "csv", "csv")
    assert [p.name for p in written] == ["ledger.csv", "cases.csv"]
    with written[0].open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "序号 Position"
    assert len(rows) == len(county) + 1
    hash_column = [key for key, _, _ in LEDGER_COLUMNS].index("hash")
    assert [r[hash_column] for r in rows[1:]] == [e.hash.hex() for e in county.entries()]
    with written[1].open(encoding="utf-8-sig") as handle:
        cases = list(csv.reader(handle))
    assert len(cases[0]) == len(CASE_COLUMNS)
    assert len(cases) == 7


def test_json_reimports_with_identical_replay(backend: Backend, county: SQLiteStore,
                                              tmp_path: Path) -> None:
    """A JSON export loads into an empty store of any kind: same replay, same hashes."""
    (path,) = export(county, tmp_path / "ledger.json", "json")
    target = backend.new()
    assert import_json(path, target, batch_size=7) == len(county)
    assert list(target.replay()) == list(county.replay())
    assert [e.hash for e in target.entries()] == [e.hash for e in county.entries()]
    assert verify(target).ok
    assert campaign(target).cases() == campaign(county).cases()
    with pytest.raises(InvalidValueError, match="empty store"):
        import_json(path, target)


def test_changed_export_is_refused(county: SQLiteStore, tmp_path: Path) -> None:
    """An export edited after it was written fails its hash check on import."""
    (path,) = export(county, tmp_path / "ledger.json", "json")
    doc = orjson.loads(path.read_bytes())
    doc["entries"][3]["event"]["actor"] = "XX"
    path.write_bytes(orjson.dumps(doc))
    with pytest.raises(InvalidValueError, match="changed"):
        import_json(path, MemoryStore())
    path.write_bytes(b"[]")
    with pytest.raises(InvalidValueError, match="rectify-ledger"):
        import_json(path, MemoryStore())


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    """Only xlsx, csv and json are formats."""
    with pytest.raises(InvalidValueError, match="format"):
        export(MemoryStore(), tmp_path / "x", "pdf")
