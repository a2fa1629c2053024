"""The multi-year simulation: seeded, consistent with the workflow, and its distributions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import InvalidValueError, load_policy
from rectify.identify import AssessmentColumns
from rectify.sample import sample_assessments, sample_population
from rectify.simulate import (
    METRICS,
    Interval,
    OutcomeModel,
    OutcomeModelError,
    default_outcome_model,
    simulate,
)
from rectify.testing.strategies import policies

PERFECT = {"verification": {"base": 1.0, "floor": 1.0, "ceiling": 1.0},
           "relapse": {"probability": 0.0}}


def _perfect(**drift: float) -> OutcomeModel:
    return default_outcome_model().evolve({**PERFECT, "drift": drift} if drift else PERFECT)


def _latest() -> list:  # type: ignore[type-arg]
    return [a for a in sample_assessments() if a.year == 2017]


@settings(max_examples=5)
@given(st.integers(0, 2**32))
def test_the_same_seed_gives_identical_runs(seed: int) -> None:
    """Two simulations with one seed agree run by run, year by year."""
    args = (load_policy(), sample_population(), sample_assessments())
    first = simulate(*args, years=2, runs=2, seed=seed)
    again = simulate(*args, years=2, runs=2, seed=seed)
    assert first.runs == again.runs
    assert first.to_json() == again.to_json()


def test_different_seeds_give_different_futures() -> None:
    """The seed matters: twenty runs under two seeds do not coincide."""
    args = (load_policy(), sample_population(), sample_assessments())
    assert simulate(*args, years=2, runs=20, seed=1).runs != \
        simulate(*args, years=2, runs=20, seed=2).runs


@settings(max_examples=8)
@given(policies(), st.integers(0, 1000))
def test_when_everything_passes_no_case_is_carried_over(policy: object, seed: int) -> None:
    """Every verification passes and nothing relapses: each case is delisted in its year."""
    from rectify import Policy

    assert isinstance(policy, Policy)
    result = simulate(policy, sample_population(), sample_assessments(), years=2, runs=1,
                      seed=seed, model=_perfect())
    for stats in result.runs[0]:
        assert stats.carried_over == stats.failed_verifications == stats.refused == 0
        assert stats.delisted == stats.listings == stats.verifications


@settings(max_examples=8)
@given(st.integers(2, 3), st.integers(0, 1000), st.floats(0, 10))
def test_a_perfect_model_never_escalates(limit: int, seed: int, sd: float) -> None:
    """Everything passes, nothing relapses and rectification lifts a delisted organization
    to the pass mark: under direct criteria alone nobody is listed twice running, so
    nothing escalates.  (With a quota the reverse ranking lists the lowest again whatever
    happened; docs/whatif.md shows that case.)"""
    policy = load_policy().evolve({
        "identification": {"quota": dict.fromkeys(load_policy().kinds, 0.0)},
        "escalation": {"consecutive_years": limit}})
    model = _perfect(delisted_floor=70.0, sd=sd)
    result = simulate(policy, sample_population(), _latest(), years=3, runs=2, seed=seed,
                      model=model)
    for run in result.runs:
        assert [s.escalations for s in run] == [0, 0, 0]
        assert [s.dismissals for s in run] == [0, 0, 0]
        assert all(s.listings == s.delisted for s in run)


def test_every_case_ends_delisted_or_carried_over() -> None:
    """Per year: listings + continued = delisted - reopened + carried over; nothing refused.

    (``continued``: last year's unfinished cases going on without being listed again.)
    """
    for name in ("northern-county", "national-practice"):
        result = simulate(load_policy(name), sample_population(), sample_assessments(),
                          years=3, runs=10, seed=7)
        for run in result.runs:
            for s in run:
                assert s.listings + s.continued == s.delisted - s.reopened + s.carried_over, s
                assert s.refused == 0
                assert s.verifications >= s.delisted - s.reopened
                assert s.support_assignments == sum(s.support.values())


def test_the_first_year_escalates_on_the_assessed_history() -> None:
    """Starting from 2017 with 2016 assessed, the first year escalates as the ledger would."""
    result = simulate(load_policy(), sample_population(), sample_assessments(), years=1,
                      runs=3, seed=0)
    assert result.values("escalations", 2017) == [3, 3, 3]
    assert result.values("dismissals", 2017) == [5, 5, 5]
    no_history = simulate(load_policy(), sample_population(), _latest(), years=1, runs=1)
    assert no_history.values("escalations", 2017) == [0]


def test_columns_are_accepted_and_talks_follow_a_longer_escalation_limit() -> None:
    """Three years to escalate: a repeat listing in the second year means a talk instead."""
    population = sample_population()
    columns = AssessmentColumns.of(population, sample_assessments(), 2017)
    policy = load_policy().evolve({"escalation": {"consecutive_years": 3}})
    result = simulate(policy, population, columns, years=2, runs=5, seed=3)
    second = result.distribution("talks", 2018)
    assert result.distribution("escalations", 2017).maximum == 0
    assert second.mean > 0
    assert result.distribution("repeat_listings", 2018).mean >= second.mean


def test_distributions_are_mean_and_90_percent_interval() -> None:
    """Interval.of gives the mean and the 5th and 95th percentiles by interpolation."""
    interval = Interval.of([float(v) for v in range(101)])
    assert (interval.mean, interval.low, interval.high) == (50.0, 5.0, 95.0)
    assert (interval.minimum, interval.maximum) == (0.0, 100.0)
    assert Interval.of([3.0]).render() == "3.0 [3.0, 3.0]"
    result = simulate(load_policy(), sample_population(), sample_assessments(), years=2,
                      runs=4, seed=1)
    values = result.values("listings", 2018)
    assert result.distribution("listings", 2018).mean == sum(values) / 4
    assert set(result.to_json()["distributions"]) == set(METRICS)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"years": 0}, "years"), ({"runs": 0}, "runs"), ({"seed": 1.5}, "seed"),
    ({"start": 2030}, "assessment"),
])
def test_bad_arguments_are_refused(kwargs: dict[str, object], match: str) -> None:
    """Bad counts, seeds and start years raise typed errors naming the value."""
    from rectify import RectifyError

    args = (load_policy(), sample_population(), sample_assessments())
    with pytest.raises(RectifyError, match=match):
        simulate(*args, **kwargs)  # type: ignore[arg-type]


def test_a_model_that_does_not_fit_the_policy_is_refused() -> None:
    """Aspects unknown to the policy stop the simulation before any run."""
    model = default_outcome_model().evolve({"verification": {"aspects": {"nope": 0.1}}})
    with pytest.raises(OutcomeModelError, match="nope"):
        simulate(load_policy(), sample_population(), sample_assessments(), model=model)


def test_unknown_metric_or_year_is_refused() -> None:
    """Asking for a measure or a year the simulation lacks names what exists."""
    result = simulate(load_policy(), sample_population(), sample_assessments(), years=1,
                      runs=1)
    with pytest.raises(InvalidValueError, match="metric"):
        result.distribution("nothing", 2017)
    with pytest.raises(InvalidValueError, match="simulated year"):
        result.values("listings", 2030)
