"""check_policy, ``rectify check-policy`` and ``rectify replay`` on default and broken policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rectify import load_policy
from rectify.cli import app
from rectify.cli.check import EXIT_VIOLATED
from rectify.testing.check import check_policy
from rectify.testing.invariants import names
from rectify.testing.replay import replay

POLICIES = Path(__file__).parent / "policies"
ESCALATE = POLICIES / "escalate-after-one-year.toml"
ROUNDING = POLICIES / "rounding-down.toml"


def test_default_preset_holds_every_invariant() -> None:
    """The default county profile keeps every invariant of the catalogue."""
    report = check_policy(load_policy(), max_examples=15, seed=0)
    assert report.ok, report.render()
    assert [r.name for r in report.results] == names()


def test_escalation_after_one_year_is_caught_and_replays() -> None:
    """Dismissal after one listing violates dismissal_after_repeat_listing, minimally."""
    report = check_policy(load_policy(ESCALATE), ["dismissal_after_repeat_listing"],
                          max_examples=30, seed=0)
    result = report["dismissal_after_repeat_listing"]
    assert not result.held
    counter = result.counterexample
    assert counter is not None
    assert len(counter.example.organizations) == 1
    assert "listed 1 consecutive year(s)" in counter.messages[0]
    replayed = replay(json.loads(json.dumps(report.to_json())))
    assert [r.reproduced for r in replayed] == [True]
    assert replayed[0].messages == counter.messages


def test_rounding_down_under_fills_a_small_kind() -> None:
    """Quotas rounded down leave a small kind below its fraction: quota_met is violated."""
    report = check_policy(load_policy(ROUNDING), ["quota_met", "direct_criteria_list"],
                          max_examples=40, seed=0)
    assert not report["quota_met"].held
    assert report["direct_criteria_list"].held
    assert "below the quota" in report.render()


def test_cli_check_policy_and_replay(tmp_path: Path) -> None:
    """check-policy exits 6 with a counterexample; replay reproduces it and exits 6 too."""
    runner = CliRunner()
    result = runner.invoke(app, ["check-policy", str(ESCALATE), "--json", "--seed", "0",
                                 "--max-examples", "20", "--invariant",
                                 "dismissal_after_repeat_listing", "--invariant", "quota_met"])
    assert result.exit_code == EXIT_VIOLATED, result.output
    data = json.loads(result.stdout)
    assert not data["ok"]
    saved = tmp_path / "report.json"
    saved.write_text(result.stdout, "utf-8")
    again = runner.invoke(app, ["replay", str(saved)])
    assert again.exit_code == EXIT_VIOLATED, again.output
    assert "dismissal_after_repeat_listing VIOLATED" in again.stdout
    single = tmp_path / "one.json"
    single.write_text(json.dumps(data["invariants"][0]["counterexample"]), "utf-8")
    assert runner.invoke(app, ["replay", str(single), "--json"]).exit_code == EXIT_VIOLATED


def test_cli_check_policy_default_exits_0() -> None:
    """The default preset passes the command line check (exit 0)."""
    result = CliRunner().invoke(app, ["check-policy", "northern-county", "--max-examples", "5",
                                      "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "invariants held" in result.stdout


@pytest.mark.parametrize("args", [["check-policy", "northern-county", "--invariant", "nope"],
                                  ["check-policy", "no-such-policy"],
                                  ["replay", "missing.json"]])
def test_cli_bad_input_exits_3(args: list[str]) -> None:
    """Unknown invariants, policies and files are bad input (exit 3)."""
    assert CliRunner().invoke(app, args).exit_code == 3
