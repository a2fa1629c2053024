"""The unit of ranking (排名单位) on both paths: the NumPy core ranks each kind's unit too."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rectify.identify as identify_module
from rectify import load_policy
from rectify.identify import Identification, _identify, ranked_indices
from rectify.model import Assessment
from rectify.sample import sample_assessments, sample_population
from rectify.testing.strategies import assessments_for, populations

pytest.importorskip("numpy")


def _same(python: Identification, arrays: Identification) -> None:
    assert list(arrays) == list(python)
    assert arrays.kinds == python.kinds
    assert arrays.listed_codes == python.listed_codes
    assert arrays.near_misses() == python.near_misses()
    for d in python:
        assert arrays.decision(d.org).explain("zh") == d.explain("zh")


def test_a_village_quota_counts_administrative_villages_on_the_array_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample county's villagers'-group branches are outside the village ranking: the
    15% quota is of the administrative villages, and the NumPy core decides it (it used to
    hand such populations to the pure-Python path)."""
    calls: list[int] = []
    real = identify_module._with_arrays

    def counted(*args: Any, **kwargs: Any) -> Identification:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(identify_module, "_with_arrays", counted)
    population, rows, policy = sample_population(), sample_assessments(), load_policy()
    arrays = _identify(population, rows, policy, 2017, "arrays")
    assert calls == [1]
    python = _identify(population, rows, policy, 2017, "python")
    _same(python, arrays)
    villages = [o for o, ranked in zip(population.organizations,
                                       ranked_indices(population, policy), strict=True)
                if o.kind == "village" and ranked]
    summary = arrays.kinds["village"]
    assert summary.unranked > 0
    assert summary.size == len(villages)
    assert summary.quota == policy.identification.rounding.apply(0.15, len(villages))


@settings(max_examples=150, deadline=None)
@given(populations(kinds=("village", "community"), max_size=60), st.booleans(),
       st.sampled_from(("northern-county", "national-practice")), st.data())
def test_both_paths_agree_when_some_organizations_are_not_ranked(
        population: Any, columns: bool, preset: str, data: st.DataObject) -> None:
    """Branches under an organization of their own kind are left out alike on both paths."""
    policy = load_policy(preset)
    rows: list[Assessment] = data.draw(assessments_for(population, 2017))
    given_rows: Any = rows
    if columns:
        from rectify.identify import AssessmentColumns

        given_rows = AssessmentColumns.of(population, rows, 2017)
    _same(_identify(population, given_rows, policy, 2017, "python"),
          _identify(population, given_rows, policy, 2017, "arrays"))
