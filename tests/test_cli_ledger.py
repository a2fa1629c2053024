"""The scriptable commands over a ledger file, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import DEPT, opened_ledger
from cli_run import run as _run
from rectify.cli import EXIT_BAD_INPUT, EXIT_REFUSED


@pytest.fixture
def db(tmp_path: Path) -> str:
    return opened_ledger(str(tmp_path / "ledger.sqlite3"))


def test_a_case_through_the_command_line(db: str) -> None:
    """open → plan → assign ×5 → report → request → verify → delist, each a command."""
    case = ["--db", db, "--case", "2016-T04-05"]
    assert _run("plan", *case, "--problem", "venue_nonstandard:场所破旧", "--measure", "修缮",
                "--responsible", "P0190", "--deadline", "2016-06-30", *DEPT,
                "--on", "2016-03-01")[0] == 0
    for level, person in [("leader_contact", "P0229"), ("org_guidance", "P0237"),
                          ("paired_unit", "P0242"), ("committee_supervisor", "P0260"),
                          ("first_secretary", "P0267")]:
        code, output = _run("assign", *case, "--level", level, "--person", person, *DEPT,
                            "--on", "2016-03-05")
        assert code == 0, output
    assert "supported / 整顿中(包扶到位)" in output
    assert _run("report", *case, "--kind", "progress", "--month", "2016-05",
                "--resolved", "venue_nonstandard", "--actor", "P0267",
                "--on", "2016-05-20")[0] == 0
    assert _run("request-verification", *case, "--actor", "P0260", "--on", "2016-06-01")[0] == 0
    code, output = _run("verify", *case, "--score", "85", "--satisfied", "10",
                        "--basically-satisfied", "3", "--dissatisfied", "2",
                        "--team", "P0279,P0280", "--actor", "P0279", "--on", "2016-06-10",
                        "--json")
    assert json.loads(output)["state"] == "accepted"
    assert _run("delist", *case, *DEPT, "--on", "2016-06-20")[0] == 0
    code, output = _run("case", "show", "2016-T04-05", "--db", db, "--json")
    shown = json.loads(output)
    assert shown["state"] == "delisted"
    assert [h["type"] for h in shown["history"]][-1] == "CaseDelisted"
    code, output = _run("close-year", "--db", db, "--year", "2016", *DEPT, "--on",
                        "2016-12-31", "--json")
    assert len(json.loads(output)["carried_over"]) == 19


def test_refusals_and_bad_input_have_their_exit_codes(db: str) -> None:
    """A refused command exits 4 with its reasons; a malformed date or wrong policy exits 3."""
    code, output = _run("request-verification", "--db", db, "--case", "2016-T04-05", *DEPT,
                        "--on", "2016-03-03")
    assert code == EXIT_REFUSED
    assert "cannot request_verification" in output
    assert "Traceback" not in output
    code, output = _run("delist", "--db", db, "--case", "2016-T04-05", *DEPT, "--on",
                        "2016-13-01")
    assert code == EXIT_BAD_INPUT
    assert "YYYY-MM-DD" in output
    code, output = _run("case", "list", "--db", db, "--policy", "national-practice")
    assert code == EXIT_BAD_INPUT
    assert "same --policy" in output
    code, output = _run("assign", "--db", db, "--case", "2016-T04-05", "--level",
                        "paired_unit", "--person", "P0242", "--actor", "P0267",
                        "--on", "2016-03-05")
    assert code == EXIT_REFUSED
    assert "needs one of the roles org_department" in output
    code, output = _run("case", "show", "2099-X", "--db", db)
    assert code == EXIT_BAD_INPUT


def test_listing_due_and_accountability(db: str) -> None:
    """case list, due and accountability list read the ledger, as tables or JSON."""
    _, output = _run("case", "list", "--db", db, "--json")
    assert len(json.loads(output)) == 20
    _, output = _run("due", "--db", db, "--on", "2016-03-07", "--json")
    assert any(item["kind"] == "weekly_reminder" for item in json.loads(output))
    assert _run("close-year", "--db", db, "--year", "2016", *DEPT, "--on", "2016-12-31")[0] == 0
    _code, output = _run("open", "--db", db, "--year", "2017", *DEPT, "--on", "2017-02-15",
                        "--json")
    opened = json.loads(output)
    assert {e["org"] for e in opened["escalations"]} >= {"T04-05", "S02-03"}
    _code, output = _run("accountability", "list", "--db", db, "--on", "2017-03-01", "--json")
    people = {row["person"]: row for row in json.loads(output)}
    assert people["P0185"]["dismissals"][0]["role"] == "parent_secretary"


@pytest.mark.slow
def test_demo_runs_and_is_safe_to_repeat(tmp_path: Path) -> None:
    """The demo writes its outputs; a second run on the same ledger adds nothing."""
    db = tmp_path / "demo.sqlite3"
    code, output = _run("demo", "--db", str(db), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert "2017年问责（连续列入）" in output
    assert (tmp_path / "out" / "workflow.mmd").exists()
    events = output.split("ledger / 台账:")[1].split("events")[0]
    code, again = _run("demo", "--db", str(db), "--out", str(tmp_path / "out"))
    assert code == 0
    assert "already holds the demo" in again
    assert again.split("ledger / 台账:")[1].split("events")[0] == events


@pytest.mark.slow
def test_coverage_commands(tmp_path: Path) -> None:
    """coverage check/draw/export and diagram workflow work on the demo's ledger."""
    db = str(tmp_path / "demo.sqlite3")
    assert _run("demo", "--db", db, "--out", str(tmp_path / "out"))[0] == 0
    code, output = _run("coverage", "check", "--db", db, "--json")
    assert code == 0
    assert json.loads(output) == []
    # T04-05's unfinished 2016 case goes on in 2017, under the secretary appointed after
    # the dismissal of P0190 (and the township's new secretary after P0185's).
    code, output = _run("coverage", "draw", "--db", db, "--case", "2016-T04-05")
    assert code == 0
    assert output.startswith("flowchart")
    assert "南沟乡杏树坪村党支部" in output
    assert "P0291" in output
    assert "P0190" not in output
    assert "P0185" not in output
    target = tmp_path / "coverage.graphml"
    assert _run("coverage", "export", "--db", db, "-o", str(target), "--format",
                "graphml")[0] == 0
    assert target.read_text("utf-8").startswith("<?xml")
    code, output = _run("coverage", "export", "--db", db, "-o", str(target), "--format", "x")
    assert code == EXIT_BAD_INPUT
    code, output = _run("diagram", "workflow", "--lang", "zh")
    assert "已销号" in output
