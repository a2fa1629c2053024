"""The outcome model: defaults, validation with every problem at once, fit to a policy."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import PolicyError, RectifyError, load_policy
from rectify.simulate import (
    OutcomeModel,
    OutcomeModelError,
    default_outcome_model,
    load_outcome_model,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "whatif.md"


def test_default_model_loads_and_fits_the_presets() -> None:
    """The shipped model is valid and uses only aspects and levels of every preset."""
    model = default_outcome_model()
    assert model.validate() == []
    for name in ("northern-county", "national-practice", "village10-community5"):
        assert model.check(load_policy(name)) == []
    assert load_outcome_model() == model == load_outcome_model("default")


def test_every_default_setting_is_documented() -> None:
    """Each key of outcome-default.toml appears in the reference in docs/whatif.md."""
    text = resources.files("rectify.simulate").joinpath("outcome-default.toml").read_text("utf-8")
    data = tomllib.loads(text)
    docs = DOCS.read_text("utf-8")
    for table, values in data.items():
        if table == "meta":
            continue
        for key in values:
            assert f"`{table}.{key}`" in docs, f"{table}.{key} is not documented"


def test_validation_reports_every_problem_at_once() -> None:
    """Unknown tables and keys, wrong types and out-of-range values come together."""
    bad = {"meta": {"name": "x"}, "extra": {},
           "verification": {"base": 1.5, "bogus": 1, "aspects": {"a": "x"}, "floor": 0.9,
                            "ceiling": 0.2},
           "relapse": {"lookback_days": 1.5}, "drift": {"anchor": "zz", "sd": "big"}}
    with pytest.raises(OutcomeModelError) as caught:
        OutcomeModel.from_dict(bad)
    locations = {p.location for p in caught.value.problems}
    assert {"extra", "verification.bogus", "verification.aspects.a", "drift.sd",
            "relapse.lookback_days", "verification.base", "verification.floor",
            "drift.anchor"} <= locations
    assert isinstance(caught.value, PolicyError)
    assert isinstance(caught.value, RectifyError)


def test_a_model_without_meta_is_refused() -> None:
    """The model's name is required, like a policy's."""
    with pytest.raises(OutcomeModelError, match=r"meta\.name"):
        OutcomeModel.from_dict({"verification": {"base": 0.5}})


def test_model_must_fit_the_policy() -> None:
    """Aspects, levels and a look-back beyond the follow-up period are named with the fix."""
    model = default_outcome_model().evolve({
        "verification": {"aspects": {"no_such_aspect": 0.1}, "support": {"no_level": 0.1}},
        "plan": {"fallback_aspect": "nowhere"}, "relapse": {"lookback_days": 500}})
    problems = {p.location for p in model.check(load_policy())}
    assert problems == {"verification.aspects.no_such_aspect", "verification.support.no_level",
                        "plan.fallback_aspect", "relapse.lookback_days"}
    with pytest.raises(OutcomeModelError, match="does not fit policy northern-county"):
        model.require(load_policy())


def test_a_model_file_overlays_the_defaults(tmp_path: Path) -> None:
    """A file states only what differs; the rest comes from the default model."""
    path = tmp_path / "m.toml"
    path.write_text('[meta]\nname = "strict"\n[verification]\nbase = 0.5\n', encoding="utf-8")
    model = load_outcome_model(path)
    assert model.meta.name == "strict"
    assert model.verification.base == 0.5
    assert model.relapse == default_outcome_model().relapse
    assert model.fingerprint() != default_outcome_model().fingerprint()


def test_unreadable_or_broken_files_are_bad_input(tmp_path: Path) -> None:
    """A missing file and invalid TOML raise OutcomeModelError with a fix."""
    with pytest.raises(OutcomeModelError, match="cannot read"):
        load_outcome_model(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[verification\nbase = ", encoding="utf-8")
    with pytest.raises(OutcomeModelError, match="not valid TOML"):
        load_outcome_model(broken)


@given(st.lists(st.sampled_from(sorted(load_policy().aspects)), max_size=6),
       st.lists(st.sampled_from(sorted(load_policy().support.levels)), max_size=5, unique=True),
       st.integers(0, 10), st.floats(0, 1), st.floats(0, 1))
def test_pass_probability_stays_within_floor_and_ceiling(
        aspects: list[str], levels: list[str], failures: int, low: float, span: float) -> None:
    """Whatever the adjustments, the probability lies in [floor, ceiling]."""
    ceiling = low + (1 - low) * span
    model = default_outcome_model().evolve({"verification": {"floor": low, "ceiling": ceiling}})
    p = model.pass_probability(aspects, levels, failures)
    assert low <= p <= ceiling


def test_pass_probability_adds_aspect_support_and_retry_adjustments() -> None:
    """The documented sum: base, per problem, per support level, per failed attempt."""
    model = default_outcome_model()
    v = model.verification
    expected = v.base + v.aspects["team_incomplete"] + v.support["first_secretary"] \
        + 2 * v.retry_bonus
    assert model.pass_probability(["team_incomplete"], ["first_secretary"], 2) == \
        pytest.approx(expected)


def test_simulate_public_api_is_sorted_and_documented() -> None:
    """rectify.simulate's __all__ is sorted (constants, classes, functions) and documented."""
    from rectify import simulate

    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert simulate.__all__ == sorted(simulate.__all__, key=order)
    for name in simulate.__all__:
        obj = getattr(simulate, name)
        if callable(obj):
            assert obj.__doc__, name


def test_simulate_imports_no_optional_extra() -> None:
    """Comparing and simulating need no chart, spreadsheet or CLI library (structlog may
    bring rich in by itself, so rich is not checked)."""
    import subprocess
    import sys

    code = ("import sys, rectify.simulate\n"
            "bad = [m for m in ('matplotlib', 'openpyxl', 'typer', 'hypothesis') "
            "if m in sys.modules]\nprint(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
