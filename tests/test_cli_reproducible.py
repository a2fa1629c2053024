"""Reruns give identical ledgers: content-derived command ids, --command-id, all-or-nothing plan
files, and the verification's reasons on the command line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from cli_run import DEPT
from cli_run import run as _run
from rectify.cli import EXIT_REFUSED
from rectify.sample import SAMPLE_DIR
from rectify.stores import open_store

CASE = "2016-T04-05"
LEVELS = [("leader_contact", "P0229"), ("org_guidance", "P0237"), ("paired_unit", "P0242"),
          ("committee_supervisor", "P0260"), ("first_secretary", "P0267")]




def _ok(*args: str) -> str:
    code, output = _run(*args)
    assert code == 0, output
    return output


def _head(db: Path) -> tuple[int, str]:
    store = open_store(str(db), readonly=True)
    head = store.head()
    return head.position, head.hash.hex()


def _county(folder: Path, seed: int | None) -> Path:
    """The sample county's three files; with a seed, every file's data rows shuffled."""
    folder.mkdir()
    for name in ("organizations.csv", "assessments.csv", "people.csv"):
        header, *rows = (SAMPLE_DIR / name).read_text("utf-8").splitlines()
        if seed is not None:
            random.Random(seed).shuffle(rows)
        (folder / name).write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return folder


def _plans(path: Path, cases: list[str], deadline: str = "2016-07-29") -> Path:
    path.write_text(json.dumps([
        {"case": case, "problems": [["rules_not_kept", "制度执行不经常"]],
         "measures": ["建立三会一课台账"], "responsible": ["P0190"], "deadline": deadline}
        for case in cases], ensure_ascii=False), "utf-8")
    return path


def _script(db: Path, county: Path, plans: Path) -> None:
    """Open two years, plan from a file, support, report, verify (failing), close the year."""
    base = ["--db", str(db), "--population", str(county)]
    _ok("open", *base, "--year", "2016", *DEPT, "--on", "2016-02-15")
    _ok("plan", *base, "--file", str(plans), *DEPT, "--on", "2016-03-01")
    case = [*base, "--case", CASE]
    for level, person in LEVELS:
        _ok("assign", *case, "--level", level, "--person", person, *DEPT, "--on", "2016-03-05")
    _ok("report", *case, "--kind", "progress", "--month", "2016-05", "--resolved",
        "rules_not_kept", "--actor", "P0267", "--on", "2016-05-20")
    _ok("report", *case, "--kind", "progress", "--month", "2016-05", "--resolved",
        "rules_not_kept", "--actor", "P0267", "--on", "2016-05-20")
    _ok("request-verification", *case, "--actor", "P0260", "--on", "2016-06-01")
    _ok("verify", *case, "--score", "66", "--satisfied", "5", "--basically-satisfied", "2",
        "--dissatisfied", "8", "--team", "P0279,P0280", "--actor", "P0279", "--on", "2016-06-10")
    _ok("close-year", *base, "--year", "2016", *DEPT, "--on", "2016-12-31")
    _ok("open", *base, "--year", "2017", *DEPT, "--on", "2017-02-15")


@pytest.mark.slow
def test_the_same_script_on_shuffled_inputs_gives_identical_ledger_hashes(
        tmp_path: Path) -> None:
    """Rows of every input file (and the plans file) shuffled: the same ledger, hash for hash;
    running the script again on the same ledger records nothing."""
    heads = []
    for n, seed in enumerate((None, 1, 2)):
        county = _county(tmp_path / f"county{n}", seed)
        cases = [CASE, "2016-I05"] if seed != 1 else ["2016-I05", CASE]
        plans = _plans(tmp_path / f"plans{n}.json", cases)
        db = tmp_path / f"ledger{n}.sqlite3"
        _script(db, county, plans)
        heads.append(_head(db))
        assert "ok" in _ok("ledger", "verify", "--db", str(db)).lower()
    assert heads[0] == heads[1] == heads[2]
    again = tmp_path / "ledger0.sqlite3"
    _script(again, tmp_path / "county0", tmp_path / "plans0.json")
    assert _head(again) == heads[0]


@pytest.fixture
def opened(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.sqlite3"
    _ok("open", "--db", str(db), "--year", "2016", *DEPT, "--on", "2016-02-15")
    return db


def test_a_report_given_twice_is_recorded_once_unless_its_id_differs(opened: Path) -> None:
    """The same report twice is one command; --command-id records a deliberate repeat."""
    case = ["--db", str(opened), "--case", CASE]
    _ok("plan", *case, "--problem", "rules_not_kept:制度", "--measure", "建章立制",
        "--responsible", "P0190", "--deadline", "2016-07-29", *DEPT, "--on", "2016-03-01")
    report = [*case, "--kind", "progress", "--month", "2016-04", *DEPT, "--on", "2016-04-28"]
    _ok("report", *report)
    once = _head(opened)
    _ok("report", *report)
    assert _head(opened) == once
    _ok("report", *report, "--command-id", "second-april-report")
    assert _head(opened)[0] == once[0] + 1
    _ok("report", *report, "--command-id", "second-april-report")
    assert _head(opened)[0] == once[0] + 1


def test_a_plan_file_is_all_or_nothing_and_can_be_run_again(opened: Path,
                                                             tmp_path: Path) -> None:
    """One bad plan files none and each plan is reported; fixed, the file files all; again,
    nothing new."""
    base = ["--db", str(opened)]
    before = _head(opened)
    bad = tmp_path / "bad.json"
    _plans(bad, [CASE, "2016-I05"])
    rows = json.loads(bad.read_text("utf-8"))
    rows[1]["deadline"] = "2019-01-01"  # beyond the policy's maximum deadline
    bad.write_text(json.dumps(rows), "utf-8")
    code, output = _run("plan", *base, "--file", str(bad), *DEPT, "--on", "2016-03-01")
    assert code == EXIT_REFUSED, output
    assert f"{CASE}: not filed" in output
    assert "2016-I05: refused" in output
    assert _head(opened) == before
    good = _plans(tmp_path / "good.json", [CASE, "2016-I05"])
    code, output = _run("plan", *base, "--file", str(good), *DEPT, "--on", "2016-03-01",
                        "--json")
    assert code == 0, output
    assert [p["status"] for p in json.loads(output)["plans"]] == ["filed", "filed"]
    filed = _head(opened)
    assert filed[0] == before[0] + 2
    code, output = _run("plan", *base, "--file", str(good), *DEPT, "--on", "2016-03-01",
                        "--json")
    assert [p["status"] for p in json.loads(output)["plans"]] == ["already_filed"] * 2
    assert _head(opened) == filed


def test_verify_and_case_show_say_why_a_verification_failed_and_reopen(opened: Path) -> None:
    """A failed verification names the score, the votes and each unmet rule; reopen works."""
    case = ["--db", str(opened), "--case", CASE]
    _ok("plan", *case, "--problem", "rules_not_kept:制度", "--measure", "建章立制",
        "--responsible", "P0190", "--deadline", "2016-07-29", *DEPT, "--on", "2016-03-01")
    for level, person in LEVELS:
        _ok("assign", *case, "--level", level, "--person", person, *DEPT, "--on", "2016-03-05")
    resolve = [*case, "--kind", "progress", "--resolved", "rules_not_kept", "--actor", "P0267"]
    _ok("report", *resolve, "--month", "2016-05", "--on", "2016-05-20")
    _ok("request-verification", *case, "--actor", "P0260", "--on", "2016-06-01")
    output = _ok("verify", *case, "--score", "66", "--satisfied", "5", "--basically-satisfied",
                 "2", "--dissatisfied", "8", "--team", "P0279,P0280", "--actor", "P0279",
                 "--on", "2016-06-10")
    assert "failed / 不合格" in output
    assert "score 66 below the pass mark 70" in output
    assert "53% dissatisfied exceeds 50%" in output
    shown = json.loads(_ok("case", "show", CASE, "--db", str(opened), "--json"))
    verification = shown["history"][-1]["verification"]
    assert verification["passed"] is False
    assert verification["votes"] == {"satisfied": 5, "basically_satisfied": 2,
                                     "dissatisfied": 8}
    assert len(verification["reasons"]) == 2
    shown_text = _ok("case", "show", CASE, "--db", str(opened))
    assert "unmet: score 66 below the pass mark 70" in shown_text
    assert "未达标: 得分66分, 低于70分合格线" in shown_text
    _ok("report", *resolve, "--month", "2016-07", "--on", "2016-07-01")
    _ok("request-verification", *case, "--actor", "P0260", "--on", "2016-07-02")
    _ok("verify", *case, "--score", "86", "--satisfied", "11", "--basically-satisfied", "3",
        "--dissatisfied", "1", "--team", "P0279,P0280", "--actor", "P0279", "--on", "2016-07-05")
    _ok("delist", *case, *DEPT, "--on", "2016-07-10")
    code, output = _run("reopen", *case, "--reason", "  ", *DEPT, "--on", "2016-09-01")
    assert code == EXIT_REFUSED
    assert "a reason for reopening is required" in output
    code, output = _run("reopen", *case, "--reason", "回头看发现问题反弹", *DEPT,
                        "--on", "2016-07-01")
    assert code == EXIT_REFUSED
    assert "2016-07-10 or later" in output
    output = _ok("reopen", *case, "--reason", "回头看发现问题反弹", *DEPT, "--on", "2016-09-01",
                 "--json")
    assert json.loads(output)["state"] == "supported"
