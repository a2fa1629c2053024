"""Fuzz: no bytes, JSON, workbook or policy text makes a loader (or the CLI) raise anything
but a typed error, and a refused command never changes a ledger."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rectify import InputError, PolicyError, RectifyError, load_policy
from rectify.inputs import load_assessments, load_organizations, load_people

_FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow], deadline=None)
_HEADERS = ["org", "year", "total", "grade", "aspect:team_incomplete", "fact:satisfaction",
            "code", "name", "kind", "tier", "parent", "组织编码", "年度", "总分", "等次", ""]
_CELLS = st.one_of(st.text(max_size=8), st.sampled_from(
    ["2017", "²⁰¹⁷", "1e400", "nan", "-inf", "9" * 400, "V1\u202e", "\x00", "较差", "直属",
     "60.5", "", " ", "\"", "D"]))
_LOADERS = [lambda p: load_assessments(p, policy=load_policy()), load_organizations,
            load_people]


def _load_all(path: Path) -> None:
    for load in _LOADERS:
        with contextlib.suppress(InputError):
            load(path)


@_FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_csv(data: bytes) -> None:
    """Any bytes in a .csv file give rows or an InputError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(data)
        _load_all(path)


@_FUZZ
@given(st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=6),
       st.lists(st.lists(_CELLS, max_size=7), max_size=5),
       st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))
def test_random_tables_as_csv(header: list[str], rows: list[list[str]], encoding: str) -> None:
    """Tables of odd cells in any of the usual encodings give rows or an InputError."""
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(buffer.getvalue().encode(encoding, "replace"))
        _load_all(path)


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["org", "year", "total", "grade", "aspects", "facts", "code", "name",
                         "kind", "tier", "roles", "id"]), inner, max_size=5),
    max_leaves=12)


@_FUZZ
@given(_JSON, st.sampled_from(["", "1e400", "9" * 5000, "[" * 2000]))
def test_random_json(document: object, tail: str) -> None:
    """Any JSON value (and huge numbers, deep nesting) gives rows or an InputError."""
    import json

    text = json.dumps(document, allow_nan=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json"
        path.write_text(text if not tail else f"[{{\"total\": {tail}}}]", "utf-8")
        _load_all(path)


@_FUZZ
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6),
                                   st.floats(allow_nan=False, allow_infinity=False),
                                   st.booleans(), _CELLS.filter(lambda s: "\x00" not in s)),
                         max_size=6), max_size=5),
       st.sampled_from([["org", "year", "total"], ["code", "name", "kind", "tier"],
                        ["id", "name", "roles"]]))
def test_random_workbooks(rows: list[list[object]], header: list[str]) -> None:
    """Workbooks with cells of every type give rows or an InputError."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(header)
    for row in rows:
        try:
            book.active.append(row)
        except Exception:  # openpyxl refuses some strings (control characters): not our case
            continue
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        book.save(path)
        _load_all(path)


_TOML_PIECES = st.sampled_from([
    "[identification]\n", "near_mis_ranks = 3\n", "threshold = nan\n", "threshold = -1\n",
    "[[identification.direct]]\n", 'id = "x"\n', 'zh = "空缺"\n',
    'fact = "secretary_vacant_months"\n', 'op = ">"\n', "threshold = inf\n",
    "[permissions.scopes]\n", 'first_secretry = "assigned"\n', "= =\n", '"a" = [1,\n',
    "[verification]\n", "pass_score = 170\n", "[grades]\n", "A = 10\n", "\x00\n"])


@_FUZZ
@given(st.lists(_TOML_PIECES, max_size=8))
def test_random_policy_overlays(pieces: list[str]) -> None:
    """Any TOML overlay on a preset gives a policy or a PolicyError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "overlay.toml"
        path.write_text("".join(pieces), "utf-8")
        with contextlib.suppress(PolicyError):
            load_policy("northern-county", path)


_ARGS = st.lists(st.one_of(
    st.sampled_from(["identify", "open", "plan", "assign", "report", "verify", "delist",
                     "case", "list", "show", "export", "ledger", "import", "coverage", "draw",
                     "--db", "--year", "--on", "--actor", "--case", "--json", "--format",
                     "--out", "--note", "--population", "--policy", "2017", "2017-02-30",
                     "P0236", "2017-V1", "sample", "xlsx", "parquet", "²⁰¹⁷", "\udcff",
                     "[red]x[/]"]),
    st.text(max_size=6)), max_size=8)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(_ARGS)
def test_cli_arguments_never_crash_or_change_the_ledger(tmp_path: Path, args: list[str]) -> None:
    """Random argument lists end with an exit code, never an untyped exception; a refusal
    (exit 2-6) leaves the ledger as it was."""
    from rectify.cli import app
    from rectify.stores import open_store

    db = tmp_path / "ledger.sqlite3"
    runner = CliRunner()
    if not db.exists():
        assert runner.invoke(app, ["open", "--db", str(db), "--year", "2017", "--actor",
                                   "P0236", "--on", "2017-02-15"]).exit_code == 0
    head = open_store(str(db), readonly=True).head()
    here = os.getcwd()
    os.chdir(tmp_path)  # whatever --out the arguments name lands here
    try:
        result = runner.invoke(app, [*args, "--db", str(db)] if "--db" not in args else args)
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert isinstance(result.exception, RectifyError), repr(result.exception)
        pytest.fail(f"{args}: {result.exception!r}")
    if result.exit_code != 0:
        assert open_store(str(db), readonly=True).head() == head
