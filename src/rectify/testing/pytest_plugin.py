"""An optional pytest plugin with ``rectify_``-prefixed fixtures.

It is never loaded automatically (rectify declares no ``pytest11`` entry
point); enable it in your project with ``-p rectify.testing.pytest_plugin``
or ``pytest_plugins = ["rectify.testing.pytest_plugin"]`` in a top-level
``conftest.py``.  Fixtures:

- ``rectify_today``: the frozen date 2017-03-01;
- ``rectify_policy``: the default preset (``northern-county``);
- ``rectify_sample``: the bundled sample county (population, 2017 assessments, people);
- ``rectify_campaign``: a campaign on the in-memory store over the sample
  county with the 2017 cases opened.
"""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from rectify.campaign import Campaign
from rectify.forest import Population
from rectify.identify import identify
from rectify.model import Assessment, Person
from rectify.policy import Policy, load_policy
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.stores.memory import MemoryStore

__all__ = ["Sample", "rectify_campaign", "rectify_policy", "rectify_sample", "rectify_today"]

#: The date ``rectify_today`` freezes.
TODAY = date(2017, 3, 1)
#: The organization department cadre of the sample county who opens the cases.
OPENED_BY = "P0236"


@attrs.frozen
class Sample:
    """The sample county: its organizations, their assessments and its people."""

    population: Population
    assessments: tuple[Assessment, ...]
    people: tuple[Person, ...]


@pytest.fixture
def rectify_today() -> date:
    """A frozen date, 2017-03-01: pass it as ``on=`` (rectify never reads the clock)."""
    return TODAY


@pytest.fixture
def rectify_policy() -> Policy:
    """The default policy preset, ``northern-county``."""
    return load_policy()


@pytest.fixture
def rectify_sample() -> Sample:
    """The bundled sample county (population, 2017 assessments, people)."""
    return Sample(sample_population(), tuple(sample_assessments()), tuple(sample_people()))


@pytest.fixture
def rectify_campaign(rectify_policy: Policy, rectify_sample: Sample) -> Campaign:
    """A campaign on a fresh in-memory store over the sample county, 2017 cases opened."""
    campaign = Campaign(rectify_policy, MemoryStore(), population=rectify_sample.population,
                        people=rectify_sample.people)
    result = identify(rectify_sample.population, rectify_sample.assessments, rectify_policy,
                      2017)
    campaign.open_cases(result, actor=OPENED_BY, on=date(2017, 2, 1))
    return campaign
