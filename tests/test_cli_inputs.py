"""The command line as analysts and scripts use it: county exports in, tables out, clean errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rectify.cli import EXIT_BAD_INPUT, app

runner = CliRunner()
SRC = str(Path(__file__).resolve().parent.parent / "src")

ORGS = [("组织编码", "组织名称", "党建类型", "层级", "组织形式", "上级组织"),
        ("V1", "东村党支部[重点]", "行政村", "直属", "党支部", ""),
        ("V2", "西村党支部", "行政村", "直属", "党支部", ""),
        ("V3", "南村党总支", "行政村", "直属", "党总支", ""),
        ("V3-1", "南村第一村民小组党支部南村第一村民小组党支部", "行政村", "二层", "党支部", "V3"),
        ("C1", "东街社区党委", "社区", "直属", "党委", ""),
        ("C2", "西街社区党支部", "社区", "直属", "党支部", "")]
SCORES = [("组织编码", "年度", "总分", "等次"), ("V1", "2017", "55", "较差"),
          ("V2", "2017", "72.5", ""), ("V3", "2017", "81", ""), ("V3-1", "2017", "65", ""),
          ("C1", "2017", "91", ""), ("C2", "2017", "70", "")]


def _ledger(db: Path) -> tuple[int, bytes, int]:
    from rectify.stores import open_store

    store = open_store(str(db), readonly=True)
    head = store.head()
    return head.position, head.hash, len(list(store.entries()))


def _gbk(rows: list[tuple[str, ...]], path: Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gbk"))


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """A county exported by another system: GBK CSV files with Chinese headers."""
    folder = tmp_path / "export"
    folder.mkdir()
    _gbk(ORGS, folder / "organizations.csv")
    _gbk(SCORES, folder / "assessments.csv")
    return folder


def test_gbk_csv_with_chinese_headers_identifies_in_one_command(county: Path) -> None:
    """`rectify identify --population DIR` reads GBK files with Chinese headers and lists."""
    result = runner.invoke(app, ["identify", "--population", str(county), "--year", "2017"])
    assert result.exit_code == 0, result.output
    assert "2 of 6 listed" in result.output
    assert "东村党支部[重点]" in result.output  # brackets are text, not markup


def test_xlsx_export_identifies_in_one_command(county: Path, tmp_path: Path) -> None:
    """A workbook with a sheet per table identifies like the CSV files, JSON for JSON."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "组织"
    for row in ORGS:
        book.active.append(list(row))
    sheet = book.create_sheet("评定")
    for row in SCORES:
        sheet.append([float(c) if c.replace(".", "").isdigit() else c for c in row])
    path = tmp_path / "county.xlsx"
    book.save(path)
    from_xlsx = runner.invoke(app, ["identify", "--population", str(path), "--year", "2017",
                                    "--json", "--all"])
    from_csv = runner.invoke(app, ["identify", "--population", str(county), "--year", "2017",
                                   "--json", "--all"])
    assert from_xlsx.exit_code == 0, from_xlsx.output
    assert json.loads(from_xlsx.stdout) == json.loads(from_csv.stdout)


def test_to_pandas_matches_the_json_output(county: Path) -> None:
    """The decisions' DataFrame holds what `identify --json --all` prints."""
    pytest.importorskip("pandas")
    from rectify import load_policy
    from rectify.identify import identify
    from rectify.inputs import load_county

    policy = load_policy()
    data = load_county(county, policy=policy)
    frame = identify(data.population, data.assessments, policy, 2017).to_pandas()
    printed = json.loads(runner.invoke(app, ["identify", "--population", str(county), "--year",
                                             "2017", "--json", "--all"]).stdout)
    keys = ["org_id", "name", "kind", "tier", "year", "listed", "score", "grade", "rank",
            "kind_size", "near_miss", "policy"]
    assert frame[keys].astype(object).to_dict("records") == [{k: r[k] for k in keys}
                                                             for r in printed]
    assert [list(r) for r in frame["rules"]] == [[x["rule"] for x in r["reasons"]]
                                                for r in printed]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "parquet"])
def test_identify_writes_every_format(county: Path, tmp_path: Path, fmt: str) -> None:
    """--format/--out write the decisions; csv and json may also go to stdout."""
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    out = tmp_path / f"decisions.{fmt}"
    result = runner.invoke(app, ["identify", "--population", str(county), "--year", "2017",
                                 "--all", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    if fmt == "json":
        assert len(json.loads(out.read_text("utf-8"))) == 6


def test_identify_csv_to_stdout(county: Path) -> None:
    """Without --out, CSV goes to stdout (no byte-order mark), headers in Chinese and English."""
    result = runner.invoke(app, ["identify", "--population", str(county), "--year", "2017",
                                 "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.startswith("组织编码 org_id,组织名称 name,")


def test_version_and_python_m() -> None:
    """`rectify --version` and `python -m rectify --version` print the version."""
    assert runner.invoke(app, ["--version"]).stdout.startswith("rectify ")
    done = subprocess.run([sys.executable, "-m", "rectify", "--version"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": SRC}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rectify ")


def test_missing_cli_extra_is_one_line() -> None:
    """Without typer and rich, `python -m rectify` names the extra instead of a traceback."""
    code = ("import sys\nsys.modules['typer'] = None\nsys.modules['rich'] = None\n"
            "sys.argv = ['rectify', '--version']\nfrom rectify.__main__ import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "rectify: the command line needs the cli extra (typer is not installed): "
        "pip install 'rectify[cli]'"]


def test_environment_defaults(tmp_path: Path) -> None:
    """RECTIFY_DB and RECTIFY_POLICY stand for --db and --policy."""
    db = tmp_path / "l.sqlite3"
    env = {"RECTIFY_DB": str(db), "RECTIFY_POLICY": "northern-county"}
    opened = runner.invoke(app, ["open", "--year", "2017", "--actor", "P0236", "--on",
                                 "2017-02-15", "--json"], env=env)
    assert opened.exit_code == 0, opened.output
    listed = runner.invoke(app, ["case", "list", "--json"], env=env)
    assert len(json.loads(listed.stdout)) == len(json.loads(opened.stdout)["opened"])
    other = runner.invoke(app, ["case", "list"], env={**env, "RECTIFY_POLICY": "national-practice"})
    assert other.exit_code == EXIT_BAD_INPUT


def test_errors_are_escaped_and_json(tmp_path: Path) -> None:
    """A value in square brackets survives in the message; --json errors are JSON on stderr."""
    result = runner.invoke(app, ["identify", "--year", "2017", "--population",
                                 str(tmp_path / "[red]missing[/]")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "[red]missing[/]" in result.stderr
    as_json = runner.invoke(app, ["identify", "--year", "2017", "--json", "--population",
                                  str(tmp_path / "nothing")])
    error = json.loads(as_json.stderr)
    assert error["error"] == "InputError"
    assert error["exit_code"] == EXIT_BAD_INPUT
    assert error["problems"][0]["got"] == "'no such file'"


def test_tables_wrap_chinese_at_80_columns(county: Path) -> None:
    """A long Chinese name is wrapped, never cut with an ellipsis."""
    result = runner.invoke(app, ["identify", "--population", str(county), "--year", "2017",
                                 "--all"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100  # wide chars count 1
    assert "南村第一" in result.stdout


@pytest.mark.parametrize("args", [
    ["case", "list", "--db", "{tmp}"],
    ["ledger", "import", "--db", "{tmp}/new.sqlite3", "--from", "{tmp}/missing.json"],
    ["ledger", "import", "--db", "{tmp}/new.sqlite3", "--from", "{tmp}/noentries.json"],
    ["plan", "--db", "{tmp}/l.sqlite3", "--actor", "P0236", "--on", "2017-03-01", "--file",
     "{tmp}/plans.json"],
    ["report", "--db", "{tmp}/l.sqlite3", "--case", "2017-X", "--kind", "progress",
     "--month", "2017-03", "--actor", "P0236", "--on", "2017-03-02", "--note", "bad\udcff"],
    ["export", "--db", "{tmp}/l.sqlite3", "--format", "xlsx", "--out", "{tmp}"],
    ["export", "--db", "{tmp}/l.sqlite3", "--format", "csv", "--out", "/proc/no/such"],
    ["coverage", "draw", "--db", "{tmp}/l.sqlite3", "--case", "NOPE"],
    ["identify", "--year", "2017", "--format", "parquet"],
    ["case", "list", "--db", "{tmp}/never.sqlite3"],
])
def test_bad_input_is_exit_3_and_changes_nothing(tmp_path: Path, args: list[str]) -> None:
    """Each case of the issue is a clean exit 3, and the ledger is left as it was."""
    (tmp_path / "noentries.json").write_text('{"format": "rectify-ledger"}', "utf-8")
    (tmp_path / "plans.json").write_text('[{"case": "2017-V1", "problems": ["x"]}]', "utf-8")
    db = tmp_path / "l.sqlite3"
    assert runner.invoke(app, ["open", "--db", str(db), "--year", "2017", "--actor", "P0236",
                               "--on", "2017-02-15"]).exit_code == 0
    before = _ledger(db)
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert _ledger(db) == before
    assert not (tmp_path / "new.sqlite3").exists()
    assert not (tmp_path / "never.sqlite3").exists()


def test_png_without_graphviz_is_a_clean_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing renderer names what to install (exit 3)."""
    db = tmp_path / "l.sqlite3"
    runner.invoke(app, ["open", "--db", str(db), "--year", "2017", "--actor", "P0236", "--on",
                        "2017-02-15"])
    monkeypatch.setitem(sys.modules, "graphviz", None)
    result = runner.invoke(app, ["coverage", "draw", "--db", str(db), "--format", "png",
                                 "--output", str(tmp_path / "c.png")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "rectify[diagrams]" in result.stderr


def test_check_policy_runs_user_invariants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """`check-policy --invariants module:name` checks a designer's own invariant."""
    pytest.importorskip("hypothesis")
    (tmp_path / "my_checks.py").write_text(
        "from rectify.testing.invariants import Invariant\n"
        "def _few(policy, example):\n"
        "    from rectify.identify import identify\n"
        "    r = identify(example.population, example.assessments, policy, example.year)\n"
        "    return ['listed more than one'] if len(r.listed_codes) > 1 else []\n"
        "FEW = Invariant('at_most_one_listed', 'lists at most one', '至多一个', "
        "'identification', _few)\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check-policy", "northern-county", "--invariants",
                                 "my_checks:FEW", "--max-examples", "30", "--seed", "1"])
    assert result.exit_code == 6, result.output
    assert "VIOLATED  at_most_one_listed" in result.stdout
    assert "turns on identification." in result.stdout
    bad = runner.invoke(app, ["check-policy", "northern-county", "--invariants", "nope:X"])
    assert bad.exit_code == EXIT_BAD_INPUT
