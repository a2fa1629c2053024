"""The command line: output, JSON shape, exit codes and error messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rectify.cli import EXIT_BAD_INPUT, app

runner = CliRunner()


def test_identify_prints_listed_organizations_with_reasons() -> None:
    """The default table lists the sample's listed organizations, their rules and a legend."""
    result = runner.invoke(app, ["identify", "--population", "sample", "--year", "2017"])
    assert result.exit_code == 0, result.output
    assert "20 of 228 listed" in result.output
    assert "grade_d: 年度评定为较差等次 / assessed grade D (poor) this year" in result.output
    assert "per kind / 分类统计" in result.output


def test_identify_json_has_the_documented_fields() -> None:
    """--json prints a list of objects with org_id, listed and reasons[].rule."""
    result = runner.invoke(app, ["identify", "--year", "2017", "--json", "--all"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 228
    listed = [r for r in rows if r["listed"]]
    assert len(listed) == 20
    assert all(r["reasons"] and all("rule" in x for x in r["reasons"]) for r in rows)
    assert {"org_id", "listed", "reasons", "score", "rank", "cutoff", "margin"} <= set(rows[0])


def test_policy_commands() -> None:
    """list shows the presets, show prints TOML, validate passes a preset."""
    listed = runner.invoke(app, ["policy", "list", "--json"])
    assert [p["name"] for p in json.loads(listed.stdout)] == [
        "ladder-county", "national-practice", "northern-county", "village10-community5"]
    shown = runner.invoke(app, ["policy", "show", "northern-county"])
    assert "[identification.quota]" in shown.stdout
    ok = runner.invoke(app, ["policy", "validate", "northern-county"])
    assert ok.exit_code == 0
    assert "valid" in ok.stdout


def test_policy_validate_lists_every_problem(tmp_path: Path) -> None:
    """An invalid file exits 3 and names every problem, as text or JSON."""
    base = runner.invoke(app, ["policy", "show", "northern-county"]).stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(base.replace("village = 0.15", "village = 15").replace(
        "pass_score = 70.0", "pass_score = 170.0"), encoding="utf-8")
    text = runner.invoke(app, ["policy", "validate", str(bad)])
    assert text.exit_code == EXIT_BAD_INPUT
    assert "identification.quota.village: expected a fraction in [0, 1], got 15" in text.output
    assert "verification.pass_score" in text.output
    as_json = runner.invoke(app, ["policy", "validate", str(bad), "--json"])
    assert as_json.exit_code == EXIT_BAD_INPUT
    assert len(json.loads(as_json.stdout)["problems"]) == 2


def test_bad_input_is_one_clear_message_without_traceback(tmp_path: Path) -> None:
    """Unknown policies, missing files and years without assessments exit 3 with the fix."""
    unknown = runner.invoke(app, ["identify", "--year", "2017", "--policy", "nope"])
    assert unknown.exit_code == EXIT_BAD_INPUT
    assert "rectify policy list" in unknown.output
    assert "Traceback" not in unknown.output
    missing = runner.invoke(app, ["identify", "--year", "2017", "--population",
                                  str(tmp_path / "none.csv")])
    assert missing.exit_code == EXIT_BAD_INPUT
    no_year = runner.invoke(app, ["identify", "--year", "2030"])
    assert no_year.exit_code == EXIT_BAD_INPUT
    assert "assessments for 2030" in no_year.output
