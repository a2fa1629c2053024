"""``rectify talk``, ``rectify appraisal`` and ``rectify finding`` over a ledger file."""

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


def test_talk_records_once_and_shows_the_bans(db: str) -> None:
    """A talk is recorded with its bans; the same --command-id records nothing again."""
    args = ("talk", "--db", db, "--person", "P0190", "--kind", "诫勉", "--reason", "整顿滞后",
            *DEPT, "--on", "2016-09-01", "--command-id", "talk-1", "--json")
    code, output = _run(*args)
    assert code == 0, output
    data = json.loads(output)
    assert data["kind"] == "cautionary"
    assert {r["kind"] for r in data["restrictions"]} == {"no_promotion", "no_awards"}
    assert _run(*args)[0] == 0
    code, output = _run("accountability", "list", "--db", db, "--on", "2016-09-02", "--json")
    (row,) = [r for r in json.loads(output) if r["person"] == "P0190"]
    assert len(row["talks"]) == 1


def test_appraisal_caps_the_year_and_asks_for_a_talk(db: str) -> None:
    """An average grade for 2016, decided in 2017, caps 2016 and requires a talk."""
    code, output = _run("appraisal", "--db", db, "--person", "P0069", "--year", "2016",
                        "--grade", "一般", *DEPT, "--on", "2017-01-20", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert data["cap_excellent"]
    assert data["talk_required"]
    assert data["correction_deadline"] == "2017-04-20"
    code, output = _run("appraisal", "--db", db, "--person", "P0069", "--year", "2016",
                        "--grade", "excellent", *DEPT, "--on", "2017-01-20")
    assert code == EXIT_BAD_INPUT
    assert "grade" in output


def test_finding_under_the_ladder_policy(tmp_path: Path) -> None:
    """A plaque violation extends the listing and orders a talk; bad kinds are refused."""
    db = str(tmp_path / "ladder.sqlite3")
    ladder = ("--policy", "ladder-county")
    assert _run("open", "--db", db, "--year", "2016", *DEPT, "--on", "2016-02-15", *ladder)[0] == 0
    args = ("finding", "--db", db, "--org", "T04-05", "--kind", "plaque", "--note", "摘牌后仍悬挂",
            *DEPT, "--on", "2016-09-01", "--policy", "ladder-county", "--command-id", "f-1")
    code, output = _run(*args, "--json")
    assert code == 0, output
    events = json.loads(output)
    assert events[0] == {"type": "finding", "org": "T04-05", "kind": "plaque", "year": 2016,
                         "extend_years": 1, "counts": True}
    assert any(e["type"] == "consequence" and e["action"] == "talk" for e in events)
    code, output = _run(*args)
    assert code == 0
    assert "nothing new" in output
    code, output = _run("finding", "--db", db, "--township", "南沟乡", "--kind", "nonsense",
                        *DEPT, "--on", "2016-09-01", *ladder)
    assert code == EXIT_BAD_INPUT
    assert "kind" in output
    code, output = _run("finding", "--db", db, "--org", "T04-05", "--kind", "spot_check",
                        "--actor", "P0190", "--on", "2016-09-01", *ladder)
    assert code == EXIT_REFUSED
