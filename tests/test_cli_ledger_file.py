"""`rectify ledger verify|checkpoint|import` and `rectify export` on a real SQLite ledger."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from rectify.cli import EXIT_BAD_INPUT, app
from rectify.stores import SQLiteStore

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's ledger, written once for the module (each test edits a copy of it)."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "ledger.sqlite3"
    result = runner.invoke(app, ["demo", "--db", str(db), "--out", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(demo_ledger: Path, tmp_path: Path) -> str:
    """A copy of the demo's ledger in the test's folder (SQLite's backup: a whole copy)."""
    copy = tmp_path / "ledger.sqlite3"
    with closing(sqlite3.connect(demo_ledger)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return str(copy)


@pytest.mark.slow
def test_verify_catches_an_edited_row(db: str) -> None:
    """An entry edited behind the library's back is named; the intact ledger verifies."""
    ok = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert ok.exit_code == 0, ok.output
    assert "ledger ok" in ok.output
    with sqlite3.connect(db) as conn:
        payload = conn.execute("SELECT payload FROM events WHERE position = 40").fetchone()[0]
        edited = bytes(payload).replace(b"P0236", b"P0237", 1)
        conn.execute("UPDATE events SET payload = ? WHERE position = 40", (edited,))
    bad = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert bad.exit_code == EXIT_BAD_INPUT
    assert "40" in bad.output


@pytest.mark.slow
def test_checkpoint_detects_a_truncated_tail(db: str) -> None:
    """Deleting the last entries is caught against a checkpoint kept outside the ledger."""
    line = runner.invoke(app, ["ledger", "checkpoint", "--db", db]).output.strip()
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM events WHERE position > 500")
    # The chain alone still holds; the read models (kept beside the events) no longer do.
    alone = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert alone.exit_code == EXIT_BAD_INPUT
    assert "ledger ok" in alone.output
    assert "read model" in alone.output
    cut = runner.invoke(app, ["ledger", "verify", "--db", db, "--checkpoint", line])
    assert cut.exit_code == EXIT_BAD_INPUT


@pytest.mark.slow
def test_export_to_a_spreadsheet_and_json_round_trip(tmp_path: Path, db: str) -> None:
    """The ledger exports to XLSX with the expected rows; JSON re-imports identically."""
    target = tmp_path / "ledger.xlsx"
    assert runner.invoke(app, ["export", "--db", db, "--format", "xlsx", "--out",
                               str(target)]).exit_code == 0
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["台账 Ledger", "案卷 Cases"]
    ledger = list(book["台账 Ledger"].iter_rows(values_only=True))
    assert ledger[0][0] == "序号 Position"
    store = SQLiteStore(db, readonly=True)
    try:
        assert len(ledger) - 1 == store.head().position  # one row per entry, none lost
        cases = len(store.cases())
    finally:
        store.close()
    # 20 cases in 2016 and 19 in 2017: one organization listed again goes on in its 2016 case.
    assert cases == 39
    assert sum(1 for _ in book["案卷 Cases"].iter_rows()) - 1 == cases
    dump = tmp_path / "ledger.json"
    assert runner.invoke(app, ["export", "--db", db, "--format", "json", "--out",
                               str(dump)]).exit_code == 0
    copy = str(tmp_path / "copy.sqlite3")
    imported = runner.invoke(app, ["ledger", "import", "--db", copy, "--from", str(dump)])
    assert imported.exit_code == 0, imported.output
    assert f"imported {len(ledger) - 1}" in imported.output
    first = runner.invoke(app, ["ledger", "checkpoint", "--db", db]).output
    second = runner.invoke(app, ["ledger", "checkpoint", "--db", copy]).output
    assert first == second
    missing = runner.invoke(app, ["ledger", "verify", "--db", str(tmp_path / "nope" / "x.db")])
    assert missing.exit_code == EXIT_BAD_INPUT
    assert "Traceback" not in missing.output


@pytest.mark.slow
def test_bulletin_command(tmp_path: Path, db: str) -> None:
    """The bulletin prints as Markdown or JSON and writes its files; bad options exit 3."""
    md = runner.invoke(app, ["bulletin", "--db", db, "--on", "2017-03-31"])
    assert md.exit_code == 0, md.output
    assert "整顿" in md.output
    as_json = runner.invoke(app, ["bulletin", "--db", db, "--on", "2017-03-31", "--json"])
    assert as_json.exit_code == 0
    assert '"period"' in as_json.output
    written = runner.invoke(app, ["bulletin", "--db", db, "--on", "2017-12-31", "--period",
                                  "annual", "--out", str(tmp_path / "b"), "--format", "md"])
    assert written.exit_code == 0
    assert (tmp_path / "b" / "bulletin-2017.md").exists()
    bad = runner.invoke(app, ["bulletin", "--db", db, "--on", "2017-03-31", "--format", "doc"])
    assert bad.exit_code == EXIT_BAD_INPUT
    period = runner.invoke(app, ["bulletin", "--db", db, "--on", "2017-03-31", "--period",
                                 "weekly"])
    assert period.exit_code == EXIT_BAD_INPUT


@pytest.mark.slow
def test_verify_finds_commands_rows_changed_behind_the_ledgers_back(db: str) -> None:
    """A deleted or a forged commands row is named; the chain alone would not see it."""
    with sqlite3.connect(db) as conn:
        command = conn.execute("SELECT command FROM events WHERE position = 12").fetchone()[0]
        conn.execute("DELETE FROM commands WHERE command = ?", (command,))
        conn.execute("INSERT INTO commands VALUES ('escalation:2018-V01-03')")
    bad = runner.invoke(app, ["ledger", "verify", "--db", db, "--json"])
    assert bad.exit_code == EXIT_BAD_INPUT
    problems = " ".join(json.loads(bad.output)["read_models"])
    assert command in problems
    assert "escalation:2018-V01-03" in problems


@pytest.mark.slow
def test_rebuild_repairs_read_models_edited_behind_the_ledgers_back(db: str) -> None:
    """An edited read model fails verify; rebuild recomputes it from the events."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE cases SET state = 'delisted'")
    assert runner.invoke(app, ["ledger", "verify", "--db", db]).exit_code == EXIT_BAD_INPUT
    rebuilt = runner.invoke(app, ["ledger", "rebuild", "--db", db])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "read models rebuilt" in rebuilt.output
    assert runner.invoke(app, ["ledger", "verify", "--db", db]).exit_code == 0


@pytest.mark.slow
def test_backup_copies_a_ledger_in_use(tmp_path: Path, db: str) -> None:
    """The backup verifies, holds every entry, and an existing target is refused."""
    copy = tmp_path / "backup.sqlite3"
    done = runner.invoke(app, ["ledger", "backup", "--db", db, "--to", str(copy)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["ledger", "backup", "--db", db, "--to", str(copy)])
    assert again.exit_code == EXIT_BAD_INPUT
    assert "exists already" in again.output
    check = runner.invoke(app, ["ledger", "verify", "--db", str(copy), "--json"])
    assert check.exit_code == 0, check.output
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert json.loads(check.output)["checked"] == count
