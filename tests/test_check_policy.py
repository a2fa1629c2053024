"""check_policy, ``rectify check-policy`` and ``rectify replay`` on default and broken policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rectify import Organization, OrgForm, Tier, load_policy
from rectify.cli import app
from rectify.cli.check import EXIT_VIOLATED
from rectify.errors import PolicyError
from rectify.model import Assessment
from rectify.policy import preset_names
from rectify.testing.check import check_policy, evaluate
from rectify.testing.invariants import IdentificationExample, get, names
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


def test_rounding_down_is_the_policys_choice_and_quota_met_respects_it() -> None:
    """Quotas rounded down list fewer than the exact fraction (15% of 3 villages lists none):
    quota_met checks the policy's own rounding, so it holds."""
    policy = load_policy(ROUNDING)
    report = check_policy(policy, ["quota_met", "direct_criteria_list"], max_examples=40,
                          seed=0)
    assert report.ok, report.render()
    assert policy.identification.rounding.apply(0.15, 3) == 0


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_passes_check_policy(preset: str) -> None:
    """Every shipped preset holds every invariant, or says why one does not apply."""
    policy = load_policy(preset)
    report = check_policy(policy, max_examples=12, seed=1)
    assert report.ok, report.render()
    for result in report.results:
        assert result.held or result.not_applicable


def test_nearest_rounding_and_the_unit_of_ranking_in_quota_met() -> None:
    """national-practice rounds to nearest over administrative villages only: 10% of 4
    ranked villages is 0.4, rounded to 0, and the villagers' groups under them do not count;
    the old invariant (exact fraction over every branch) called that a violation."""
    policy = load_policy("national-practice")
    town = Organization("T1", "东河镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE)
    villages = [Organization(f"T1-0{i}", f"第{i}村党总支", "village", Tier.SECOND_TIER,
                             OrgForm.GENERAL_BRANCH, parent="T1") for i in range(1, 5)]
    groups = [Organization(f"T1-01-0{i}", f"第{i}村民小组党支部", "village", Tier.SECOND_TIER,
                           parent="T1-01") for i in range(1, 7)]
    orgs = (town, *villages, *groups)
    rows = tuple(Assessment(o.code, 2017, 70.0 + n) for n, o in enumerate(orgs))
    example = IdentificationExample(orgs, rows, 2017)
    assert evaluate(get("quota_met"), policy, example) == []
    ups = policy.evolve({"identification": {"rounding": "up"}})
    assert evaluate(get("quota_met"), ups, example) == []


def test_a_policy_may_declare_an_invariant_not_applicable_with_a_reason() -> None:
    """[invariants.not_applicable] sets an invariant aside; the report and the CLI say why;
    an empty reason is refused."""
    policy = load_policy().evolve({"invariants": {"not_applicable": {
        "quota_met": "本县按实际情况认定, 不设比例下限"}}})
    report = check_policy(policy, ["quota_met"], max_examples=5, seed=0)
    assert report.ok
    assert report["quota_met"].not_applicable == "本县按实际情况认定, 不设比例下限"
    assert "n/a  quota_met: not applicable" in report.render()
    assert report.to_json()["invariants"][0]["not_applicable"]
    with pytest.raises(PolicyError, match=r"invariants\.not_applicable\.quota_met"):
        load_policy().evolve({"invariants": {"not_applicable": {"quota_met": " "}}})


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
