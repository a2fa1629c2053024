"""Policy as data: presets, strict loading, consistency checks, fingerprints, overlays."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from rectify import Policy, PolicyError, UnknownPresetError, load_policy, preset_names
from rectify.policy import Rounding
from rectify.testing.strategies import policies

#: Each example dumps and fingerprints a generated policy: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


def test_presets_load_and_differ() -> None:
    """The shipped presets load, validate and have distinct fingerprints."""
    names = preset_names()
    assert names == ["ladder-county", "national-practice", "northern-county",
                     "village10-community5"]
    loaded = [load_policy(n) for n in names]
    assert all(p.validate() == [] for p in loaded)
    assert len({p.fingerprint() for p in loaded}) == len(names)


def test_default_profile_matches_the_documented_county() -> None:
    """The default preset carries the documented county's parameters."""
    p = load_policy()
    assert dict(p.identification.quota) == {
        "village": 0.15, "community": 0.10, "state_enterprise": 0.05,
        "non_public": 0.05, "agency": 0.05, "institution": 0.05,
        "township": 0.0, "street": 0.0,
    }
    assert [c.grades for c in p.identification.direct] == [("D",)]
    assert p.escalation.consecutive_years == 2
    assert p.escalation.cascade_to_parent
    assert p.verification.pass_score == 70
    assert p.verification.max_dissatisfied == 0.5
    assert len(p.support.required["village"]) == 5


@COSTLY
@given(policies())
def test_toml_round_trip_keeps_content_and_fingerprint(policy: Policy) -> None:
    """Dumping a policy to TOML and loading it back gives an equal policy and fingerprint."""
    again = Policy.from_dict(__import__("tomllib").loads(policy.to_toml()))
    assert again == policy
    assert again.fingerprint() == policy.fingerprint()


@COSTLY
@given(policies())
def test_fingerprint_changes_with_any_setting(policy: Policy) -> None:
    """Changing one setting changes the fingerprint; restoring it restores the fingerprint."""
    village = policy.identification.quota["village"]
    changed = policy.evolve({"identification": {"quota": {"village": 1 - village}}})
    if village != 0.5:
        assert changed.fingerprint() != policy.fingerprint()
    back = changed.evolve({"identification": {"quota": {"village": village}}})
    assert back.fingerprint() == policy.fingerprint()


def test_type_errors_are_all_reported_with_their_paths() -> None:
    """Every wrongly typed value is named with its key path, the expectation and the value."""
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({
            "identification": {"quota": {"village": "15%"}, "rounding": "sideways", "bogus": 1},
            "escalation": {"consecutive_years": True},
        })
    text = {str(p) for p in info.value.problems}
    assert "identification.quota.village: expected a number, got '15%'" in text
    assert ("identification.rounding: expected one of 'up', 'nearest', 'down', got 'sideways'"
            in text)
    assert any(p.location == "identification.bogus" for p in info.value.problems)
    assert any(p.location == "escalation.consecutive_years" for p in info.value.problems)
    assert len(info.value.problems) == 4


def test_range_and_consistency_errors_are_all_reported() -> None:
    """Out-of-range values and broken references come back together, each with a fix."""
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({
            "grades": {"B": 95.0},
            "identification": {"quota": {"village": 15, "school": 0.1}},
            "support": {"required": {"village": ["leader_contact", "mayor"]}},
            "verification": {"max_dissatisfied": 2.0, "panel_size": 0},
        })
    by_location = {p.location: p for p in info.value.problems}
    assert str(by_location["identification.quota.village"]).startswith(
        "identification.quota.village: expected a fraction in [0, 1], got 15")
    assert by_location["identification.quota.school"].got == "school"
    assert by_location["support.required.village"].got == "mayor"
    assert "grades.A" in by_location
    assert "verification.max_dissatisfied" in by_location
    assert "verification.panel_size" in by_location
    assert "support.levels.first_secretary" in by_location  # now required by no kind
    assert all(p.fix for p in info.value.problems if p.location.startswith("identification"))


def test_direct_criteria_must_be_well_formed() -> None:
    """A criterion needs grades or fact/op/threshold, not both; ids are unique."""
    crit = {"id": "x", "zh": "某", "en": "x", "grades": ["D"], "fact": "total", "op": "<",
            "threshold": 50.0}
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({"identification": {"direct": [
            crit, {"id": "x", "zh": "某", "en": "x", "fact": "total"},
            {"id": "y", "zh": "某", "en": "y", "grades": ["E"], "kinds": ["school"]},
        ]}})
    locations = [p.location for p in info.value.problems]
    assert locations.count("identification.direct") == 1
    assert "identification.direct[0]" in locations
    assert "identification.direct[1]" in locations
    assert "identification.direct[2].grades" in locations
    assert "identification.direct[2].kinds" in locations


def test_missing_required_settings_are_named(tmp_path: Path) -> None:
    """A file without a required table names it."""
    path = tmp_path / "p.toml"
    path.write_text('[meta]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert {p.location for p in info.value.problems} >= {"kinds", "identification", "support"}


def test_unknown_names_bad_toml_and_unreadable_files(tmp_path: Path) -> None:
    """Unknown presets, syntax errors and undecodable files are typed errors."""
    with pytest.raises(UnknownPresetError, match="northern-county"):
        load_policy("no-such-preset")
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PolicyError, match="UTF-8"):
        load_policy(binary)
    with pytest.raises(PolicyError, match="readable"):
        load_policy(tmp_path / "missing.toml")


def test_overlay_files_apply_in_order(tmp_path: Path) -> None:
    """TOML overlays patch a preset for what-if runs, later files winning."""
    one = tmp_path / "one.toml"
    one.write_text("[identification.quota]\nvillage = 0.2\ncommunity = 0.2\n", encoding="utf-8")
    two = tmp_path / "two.toml"
    two.write_text("[identification.quota]\nvillage = 0.08\n", encoding="utf-8")
    policy = load_policy("northern-county", one, two)
    assert policy.identification.quota["village"] == 0.08
    assert policy.identification.quota["community"] == 0.2


@pytest.mark.parametrize(
    ("rounding", "fraction", "size", "expected"),
    [
        (Rounding.UP, 0.15, 40, 6), (Rounding.UP, 0.05, 3, 1), (Rounding.DOWN, 0.05, 3, 0),
        (Rounding.NEAREST, 0.05, 30, 2), (Rounding.NEAREST, 0.1, 25, 3),
        (Rounding.NEAREST, 0.1, 24, 2), (Rounding.UP, 0.1, 10, 1),
    ],
)
def test_rounding_is_exact(rounding: Rounding, fraction: float, size: int, expected: int) -> None:
    """Quota counts come from exact decimal arithmetic (half up for "nearest")."""
    assert rounding.apply(fraction, size) == expected


def test_grade_bands() -> None:
    """A total falls in the band whose lower bound it reaches."""
    p = load_policy()
    assert [p.grade_for(t).value for t in (100, 90, 89.9, 80, 60, 59.9, 0)] == [
        "A", "A", "B", "B", "C", "D", "D"]
    assert p.kind_label("village") == "village / 行政村"


def test_toml_errors_name_line_and_column(tmp_path: Path) -> None:
    """A TOML syntax error is located by line and column."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[meta]\nname = "x"\ntitle = = 1\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(bad)
    assert info.value.problems[0].location == f"{bad}:line 3:column 9"


def test_unknown_key_did_you_mean() -> None:
    """A misspelt key names the key meant and the keys of its table."""
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({"identification": {"near_mis_ranks": 2}})
    assert info.value.problems[0].fix.startswith("did you mean 'near_miss_ranks'?")


@pytest.mark.parametrize(("fact", "threshold"), [
    ("secretary_vacant_months", float("nan")), ("secretary_vacant_months", float("inf")),
    ("secretary_vacant_months", -1.0), ("satisfaction", 60.0), ("total", -float("inf")),
    ("my_own_fact", float("nan"))])
def test_direct_thresholds_are_range_checked(fact: str, threshold: float) -> None:
    """NaN, ±inf and values outside a documented fact's range are refused."""
    crit = {"id": "x", "zh": "测试", "fact": fact, "op": ">", "threshold": threshold}
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({"identification": {"direct": [crit]}})
    assert info.value.problems[0].location == "identification.direct[0].threshold"


def test_custom_fact_thresholds_may_be_any_finite_number() -> None:
    """A locality's own fact is only required to be finite."""
    crit = {"id": "x", "zh": "测试", "fact": "my_own_fact", "op": "<", "threshold": -5.0}
    assert load_policy().evolve({"identification": {"direct": [crit]}})


def test_misspelt_roles_are_refused() -> None:
    """A role that looks like a standard one misspelt is refused with the one meant."""
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({"permissions": {"commands": {"delist": ["org_departmnet"]}}})
    assert [p.fix for p in info.value.problems] == ["did you mean 'org_department'?"]
