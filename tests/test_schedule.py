"""The supervision cadence, case deadlines and first secretaries' monthly reports."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import InvalidValueError, load_policy
from rectify.schedule import (
    DueItem,
    HasDeadline,
    cadence_between,
    cadence_due,
    deadlines_due,
    first_secretary_reports_due,
    month_end,
)

POLICY = load_policy()
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


@attrs.frozen
class Case:
    """A minimal case satisfying HasDeadline."""

    id: str
    deadline: dt.date | None
    is_open: bool = True


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, int]:
    """Valid [schedule] tables."""
    day = st.integers(min_value=1, max_value=28)
    return {
        "weekly_reminder_weekday": draw(st.integers(min_value=0, max_value=6)),
        "monthly_plan_due_day": draw(day),
        "monthly_spot_check_day": draw(day),
        "quarterly_bulletin_day": draw(day),
        "annual_rating_month": draw(st.integers(min_value=1, max_value=12)),
        "annual_rating_day": draw(day),
    }


@given(DATES, schedules())
def test_cadence_items_fall_on_their_days(on: dt.date, schedule: dict[str, int]) -> None:
    """Each routine item is due on that day exactly when the schedule says so."""
    policy = POLICY.evolve({"schedule": schedule})
    kinds = [item.kind for item in cadence_due(on, policy)]
    expected = {
        "weekly_reminder": on.weekday() == schedule["weekly_reminder_weekday"],
        "monthly_spot_check": on.day == schedule["monthly_spot_check_day"],
        "quarterly_bulletin": on.month in (1, 4, 7, 10)
        and on.day == schedule["quarterly_bulletin_day"],
        "annual_rating": (on.month, on.day) == (schedule["annual_rating_month"],
                                                schedule["annual_rating_day"]),
        "work_plan": on.day == schedule["monthly_plan_due_day"],
        "duty_ledger": (on + dt.timedelta(days=1)).day == 1,
    }
    assert kinds == [kind for kind, due in expected.items() if due]
    for item in cadence_due(on, policy):
        assert item.due == on
        assert not item.overdue
        assert item.case is None
        assert item.zh


@given(DATES)
def test_cadence_counts_over_a_year(start: dt.date) -> None:
    """Over any 364 days there are 52 weekly reminders, 12 spot checks, 12 ledgers and so on."""
    items = cadence_between(start, start + dt.timedelta(days=363), POLICY)
    counts = {kind: sum(1 for i in items if i.kind == kind) for kind in
              ("weekly_reminder", "monthly_spot_check", "work_plan", "quarterly_bulletin",
               "annual_rating", "duty_ledger")}
    assert counts["weekly_reminder"] == 52
    assert 11 <= counts["monthly_spot_check"] <= 12
    assert 11 <= counts["work_plan"] <= 12
    assert 11 <= counts["duty_ledger"] <= 12
    assert 3 <= counts["quarterly_bulletin"] <= 4
    assert counts["annual_rating"] <= 1


def test_bulletin_and_rating_cover_the_previous_period() -> None:
    """The January bulletin covers last year's fourth quarter; the rating covers last year."""
    items = {i.kind: i for i in cadence_due(dt.date(2018, 1, 10), POLICY)}
    assert items["quarterly_bulletin"].en == "quarterly bulletin for 2017 Q4"
    assert items["quarterly_bulletin"].zh == "每季一通报 (2017年第4季度)"
    july = {i.kind: i for i in cadence_due(dt.date(2018, 7, 10), POLICY)}
    assert july["quarterly_bulletin"].en.endswith("2018 Q2")
    (rating,) = [i for i in cadence_due(dt.date(2018, 1, 20), POLICY) if i.kind == "annual_rating"]
    assert rating.en == "annual rating for 2017"


@given(st.lists(st.tuples(st.one_of(st.none(), DATES), st.booleans()), max_size=20), DATES,
       st.integers(min_value=0, max_value=30))
def test_overdue_iff_deadline_before_on_for_open_cases(
    rows: list[tuple[dt.date | None, bool]], on: dt.date, window: int
) -> None:
    """Overdue exactly when open with a deadline before the day; due soon within the window."""
    cases = [Case(f"K{i:03d}", deadline, is_open) for i, (deadline, is_open) in enumerate(rows)]
    items = {item.case: item for item in deadlines_due(cases, on, window)}
    for case in cases:
        listed = (case.is_open and case.deadline is not None
                  and case.deadline <= on + dt.timedelta(days=window))
        assert (case.id in items) == listed
        if listed:
            assert case.deadline is not None
            assert items[case.id].overdue == (case.deadline < on)
            assert items[case.id].due == case.deadline
    dues = [item.due for item in items.values()]
    assert dues == sorted(dues)


def test_deadline_texts() -> None:
    """Overdue, today and soon read differently, in both languages."""
    cases: list[HasDeadline] = [Case("K1", dt.date(2017, 6, 27)), Case("K2", dt.date(2017, 6, 30)),
                                Case("K3", dt.date(2017, 7, 4)), Case("K4", dt.date(2017, 7, 9))]
    items = deadlines_due(cases, dt.date(2017, 6, 30))
    assert [i.render() for i in items] == [
        "case K1: deadline 2017-06-27 passed 3 day(s) ago",
        "case K2: deadline 2017-06-30 is today",
        "case K3: deadline 2017-07-04 in 4 day(s)",
    ]
    assert items[0].render("zh") == "整顿对象K1: 整改期限2017-06-27已逾期3天"


@given(st.lists(st.tuples(st.sampled_from(["K1", "K2", "K3"]),
                          st.sampled_from(["work_plan", "duty_ledger"]),
                          st.sampled_from(["2017-05", "2017-06", "2017-07"]))),
       st.dates(min_value=dt.date(2017, 6, 1), max_value=dt.date(2017, 6, 30)))
def test_missing_reports_are_overdue_after_their_due_day(
    filed: list[tuple[str, str, str]], on: dt.date
) -> None:
    """A report is listed iff not filed and due by on + 7 days; overdue iff its day has passed."""
    assignments = [("K1", "F1"), ("K2", "F2"), ("K3", "F3")]
    items = first_secretary_reports_due(assignments, filed, on, POLICY)
    listed = {(i.case, i.kind, i.due) for i in items}
    for case, _ in assignments:
        for month in (dt.date(2017, 5, 1), dt.date(2017, 6, 1)):
            for kind, due in (("work_plan", month.replace(day=5)),
                              ("duty_ledger", month_end(month))):
                stamp = f"{month.year}-{month.month:02d}"
                expected = (case, kind, stamp) not in filed and due <= on + dt.timedelta(days=7)
                assert ((case, kind, due) in listed) == expected
    assert all(i.overdue == (i.due < on) for i in items)


def test_reports_example() -> None:
    """On 10 June a missing June plan and May ledger are overdue; a filed one is not listed."""
    items = first_secretary_reports_due(
        [("K1", "F1"), ("K1", "F1")], {("K1", "work_plan", "2017-05")}, dt.date(2017, 6, 10),
        POLICY)
    assert [(i.kind, i.due.isoformat(), i.overdue) for i in items] == [
        ("duty_ledger", "2017-05-31", True), ("work_plan", "2017-06-05", True)]
    assert items[0].person == "F1"
    assert "履职台账未报送" in items[0].zh


@pytest.mark.parametrize(("call", "field"), [
    (lambda: first_secretary_reports_due([], [("K1", "diary", "2017-06")],
                                         dt.date(2017, 6, 1), POLICY), "filed kind"),
    (lambda: first_secretary_reports_due([], [("K1", "work_plan", "2017-6")],
                                         dt.date(2017, 6, 1), POLICY), "filed month"),
    (lambda: first_secretary_reports_due([], [("K1", "work_plan", "2017-13")],
                                         dt.date(2017, 6, 1), POLICY), "filed month"),
    (lambda: first_secretary_reports_due([], [], dt.date(2017, 6, 1), POLICY,
                                         months_back=-1), "months_back"),
    (lambda: deadlines_due([], dt.date(2017, 6, 1), within_days=-1), "within_days"),
    (lambda: deadlines_due([], dt.datetime(2017, 6, 1, 8)), "on"),
    (lambda: cadence_due("2017-06-01", POLICY), "on"),  # type: ignore[arg-type]
    (lambda: cadence_between(dt.date(2017, 6, 2), dt.date(2017, 6, 1), POLICY), "end"),
])
def test_invalid_arguments_raise(call: object, field: str) -> None:
    """Bad kinds, months, windows and non-dates raise InvalidValueError naming the argument."""
    assert callable(call)
    with pytest.raises(InvalidValueError) as info:
        call()
    assert info.value.field == field


def test_due_item_is_a_plain_record() -> None:
    """DueItem is frozen and renders in either language."""
    item = DueItem("deadline", dt.date(2017, 1, 1), "K1", None, True, "late", "逾期")
    assert item.render() == "late"
    assert item.render("zh") == "逾期"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        item.overdue = False  # type: ignore[misc]
