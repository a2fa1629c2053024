"""Read paths never write: a read-only SQLite ledger is verified without a byte changed.

As root ``chmod`` restricts nothing, so the tests do not rely on it: they
compare the folder's listing and every file's bytes before and after, and
check that no ``-wal`` or ``-shm`` file appears.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_workers import campaign, one, scenario
from typer.testing import CliRunner

from rectify.cli import app
from rectify.stores import SQLiteStore
from rectify.stores.chain import checkpoint, verify
from rectify.stores.errors import LedgerReadOnly
from rectify.stores.readmodel import verify_read_models

runner = CliRunner()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _ledger(folder: Path, commands: int = 12) -> Path:
    path = folder / "ledger.db"
    store = SQLiteStore(path)
    for n in range(commands):
        store.append([one(f"2017-V{n % 4}", n // 4, f"c{n}")])
    store.close()
    return path


def test_verifying_a_closed_ledger_changes_nothing(tmp_path: Path) -> None:
    """No -wal/-shm file is created; the folder and the ledger's bytes are as they were."""
    path = _ledger(tmp_path)
    before = _snapshot(tmp_path)
    assert set(before) == {"ledger.db"}
    store = SQLiteStore(path, readonly=True)
    try:
        assert verify(store).ok
        assert verify_read_models(store) == []
        assert len(list(store.replay())) == 12
        assert store.case("2017-V1") is None  # the events are plan returns, no case opened
    finally:
        store.close()
    assert _snapshot(tmp_path) == before


def test_a_read_only_folder_and_file_are_verified(tmp_path: Path) -> None:
    """chmod a-w on the folder and the file (effective for non-root users): still verified."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _ledger(folder)
    before = _snapshot(folder)
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        store = SQLiteStore(path, readonly=True)
        try:
            report = verify(store)
            assert report.ok
            assert report.checked == 12
            with pytest.raises(LedgerReadOnly):
                store.append([one("2017-V9", 0, "c-new")])
        finally:
            store.close()
        assert _snapshot(folder) == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_a_ledger_in_use_is_read_with_its_latest_transactions(tmp_path: Path) -> None:
    """While a writer has the ledger open (a -wal file exists) reads see its commits."""
    path = _ledger(tmp_path)
    writer = SQLiteStore(path)
    try:
        writer.append([one("2017-V9", 0, "c-live")])
        assert Path(f"{path}-wal").exists()
        reader = SQLiteStore(path, readonly=True)
        try:
            assert reader.has_command("c-live")
            assert verify(reader).checked == 13
            writer.append([one("2017-V9", 1, "c-later")])
            assert reader.has_command("c-later")
        finally:
            reader.close()
    finally:
        writer.close()


def test_the_read_only_cli_commands_write_nothing(tmp_path: Path) -> None:
    """ledger verify, ledger checkpoint and export leave the ledger's folder as it was."""
    store = SQLiteStore(tmp_path / "ledger.db")
    scenario(campaign(store))
    store.close()
    db = str(tmp_path / "ledger.db")
    before = _snapshot(tmp_path)
    for args in (["ledger", "verify", "--db", db], ["ledger", "checkpoint", "--db", db],
                 ["export", "--db", db, "--format", "json", "--out",
                  str(tmp_path.parent / f"{tmp_path.name}-export.json")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert _snapshot(tmp_path) == before, args


def test_a_schema_2_ledger_is_verified_read_only_without_an_upgrade(tmp_path: Path) -> None:
    """A ledger of the previous schema opened read-only verifies as it is, unchanged."""
    from test_store_integrity import to_schema_2

    path = _ledger(tmp_path)
    to_schema_2(path)
    before = _snapshot(tmp_path)
    store = SQLiteStore(path, readonly=True)
    try:
        assert store.hashed_columns_from() == 13  # no entry has the new rule
        assert verify(store).ok
    finally:
        store.close()
    assert _snapshot(tmp_path) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM ledger_schema").fetchone()[0] == 2


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.integers(1, 30))
def test_read_only_reads_equal_writable_reads(tmp_path_factory: pytest.TempPathFactory,
                                              commands: int) -> None:
    """Whatever the ledger holds, the read-only store reads and checkpoints the same."""
    folder = tmp_path_factory.mktemp("ro")
    path = _ledger(folder, commands)
    before = _snapshot(folder)
    writable = SQLiteStore(path)
    expected = (list(writable.entries()), checkpoint(writable))
    writable.close()
    assert _snapshot(folder) == before
    store = SQLiteStore(path, readonly=True)
    try:
        assert (list(store.entries()), checkpoint(store)) == expected
    finally:
        store.close()
    assert _snapshot(folder) == before


def test_read_only_never_creates_a_ledger(tmp_path: Path) -> None:
    """readonly=True on a missing path is a typed error naming the path; nothing appears."""
    from rectify.stores.errors import LedgerError

    with pytest.raises(LedgerError, match="no ledger at this path"):
        SQLiteStore(tmp_path / "missing.db", readonly=True)
    assert list(tmp_path.iterdir()) == []
