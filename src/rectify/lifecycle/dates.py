"""Dates run forward: which date a command may carry (the one place that decides it).

Dates are inputs, so the rules refuse what no real calendar allows
(domain §9, "Dates run forward"):

- a command is not dated before the latest event of its case (or person),
  nor before the case was opened;
- a year is not closed, and an appraisal of a year not recorded, before that
  year begins;
- no command lies outside the policy's date window around its campaign year
  (`rectify.policy.DatesPolicy`: from 1 January of the year minus
  ``dates.years_before`` to 31 December of the year plus ``dates.years_after``);
- whatever the policy, no date lies outside `EARLIEST` … `LATEST`, so that a
  deadline or a restriction computed from it stays within the calendar.

Every function is pure and returns the unmet conditions as sentences (empty:
the date is fine); `rectify.Campaign` raises them as
`rectify.errors.CommandRefused`.  Each sentence names the date, the earlier
event and its date, and the fix.

>>> from datetime import date
>>> from rectify.policy import load_policy
>>> policy = load_policy()
>>> window(policy, 2017)
(datetime.date(2016, 1, 1), datetime.date(2022, 12, 31))
>>> for problem in order_problems(date(2017, 1, 5), date(2017, 2, 1), "PlanFiled",
...                               "the case"):
...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
date 2017-01-05 is before the latest event of the case (plan filed, PlanFiled,
on 2017-02-01): date the command 2017-02-01 or later
>>> window_problems(date(2017, 3, 1), policy, 2017, "the case 2017-V01-03")
[]
"""

from __future__ import annotations

import functools
import re
from datetime import date

from rectify.lifecycle.case import CaseRecord
from rectify.policy import Policy

__all__ = [
    "EARLIEST",
    "LATEST",
    "calendar_problems",
    "case_date_problems",
    "event_words",
    "order_problems",
    "person_date_problems",
    "window",
    "window_problems",
    "year_start_problems",
]

#: The earliest date any command may carry.
EARLIEST = date(1900, 1, 1)
#: The latest date any command may carry (deadlines and restrictions of ten years after
#: it still fit the calendar).
LATEST = date(9000, 12, 31)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_words(event: str) -> str:
    """An event type in words: ``"PlanFiled"`` → ``"plan filed"``."""
    return _CAMEL.sub(" ", event).lower()


def window(policy: Policy, year: int) -> tuple[date, date]:
    """The first and last dates a command about campaign ``year`` may carry.

    Clipped to `EARLIEST` … `LATEST`.
    """
    return _window(policy.dates.years_before, policy.dates.years_after, year)


@functools.lru_cache(maxsize=256)
def _window(before: int, after: int, year: int) -> tuple[date, date]:
    first = max(year - before, EARLIEST.year)
    last = min(year + after, LATEST.year)
    if first > LATEST.year or last < EARLIEST.year:
        return EARLIEST, EARLIEST  # a year outside the calendar: `window_problems` refuses it
    return date(first, 1, 1), date(last, 12, 31)


def calendar_problems(on: date) -> list[str]:
    """The date lies outside `EARLIEST` … `LATEST` (whatever the policy)."""
    if EARLIEST <= on <= LATEST:
        return []
    return [f"date {on.isoformat()} lies outside the calendar the ledger accepts "
            f"({EARLIEST.isoformat()} to {LATEST.isoformat()}): correct the date"]


def window_problems(on: date, policy: Policy, year: int, subject: str) -> list[str]:
    """The date lies outside the policy's window around ``year`` (``subject`` names it)."""
    first, last = window(policy, year)
    dates = policy.dates
    if year + dates.years_after < EARLIEST.year or year - dates.years_before > LATEST.year:
        return [f"the year {year} of {subject}, with dates.years_before = "
                f"{dates.years_before} and dates.years_after = {dates.years_after}, lies "
                f"outside the calendar ({EARLIEST.isoformat()} to {LATEST.isoformat()}), so "
                f"no date fits it, {on.isoformat()} included: correct the year"]
    if first <= on <= last:
        return []
    return [f"date {on.isoformat()} lies outside the date window of {subject} "
            f"({first.isoformat()} to {last.isoformat()}: the year {year} with "
            f"dates.years_before = {policy.dates.years_before} and dates.years_after = "
            f"{policy.dates.years_after}): correct the date, or widen [dates] in the policy"]


def order_problems(on: date, last_on: date | None, last_event: str | None,
                   subject: str) -> list[str]:
    """The date is before the latest event of ``subject`` (``"the case"``, ``"person P1"``)."""
    if last_on is None or on >= last_on:
        return []
    what = (f"{event_words(last_event)}, {last_event}, on {last_on.isoformat()}" if last_event
            else f"on {last_on.isoformat()}")
    return [f"date {on.isoformat()} is before the latest event of {subject} ({what}): "
            f"date the command {last_on.isoformat()} or later"]


def year_start_problems(on: date, year: int, what: str) -> list[str]:
    """The date is before 1 January of ``year`` (``what`` names the command)."""
    if on.year >= year:
        return []
    return [f"date {on.isoformat()} is before the year {year} begins: {what} is dated "
            f"{year}-01-01 or later"]


def case_date_problems(record: CaseRecord, on: date, policy: Policy) -> list[str]:
    """Every reason a command on the case ``record`` may not be dated ``on``.

    The date must not be before the case's latest event (``last_on``; for a
    record stored before that was kept, the opening date) nor outside the
    date window of the case's year.
    """
    first, last = window(policy, record.year)
    if first <= on <= last and on >= (record.last_on or record.opened_on):
        return []  # the common case, decided without building any message
    problems = calendar_problems(on)
    if record.last_on is not None:
        problems += order_problems(on, record.last_on, record.last_event,
                                   f"the case {record.id}")
    elif on < record.opened_on:
        problems.append(f"date {on.isoformat()} is before the case {record.id} was opened "
                        f"(case opened, CaseOpened, on {record.opened_on.isoformat()}): date "
                        f"the command {record.opened_on.isoformat()} or later")
    problems += window_problems(on, policy, record.year, f"the case {record.id}")
    return problems


def person_date_problems(on: date, policy: Policy, person: str, *,
                         last: tuple[date, str] | None, year: int | None) -> list[str]:
    """Every reason an event of ``person`` (a talk, an appraisal) may not be dated ``on``.

    ``last`` is the date and type of the person's latest event; ``year`` the
    campaign year the event belongs to (an appraisal's year, a talk's case's
    year), if any.
    """
    problems = calendar_problems(on)
    if last is not None:
        problems += order_problems(on, last[0], last[1], f"person {person}")
    if year is not None:
        problems += window_problems(on, policy, year, f"the year {year}")
    return problems
