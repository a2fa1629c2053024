"""Talks, appraisals and the restrictions they impose."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import InvalidValueError, RectifyError, load_policy
from rectify.accountability import (
    Appraisal,
    AppraisalGrade,
    Restriction,
    Talk,
    TalkKind,
    active_restrictions,
    add_months,
    appraisal_outcome,
    restrictions_from_talk,
)

POLICY = load_policy()
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
DAY = dt.timedelta(days=1)


@given(DATES, DATES)
def test_admonishment_covers_the_rest_of_the_calendar_year(talk_day: dt.date,
                                                            probe: dt.date) -> None:
    """After an admonishment talk, promotion and awards are barred exactly to 31 December."""
    talk = Talk("P1", TalkKind.ADMONISHMENT, talk_day, "rectification lags")
    restrictions = restrictions_from_talk(talk, POLICY)
    assert sorted(r.kind for r in restrictions) == ["no_awards", "no_promotion"]
    expected = talk_day <= probe and probe.year == talk_day.year
    active = active_restrictions(restrictions, "P1", probe)
    assert len(active) == (2 if expected else 0)
    assert all(r.end == dt.date(talk_day.year, 12, 31) for r in restrictions)


@given(DATES, DATES, st.integers(min_value=1, max_value=24))
def test_cautionary_talk_covers_exactly_its_months(talk_day: dt.date, probe: dt.date,
                                                   months: int) -> None:
    """A cautionary talk bars promotion and awards from the talk to the day before N months on."""
    policy = POLICY.evolve({"accountability": {"cautionary_months": months}})
    restrictions = restrictions_from_talk(Talk("P1", "cautionary", talk_day), policy)
    expected = talk_day <= probe < add_months(talk_day, months)
    assert bool(active_restrictions(restrictions, "P1", probe)) == expected
    assert all(r.start == talk_day for r in restrictions)


@given(DATES, st.integers(min_value=0, max_value=120))
def test_add_months_keeps_the_day_or_clamps_to_month_end(day: dt.date, months: int) -> None:
    """Adding months moves the month exactly and keeps the day where the month allows."""
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or (later.day < day.day and (later + DAY).day == 1)


def test_default_cautionary_period_is_six_months() -> None:
    """By default a cautionary talk on 15 March lasts to 14 September inclusive."""
    (ban, _) = restrictions_from_talk(Talk("P1", TalkKind.CAUTIONARY, dt.date(2017, 3, 15)),
                                      POLICY)
    assert (ban.start, ban.end) == (dt.date(2017, 3, 15), dt.date(2017, 9, 14))
    assert "诫勉" in ban.zh
    assert "cautionary" in ban.en


@given(st.sampled_from(list(AppraisalGrade)), st.integers(min_value=2000, max_value=2090),
       DATES, DATES)
def test_appraisal_outcome_follows_the_grade(grade: AppraisalGrade, year: int, on: dt.date,
                                             probe: dt.date) -> None:
    """Below good caps the year's appraisal; talk grades require a talk and a deadline."""
    outcome = appraisal_outcome(Appraisal("P1", year, grade), POLICY, on)
    assert outcome.cap_excellent == (grade is not AppraisalGrade.GOOD)
    talk = grade.value in POLICY.accountability.talk_grades
    assert outcome.talk_required == talk
    assert outcome.correction_deadline == (on + dt.timedelta(days=90) if talk else None)
    capped = bool(active_restrictions(outcome.restrictions, "P1", probe))
    assert capped == (outcome.cap_excellent and on <= probe <= outcome.restrictions[0].end)
    assert (outcome.talk(on) is not None) == talk


def test_default_talk_grades_are_average_and_poor() -> None:
    """Fairly good caps excellence without a talk; average requires a talk to correct."""
    on = dt.date(2018, 1, 20)
    fair = appraisal_outcome(Appraisal("P1", 2017, "fairly_good"), POLICY, on)
    assert fair.cap_excellent
    assert not fair.talk_required
    assert fair.correction_deadline is None
    average = appraisal_outcome(Appraisal("P1", 2017, "一般"), POLICY, on)
    assert average.talk_required
    assert average.correction_deadline == dt.date(2018, 4, 20)
    talk = average.talk(on)
    assert talk is not None
    assert talk.kind is TalkKind.ADMONISHMENT
    good = appraisal_outcome(Appraisal("P1", 2017, AppraisalGrade.GOOD), POLICY, on)
    assert not good.cap_excellent
    assert good.restrictions == ()


def test_labels_in_both_languages() -> None:
    """Grades and talk kinds carry English identifiers and Chinese labels."""
    assert [g.zh for g in AppraisalGrade] == ["好", "较好", "一般", "差"]
    assert AppraisalGrade.FAIRLY_GOOD.label == "fairly_good / 较好"
    assert TalkKind.ADMONISHMENT.label == "admonishment / 约谈"
    assert TalkKind.parse("诫勉") is TalkKind.CAUTIONARY


def test_active_restrictions_filter_by_person_and_sort() -> None:
    """Only the person's restrictions in force that day are returned, earliest first."""
    talks = [Talk("P1", "cautionary", dt.date(2017, 6, 1)),
             Talk("P1", "admonishment", dt.date(2017, 2, 1)),
             Talk("P2", "admonishment", dt.date(2017, 1, 1))]
    all_restrictions = [r for t in talks for r in restrictions_from_talk(t, POLICY)]
    active = active_restrictions(all_restrictions, "P1", dt.date(2017, 7, 1))
    assert [(r.start.month, r.kind) for r in active] == [
        (2, "no_awards"), (2, "no_promotion"), (6, "no_awards"), (6, "no_promotion")]
    assert active_restrictions(all_restrictions, "P3", dt.date(2017, 7, 1)) == []


def test_restriction_cannot_end_before_it_starts() -> None:
    """A restriction whose end precedes its start raises InvalidValueError naming the end."""
    with pytest.raises(InvalidValueError, match="end: expected a date on or after"):
        Restriction("P1", "no_awards", dt.date(2017, 5, 2), dt.date(2017, 5, 1))


@pytest.mark.parametrize(("build", "field"), [
    (lambda: Appraisal("P1", 2017, "excellent"), "grade"),
    (lambda: Appraisal("P1", 2017, "A"), "grade"),
    (lambda: Appraisal("", 2017, "good"), "person"),
    (lambda: Appraisal("P1", True, "good"), "year"),
    (lambda: Talk("P1", "warning", dt.date(2017, 1, 1)), "kind"),
    (lambda: Talk("P1", "cautionary", dt.datetime(2017, 1, 1, 9)), "on"),
    (lambda: Restriction("P1", "no_travel", dt.date(2017, 1, 1), dt.date(2017, 2, 1)), "kind"),
])
def test_invalid_values_are_rejected(build: object, field: str) -> None:
    """Unknown grades and kinds, blank people and timestamps raise InvalidValueError."""
    assert callable(build)
    with pytest.raises(InvalidValueError) as info:
        build()
    assert info.value.field == field
    assert isinstance(info.value, RectifyError)
    assert isinstance(info.value, ValueError)


def test_dates_are_required_for_queries() -> None:
    """Passing a timestamp or text as the day raises InvalidValueError."""
    appraisal = Appraisal("P1", 2017, "poor")
    with pytest.raises(InvalidValueError, match="on"):
        appraisal_outcome(appraisal, POLICY, "2018-01-20")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="on"):
        active_restrictions([], "P1", dt.datetime(2018, 1, 1))


# -- appraisal by year (issue #11, item 6) ---------------------------------------------------


def _campaign_with_appraisal() -> tuple[object, str]:
    from rectify import Campaign, Person
    from rectify.sample import sample_people, sample_population

    dept = Person("OD-1", "组织部干部", roles={"org_department"})
    campaign = Campaign(POLICY, population=sample_population(), people=[*sample_people(), dept])
    campaign.record_appraisal("P0069", 2016, "average", actor=dept, on=dt.date(2017, 1, 20),
                              command_id="appraisal-2016")
    return campaign, "P0069"


def test_appraisal_cap_applies_when_decided_the_next_year() -> None:
    """The 2016 appraisal, decided on 20 January 2017, caps the 2016 appraisal on 25 January."""
    campaign, person = _campaign_with_appraisal()
    record = campaign.accountability(person, dt.date(2017, 1, 25))  # type: ignore[attr-defined]
    caps = [r for r in record.restrictions if r.kind == "no_excellent_appraisal"]
    assert [r.year for r in caps] == [2016]
    assert record.appraisal_capped(2016)
    assert not record.appraisal_capped(2017)


def test_accountability_sees_nothing_dated_later() -> None:
    """An answer as of 1 June 2016 lists no appraisal, talk or dismissal recorded in 2017."""
    campaign, person = _campaign_with_appraisal()
    before = campaign.accountability(person, dt.date(2016, 6, 1))  # type: ignore[attr-defined]
    assert before.appraisals == ()
    assert before.restrictions == ()
    assert not before.appraisal_capped(2016)


@given(st.sampled_from(list(AppraisalGrade)), st.integers(min_value=2000, max_value=2090),
       st.integers(min_value=0, max_value=800), st.integers(min_value=-400, max_value=800))
def test_appraisal_cap_is_keyed_by_year_whenever_decided(
        grade: AppraisalGrade, year: int, delay: int, probe_offset: int) -> None:
    """The cap names the appraisal year and is in force from the day it is decided."""
    on = dt.date(year + 1, 1, 1) + dt.timedelta(days=delay)
    outcome = appraisal_outcome(Appraisal("P1", year, grade), POLICY, on)
    probe = on + dt.timedelta(days=probe_offset)
    active = active_restrictions(outcome.restrictions, "P1", probe)
    if not outcome.cap_excellent:
        assert active == []
        return
    assert all(r.year == year for r in outcome.restrictions)
    assert bool(active) == (probe_offset >= 0 and probe <= outcome.restrictions[0].end)
    assert outcome.restrictions[0].end >= dt.date(year + 1, 12, 31)
