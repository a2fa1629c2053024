"""``rectify compare`` and ``rectify simulate`` on the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from rectify import Campaign, Person, load_policy
from rectify.cli import app
from rectify.identify import identify
from rectify.sample import sample_assessments, sample_population
from rectify.stores import SQLiteStore

runner = CliRunner()
CHANGED = ("A02-12", "J02-01", "J02-02", "T02-03", "T03-07", "T04-02", "T04-05", "T06-04",
           "T07-03", "T08-07")


def test_compare_lists_every_changed_verdict_with_reasons_and_consequences() -> None:
    """The issue's acceptance command on the sample county."""
    result = runner.invoke(app, ["compare", "northern-county", "national-practice",
                                 "--year", "2017"])
    assert result.exit_code == 0, result.output
    for code in CHANGED:
        assert code in result.output
    assert "书记职位空缺3个月以上" in result.output
    assert "within the kind's quota by reverse ranking" in result.output
    for measure in ("escalations", "问责", "dismissals", "免去书记职务", "first_secretaries",
                    "约谈"):
        assert measure in result.output
    assert "10 verdict(s) differ" in result.output


def test_compare_json_and_report(tmp_path: Path) -> None:
    """--json holds the changes and the difference; --report writes Markdown with a chart."""
    report = tmp_path / "out" / "compare.md"
    result = runner.invoke(app, ["compare", "northern-county", "national-practice", "--year",
                                 "2017", "--json", "--report", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["org"] for c in data["changes"]] == list(CHANGED)
    assert data["consequences"]["difference"]["escalations"] == -1
    text = report.read_text("utf-8")
    assert "认定结果变化" in text
    assert "compare-kinds.svg" in text
    assert (tmp_path / "out" / "compare-kinds.svg").exists()


def test_compare_replays_a_ledger(tmp_path: Path) -> None:
    """--ledger replays the recorded year under policy B."""
    db = tmp_path / "ledger.db"
    policy = load_policy()
    dept = Person("OD-T", "组织部", {"org_department"})
    campaign = Campaign(policy, SQLiteStore(str(db)), population=sample_population(),
                        people=[dept])
    for year in (2016, 2017):
        campaign.open_cases(identify(sample_population(), sample_assessments(), policy, year),
                            actor=dept, on=date(year, 2, 15))
    campaign.store.close()  # type: ignore[attr-defined]
    result = runner.invoke(app, ["compare", "northern-county", "national-practice", "--year",
                                 "2017", "--ledger", str(db)])
    assert result.exit_code == 0, result.output
    assert "ledger / 台账: 20 listed, 3 escalations" in result.output
    assert "yes / 一致" in result.output


def test_simulate_prints_distributions_and_writes_reports(tmp_path: Path) -> None:
    """Distributions per year, and HTML and XLSX reports with charts."""
    html = tmp_path / "sim.html"
    result = runner.invoke(app, ["simulate", "northern-county", "--years", "2", "--runs", "5",
                                 "--report", str(html)])
    assert result.exit_code == 0, result.output
    for text in ("escalations", "问责", "carried_over", "2018", "90%"):
        assert text in result.output
    assert "<svg" in html.read_text("utf-8")
    xlsx = tmp_path / "sim.xlsx"
    result = runner.invoke(app, ["simulate", "northern-county", "--years", "2", "--runs", "3",
                                 "--json", "--report", str(xlsx)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["runs"] == 3
    assert data["years"] == [2017, 2018]
    assert "per_run" not in data
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    assert "模拟结果分布" in book.sheetnames
    assert book["图表 Charts"]._charts  # native charts were added


def test_bad_input_exits_3_without_a_traceback(tmp_path: Path) -> None:
    """Unknown policies, invalid models and report formats are one clear message."""
    cases = [
        ["compare", "nowhere", "national-practice", "--year", "2017"],
        ["simulate", "northern-county", "--model", str(tmp_path / "missing.toml")],
        ["compare", "northern-county", "national-practice", "--year", "2017", "--report",
         str(tmp_path / "r.pdf")],
        ["compare", "northern-county", "national-practice", "--year", "2030"],
    ]
    bad_model = tmp_path / "bad.toml"
    bad_model.write_text('[verification]\nbase = 2.0\nceiling = "x"\n', encoding="utf-8")
    cases.append(["simulate", "northern-county", "--model", str(bad_model), "--runs", "1"])
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 3, (args, result.output)
        assert "Traceback" not in result.output
        assert "error:" in result.output
    result = runner.invoke(app, cases[-1])
    assert "verification.base" in result.output
    assert "verification.ceiling" in result.output
