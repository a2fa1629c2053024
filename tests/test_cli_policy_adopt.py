"""``rectify policy adopt``: one policy per ledger file, changed on purpose from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import DEPT, opened_ledger
from cli_run import run as _run
from rectify.cli import EXIT_BAD_INPUT, EXIT_REFUSED
from rectify.cli._ledger import split_schema
from rectify.policy import load_policy
from rectify.stores import open_store

OTHER = "national-practice"




@pytest.fixture
def db(tmp_path: Path) -> str:
    return opened_ledger(str(tmp_path / "ledger.sqlite3"))


def _plan(db: str, case: str, policy: str) -> tuple[int, str]:
    return _run("plan", "--db", db, "--case", case, "--policy", policy, "--problem",
                "venue_nonstandard:场所破旧", "--measure", "修缮", "--responsible", "P0190",
                "--deadline", "2016-06-30", *DEPT, "--on", "2016-03-01", "--json")


def test_adopting_a_policy_switches_the_ledger(db: str) -> None:
    """Before: the other policy is refused (exit 3) for reading and recording.  After adopt:
    it records, the old one is refused for recording, and both read."""
    code, output = _run("case", "list", "--db", db, "--policy", OTHER)
    assert code == EXIT_BAD_INPUT
    assert "same --policy" in output
    code, output = _plan(db, "2016-T04-05", OTHER)
    assert code == EXIT_BAD_INPUT
    assert json.loads(output.splitlines()[-1])["error"] == "PolicyConflict"
    code, output = _run("policy", "adopt", "--db", db, "--policy", OTHER, *DEPT,
                        "--on", "2016-02-20", "--reason", "执行省里新规定", "--command-id",
                        "adopt-1", "--json")
    assert code == 0, output
    shown = json.loads(output)
    assert shown["fingerprint"] == load_policy(OTHER).fingerprint()
    assert shown["previous"] == load_policy("northern-county").fingerprint()
    assert shown["previous_name"] == "northern-county"
    code, output = _run("policy", "adopt", "--db", db, "--policy", OTHER, *DEPT,
                        "--on", "2016-02-20", "--reason", "执行省里新规定", "--command-id",
                        "adopt-1")
    assert code == 0, output  # the same command id: a retry, nothing recorded twice
    code, output = _plan(db, "2016-T04-05", "northern-county")
    assert code == EXIT_BAD_INPUT
    problem = json.loads(output.splitlines()[-1])
    assert problem["error"] == "PolicyConflict"
    assert "national-practice" in problem["message"]
    assert _plan(db, "2016-T04-05", OTHER)[0] == 0
    for policy in ("northern-county", OTHER):
        code, output = _run("case", "list", "--db", db, "--policy", policy, "--json")
        assert code == 0, output
    store = open_store(db)
    try:
        assert store.current_policy() == load_policy(OTHER).fingerprint()  # type: ignore[attr-defined]
        assert sum(1 for e in store.replay() if type(e).__name__ == "PolicyChanged") == 1
    finally:
        store.close()


def test_adopt_refusals(db: str, tmp_path: Path) -> None:
    """No right, a blank reason, the ledger's own policy: exit 4, nothing recorded; a missing
    ledger file: exit 3."""
    base = ["policy", "adopt", "--db", db, "--on", "2016-02-20"]
    code, output = _run(*base, "--policy", OTHER, "--actor", "P0267", "--reason", "x")
    assert code == EXIT_REFUSED
    assert "org_department" in output
    code, output = _run(*base, "--policy", OTHER, *DEPT, "--reason", " ")
    assert code == EXIT_REFUSED
    assert "reason" in output
    code, output = _run(*base, "--policy", "northern-county", *DEPT, "--reason", "x")
    assert code == EXIT_REFUSED
    assert "already kept under this policy" in output
    code, output = _run("policy", "adopt", "--db", str(tmp_path / "none.sqlite3"), "--policy",
                        OTHER, *DEPT, "--on", "2016-02-20", "--reason", "x")
    assert code == EXIT_BAD_INPUT
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_schema_in_a_postgres_dsn() -> None:
    """``?schema=NAME`` is taken out of the DSN; a name that is not a plain identifier exits
    3 naming the expected form."""
    assert split_schema("postgresql://h/db?schema=a_1") == ("postgresql://h/db", "a_1")
    assert split_schema("postgresql://h/db?sslmode=disable&schema=a") == (
        "postgresql://h/db?sslmode=disable", "a")
    assert split_schema("postgresql://h/db?schema=a&sslmode=disable") == (
        "postgresql://h/db?sslmode=disable", "a")
    code, output = _run("case", "list", "--db", "postgresql://127.0.0.1/test?schema=Bad-Name")
    assert code == EXIT_BAD_INPUT
    assert "schema=NAME" in output
