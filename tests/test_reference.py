"""Differential tests against the naive reference model in rectify.testing.reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Assessment, Policy, Population
from rectify.identify import identify
from rectify.lifecycle.workflow import build_machine, compile_table
from rectify.testing.reference import (
    DECLARED_DIFFERENCES,
    compare_workflow,
    reference_listed,
)
from rectify.testing.strategies import assessments_for, policies, populations

#: Each example identifies a generated county twice: the ci profile's examples are capped
#: at 150 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 150))


FACTS = ("secretary_vacant_months", "years_without_candidate", "mass_incidents")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, Population, list[Assessment]]:
    policy = draw(policies(draw(st.sampled_from(["northern-county", "national-practice"]))))
    population = draw(populations(max_size=50))
    rows = draw(assessments_for(population, 2017, facts=FACTS, with_grades=True))
    return policy, population, rows


@COSTLY
@given(cases())
def test_identification_agrees_with_the_reference_model(
    case: tuple[Policy, Population, list[Assessment]],
) -> None:
    """The library lists exactly the organizations the naive model lists."""
    policy, population, rows = case
    assert set(identify(population, rows, policy, 2017).listed_codes) == reference_listed(
        population, rows, policy, 2017)


def test_workflow_differs_from_the_reference_only_as_declared() -> None:
    """Every difference from domain.md's transitions is declared and counted."""
    comparison = compare_workflow(compile_table(build_machine()))
    assert comparison.unexplained == ()
    assert set(comparison.declared) == set(DECLARED_DIFFERENCES)
    assert len(comparison.agreeing) == 6


def test_an_undeclared_difference_is_caught() -> None:
    """A planted change to the table shows up as unexplained."""
    table = compile_table(build_machine())
    table[("verifying", "fail_verification")] = "identified"
    assert compare_workflow(table).unexplained == (("verifying", "fail_verification"),)
