"""The package layout: packages by concept, old module paths kept, layers checked by a tool."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rectify

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "rectify"

#: Module paths of wave 1 that now re-export their new home, and that home.
MOVED = {
    "assignment": "coverage.assignment", "bulletin": "reporting.render",
    "case": "lifecycle.case", "chain": "stores.chain", "charts": "reporting.charts",
    "demo": "sample.demo", "diagrams": "reporting.diagrams", "exports": "reporting.exports",
    "guards": "lifecycle.guards", "permissions": "lifecycle.permissions",
    "reports": "reporting.bulletin", "workflow": "lifecycle.workflow",
}
#: Module paths that kept their name (a module or a package of the same name).
KEPT = ["accountability", "bulk", "campaign", "coverage", "errors", "escalation", "events",
        "forest", "identify", "inputs", "model", "policy", "sample", "schedule", "cli",
        "stores", "testing"]
#: The names rectify exported in wave 1: the public API only grows.
WAVE_1 = {
    "Assessment", "Campaign", "CaseRecord", "CommandRefused", "ConcurrencyConflict",
    "ForestError", "Grade", "IdentificationError", "InputError", "InvalidValueError",
    "OpenResult", "OrgForm", "Organization", "PermissionDenied", "Person", "Plan", "Policy",
    "PolicyError", "Population", "Problem", "ProblemsError", "RectifyError", "Tier",
    "UnknownCaseError", "UnknownPresetError", "Votes", "WorkflowDefinitionError",
    "load_policy", "preset_names",
}


def test_no_private_satellites_at_the_top() -> None:
    """The prefix-named satellites of wave 1 are gone into their packages."""
    stray = sorted(p.name for p in PACKAGE.glob("_*.py")
                   if p.name.startswith(("_coverage", "_policy", "_builders", "_campaign",
                                         "_escalate", "_inputs")))
    assert stray == []


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_moved_paths_re_export_their_new_home(old: str, new: str) -> None:
    """Each old path gives the very objects of the new module."""
    alias = importlib.import_module(f"rectify.{old}")
    home = importlib.import_module(f"rectify.{new}")
    assert alias.__all__
    for name in alias.__all__:
        target = getattr(home, name, None)
        if target is None:  # rectify.case also re-exports the projection
            target = getattr(importlib.import_module("rectify.lifecycle.projection"), name)
        assert getattr(alias, name) is target, (old, name)


@pytest.mark.parametrize("name", KEPT)
def test_kept_paths_import(name: str) -> None:
    """Modules that kept their path still import under it."""
    assert importlib.import_module(f"rectify.{name}").__name__ == f"rectify.{name}"


def test_the_public_api_only_grows() -> None:
    """Wave 1's names are all still exported, with the new ones beside them, sorted."""
    exported = set(rectify.__all__)
    assert exported >= WAVE_1
    assert exported >= {"Identification", "Decision", "LedgerError", "open_store",
                        "MemoryStore", "SQLiteStore"}
    assert all(hasattr(rectify, name) for name in rectify.__all__)


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=False, cwd=ROOT)


def test_strategies_import_in_a_fresh_interpreter() -> None:
    """Importing the strategies first, outside pytest, survives hypothesis' entry point."""
    result = _fresh("""
        from rectify.testing.strategies import policies
        from hypothesis import strategies as st
        from rectify import Policy
        print(type(st.from_type(Policy).example()).__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Policy"


def test_ledger_rules_and_replay_work_without_hypothesis() -> None:
    """The county, the ledger rules, the examples, the driver and replay need no hypothesis."""
    result = _fresh("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ImportError("hypothesis is blocked in this test")
        sys.meta_path.insert(0, Block())
        from rectify import Assessment, load_policy
        from rectify.testing.county import ALWAYS_LISTED, campaign_forest
        from rectify.testing.driver import run_campaign
        from rectify.testing.examples import CampaignExample
        from rectify.testing.ledger_rules import check_ledger
        import rectify.testing.invariants, rectify.testing.replay
        policy = load_policy()
        orgs = campaign_forest().organizations
        scores = tuple(Assessment(o.code, 2017, 0.0 if o.code in ALWAYS_LISTED else 80.0)
                       for o in orgs)
        example = CampaignExample(orgs, scores, years=(2017,))
        run = run_campaign(policy, example)
        check_ledger(run.events, run.population, policy, {p.id: p for p in run.people})
        print("ok", "hypothesis" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok False"


def test_the_import_contracts_hold() -> None:
    """lint-imports keeps the layers, the forbidden imports and the acyclic siblings."""
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if tool is None:
        pytest.skip("import-linter is not installed (install the 'dev' extra)")
    result = subprocess.run([tool], capture_output=True, text=True, check=False, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    assert result.returncode == 0, result.stdout[-3000:]
