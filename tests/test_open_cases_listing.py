"""`Campaign.open_cases` takes any `rectify.identify.Listing`: one province's share, say."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import Campaign, Person, load_policy
from rectify.identify import Decision, Identification, Listing, identify
from rectify.sample import sample_assessments, sample_people, sample_population

POLICY = load_policy()
DEPT = Person("OD-T", "组织部干部", roles={"org_department"})
ON = date(2017, 2, 1)


class Share:
    """The decisions of some of the listed organizations, as a platform's worker gets them."""

    def __init__(self, whole: Identification, codes: set[str]) -> None:
        self.year = whole.year
        self._listed = [d for d in whole.listed() if d.org in codes]

    @property
    def listed_codes(self) -> list[str]:
        return [d.org for d in self._listed]

    def listed(self) -> Sequence[Decision]:
        return self._listed


def _whole() -> Identification:
    return identify(sample_population(), sample_assessments(), POLICY, 2017)


def _campaign() -> Campaign:
    return Campaign(POLICY, population=sample_population(), people=[*sample_people(), DEPT])


def test_an_identification_is_a_listing() -> None:
    """The library's own identification offers what the protocol names."""
    listing: Listing = _whole()
    assert listing.year == 2017
    assert list(listing.listed_codes) == [d.org for d in listing.listed()]


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_shares_open_their_cases_and_the_whole_leaves_them_alone(data: st.DataObject) -> None:
    """Opening one share opens exactly its cases; opening the whole afterwards opens the
    rest and leaves the share's cases as they were, so the ledger ends as if the whole
    had been opened at once."""
    whole = _whole()
    codes = data.draw(st.sets(st.sampled_from(sorted(whole.listed_codes))), label="share")
    campaign = _campaign()
    first = campaign.open_cases(Share(whole, codes), actor=DEPT, on=ON)
    assert sorted(first.opened) == sorted(f"2017-{c}" for c in codes)
    rest = campaign.open_cases(whole, actor=DEPT, on=ON)
    assert sorted(rest.existing) == sorted(first.opened)
    assert sorted([*first.opened, *rest.opened]) == sorted(
        f"2017-{c}" for c in whole.listed_codes)
    at_once = _campaign()
    at_once.open_cases(whole, actor=DEPT, on=ON)
    assert campaign.cases() == at_once.cases()
