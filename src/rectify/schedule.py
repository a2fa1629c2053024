"""The supervision cadence (动态管理): what falls due, or is overdue, on a given day.

- `cadence_due()`: the campaign's routine on one day: the weekly reminder
  (每周一提示), the monthly spot check (每月一抽查), the quarterly bulletin
  (每季一通报) and the annual rating (每年一评定), plus the days first
  secretaries' monthly work plans and duty ledgers fall due
  (月初报工作计划、月末报履职台账).
- `deadlines_due()`: open cases whose rectification deadline (整改期限) has
  passed or is near.
- `first_secretary_reports_due()`: monthly reports not yet filed.

Everything is pure: the day is always an argument, never the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

import attrs

from rectify.errors import InvalidValueError
from rectify.policy import Policy

__all__ = [
    "CADENCE_KINDS",
    "MONTHLY_REPORT_KINDS",
    "REPORT_KINDS",
    "DueItem",
    "HasDeadline",
    "cadence_between",
    "cadence_due",
    "deadlines_due",
    "due",
    "first_secretary_reports_due",
    "month_end",
]

#: Kinds of routine item `cadence_due()` yields, in the order it lists them.
CADENCE_KINDS: Mapping[str, tuple[str, str]] = {
    "weekly_reminder": ("weekly reminder", "每周一提示"),
    "monthly_spot_check": ("monthly spot check", "每月一抽查"),
    "quarterly_bulletin": ("quarterly bulletin", "每季一通报"),
    "annual_rating": ("annual rating", "每年一评定"),
    "work_plan": ("first secretaries' monthly work plan", "第一书记月初报工作计划"),
    "duty_ledger": ("first secretaries' monthly duty ledger", "第一书记月末报履职台账"),
}

#: The monthly reports a first secretary files (第一书记每月报送).
MONTHLY_REPORT_KINDS: Mapping[str, tuple[str, str]] = {
    "work_plan": ("work plan", "工作计划"),
    "duty_ledger": ("duty ledger", "履职台账"),
}

#: The former name of `MONTHLY_REPORT_KINDS`, kept for one release.
REPORT_KINDS = MONTHLY_REPORT_KINDS

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@attrs.frozen(slots=True)
class DueItem:
    """One thing due on ``due``: a routine task, a case deadline or a missing report.

    ``case`` and ``person`` are set for items about one case or person;
    ``overdue`` is true when ``due`` has passed and the item is still open.
    """

    kind: str
    due: dt.date
    case: str | None
    person: str | None
    overdue: bool
    en: str
    zh: str

    def render(self, lang: str = "en") -> str:
        """The item as one line in English or Chinese."""
        return self.zh if lang == "zh" else self.en


class HasDeadline(Protocol):
    """Anything with an id, an optional deadline and an open flag, such as a case."""

    @property
    def id(self) -> str:
        """The case id."""

    @property
    def deadline(self) -> dt.date | None:
        """The rectification deadline (整改期限), if one is set."""

    @property
    def is_open(self) -> bool:
        """Whether the case is still open (not delisted)."""


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month.

    >>> month_end(dt.date(2016, 2, 3))
    datetime.date(2016, 2, 29)
    """
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _require_date(name: str, value: object) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidValueError(name, "a date (datetime.date)", value)


def _routine(kind: str, due: dt.date, en: str, zh: str) -> DueItem:
    return DueItem(kind=kind, due=due, case=None, person=None, overdue=False, en=en, zh=zh)


def cadence_due(on: dt.date, policy: Policy) -> list[DueItem]:
    """The routine items that fall due on exactly ``on`` under ``policy.schedule``.

    The quarterly bulletin (in January, April, July and October) covers the
    quarter just ended; the annual rating covers the previous year.  The
    monthly work plan and duty ledger items say that first secretaries'
    reports for the month are due that day.
    """
    _require_date("on", on)
    sched = policy.schedule
    month = f"{on.year}-{on.month:02d}"
    items: list[DueItem] = []
    if on.weekday() == sched.weekly_reminder_weekday:
        items.append(_routine("weekly_reminder", on, "weekly reminder to the people "
                              "responsible for open cases", "每周一提示: 提醒各整顿对象责任人"))
    if on.day == sched.monthly_spot_check_day:
        items.append(_routine("monthly_spot_check", on, f"monthly spot check for {month}",
                              f"每月一抽查 ({on.year}年{on.month}月)"))
    if on.month in (1, 4, 7, 10) and on.day == sched.quarterly_bulletin_day:
        year, quarter = (on.year - 1, 4) if on.month == 1 else (on.year, (on.month - 1) // 3)
        items.append(_routine("quarterly_bulletin", on, f"quarterly bulletin for {year} Q{quarter}",
                              f"每季一通报 ({year}年第{quarter}季度)"))
    if on.month == sched.annual_rating_month and on.day == sched.annual_rating_day:
        items.append(_routine("annual_rating", on, f"annual rating for {on.year - 1}",
                              f"每年一评定 ({on.year - 1}年度)"))
    if on.day == sched.monthly_plan_due_day:
        items.append(_routine("work_plan", on, f"first secretaries' work plans for {month} due",
                              f"第一书记{on.year}年{on.month}月工作计划报送截止"))
    if on == month_end(on):
        items.append(_routine("duty_ledger", on, f"first secretaries' duty ledgers for {month} "
                              "due", f"第一书记{on.year}年{on.month}月履职台账报送截止"))
    return items


def cadence_between(start: dt.date, end: dt.date, policy: Policy) -> list[DueItem]:
    """Every routine item from ``start`` to ``end`` (both included), day by day.

    Raises `InvalidValueError` when ``end`` is before ``start``.
    """
    _require_date("start", start)
    _require_date("end", end)
    if end < start:
        raise InvalidValueError("end", f"a date on or after the start {start}", end)
    items: list[DueItem] = []
    day = start
    while day <= end:
        items += cadence_due(day, policy)
        day += dt.timedelta(days=1)
    return items


def _check_window(within_days: int) -> None:
    if not isinstance(within_days, int) or isinstance(within_days, bool) or within_days < 0:
        raise InvalidValueError("within_days", "a whole number of days ≥ 0", within_days)


def deadlines_due(
    cases: Iterable[HasDeadline], on: dt.date, within_days: int = 7
) -> list[DueItem]:
    """Open cases whose deadline has passed (overdue) or falls within ``within_days`` of ``on``.

    A case is overdue when it is open and its deadline is before ``on``; a
    deadline from ``on`` to ``on + within_days`` (both included) is due soon.
    Closed cases and cases without a deadline are skipped.  Items are sorted
    by deadline, then case id.
    """
    _require_date("on", on)
    _check_window(within_days)
    horizon = on + dt.timedelta(days=within_days)
    items: list[DueItem] = []
    for case in cases:
        deadline = case.deadline
        if not case.is_open or deadline is None or deadline > horizon:
            continue
        days = (deadline - on).days
        if days < 0:
            en = f"case {case.id}: deadline {deadline} passed {-days} day(s) ago"
            zh = f"整顿对象{case.id}: 整改期限{deadline}已逾期{-days}天"
        elif days == 0:
            en = f"case {case.id}: deadline {deadline} is today"
            zh = f"整顿对象{case.id}: 整改期限{deadline}今日到期"
        else:
            en = f"case {case.id}: deadline {deadline} in {days} day(s)"
            zh = f"整顿对象{case.id}: 距整改期限{deadline}还有{days}天"
        items.append(DueItem(kind="deadline", due=deadline, case=case.id, person=None,
                             overdue=days < 0, en=en, zh=zh))
    items.sort(key=lambda item: (item.due, item.case or ""))
    return items


def _parse_month(value: object) -> tuple[int, int]:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match[2]) <= 12:
        raise InvalidValueError("filed month", 'a month written "YYYY-MM"', value)
    return int(match[1]), int(match[2])


def _report_due(kind: str, year: int, month: int, policy: Policy) -> dt.date:
    if kind == "work_plan":
        return dt.date(year, month, policy.schedule.monthly_plan_due_day)
    return month_end(dt.date(year, month, 1))


def first_secretary_reports_due(
    assignments: Iterable[tuple[str, str]],
    filed: Collection[tuple[str, str, str]],
    on: dt.date,
    policy: Policy,
    *,
    months_back: int = 1,
    within_days: int = 7,
) -> list[DueItem]:
    """First secretaries' monthly reports that are missing, as of ``on``.

    ``assignments`` pairs a case id with its first secretary's person id;
    ``filed`` holds ``(case, kind, "YYYY-MM")`` for each report filed, where
    kind is ``work_plan`` (due on ``policy.schedule.monthly_plan_due_day``) or
    ``duty_ledger`` (due on the month's last day).  The reports of ``on``'s
    month and the ``months_back`` months before it are checked; a missing
    report is listed when it is due within ``within_days`` of ``on``, and is
    overdue once its due day has passed.  Items are sorted by due date, case,
    person and kind.

    Raises `InvalidValueError` for a filed entry with
    an unknown kind or a malformed month, or a negative window.
    """
    _require_date("on", on)
    _check_window(within_days)
    if not isinstance(months_back, int) or isinstance(months_back, bool) or months_back < 0:
        raise InvalidValueError("months_back", "a whole number of months ≥ 0", months_back)
    done: set[tuple[str, str, tuple[int, int]]] = set()
    for case, kind, stamp in filed:
        if kind not in MONTHLY_REPORT_KINDS:
            raise InvalidValueError("filed kind", f"one of {', '.join(MONTHLY_REPORT_KINDS)}",
                                    kind)
        done.add((case, kind, _parse_month(stamp)))
    horizon = on + dt.timedelta(days=within_days)
    months: list[tuple[int, int]] = []
    for back in range(months_back, -1, -1):
        year, index = divmod(on.year * 12 + on.month - 1 - back, 12)
        months.append((year, index + 1))
    items: list[DueItem] = []
    for case, person in sorted(set(assignments)):
        for year, month in months:
            for kind, (en_kind, zh_kind) in MONTHLY_REPORT_KINDS.items():
                due = _report_due(kind, year, month, policy)
                if (case, kind, (year, month)) in done or due > horizon:
                    continue
                overdue = due < on
                state_en = "overdue since" if overdue else "due"
                state_zh = "已超过截止日" if overdue else "截止日"
                items.append(DueItem(
                    kind=kind, due=due, case=case, person=person, overdue=overdue,
                    en=f"case {case}: {en_kind} for {year}-{month:02d} from first secretary "
                       f"{person} {state_en} {due}",
                    zh=f"整顿对象{case}: 第一书记{person}的{year}年{month}月{zh_kind}未报送, "
                       f"{state_zh}{due}"))
    items.sort(key=lambda i: (i.due, i.case or "", i.person or "", i.kind))
    return items


class _OpenCase(HasDeadline, Protocol):
    def holder(self, level: str) -> str | None:
        """Who holds support ``level``."""


def due(on: dt.date, policy: Policy, open_cases: Iterable[_OpenCase],
        filed: Collection[tuple[str, str, str]], within_days: int = 7) -> list[DueItem]:
    """Everything due on ``on``: the cadence, case deadlines and first secretaries' reports.

    ``open_cases`` are the open cases (records with ``id``, ``deadline``,
    ``is_open`` and ``holder(level)``); ``filed`` holds ``(case, kind, "YYYY-MM")``
    of every report filed (kinds other than the monthly ones are ignored).
    """
    cases = list(open_cases)
    items = cadence_due(on, policy)
    items += deadlines_due(cases, on, within_days)
    stationed = [(c.id, person) for c in cases
                 if (person := c.holder("first_secretary")) is not None]
    monthly = {r for r in filed if r[1] in MONTHLY_REPORT_KINDS}
    items += first_secretary_reports_due(stationed, monthly, on, policy,
                                         within_days=within_days)
    return items
