"""Golden output: what ``rectify demo``, ``identify``, ``case show`` and ``bulletin`` print.

The printed text is pinned with syrupy snapshots at 80 and 120 columns, so a
table that prints empty cells (or format names instead of values) cannot pass.
Paths and timings are replaced by placeholders; the PDF is switched off
(``RECTIFY_CHROMIUM`` names no browser) so the output does not depend on
whether Chromium is installed.  Update the snapshots with
``pytest tests/test_demo_output.py --snapshot-update`` and review the diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from rectify.cli import app
from rectify.cli._common import out
from test_chinese import _CJK, identifiers

runner = CliRunner()
WIDTHS = (80, 120)


@pytest.fixture(autouse=True)
def _no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFY_CHROMIUM", "/nonexistent/chromium")


@pytest.fixture
def width(request: pytest.FixtureRequest) -> Iterator[int]:
    """Print at the requested width (the console reads it once, at import)."""
    before = out.width
    out.width = request.param
    yield request.param
    out.width = before


def _run(*args: str, root: Path) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    text = result.output.replace(str(root), "<tmp>")
    return re.sub(r"done in \d+\.\d s", "done in <t> s", text)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo ledger for the read-only commands."""
    root = tmp_path_factory.mktemp("ledger")
    mp = pytest.MonkeyPatch()
    mp.setenv("RECTIFY_CHROMIUM", "/nonexistent/chromium")
    try:
        _run("demo", "--db", str(root / "demo.sqlite3"), "--out", str(root / "out"), root=root)
    finally:
        mp.undo()
    return root / "demo.sqlite3"


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_demo_prints_every_value(width: int, tmp_path: Path,
                                 snapshot: SnapshotAssertion) -> None:
    """``rectify demo`` prints its steps in Chinese and the bulletin's headline figures."""
    text = _run("demo", "--db", str(tmp_path / "d.sqlite3"), "--out", str(tmp_path / "o"),
                root=tmp_path)
    summary = text.split("北组通〔2017〕14号", 1)[1].split("ledger /", 1)[0]
    rows = [line for line in summary.splitlines() if line.startswith("│")]
    assert len(rows) == 14
    assert all(cell.strip() for row in rows for cell in row.strip("│").split("│"))
    assert "percent" not in text
    assert "免去石志强（P0185）中共北岭县南沟乡委员会书记职务" in text.replace("\n", "").replace(
        "│", "").replace(" ", "")
    chinese = [line for line in text.splitlines() if _CJK.search(line)]
    assert chinese
    assert not [(line, identifiers(line)) for line in chinese if identifiers(line)]
    assert text == snapshot


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_identify_output(width: int, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """``rectify identify --year 2017`` on the sample county."""
    assert _run("identify", "--year", "2017", root=tmp_path) == snapshot


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_case_show_output(width: int, ledger: Path, snapshot: SnapshotAssertion) -> None:
    """``rectify case show`` of the village whose case went on into 2017 and whose township
    secretary was dismissed."""
    assert _run("case", "show", "2016-T04-05", "--db", str(ledger),
                root=ledger.parent) == snapshot


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_bulletin_output(width: int, ledger: Path, snapshot: SnapshotAssertion) -> None:
    """``rectify bulletin --issued 2017-07-10``: the second quarter's document."""
    text = _run("bulletin", "--db", str(ledger), "--issued", "2017-07-10", root=ledger.parent)
    assert "北组通〔2017〕14号" in text
    assert "2017年第2季度" in text
    assert not [(line, identifiers(line)) for line in text.splitlines()
                if _CJK.search(line) and identifiers(line)]
    assert text == snapshot
