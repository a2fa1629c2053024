"""Policy files: overlays merge nested tables as evolve() does; every problem in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import load_policy
from rectify.errors import PolicyError
from rectify.policy import Policy, preset_names


def test_an_overlay_merges_a_nested_table_it_does_not_replace_it(tmp_path: Path) -> None:
    """[permissions.commands] in an overlay changes the commands it names; the other commands
    keep their roles, exactly as Policy.evolve gives."""
    overlay = tmp_path / "plans-by-supervisors.toml"
    overlay.write_text('[permissions.commands]\nfile_plan = ["secretary", "org_department"]\n',
                       encoding="utf-8")
    base = load_policy("northern-county")
    merged = load_policy("northern-county", overlay)
    assert merged.permissions.commands["file_plan"] == ("secretary", "org_department")
    assert merged.permissions.commands["delist"] == base.permissions.commands["delist"]
    evolved = base.evolve(
        {"permissions": {"commands": {"file_plan": ["secretary", "org_department"]}}})
    assert merged.to_dict() == evolved.to_dict()


@given(st.sampled_from(preset_names()), st.sampled_from(["plan", "coverage", "schedule"]),
       st.integers(1, 28))
def test_an_overlay_file_equals_evolve(preset: str, table: str, value: int) -> None:
    """For any preset and any one setting of a defaulted table, a file overlay and evolve()
    give the same policy."""
    key = {"plan": "retry_deadline_days", "coverage": "max_cases_per_person",
           "schedule": "monthly_plan_due_day"}[table]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "overlay.toml"
        path.write_text(f"[{table}]\n{key} = {value}\n", encoding="utf-8")
        merged = load_policy(preset, path)
    evolved = load_policy(preset).evolve({table: {key: value}})
    assert merged.fingerprint() == evolved.fingerprint()


def test_a_type_error_does_not_hide_an_inconsistency() -> None:
    """A text where a number belongs and an out-of-range score elsewhere: both at once."""
    data = load_policy().to_dict()
    data["plan"]["retry_deadline_days"] = "ninety"
    data["verification"]["pass_score"] = 500.0
    data["kinds"]["village"] = {"zh": ""}
    with pytest.raises(PolicyError) as info:
        Policy.from_dict(data)
    where = [p.location for p in info.value.problems]
    assert where == ["plan.retry_deadline_days", "kinds.village.zh", "verification.pass_score"]


def test_a_bad_setting_is_reported_once_not_again_as_missing() -> None:
    """A quota of the wrong type is one problem, not also 'a quota for every kind'."""
    data = load_policy().to_dict()
    data["identification"]["quota"]["village"] = "15%"
    data["grades"]["A"] = 10.0
    with pytest.raises(PolicyError) as info:
        Policy.from_dict(data)
    where = [p.location for p in info.value.problems]
    assert where.count("identification.quota.village") == 1
    assert "grades.A" in where
