"""The testing kit: from_type registration, the invariant registry and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, Organization, Person, Policy, load_policy
from rectify.forest import Population
from rectify.lifecycle.case import Plan
from rectify.testing import invariants
from rectify.testing.check import check_policy

pytest_plugins = ["pytester"]


@settings(max_examples=10)
@given(st.data())
def test_from_type_works_through_the_entry_point(data: st.DataObject) -> None:
    """rectify's hypothesis entry point registers strategies for its domain types."""
    for cls in (Policy, Population, Organization, Assessment, Person, Plan):
        assert isinstance(data.draw(st.from_type(cls)), cls)


def test_entry_point_is_declared() -> None:
    """The installed distribution declares the hypothesis entry point, and no pytest11 one."""
    from importlib.metadata import entry_points

    hyp = [e for e in entry_points(group="hypothesis") if e.value.startswith("rectify.")]
    assert [e.value for e in hyp] == ["rectify.testing._hypothesis_entry:_register"]
    assert not [e for e in entry_points(group="pytest11") if e.value.startswith("rectify")]


def test_registered_invariant_is_checked() -> None:
    """A user-registered invariant is selected by name and reported with a counterexample."""
    def nothing_listed(policy: Policy, example: invariants.IdentificationExample) -> list[str]:
        return ["something was listed"] if example.assessments else []

    custom = invariants.Invariant("always_fails", "fails on any example", "总是失败",
                                  "identification", nothing_listed)
    invariants.register(custom)
    try:
        report = check_policy(load_policy(), ["always_fails"], max_examples=5, seed=0)
        result = report["always_fails"]
        assert result.counterexample is not None
        assert len(result.counterexample.example.organizations) == 1
        assert report.to_json()["invariants"][0]["held"] is False
    finally:
        del invariants.CATALOGUE["always_fails"]
    with pytest.raises(KeyError, match="unknown invariant"):
        invariants.get("always_fails")
    with pytest.raises(ValueError, match="scope"):
        invariants.register(attrs.evolve(custom, scope="nowhere"))  # type: ignore[arg-type]


def test_catalogue_has_the_issue_invariants() -> None:
    """Every invariant named in the issue is in the catalogue with en and zh descriptions."""
    wanted = {"quota_met", "direct_criteria_list", "identification_deterministic",
              "one_case_per_org_year", "delisting_requires_independent_pass",
              "rerectification_after_failure", "dismissal_after_repeat_listing",
              "cascade_only_to_parent", "ledger_append_only_and_verifies",
              "replay_equals_live"}
    assert wanted <= set(invariants.names())
    for inv in invariants.select():
        assert inv.description
        assert inv.zh
        assert inv.scope in ("identification", "campaign", "ledger")


PLUGIN_TEST = textwrap.dedent("""
    def test_fixtures(rectify_policy, rectify_campaign, rectify_sample, rectify_today):
        assert rectify_policy.meta.name == "northern-county"
        assert len(rectify_campaign.cases()) == 20
        assert len(rectify_sample.population) > 0
        assert str(rectify_today) == "2017-03-01"
""")


def test_pytest_plugin_when_enabled(pytester: pytest.Pytester) -> None:
    """With ``-p rectify.testing.pytest_plugin`` the rectify_ fixtures are available."""
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "rectify.testing.pytest_plugin")
    result.assert_outcomes(passed=1)


def test_pytest_plugin_not_loaded_otherwise(pytester: pytest.Pytester) -> None:
    """Without enabling it, the fixtures do not exist: the plugin never loads itself."""
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'rectify_policy' not found*"])


def test_importing_rectify_testing_does_not_import_hypothesis() -> None:
    """``import rectify.testing`` is lazy: hypothesis loads only with the kit's modules."""
    code = ("import sys, rectify, rectify.testing; "
            "assert 'hypothesis' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, cwd=Path(__file__).parent)
    assert out.stdout.strip() == "ok", out.stderr
