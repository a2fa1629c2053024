"""Accountability around a case: talks, the secretaries' appraisal and the restrictions they bring.

- An admonishment talk (约谈) bars promotion or reuse and awards until the end
  of that calendar year (当年不能提拔或重用, 不得评先选优).
- A cautionary talk (诫勉) has the same effects for
  ``policy.accountability.cautionary_months`` months from the talk.
- A secretary's annual appraisal (述职评议考核) graded below "good" caps that
  year's personal appraisal below excellent (不得评为优秀); grades listed in
  ``policy.accountability.talk_grades`` also require an admonishment talk and
  a deadline to correct (约谈提醒, 限期整改).

Everything is pure: dates are arguments, and a `Restriction` covers
the days from ``start`` to ``end``, both included.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from rectify.errors import InvalidValueError
from rectify.events import (
    AppraisalRecorded,
    ConsequenceRecorded,
    Event,
    SecretaryDismissed,
    TalkRecorded,
)
from rectify.policy import Policy

__all__ = [
    "RESTRICTION_KINDS",
    "AccountabilityRecord",
    "Appraisal",
    "AppraisalGrade",
    "AppraisalOutcome",
    "Restriction",
    "Talk",
    "TalkKind",
    "active_restrictions",
    "add_months",
    "appraisal_outcome",
    "record_of",
    "restrictions_from_consequence",
    "restrictions_from_talk",
]


class AppraisalGrade(enum.Enum):
    """The grade of a secretary's annual report and appraisal (述职评议等次)."""

    GOOD = "good"
    FAIRLY_GOOD = "fairly_good"
    AVERAGE = "average"
    POOR = "poor"

    @property
    def zh(self) -> str:
        """The Chinese label used in reports."""
        return _GRADE_ZH[self]

    @property
    def label(self) -> str:
        """``english / 中文``, the form used in reports and messages."""
        return f"{self.value} / {self.zh}"

    @classmethod
    def parse(cls, value: AppraisalGrade | str) -> AppraisalGrade:
        """The grade named by an identifier (``"fairly_good"``) or a Chinese label (``"较好"``).

        Raises `InvalidValueError` for anything else.
        """
        if isinstance(value, cls):
            return value
        for grade in cls:
            if value in (grade.value, grade.zh):
                return grade
        raise InvalidValueError("grade", f"an appraisal grade ({_choices(cls)})", value)


class TalkKind(enum.Enum):
    """The kind of talk held with a secretary."""

    ADMONISHMENT = "admonishment"
    CAUTIONARY = "cautionary"

    @property
    def zh(self) -> str:
        """The Chinese label used in reports."""
        return _TALK_ZH[self]

    @property
    def label(self) -> str:
        """``english / 中文``, the form used in reports and messages."""
        return f"{self.value} / {self.zh}"

    @classmethod
    def parse(cls, value: TalkKind | str) -> TalkKind:
        """The kind named by an identifier (``"cautionary"``) or a Chinese label (``"诫勉"``).

        Raises `InvalidValueError` for anything else.
        """
        if isinstance(value, cls):
            return value
        for kind in cls:
            if value in (kind.value, kind.zh):
                return kind
        raise InvalidValueError("kind", f"a talk kind ({_choices(cls)})", value)


_GRADE_ZH: Mapping[AppraisalGrade, str] = {
    AppraisalGrade.GOOD: "好",
    AppraisalGrade.FAIRLY_GOOD: "较好",
    AppraisalGrade.AVERAGE: "一般",
    AppraisalGrade.POOR: "差",
}

_TALK_ZH: Mapping[TalkKind, str] = {
    TalkKind.ADMONISHMENT: "约谈",
    TalkKind.CAUTIONARY: "诫勉",
}

#: Restriction kinds with their English and Chinese descriptions.
RESTRICTION_KINDS: Mapping[str, tuple[str, str]] = {
    "no_promotion": ("no promotion or reuse", "不得提拔或重用"),
    "no_awards": ("not eligible for awards", "不得评先选优"),
    "no_excellent_appraisal": ("annual appraisal cannot be excellent", "年度考核不得评为优秀"),
}


def _to_grade(value: AppraisalGrade | str) -> AppraisalGrade:
    return AppraisalGrade.parse(value)


def _to_talk_kind(value: TalkKind | str) -> TalkKind:
    return TalkKind.parse(value)


def _choices(enum_type: type[enum.Enum]) -> str:
    return ", ".join(str(m.value) for m in enum_type)


def _nonblank(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(attribute.name, "a non-empty text", value)


def _require_date(name: str, value: object) -> None:
    # datetime is a subclass of date; a timestamp here would make comparisons fail later.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidValueError(name, "a date (datetime.date)", value)


def _a_date(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    _require_date(attribute.name, value)


def _a_year(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 9998:
        raise InvalidValueError(attribute.name, "a calendar year (a whole number)", value)


@attrs.frozen(slots=True)
class Talk:
    """A recorded talk with a person: admonishment (约谈) or cautionary (诫勉).

    ``kind`` accepts a `TalkKind` or its identifier or Chinese label.
    """

    person: str = attrs.field(validator=_nonblank)
    kind: TalkKind = attrs.field(converter=_to_talk_kind)
    on: dt.date = attrs.field(validator=_a_date)
    reason: str = ""


@attrs.frozen(slots=True)
class Appraisal:
    """A secretary's annual report and appraisal (述职评议考核) for ``year``.

    ``grade`` accepts an `AppraisalGrade` or its identifier or Chinese label.
    """

    person: str = attrs.field(validator=_nonblank)
    year: int = attrs.field(validator=_a_year)
    grade: AppraisalGrade = attrs.field(converter=_to_grade)


def _restriction_kind(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in RESTRICTION_KINDS:
        raise InvalidValueError(attribute.name, f"one of {', '.join(RESTRICTION_KINDS)}", value)


@attrs.frozen(slots=True)
class Restriction:
    """Something a person may not have or do from ``start`` to ``end`` (both included).

    ``kind`` is ``no_promotion`` (不得提拔或重用), ``no_awards`` (不得评先选优) or
    ``no_excellent_appraisal`` (年度考核不得评为优秀); ``source`` names what
    imposed it; ``en`` and ``zh`` describe it for reports.  ``year`` is the
    appraisal year a ``no_excellent_appraisal`` cap applies to (年度考核), whatever
    the dates; ``None`` for the bans of talks, which run between dates.
    """

    person: str = attrs.field(validator=_nonblank)
    kind: str = attrs.field(validator=_restriction_kind)
    start: dt.date = attrs.field(validator=_a_date)
    end: dt.date = attrs.field(validator=_a_date)
    source: str = ""
    en: str = ""
    zh: str = ""
    year: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValueError("end", f"a date on or after the start {self.start}",
                                    self.end, "a restriction cannot end before it starts")

    def active_on(self, on: dt.date) -> bool:
        """Whether the restriction applies on ``on``."""
        return self.start <= on <= self.end


@attrs.frozen(slots=True)
class AppraisalOutcome:
    """What an appraisal grade entails for the secretary.

    ``cap_excellent``: the year's personal appraisal cannot be excellent;
    ``talk_required``: an admonishment talk is due, with a deadline to correct
    (``correction_deadline``); ``restrictions``: what the grade imposes.
    """

    appraisal: Appraisal
    cap_excellent: bool
    talk_required: bool
    correction_deadline: dt.date | None
    restrictions: tuple[Restriction, ...]

    def talk(self, on: dt.date) -> Talk | None:
        """The admonishment talk the grade calls for, held on ``on``; ``None`` if not required."""
        if not self.talk_required:
            return None
        grade = self.appraisal.grade
        return Talk(self.appraisal.person, TalkKind.ADMONISHMENT, on,
                    f"appraisal {self.appraisal.year} graded {grade.label}")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, or that month's last day if it is shorter.

    >>> add_months(dt.date(2017, 8, 31), 6)
    datetime.date(2018, 2, 28)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def restrictions_from_talk(talk: Talk, policy: Policy) -> list[Restriction]:
    """The promotion and award bans a talk imposes.

    An admonishment talk bans both from the talk date to 31 December of that
    year (当年); a cautionary talk from the talk date for
    ``policy.accountability.cautionary_months`` months, ending the day before
    the same day of the month that many months later.
    """
    if talk.kind is TalkKind.ADMONISHMENT:
        end = dt.date(talk.on.year, 12, 31)
    else:
        end = add_months(talk.on, policy.accountability.cautionary_months) - dt.timedelta(days=1)
    source = f"{talk.kind.value} talk {talk.on.isoformat()}"
    return [_restriction(talk.person, kind, talk.on, end, source,
                         f"{talk.kind.value} talk on {talk.on.isoformat()}",
                         f"{talk.on.isoformat()}{talk.kind.zh}")
            for kind in ("no_promotion", "no_awards")]


def appraisal_outcome(appraisal: Appraisal, policy: Policy, on: dt.date) -> AppraisalOutcome:
    """What ``appraisal`` entails, decided on ``on``.

    Any grade below good caps the secretary's appraisal for ``appraisal.year``
    (年度考核不得评为优秀): a ``no_excellent_appraisal`` restriction keyed by that
    year (`Restriction.year`), in force from ``on``, the day the grade is
    decided (usually early the next year), to the end of the year after the
    appraisal year (or ``on`` if that is later).
    Grades in ``policy.accountability.talk_grades`` (by default average and
    poor) require an admonishment talk and set a correction deadline
    ``policy.accountability.correction_days`` days after ``on``.
    """
    _require_date("on", on)
    grade = appraisal.grade
    cap = grade is not AppraisalGrade.GOOD
    restrictions: tuple[Restriction, ...] = ()
    if cap:
        year = appraisal.year
        end = max(on, dt.date(year + 1, 12, 31))
        en, _zh = RESTRICTION_KINDS["no_excellent_appraisal"]
        restrictions = (Restriction(
            person=appraisal.person, kind="no_excellent_appraisal", start=on, end=end,
            source=f"appraisal {year} {grade.value}",
            en=f"{en} for the {year} appraisal, decided on {on.isoformat()} "
               f"(appraisal {year} graded {grade.label})",
            zh=f"{year}年度考核不得评为优秀 ({year}年度述职评议为{grade.zh}, "
               f"{on.year}年{on.month}月{on.day}日认定)",
            year=year),)
    talk = grade.value in policy.accountability.talk_grades
    deadline = on + dt.timedelta(days=policy.accountability.correction_days) if talk else None
    return AppraisalOutcome(appraisal=appraisal, cap_excellent=cap, talk_required=talk,
                            correction_deadline=deadline, restrictions=restrictions)


def active_restrictions(
    restrictions: Iterable[Restriction], person: str, on: dt.date
) -> list[Restriction]:
    """The restrictions on ``person`` that apply on ``on``, by start date then kind."""
    _require_date("on", on)
    found = [r for r in restrictions if r.person == person and r.start <= on <= r.end]
    return sorted(found, key=lambda r: (r.start, r.kind, r.end))


def _restriction(
    person: str, kind: str, start: dt.date, end: dt.date, source: str, why_en: str, why_zh: str
) -> Restriction:
    en, zh = RESTRICTION_KINDS[kind]
    # An appraisal is keyed by its year: "2016年度考核不得评为优秀", not a date range.
    whole_year = (start.year == end.year and (start.month, start.day, end.month, end.day)
                  == (1, 1, 12, 31) and kind == "no_excellent_appraisal")
    span = f"{start.year}" if whole_year else f"{start.isoformat()}至{end.isoformat()}"
    return Restriction(
        person=person, kind=kind, start=start, end=end, source=source,
        en=f"{en} from {start.isoformat()} to {end.isoformat()} ({why_en})",
        zh=f"{span}{zh} ({why_zh})")


@attrs.frozen
class AccountabilityRecord:
    """Everything on file about one person, and what applies on a date (问责记录).

    ``consequences`` are the escalation ladder's steps applied to the person
    (talks, 通报批评, 取消评先), as recorded; their talks are in ``talks`` too.
    """

    person: str
    on: dt.date
    talks: tuple[Talk, ...]
    appraisals: tuple[AppraisalOutcome, ...]
    dismissals: tuple[SecretaryDismissed, ...]
    restrictions: tuple[Restriction, ...]
    consequences: tuple[ConsequenceRecorded, ...] = ()

    def appraisal_capped(self, year: int) -> bool:
        """Whether the person's appraisal for ``year`` cannot be excellent, as of `on`.

        True when an appraisal graded below good for ``year`` was decided on
        or before `on`, whenever that was (年度考核不得评为优秀).
        """
        return any(o.cap_excellent and o.appraisal.year == year for o in self.appraisals)


def record_of(person: str, on: dt.date, events: Iterable[Event],
              policy: Policy) -> AccountabilityRecord:
    """The talks, appraisals and dismissals of ``person`` among ``events``, and the
    restrictions active on ``on``.

    The answer is as of ``on``: events dated after it are left out.
    """
    _require_date("on", on)
    talks: list[Talk] = []
    outcomes: list[AppraisalOutcome] = []
    dismissals: list[SecretaryDismissed] = []
    steps: list[ConsequenceRecorded] = []
    for event in events:
        if event.on > on:
            continue
        if isinstance(event, TalkRecorded) and event.person == person:
            talks.append(Talk(person, event.kind, event.on, event.reason))
        elif isinstance(event, AppraisalRecorded) and event.person == person:
            outcomes.append(appraisal_outcome(Appraisal(person, event.year, event.grade),
                                              policy, event.on))
        elif isinstance(event, SecretaryDismissed) and event.person == person:
            dismissals.append(event)
        elif isinstance(event, ConsequenceRecorded) and event.person == person:
            steps.append(event)
    restrictions = [r for t in talks for r in restrictions_from_talk(t, policy)]
    restrictions += [r for o in outcomes for r in o.restrictions]
    for step in steps:
        found = restrictions_from_consequence(step, policy)
        restrictions += found
        if step.action == "talk":
            talks.append(Talk(person, step.talk, step.on, _step_reason(step)))
    return AccountabilityRecord(person, on, tuple(talks), tuple(outcomes), tuple(dismissals),
                                tuple(active_restrictions(restrictions, person, on)),
                                tuple(steps))


def _step_reason(step: ConsequenceRecorded) -> str:
    return f"escalation ladder step {step.step} ({step.basis}, {step.year})" if step.step >= 0 \
        else f"finding ({step.cause})"


def restrictions_from_consequence(step: ConsequenceRecorded, policy: Policy) -> list[Restriction]:
    """The bans a recorded ladder step imposes on its person (none for 通报批评 or a vacancy).

    A talk bans promotion and awards as `restrictions_from_talk()` does, for
    ``step.months`` months when set; 取消评先 (``no_awards``) bans awards for
    ``step.months`` months, or to the end of the year when 0.
    """
    if step.person is None:
        return []
    if step.action == "talk":
        kind = TalkKind.parse(step.talk)
        if step.months <= 0:
            return restrictions_from_talk(Talk(step.person, kind, step.on), policy)
        end = add_months(step.on, step.months) - dt.timedelta(days=1)
        return [_restriction(step.person, k, step.on, end, f"{kind.value} talk {step.on}",
                             f"{kind.value} talk on {step.on.isoformat()}",
                             f"{step.on.isoformat()}{kind.zh}")
                for k in ("no_promotion", "no_awards")]
    if step.action == "no_awards":
        end = (add_months(step.on, step.months) - dt.timedelta(days=1) if step.months > 0
               else dt.date(step.on.year, 12, 31))
        return [_restriction(step.person, "no_awards", step.on, end, "escalation ladder",
                             f"escalation ladder step {step.step}", "取消评先评优资格")]
    return []
