"""Bulletins (通报) as plain rows: what happened in a month, a quarter or a year.

`bulletin()` reads a `Campaign` and its ledger and returns
a `Bulletin`: a header (period, date, county, kind, policy) and a tuple
of `Table` values, each with bilingual column headers and rows of plain
values (``str``, ``int``, ``float``, ``datetime.date``).  Renderers
(`rectify.reporting.render`, `rectify.reporting.charts`), exports and the CLI all use
the same rows.

Everything is pure and reproducible: the date ``on`` is an argument, never the
clock, and the case states are those the ledger held *as of* ``on`` (events
dated after ``on`` are ignored), so a bulletin for a past date can be
re-issued identically.  The period is the calendar month, quarter, half
year or year containing ``on``, from its first day up to ``on`` included; or,
given the issue date ``issued`` instead, the period the schedule says a
bulletin issued that day covers (the one just ended: the bulletin of 10 July
covers the second quarter).  The cases reported are those listed in ``year``
(the period's year by default).

A bulletin is also a document (`Document`): issuer, number and addressees
from `BulletinSettings`, an overview, the named lists (点名) and
commendations, and drafts of 存在问题 and 下步要求 written from the figures
for an official to edit.  ``audience="public"`` builds the public edition:
no people, no internal reasons or scores.

Tables (by `Table.name`):

``summary``
    headline figures (整顿对象总数, 本期新认定, 已销号, 销号率, 逾期, ...).
``states``
    cases per workflow state (按状态统计), every state listed, zeros included.
``funnel``
    cases that ever reached each stage of the main path (整顿进度漏斗).
``kinds``
    listings per kind (按党建类型统计): organizations, those ranked, listed, share of
    the ranked, new, open, delisted.
``new_listings``
    cases opened in the period (本期新认定), with the rules that listed them.
``overdue``
    open cases past their deadline on ``on`` (逾期未整改).
``overdue_trend``
    overdue and open cases at each month end of the period (逾期趋势).
``failed_verifications``
    verifications that failed in the period (验收不合格).
``escalations`` and ``dismissals``
    escalations (问责) and dismissals (免职) recorded in the period.
``support``
    support coverage per level over the open cases (包扶覆盖率).
``townships``
    the league table by township or street (按乡镇(街道)排名).
``units``
    the league table by direct organization (按直属党组织排名).
``named``
    the named list (点名通报): overdue, failed, escalated and carried-over
    cases with their secretaries and supporters.
``commended``
    delisted on time in the period (按期销号, 予以表扬).
``carried_over``
    the previous year's cases not delisted by its end, and where they stand.

Rates whose denominator is zero are ``None`` (shown as "—").
"""

from __future__ import annotations

import calendar
import functools
import operator
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date
from itertools import compress
from operator import attrgetter, not_
from typing import TYPE_CHECKING, Any

import attrs

from rectify._gc import gc_paused
from rectify.errors import InvalidValueError
from rectify.escalation import ROLE_LABELS
from rectify.events import (
    POLICY_STREAM,
    CaseOpened,
    EscalationRecorded,
    Event,
    SecretaryDismissed,
    VerificationRecorded,
)
from rectify.identify import ARRAY_MIN_SIZE, ranked_indices
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW, build_machine, compile_table
from rectify.policy import RankedUnit
from rectify.reporting.labels import (
    FUNNEL_ZH,
    failure_reasons_zh,
    level_zh,
    person_zh,
    rules_zh,
    status_zh,
)
from rectify.schedule import deadlines_due, month_end
from rectify.stores._aggregates import (
    CaseRow,
    ReportReads,
    StepTally,
    tallies_of_paths,
)
from rectify.stores.readmodel import held_levels, project

if TYPE_CHECKING:
    from rectify.campaign import Campaign
    from rectify.forest import Population
    from rectify.model import Organization
    from rectify.policy import Policy
    from rectify.stores.base import Store

_KIND = attrgetter("kind")
_STATE = attrgetter("state")
_COUNTY = attrgetter("county")
_OPENED = attrgetter("opened_on", "id")

__all__ = [
    "ALL_LEVELS",
    "AUDIENCES",
    "COLUMNS",
    "FUNNEL_STAGES",
    "INTERNAL_COLUMNS",
    "INTERNAL_TABLES",
    "NAMED_ISSUES",
    "PERIODS",
    "RATE_METRICS",
    "TABLES",
    "Bulletin",
    "BulletinSettings",
    "Column",
    "Document",
    "Table",
    "bulletin",
    "covered_period",
    "period_bounds",
]

#: Bulletin periods with their English and Chinese names.
PERIODS: Mapping[str, tuple[str, str]] = {
    "monthly": ("monthly", "月度"),
    "quarterly": ("quarterly", "季度"),
    "half_yearly": ("half-yearly", "半年"),
    "annual": ("annual", "年度"),
}

#: Editions: ``internal`` (to secretaries and the standing committee, with
#: people and reasons) and ``public`` (for the newspaper: neither).
AUDIENCES: Mapping[str, tuple[str, str]] = {
    "internal": ("internal", "内部"),
    "public": ("public", "公开"),
}

#: The main path of the workflow, in order: the stages of the funnel.
FUNNEL_STAGES: tuple[str, ...] = (
    "identified", "planned", "supported", "verifying", "accepted", "delisted")

#: Table names with their English and Chinese titles, in the order a bulletin lists them.
TABLES: Mapping[str, tuple[str, str]] = {
    "summary": ("Summary", "总体情况"),
    "states": ("Cases by state", "按状态统计"),
    "funnel": ("Progress funnel (cases that reached each stage)",
               "整顿进度漏斗 (到达各环节的对象数)"),
    "kinds": ("Listings by kind", "按党建类型统计"),
    "new_listings": ("New listings in the period", "本期新认定整顿对象"),
    "overdue": ("Overdue cases", "逾期未完成整改的对象"),
    "overdue_trend": ("Overdue trend (month ends)", "逾期趋势 (月末)"),
    "failed_verifications": ("Failed verifications in the period", "本期验收不合格"),
    "escalations": ("Escalations in the period", "本期问责 (连续列入)"),
    "dismissals": ("Dismissals in the period", "本期免去书记职务"),
    "support": ("Support coverage of open cases", "包扶覆盖情况 (未销号对象)"),
    "townships": ("League table by township or street", "各乡镇(街道)整顿进展排名"),
    "units": ("League table by direct organization", "各直属党组织整顿进展排名"),
    "named": ("Named list: overdue, failed, escalated and carried-over cases",
              "点名通报: 逾期、验收不合格、连续列入和结转对象"),
    "commended": ("Delisted on time in the period", "本期按期销号对象 (予以表扬)"),
    "carried_over": ("Cases of the previous year not delisted", "上年度未按期销号对象"),
}

#: Tables the public edition leaves out (they name people).
INTERNAL_TABLES = frozenset({"dismissals"})
#: Columns the public edition leaves out: people, internal reasons and scores.
INTERNAL_COLUMNS = frozenset({"person", "person_name", "secretary", "supporters", "rules",
                              "rules_zh", "reasons", "reasons_zh", "score", "dissatisfied",
                              "detail"})

#: Summary metrics that are rates in [0, 1] (shown as percentages).
RATE_METRICS = frozenset({"delisting_rate", "support_coverage"})

#: The support row that counts open cases with every required level assigned.
ALL_LEVELS = "all_required"


@attrs.frozen
class Column:
    """One column of a `Table`: a key, bilingual headers and how to show values.

    ``lang`` restricts the column to renderings in that language (``"zh"``
    for a Chinese label column, ``"en"`` for an identifier column); ``None``
    shows it in both.  Spreadsheets always keep every column.  ``fmt`` is
    ``"percent"`` for rates in [0, 1], ``"date"`` for dates, or ``""``.
    """

    key: str
    zh: str
    en: str
    lang: str | None = None
    fmt: str = ""

    def header(self, lang: str = "zh") -> str:
        """The header in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def shown(self, lang: str) -> bool:
        """Whether a rendering in ``lang`` shows this column."""
        return self.lang is None or self.lang == lang


@attrs.frozen
class Table:
    """A titled table of plain rows; ``rows[i][j]`` is the value of ``columns[j]``."""

    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def title(self, lang: str = "zh") -> str:
        """The title in ``lang``."""
        return self.zh if lang == "zh" else self.en

    @property
    def keys(self) -> tuple[str, ...]:
        """The column keys, in order."""
        return tuple(c.key for c in self.columns)

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column key."""
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]

    def column(self, key: str) -> list[Any]:
        """Every value of the column ``key``."""
        index = self.keys.index(key)
        return [row[index] for row in self.rows]

    def fmt(self, row: tuple[Any, ...], index: int) -> str:
        """How to show ``row[index]``: the column's ``fmt``, or ``"percent"`` for a rate
        in the summary table (whose value column mixes counts and rates)."""
        column = self.columns[index]
        if self.name == "summary" and column.key == "value" and row[0] in RATE_METRICS:
            return "percent"
        return column.fmt

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: name, titles, columns and rows (dates as ISO strings)."""
        return {
            "name": self.name, "zh": self.zh, "en": self.en,
            "columns": [attrs.asdict(c) for c in self.columns],
            "rows": [[_jsonable(v) for v in row] for row in self.rows],
        }


_CN_DIGITS = "〇一二三四五六七八九"


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@attrs.frozen
class BulletinSettings:
    """Who issues a bulletin, its number and to whom it goes (发文机关, 文号, 主送).

    Every field may be left empty: the defaults are derived from the county
    and the edition.  ``number`` may contain ``{year}`` and ``{seq}``; the
    default is ``北组通〔{year}〕{seq}号`` with one sequence number per edition
    of a year (months 1-12, quarters 13-16, half years 17-18, the year 19), so
    no two editions of a year share a number.  ``addressees`` defaults by
    period: monthly to the township and county-level committees and the
    secretaries of the cases, quarterly and annual to the standing committee as
    well, the public edition to the public.
    """

    issuer: str = ""
    number: str = ""
    addressees: str = ""
    cc: str = ""
    signature: str = ""

    def resolved(self, county: str, period: str, start: date, issued: date,
                 audience: str) -> BulletinSettings:
        """The settings with every empty field filled in for this edition."""
        place = county or "县(市、区)"
        short = place[0] if place and place[0] != "县" else ""
        issuer = self.issuer or (f"中共{place[:-1]}{place[-1]}委组织部" if county
                                 else "县委组织部")
        seq = {"monthly": start.month, "quarterly": 12 + (start.month - 1) // 3 + 1,
               "half_yearly": 17 + (start.month > 6), "annual": 19}[period]
        template = self.number or f"{short}组通〔{{year}}〕{{seq}}号"
        number = template.format(year=issued.year, seq=seq)
        if self.addressees:
            addressees = self.addressees
        elif audience == "public":
            addressees = "全县广大党员干部群众"
        elif period == "monthly":
            addressees = "各乡镇党委、街道党工委, 县直各党(工)委, 各整顿对象党组织书记"
        else:
            addressees = "县委各常委, 各乡镇党委、街道党工委, 县直各党(工)委"
        return BulletinSettings(issuer=issuer, number=number, addressees=addressees,
                                cc=self.cc or ("" if audience == "public" else "县委办公室"),
                                signature=self.signature or issuer)


@attrs.frozen
class Document:
    """The text of a bulletin as a document (通报正文).

    ``overview`` opens it (总体情况); ``commendations`` and ``criticism``
    say who is commended and who is named; ``problems`` (存在问题) and
    ``requirements`` (下步要求) are drafts written from the figures, which
    an official edits before issuing (``drafts`` is true until then).
    """

    issuer: str
    number: str
    addressees: str
    cc: str
    signature: str
    issued: date
    overview: tuple[str, ...]
    commendations: tuple[str, ...]
    criticism: tuple[str, ...]
    problems: tuple[str, ...]
    requirements: tuple[str, ...]
    drafts: bool = True

    @property
    def date_zh(self) -> str:
        """The issue date as printed under the signature (2017年7月10日)."""
        return _date_zh(self.issued)

    def with_text(self, *, problems: Iterable[str] | None = None,
                  requirements: Iterable[str] | None = None) -> Document:
        """The document with the official's own 存在问题 / 下步要求 (no longer drafts)."""
        return attrs.evolve(
            self, problems=tuple(problems) if problems is not None else self.problems,
            requirements=tuple(requirements) if requirements is not None else self.requirements,
            drafts=False)


@attrs.frozen
class Bulletin:
    """A bulletin (通报): its header, its document and its tables (see the module docs).

    ``start`` is the first day of the period and ``on`` its last day
    reported; ``issued`` the issue date (``on`` when not given); ``year`` is
    the listing year of the cases reported; ``county`` and ``kind`` are the
    filters applied (``None``: all); ``counties`` lists the counties the
    bulletin covers; ``audience`` is ``internal`` or ``public``.
    """

    period: str
    on: date
    start: date
    year: int
    county: str | None
    kind: str | None
    policy: str
    policy_name: str
    tables: tuple[Table, ...]
    counties: tuple[str, ...] = ()
    issued: date | None = None
    audience: str = "internal"
    document: Document | None = None

    def table(self, name: str) -> Table:
        """The table called ``name``.

        Raises:
            InvalidValueError: no table of the bulletin has that name.
        """
        for table in self.tables:
            if table.name == name:
                return table
        raise InvalidValueError("table", f"one of {', '.join(t.name for t in self.tables)}",
                                name)

    def _repr_html_(self) -> str:
        """The bulletin's tables as HTML, for Jupyter (`rectify.reporting.frames`)."""
        from rectify.reporting import frames

        return frames.bulletin_html(self)

    def title(self, lang: str = "zh") -> str:
        """The bulletin's title, naming the county and the period."""
        label = self.period_label(lang)
        public = self.audience == "public"
        if lang == "zh":
            where = self.county or self._only_county or "全县(市、区)"
            kind = f"{self._kind_zh}类" if self.kind else ""
            edition = "(公开版)" if public else ""
            return f"{where}整顿软弱涣散基层党组织{kind}工作通报{edition} ({label})"
        where = self.county or self._only_county or "all counties"
        kind = f", kind {self.kind}" if self.kind else ""
        edition = ", public edition" if public else ""
        return (f"Bulletin on rectifying weak and lax party organizations: "
                f"{where}{kind}{edition} ({label})")

    @property
    def _kind_zh(self) -> str:
        kinds = self.table("kinds")
        for row in kinds.rows:
            if row[0] == self.kind:
                return str(row[1])
        return self.kind or ""

    @property
    def _only_county(self) -> str:
        return self.counties[0] if len(self.counties) == 1 else ""

    def period_label(self, lang: str = "zh") -> str:
        """``2017年第1季度`` / ``2017 Q1``, ``2017年3月`` / ``2017-03``, ``2017年上半年`` /
        ``2017 H1``, ``2017年度`` / ``2017``."""
        y, m = self.start.year, self.start.month
        if self.period == "monthly":
            return f"{y}年{m}月" if lang == "zh" else f"{y}-{m:02d}"
        if self.period == "quarterly":
            q = (m - 1) // 3 + 1
            return f"{y}年第{q}季度" if lang == "zh" else f"{y} Q{q}"
        if self.period == "half_yearly":
            h = 1 if m <= 6 else 2
            return (f"{y}年{'上' if h == 1 else '下'}半年" if lang == "zh" else f"{y} H{h}")
        return f"{y}年度" if lang == "zh" else f"{y}"

    @property
    def state_counts(self) -> dict[str, int]:
        """Cases per state as of ``on`` (every workflow state, zeros included)."""
        t = self.table("states")
        return dict(zip(t.column("state"), t.column("count"), strict=True))

    @property
    def summary(self) -> dict[str, Any]:
        """The headline figures keyed by metric id."""
        t = self.table("summary")
        return dict(zip(t.column("metric"), t.column("value"), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the header, the document and every table."""
        doc = self.document
        return {
            "period": self.period, "on": self.on.isoformat(), "start": self.start.isoformat(),
            "issued": (self.issued or self.on).isoformat(), "audience": self.audience,
            "year": self.year, "county": self.county, "kind": self.kind,
            "counties": list(self.counties),
            "policy": self.policy, "policy_name": self.policy_name,
            "title": {"zh": self.title("zh"), "en": self.title("en")},
            "document": None if doc is None else {
                k: (list(v) if isinstance(v, tuple) else _jsonable(v))
                for k, v in attrs.asdict(doc, recurse=False).items()},
            "tables": [t.to_dict() for t in self.tables],
        }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def period_bounds(period: str, on: date) -> tuple[date, date]:
    """The first day of the ``period`` containing ``on``, and ``on`` itself.

    >>> period_bounds("quarterly", date(2017, 5, 20))
    (datetime.date(2017, 4, 1), datetime.date(2017, 5, 20))
    >>> period_bounds("annual", date(2017, 5, 20))[0]
    datetime.date(2017, 1, 1)
    """
    if period not in PERIODS:
        raise InvalidValueError("period", f"one of {', '.join(PERIODS)}", period)
    if not isinstance(on, date):
        raise InvalidValueError("on", "a date (datetime.date)", on)
    if period == "monthly":
        return on.replace(day=1), on
    if period == "quarterly":
        return date(on.year, (on.month - 1) // 3 * 3 + 1, 1), on
    if period == "half_yearly":
        return date(on.year, 1 if on.month <= 6 else 7, 1), on
    return date(on.year, 1, 1), on


def covered_period(period: str, issued: date) -> tuple[date, date]:
    """The period a bulletin issued on ``issued`` covers: the last one ended before that day.

    The schedule issues bulletins after their period (每季一通报: in January,
    April, July and October for the quarter just ended), so the bulletin of
    10 July 2017 covers the second quarter.

    >>> covered_period("quarterly", date(2017, 7, 10))
    (datetime.date(2017, 4, 1), datetime.date(2017, 6, 30))
    >>> covered_period("monthly", date(2017, 1, 5))
    (datetime.date(2016, 12, 1), datetime.date(2016, 12, 31))
    >>> covered_period("half_yearly", date(2017, 7, 10))[0], covered_period("annual",
    ...     date(2017, 1, 10))
    (datetime.date(2017, 1, 1), (datetime.date(2016, 1, 1), datetime.date(2016, 12, 31)))
    """
    if not isinstance(issued, date):
        raise InvalidValueError("issued", "a date (datetime.date)", issued)
    start, _ = period_bounds(period, issued)
    end = start.fromordinal(start.toordinal() - 1)
    return period_bounds(period, end)[0], end


def _checkpoints(start: date, on: date) -> list[date]:
    """Month ends from ``start`` up to ``on``, the last one clipped to ``on``."""
    points: list[date] = []
    day = month_end(start)
    while day < on:
        points.append(day)
        nxt = day.replace(day=1)
        nxt = date(nxt.year + nxt.month // 12, nxt.month % 12 + 1, 1)
        day = nxt.replace(day=calendar.monthrange(nxt.year, nxt.month)[1])
    points.append(on)
    return points


@functools.cache
def _table() -> Mapping[tuple[str, str], str]:
    return compile_table(build_machine(WORKFLOW))


@attrs.define
class _Stream:
    """One case's replay: its record at each checkpoint passed, and the stages reached.

    ``frozen[i]`` is the record at checkpoint ``i``; ``record`` the latest one
    applied.  ``reached`` (bits of `FUNNEL_STAGES`) stops changing with the
    stream once an event dated after ``on`` is met (``stopped``).
    """

    record: CaseRecord
    reached: int
    opening: CaseOpened
    reach: date
    stopped: bool = False
    frozen: list[CaseRecord] = attrs.field(factory=list)


@attrs.define
class _Replay:
    streams: dict[str, _Stream] = attrs.field(factory=dict)
    later: set[str] = attrs.field(factory=set)
    failed: list[VerificationRecorded] = attrs.field(factory=list)
    records: list[Event] = attrs.field(factory=list)
    all_escalations: list[EscalationRecorded] = attrs.field(factory=list)
    all_dismissals: list[SecretaryDismissed] = attrs.field(factory=list)


_STAGE_BIT = {stage: 1 << i for i, stage in enumerate(FUNNEL_STAGES)}


def _replay(events: Iterable[Event], start: date, checkpoints: list[date]) -> _Replay:
    """Project every case as of each checkpoint (the last checkpoint is ``on``).

    Events of a stream apply in order until the first one dated after the
    checkpoint; later ones are ignored for it.  One pass over the ledger; only
    the events of the period are kept (listings, failures, accountability).
    """
    on = checkpoints[-1]
    table = _table()
    out = _Replay()
    for event in events:
        if event.stream == POLICY_STREAM:
            continue
        if event.stream.startswith(("person:", "org:")):
            if start <= event.on <= on:
                out.records.append(event)
            if isinstance(event, EscalationRecorded):
                out.all_escalations.append(event)
            elif isinstance(event, SecretaryDismissed) and event.on <= on:
                out.all_dismissals.append(event)
            continue
        stream = out.streams.get(event.stream)
        if stream is not None and stream.stopped:
            continue
        if stream is not None:
            while (len(stream.frozen) < len(checkpoints)
                   and checkpoints[len(stream.frozen)] < event.on):
                stream.frozen.append(stream.record)
            if len(stream.frozen) == len(checkpoints):
                stream.stopped = True
                continue
        elif event.on > on or event.stream in out.later:
            out.later.add(event.stream)  # opened after ``on``: not in this bulletin
            continue
        record = apply_event(stream.record if stream else None, event, table)
        bit = _STAGE_BIT.get(record.state, 0)
        if stream is None:
            if not isinstance(event, CaseOpened):  # apply_event refuses any other first
                raise InvalidValueError("case stream", "a case opened first", type(event))
            stream = _Stream(record, bit, event, event.on)
            # A case opened after some checkpoints did not exist at them.
            out.streams[event.stream] = stream
        else:
            stream.record = record
            stream.reached |= bit
            stream.reach = max(stream.reach, event.on)
        if event.on >= start and isinstance(event, VerificationRecorded) and not event.passed:
            out.failed.append(event)
    return out


def _as_of(stream: _Stream, index: int) -> CaseRecord:
    """The record at checkpoint ``index``.

    A case opened after the checkpoint shows its first record: callers compare
    ``opened_on`` with the checkpoint's date.
    """
    if index < len(stream.frozen):
        return stream.frozen[index]
    return stream.record


@attrs.define
class _Facts:
    """What the tables need from the ledger as of the bulletin's date ``on``.

    ``now`` holds the cases opened by ``on`` that the bulletin's year may show
    (at least those `rectify.stores._aggregates.in_report_year` keeps): each
    as a `CaseRow` as of ``on`` with the funnel stages it reached by then
    (bits of `FUNNEL_STAGES`); ``failed`` the failed verifications applied
    by ``on`` and dated in the period; ``records`` the accountability events
    dated in the period, ``escalations`` every escalation and ``dismissals``
    those dated by ``on``.  ``support`` gives the support pairs (as of ``on``)
    of the cases it is given, for the rows that name supporters; ``trend`` the
    overdue trend rows of the cases it is given (``whole``: they are all the
    cases of the year, no county or kind filter).
    """

    now: dict[str, tuple[CaseRow, int]]
    failed: list[VerificationRecorded]
    records: list[Event]
    escalations: list[EscalationRecorded]
    dismissals: list[SecretaryDismissed]
    support: Callable[[Collection[str]], dict[str, tuple[tuple[str, str], ...]]]
    trend: Callable[[Collection[str], bool], list[tuple[Any, ...]]]


_Gather = Callable[["Store", date, list[date], int], _Facts]


def _row_of(record: CaseRecord, opening: CaseOpened, reach: date,
            states: tuple[str, ...] = ()) -> CaseRow:
    """The columns of ``record`` that the tables read (``opening``: its case's opening)."""
    return CaseRow(record.id, record.org, record.year, record.kind, record.state,
                   record.is_open, record.deadline, record.opened_on, record.delisted_on,
                   record.continued_into, held_levels(record.support), states, reach,
                   tuple(opening.rules), float(opening.score))


def _replay_facts(store: Store, start: date, checkpoints: list[date], year: int) -> _Facts:
    """The facts from a replay of the whole ledger (the reference for `_read_model_facts`)."""
    del year  # every case is kept; the tables choose
    replay = _replay(store.replay(), start, checkpoints)
    streams = replay.streams
    last = len(checkpoints) - 1
    return _Facts(
        now={cid: (_row_of(_as_of(s, last), s.opening, s.reach), s.reached)
             for cid, s in streams.items()},
        failed=replay.failed, records=replay.records,
        escalations=replay.all_escalations, dismissals=replay.all_dismissals,
        support=lambda ids: {cid: _as_of(streams[cid], last).support for cid in ids
                             if cid in streams},
        trend=lambda ids, _whole: _trend({cid: streams[cid] for cid in ids}, checkpoints))


def _read_model_facts(store: Store, start: date, checkpoints: list[date], year: int) -> _Facts:
    """The facts from the store's read models, as columns and aggregates (`ReportReads`).

    The cases of the year come as `CaseRow` columns (no record decoded); a case
    whose head reached no later than ``on`` is as its current columns say, and
    only the streams of cases with events dated after ``on`` are read (and
    applied up to the first such event, as a replay would).  The overdue trend
    is a ``GROUP BY`` over the cases' open spans, the failed verifications are
    read by position, and the rows that name supporters read the heads' support
    column (no case record decoded).  A store without `ReportReads` gets the
    replay.
    """
    if not isinstance(store, ReportReads):
        return _replay_facts(store, start, checkpoints, year)
    on = checkpoints[-1]
    now: dict[str, tuple[CaseRow, int]] = {}
    replayed: dict[str, CaseRecord] = {}
    for row in store.report_cases(on, year):
        if row.reach <= on:
            now[row.id] = (row, _bits(row.states))
            continue
        record, reached, opening, reach = _replay_stream(store.read(row.id), on)
        replayed[row.id] = record
        now[row.id] = (_row_of(record, opening, reach), reached)
    listed = store.events_at(store.failed_positions(start, on))
    records = [e for e in store.records() if e.stream.startswith(("person:", "org:"))]

    def support(ids: Collection[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        found = store.case_support([cid for cid in ids if cid not in replayed])
        found.update((cid, replayed[cid].support) for cid in ids if cid in replayed)
        return found

    def trend(ids: Collection[str], whole: bool) -> list[tuple[Any, ...]]:
        # A case's steps up to ``on`` are its path as of ``on``, whatever came later.
        if whole:  # the year's cases: the store's aggregate, and those continued into it
            tallies = store.step_tallies(on, year)
            tallies += tallies_of_paths(store.case_paths(
                [cid for cid in ids if now[cid][0].year != year], on).values())
        else:
            tallies = tallies_of_paths(store.case_paths(ids, on).values())
        return _tally_trend(tallies, checkpoints)

    return _Facts(
        now=now,
        failed=[e for e in listed if isinstance(e, VerificationRecorded) and not e.passed],
        records=[e for e in records if start <= e.on <= on],
        escalations=[e for e in records if isinstance(e, EscalationRecorded)],
        dismissals=[e for e in records if isinstance(e, SecretaryDismissed) and e.on <= on],
        support=support, trend=trend)


@functools.lru_cache(maxsize=1024)
def _bits(states: tuple[str, ...]) -> int:
    """The funnel bits of the workflow states a case held (few distinct sets: cached)."""
    return functools.reduce(operator.or_, (_STAGE_BIT.get(s, 0) for s in states), 0)


def _replay_stream(events: Iterable[Event], on: date
                   ) -> tuple[CaseRecord, int, CaseOpened, date]:
    """A case's record as of ``on``, its funnel bits, its opening and its latest date: its
    events up to the first one dated after ``on``."""
    record: CaseRecord | None = None
    opening: CaseOpened | None = None
    reached = 0
    reach: date | None = None
    for event in events:
        if event.on > on:
            break
        after = project(record, event)
        if after is None:
            continue
        if opening is None and isinstance(event, CaseOpened):
            opening = event
        record = after
        reached |= _STAGE_BIT.get(after.state, 0)
        reach = event.on if reach is None or event.on > reach else reach
    if record is None or opening is None or reach is None:  # the heads say it was opened
        raise InvalidValueError("case stream", f"a case opened by {on}", "no case event",
                                "rebuild the read models (rectify ledger rebuild)")
    return record, reached, opening, reach


def _tally_trend(tallies: Iterable[StepTally],
                 checkpoints: list[date]) -> list[tuple[Any, ...]]:
    """Overdue and open cases at each checkpoint, from the cases' steps counted by what
    they changed (`rectify.stores._aggregates.StepTally`).

    Each case's steps up to a checkpoint add up to its latest one there: open
    after it minus open before it, overdue (open, deadline before the
    checkpoint) after it minus before it.
    """
    rows: list[tuple[Any, ...]] = []
    for day in checkpoints:
        still = overdue = 0
        for reach, is_open, deadline, was_open, was_deadline, steps in tallies:
            if reach > day:
                continue
            still += steps * (is_open - was_open)
            overdue += steps * ((is_open and deadline is not None and deadline < day)
                                - (was_open and was_deadline is not None and was_deadline < day))
        rows.append((day, overdue, still))
    return rows


_C = Column

#: The columns of every table, by table name.
COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "summary": (_C("metric", "指标代码", "metric", "en"), _C("zh", "指标", "指标", "zh"),
                _C("en", "Metric", "description", "en"), _C("value", "数值", "value")),
    "states": (_C("state", "状态代码", "state", "en"), _C("zh", "状态", "状态", "zh"),
               _C("count", "数量", "cases")),
    "funnel": (_C("stage", "环节代码", "stage", "en"), _C("zh", "环节", "环节", "zh"),
               _C("reached", "到达该环节的对象数", "cases that reached it")),
    "kinds": (_C("kind", "类型代码", "kind", "en"), _C("zh", "党建类型", "类型", "zh"),
              _C("organizations", "组织数", "organizations"),
              _C("ranked", "参加排名", "ranked"), _C("listed", "整顿对象", "listed"),
              _C("share", "占参加排名比例", "share of ranked listed", fmt="percent"),
              _C("new", "本期新认定", "new in period"), _C("open", "正在整顿", "open"),
              _C("delisted", "已销号", "delisted"),
              _C("delisting_rate", "销号率", "delisting rate", fmt="percent")),
    "new_listings": (_C("case", "整顿对象编号", "case"), _C("org", "组织编码", "org"),
                     _C("name", "组织名称", "name"), _C("kind", "类型代码", "kind", "en"),
                     _C("kind_zh", "党建类型", "类型", "zh"),
                     _C("opened_on", "认定日期", "listed on", fmt="date"),
                     _C("rules", "认定依据代码", "rules", "en"),
                     _C("rules_zh", "认定依据", "认定依据", "zh"), _C("score", "得分", "score")),
    "overdue": (_C("case", "整顿对象编号", "case"), _C("org", "组织编码", "org"),
                _C("name", "组织名称", "name"), _C("kind", "类型代码", "kind", "en"),
                _C("kind_zh", "党建类型", "类型", "zh"), _C("state", "状态代码", "state", "en"),
                _C("state_zh", "状态", "状态", "zh"),
                _C("deadline", "整改期限", "deadline", fmt="date"),
                _C("days", "逾期天数", "days overdue")),
    "overdue_trend": (_C("date", "日期", "date", fmt="date"),
                      _C("overdue", "逾期对象数", "overdue cases"),
                      _C("open", "正在整顿", "open cases")),
    "failed_verifications": (
        _C("case", "整顿对象编号", "case"), _C("org", "组织编码", "org"),
        _C("name", "组织名称", "name"), _C("kind", "类型代码", "kind", "en"),
        _C("kind_zh", "党建类型", "类型", "zh"), _C("on", "验收日期", "verified on", fmt="date"),
        _C("attempt", "验收次数", "attempt"), _C("score", "得分", "score"),
        _C("dissatisfied", "不满意票", "dissatisfied votes"),
        _C("reasons", "原因代码", "reasons", "en"), _C("reasons_zh", "不合格原因", "原因", "zh"),
        _C("new_deadline", "重新整顿期限", "new deadline", fmt="date")),
    "escalations": (_C("on", "日期", "date", fmt="date"), _C("org", "组织编码", "org"),
                    _C("name", "组织名称", "name"), _C("kind", "类型代码", "kind", "en"),
                    _C("kind_zh", "党建类型", "类型", "zh"), _C("year", "年度", "year"),
                    _C("years", "连续年数", "years in a row"),
                    _C("streak", "列入年度", "years listed")),
    "dismissals": (_C("on", "日期", "date", fmt="date"), _C("org", "组织编码", "org"),
                   _C("name", "组织名称", "name"), _C("role", "职务代码", "role", "en"),
                   _C("role_zh", "职务", "职务", "zh"), _C("person", "人员编号", "person"),
                   _C("person_name", "姓名", "name of the person"),
                   _C("cause", "问责组织编码", "escalating organization"),
                   _C("cause_name", "问责组织", "问责组织", "zh")),
    "support": (_C("level", "层级代码", "level", "en"), _C("zh", "包扶层级", "层级", "zh"),
                _C("required", "需配备对象数", "open cases requiring it"),
                _C("assigned", "已配备", "assigned"), _C("missing", "缺配", "missing"),
                _C("coverage", "覆盖率", "coverage", fmt="percent")),
    "townships": (_C("rank", "排名", "rank"), _C("township", "乡镇(街道)", "township"),
                  _C("cases", "整顿对象", "cases"), _C("delisted", "已销号", "delisted"),
                  _C("open", "正在整顿", "open"), _C("overdue", "逾期", "overdue"),
                  _C("delisting_rate", "销号率", "delisting rate", fmt="percent")),
    "units": (_C("rank", "排名", "rank"), _C("org", "组织编码", "org"),
              _C("name", "直属党组织", "direct organization"), _C("cases", "整顿对象", "cases"),
              _C("delisted", "已销号", "delisted"), _C("open", "正在整顿", "open"),
              _C("overdue", "逾期", "overdue"),
              _C("delisting_rate", "销号率", "delisting rate", fmt="percent")),
    "named": (_C("case", "整顿对象编号", "case", "en"), _C("org", "组织编码", "org"),
              _C("name", "组织名称", "name"), _C("township", "乡镇(街道)", "township"),
              _C("issue", "问题代码", "issue", "en"), _C("issue_zh", "通报事项", "事项", "zh"),
              _C("detail", "具体情况", "details", "zh"),
              _C("secretary", "党组织书记", "secretary"),
              _C("supporters", "包扶责任人", "supporters", "zh")),
    "commended": (_C("case", "整顿对象编号", "case", "en"), _C("org", "组织编码", "org"),
                  _C("name", "组织名称", "name"), _C("township", "乡镇(街道)", "township"),
                  _C("deadline", "整改期限", "deadline", fmt="date"),
                  _C("delisted_on", "销号日期", "delisted on", fmt="date"),
                  _C("days_early", "提前天数", "days early")),
    "carried_over": (_C("case", "整顿对象编号", "case"), _C("org", "组织编码", "org"),
                     _C("name", "组织名称", "name"), _C("township", "乡镇(街道)", "township"),
                     _C("state", "状态代码", "state", "en"), _C("status", "状态", "状态", "zh"),
                     _C("current", "本年度整顿对象", "this year's case"),
                     _C("current_state", "本年度状态代码", "its state", "en"),
                     _C("current_status", "本年度状态", "本年度状态", "zh")),
}

#: The issues a named-list row reports, with their Chinese labels.
NAMED_ISSUES: Mapping[str, str] = {
    "overdue": "逾期未完成整改",
    "failed_verification": "验收不合格",
    "listed_again": "连续两年被列为整顿对象",
    "carried_over": "上年度未按期销号",
    "unfinished": "未按期销号, 转入下年度继续整顿",
}


@attrs.frozen
class _Scope:
    """The filters of a bulletin and the lookups its rows need."""

    campaign: Campaign
    start: date
    on: date
    year: int
    county: str | None
    kind: str | None
    kinds: tuple[str, ...]
    counties: tuple[str, ...]
    dismissals: tuple[SecretaryDismissed, ...] = ()
    #: The name and township (or "县直") of each case's organization, looked up once.
    places: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)

    def place(self, code: str) -> tuple[str, str]:
        """The name and township of ``code`` (``("", "县直")`` outside the population)."""
        known = self.places.get(code)
        if known is not None:
            return known
        org = self.campaign.population.get(code)
        return (org.name, org.township or "县直") if org else ("", "县直")

    def keeps(self, org: Organization) -> bool:
        """Whether an organization of the population is in the bulletin's scope."""
        return ((self.county is None or org.county == self.county)
                and (self.kind is None or org.kind == self.kind))

    def in_scope(self) -> Iterable[Organization]:
        """The organizations of the population in the bulletin's scope (all when unfiltered)."""
        orgs = self.campaign.population.organizations
        if self.county is None and self.kind is None:
            return orgs
        return filter(self.keeps, orgs)

    def org(self, code: str) -> bool:
        if self.county is None and self.kind is None:
            return True  # unfiltered: every organization, known or not (no lookup)
        org = self.campaign.population.get(code)
        if org is None:
            return self.county is None and self.kind is None
        return ((self.county is None or org.county == self.county)
                and (self.kind is None or org.kind == self.kind))

    def case(self, record: CaseRow) -> bool:
        # A case of an earlier year that continued into this one is reported with it.
        return ((record.year == self.year
                 or record.year < self.year <= (record.continued_into or 0))
                and self.org(record.org) and (self.kind is None or record.kind == self.kind))

    def name(self, code: str) -> str:
        return self.place(code)[0]

    def kind_of(self, code: str) -> str:
        org = self.campaign.population.get(code)
        return org.kind if org else ""

    def kind_zh(self, kind: str) -> str:
        label = self.campaign.policy.kinds.get(kind)
        return label.zh if label else kind

    def within(self, day: date) -> bool:
        return self.start <= day <= self.on


def _scope(campaign: Campaign, period: str, on: date, county: str | None, kind: str | None,
           year: int | None) -> _Scope:
    start, end = period_bounds(period, on)
    population = campaign.population
    # One pass each over the organizations, in C (a national population has millions).
    counties = sorted(set(map(_COUNTY, population.organizations)))
    if county is not None and county not in counties:
        raise InvalidValueError("county", f"a county of the population ({', '.join(counties)})",
                                county, "check Organization.county in the input")
    policy_kinds = list(campaign.policy.kinds)
    counted = _kind_counts(population)  # a national population's kinds without a pass
    kinds = (*policy_kinds, *sorted(set(counted if counted is not None
                                        else map(_KIND, population.organizations))
                                    - set(policy_kinds)))
    if kind is not None and kind not in kinds:
        raise InvalidValueError("kind", f"a kind ({', '.join(kinds)})", kind)
    covered = (county,) if county is not None else tuple(c for c in counties if c)
    return _Scope(campaign, start, end, on.year if year is None else year, county, kind, kinds,
                  covered)


def bulletin(campaign: Campaign, *, period: str, on: date | None = None,
             county: str | None = None, kind: str | None = None, year: int | None = None,
             issued: date | None = None, audience: str = "internal",
             settings: BulletinSettings | None = None) -> Bulletin:
    """The bulletin of ``campaign`` for a ``period`` (monthly, quarterly, half_yearly, annual).

    Give ``on`` for the period containing it, up to ``on``; or ``issued``
    (the issue date) for the period the schedule says that day's bulletin
    covers (`covered_period()`): the one just ended.  Cases listed in
    ``year`` (the period's year by default) are reported, as the ledger held
    them on the period's last day; ``county`` and ``kind`` keep only the
    organizations of that county (``Organization.county``) or kind.
    Escalations and dismissals are filtered by the escalating organization.
    ``audience="public"`` builds the public edition (no people, no internal
    reasons or scores); ``settings`` give the issuer, number and addressees.

    Raises `InvalidValueError` for an unknown period or audience, neither
    ``on`` nor ``issued`` given, an issue date before ``on``, a county no
    organization belongs to, or a kind neither the policy nor the
    population knows.
    """
    return _bulletin(campaign, _read_model_facts, period=period, on=on, county=county,
                     kind=kind, year=year, issued=issued, audience=audience, settings=settings)


def _bulletin(campaign: Campaign, gather: _Gather, *, period: str, on: date | None,
              county: str | None, kind: str | None, year: int | None, issued: date | None,
              audience: str, settings: BulletinSettings | None) -> Bulletin:
    """`bulletin()` with the facts gathered by ``gather`` (the read models, or a replay)."""
    if audience not in AUDIENCES:
        raise InvalidValueError("audience", f"one of {', '.join(AUDIENCES)}", audience)
    if on is None:
        if issued is None:
            raise InvalidValueError("on", "a date (or give issued, the issue date)", None,
                                    "pass on=the period's last day or issued=the issue date")
        on = covered_period(period, issued)[1]
    elif issued is not None and isinstance(issued, date) and isinstance(on, date) \
            and issued < on:
        raise InvalidValueError("issued", f"a date on or after on ({on})", issued,
                                "a bulletin is issued after the day it reports")
    # One state of the ledger for every read: a bulletin's tables agree with each other
    # even while other workers record.  The rows are many small objects built beside a
    # large heap (the population) and form no cycles: the collector is paused meanwhile.
    # The facts and the rows of every case are a helper's locals, freed when it returns:
    # the one collection after the pause then looks at the tables' rows only.
    with campaign.store.snapshot(), gc_paused():
        return _made(campaign, gather, period=period, on=on, county=county, kind=kind,
                     year=year, issued=issued, audience=audience, settings=settings)


def _made(campaign: Campaign, gather: _Gather, *, period: str, on: date, county: str | None,
          kind: str | None, year: int | None, issued: date | None, audience: str,
          settings: BulletinSettings | None) -> Bulletin:
    """`_bulletin()` inside its snapshot, ``on`` resolved."""
    scope = _scope(campaign, period, on, county, kind, year)
    checkpoints = _checkpoints(scope.start, scope.on)
    facts = gather(campaign.store, scope.start, checkpoints, scope.year)
    scope = attrs.evolve(scope, dismissals=tuple(facts.dismissals))
    now = {cid: facts.now[cid] for cid in sorted(facts.now) if scope.case(facts.now[cid][0])}
    cases = [row for row, _ in now.values()]
    scope = attrs.evolve(scope, places=_places(campaign.population, cases))
    open_cases, policy = [c for c in cases if c.is_open], campaign.policy

    counts = Counter(map(_STATE, cases))
    states = [(s.name, status_zh(s.name), counts.get(s.name, 0)) for s in WORKFLOW.states]
    funnel = _funnel_rows(now.values())
    opened = sorted((c for c in cases if scope.start <= c.opened_on <= scope.on),
                    key=_OPENED)
    new_rows = _new_rows(scope, opened)
    overdue_rows = _overdue_rows(scope, now)
    trend = facts.trend(now, county is None and kind is None)
    failed_rows = _failed_rows(scope, now, facts.failed)
    escalation_rows, dismissal_rows = _accountability_rows(scope, facts.records)
    year_escalations = _escalated_this_year(scope, facts.escalations)
    support_rows = _support_rows(campaign, open_cases)
    coverage = support_rows[-1][5]
    kind_rows = _kind_rows(scope, cases, opened)
    previous = sorted((r for r, _ in facts.now.values()
                       if r.year == scope.year - 1 and scope.org(r.org)), key=lambda r: r.id)
    carried_rows = _carried_rows(scope, previous, now)
    organizations = (len(campaign.population.organizations)
                     if county is None and kind is None
                     else sum(1 for _ in scope.in_scope()))
    delisted = counts.get("delisted", 0)
    delisted_in_period = [c for c in cases if c.delisted_on and scope.within(c.delisted_on)]
    commended_rows = _commended_rows(scope, delisted_in_period)
    overdue_ids = {row[0] for row in overdue_rows}
    named_rows = _named_rows(scope, now, facts.support, overdue_rows, failed_rows,
                             year_escalations, carried_rows)
    township_rows = _league(scope, cases, overdue_ids, by="township")
    unit_rows = _league(scope, cases, overdue_ids, by="unit")
    summary = [
        ("organizations", "基层党组织数", "organizations", organizations),
        ("cases", "整顿对象总数", "cases listed", len(cases)),
        ("new_listings", "本期新认定", "new listings in the period", len(new_rows)),
        ("open", "正在整顿", "open cases", len(open_cases)),
        ("delisted", "已销号", "delisted", delisted),
        ("delisted_in_period", "本期销号", "delisted in the period", len(delisted_in_period)),
        ("delisting_rate", "销号率", "delisting rate", _rate(delisted, len(cases))),
        ("overdue", "逾期未完成整改", "overdue cases", len(overdue_rows)),
        ("failed_verifications", "本期验收不合格", "failed verifications in the period",
         len(failed_rows)),
        ("escalations", "本期问责", "escalations in the period", len(escalation_rows)),
        ("dismissals", "本期免去书记职务", "dismissals in the period", len(dismissal_rows)),
        ("unfinished", "未按期销号转入下年度", "not delisted, carried into the next year",
         counts.get("carried_over", 0) + sum(1 for c in cases if _continued_past(c, scope))),
        ("carried_over", "上年度未按期销号", "carried over from the previous year",
         len(carried_rows)),
        ("support_coverage", "包扶全覆盖率", "support coverage (all required levels)",
         coverage),
    ]
    rows: dict[str, list[tuple[Any, ...]]] = {
        "summary": summary, "states": states, "funnel": funnel, "kinds": kind_rows,
        "new_listings": new_rows, "overdue": overdue_rows, "overdue_trend": trend,
        "failed_verifications": failed_rows, "escalations": escalation_rows,
        "dismissals": dismissal_rows, "support": support_rows, "townships": township_rows,
        "units": unit_rows, "named": named_rows, "commended": commended_rows,
        "carried_over": carried_rows,
    }
    tables = tuple(Table(name, zh, en, COLUMNS[name], tuple(rows[name]))
                   for name, (en, zh) in TABLES.items())
    if audience == "public":
        tables = tuple(_public(t) for t in tables if t.name not in INTERNAL_TABLES)
    issue_day = issued or on
    where = county or (scope.counties[0] if len(scope.counties) == 1 else "")
    chosen = (settings or BulletinSettings()).resolved(where, period, scope.start, issue_day,
                                                        audience)
    document = _document(scope, chosen, issue_day, period, audience, {
        "summary": summary, "townships": township_rows, "units": unit_rows,
        "named": named_rows, "commended": commended_rows, "support": support_rows,
        "carried": carried_rows, "failed": failed_rows, "overdue": overdue_rows,
        "escalated": year_escalations})
    return Bulletin(period=period, on=on, start=scope.start, year=scope.year, county=county,
                    kind=kind, policy=policy.fingerprint(), policy_name=policy.meta.name,
                    tables=tables, counties=scope.counties, issued=issue_day,
                    audience=audience, document=document)


def _public(table: Table) -> Table:
    """``table`` without the columns the public edition leaves out."""
    keep = [i for i, c in enumerate(table.columns) if c.key not in INTERNAL_COLUMNS]
    if len(keep) == len(table.columns):
        return table
    return attrs.evolve(table, columns=tuple(table.columns[i] for i in keep),
                        rows=tuple(tuple(row[i] for i in keep) for row in table.rows))


def _escalated_this_year(scope: _Scope, events: Iterable[EscalationRecorded]
                         ) -> list[EscalationRecorded]:
    return sorted((e for e in events if e.year == scope.year and scope.org(e.org)
                   and e.on <= scope.on), key=lambda e: e.org)


def _supporters(scope: _Scope, support: tuple[tuple[str, str], ...]) -> str:
    people = scope.campaign.people
    policy = scope.campaign.policy
    parts = []
    for level, person in support:
        who = people.get(person)
        unit = f", {who.unit}" if who and who.unit else ""
        parts.append(f"{level_zh(level, policy)}: {person_zh(people, person)}{unit}")
    return "; ".join(parts) or "未明确"


def _secretary(scope: _Scope, code: str) -> str:
    """The secretary of ``code``, marked when dismissed on or before the bulletin's date."""
    org = scope.campaign.population.get(code)
    person = org.secretary if org else None
    text = person_zh(scope.campaign.people, person)
    gone = [e for e in scope.dismissals if e.org == code and e.person == person and person]
    return f"{text}, {_date_zh(gone[0].on)}已免职" if gone else text


def _dismissed_zh(scope: _Scope, escalation: EscalationRecorded) -> str:
    """Who lost the post through ``escalation``, names beside ids."""
    cause = f"{escalation.year}-{escalation.org}"
    people = scope.campaign.people
    gone = [f"{person_zh(people, e.person)}{scope.name(e.org)}书记职务"
            for e in scope.dismissals if e.cause == cause and e.person]
    return f"已免去{'、'.join(gone)}" if gone else "已按规定问责"


def _township(scope: _Scope, code: str) -> str:
    return scope.place(code)[1]


def _named_rows(scope: _Scope, now: Mapping[str, tuple[CaseRow, int]],
                support: Callable[[Collection[str]], dict[str, tuple[tuple[str, str], ...]]],
                overdue: list[tuple[Any, ...]], failed: list[tuple[Any, ...]],
                escalated: list[EscalationRecorded],
                carried: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The named list; the support of its cases (their supporters) is read once, here."""
    named: list[tuple[str, str, str, str]] = []

    def add(case_id: str, org: str, issue: str, detail: str) -> None:
        named.append((case_id, org, issue, detail))

    for row in overdue:
        add(row[0], row[1], "overdue",
            f"整改期限{_date_zh(row[7])}, 已逾期{row[8]}天, 目前{row[6]}")
    for row in failed:
        add(row[0], row[1], "failed_verification",
            f"{_date_zh(row[5])}第{row[6]}次验收不合格: {row[10]}"
            + (f"; 限{_date_zh(row[11])}前重新整顿" if row[11] else ""))
    for e in escalated:
        years = "、".join(str(y) for y in e.streak)
        add(f"{e.year}-{e.org}", e.org, "listed_again",
            f"{years}年连续{len(e.streak)}年被列为整顿对象, {_dismissed_zh(scope, e)}")
    for record, _ in now.values():
        if record.state == "carried_over" or _continued_past(record, scope):
            deadline = f"整改期限{_date_zh(record.deadline)}, " if record.deadline else ""
            add(record.id, record.org, "unfinished",
                f"{deadline}年度结束时仍未通过验收销号, 须继续整顿直至销号")
    for row in carried:
        add(row[0], row[1], "carried_over",
            f"{row[0][:4]}年度未按期销号, 转入本年度继续整顿"
            + (f"; 本年度再次被列为整顿对象, 目前{row[8]}" if row[6] else ""))
    held = support(list(dict.fromkeys(n[0] for n in named if n[0] in now)))
    rows: list[tuple[Any, ...]] = []
    for case_id, org, issue, detail in named:
        pairs = held.get(case_id) if case_id in now else None
        supporters = _supporters(scope, pairs) if pairs is not None else "—"
        rows.append((case_id, org, scope.name(org), _township(scope, org), issue,
                     NAMED_ISSUES[issue], detail, _secretary(scope, org), supporters))
    return rows


def _funnel_rows(now: Iterable[tuple[CaseRow, int]]) -> list[tuple[Any, ...]]:
    """Cases that reached each stage, counted per distinct set of stages (few)."""
    reached = Counter(bits for _, bits in now)
    return [(stage, FUNNEL_ZH[stage],
             sum(n for bits, n in reached.items() if bits & _STAGE_BIT[stage]))
            for stage in FUNNEL_STAGES]


def _new_rows(scope: _Scope, opened: list[CaseRow]) -> list[tuple[Any, ...]]:
    """The new listings: the opening's rules and score come with the row."""
    policy = scope.campaign.policy
    said = functools.cache(lambda rules: rules_zh(rules, policy))
    places, kind_zh = scope.places, functools.cache(scope.kind_zh)
    return [(c.id, c.org, places[c.org][0], c.kind, kind_zh(c.kind), c.opened_on,
             ", ".join(c.rules), said(c.rules), c.score) for c in opened]


def _commended_rows(scope: _Scope, delisted: list[CaseRow]) -> list[tuple[Any, ...]]:
    rows = []
    place = scope.place
    for c in sorted(delisted, key=lambda c: (c.delisted_on or scope.on, c.id)):
        if c.deadline is None or c.delisted_on is None or c.delisted_on > c.deadline:
            continue
        name, township = place(c.org)
        rows.append((c.id, c.org, name, township, c.deadline, c.delisted_on,
                     (c.deadline - c.delisted_on).days))
    return rows


def _places(population: Population, cases: Iterable[CaseRow]) -> dict[str, tuple[str, str]]:
    """`_Scope.places` for the organizations of ``cases``: one lookup each."""
    get = population.get
    found: dict[str, tuple[str, str]] = {}
    for c in cases:
        org = get(c.org)
        found[c.org] = (org.name, org.township or "县直") if org else ("", "县直")
    return found


def _carried_rows(scope: _Scope, previous: list[CaseRow],
                  now: Mapping[str, tuple[CaseRow, int]]) -> list[tuple[Any, ...]]:
    rows = []
    for c in previous:
        if c.state != "carried_over" and not _continued_past(c, attrs.evolve(
                scope, year=scope.year - 1)):
            continue
        current = now.get(f"{scope.year}-{c.org}")
        record = current[0] if current else None
        rows.append((c.id, c.org, scope.name(c.org), _township(scope, c.org), c.state,
                     status_zh(c.state), record.id if record else "",
                     record.state if record else "",
                     status_zh(record.state) if record else "本年度未列入"))
    return rows


def _league(scope: _Scope, cases: list[CaseRow], overdue: set[str], *,
            by: str) -> list[tuple[Any, ...]]:
    """Cases, delisted, open and overdue per township or direct organization, ranked.

    Ranked by delisting rate (highest first), then fewer overdue, then name;
    equal rates and overdue counts share a rank.
    """
    get, places = scope.campaign.population.get, scope.places
    tops: dict[str, str] = {}  # the direct organization above each parent met

    def unit(code: str) -> str:
        org = get(code)
        if org is None or org.parent is None:
            return code
        parent = org.parent
        top = tops.get(parent)
        if top is None:
            chain = scope.campaign.population.ancestors(code)
            top = tops[parent] = chain[-1].code
        return top

    # Each case's key once; the counts per key are made in C (Counter over compress).
    keys = ([places[c.org][1] for c in cases] if by == "township"
            else [unit(c.org) for c in cases])
    totals = Counter(keys)
    delisted = Counter(compress(keys, [c.state == "delisted" for c in cases]))
    opened = Counter(compress(keys, [c.is_open for c in cases]))
    late_cases = Counter(compress(keys, [c.id in overdue for c in cases]))
    stats = [(key, total, delisted[key], opened[key], late_cases[key],
              _rate(delisted[key], total)) for key, total in totals.items()]
    stats.sort(key=lambda r: (-(r[5] or 0.0), r[4], r[0]))
    rows: list[tuple[Any, ...]] = []
    rank = 0
    previous: tuple[Any, ...] | None = None
    for position, (key, total, done, still, late, rate) in enumerate(stats, start=1):
        if previous != (rate, late):
            rank, previous = position, (rate, late)
        if by == "township":
            rows.append((rank, key, total, done, still, late, rate))
        else:
            rows.append((rank, key, scope.name(key), total, done, still, late, rate))
    return rows


_CADENCE = {"monthly": "“每月一抽查”", "quarterly": "“每季一通报”",
            "half_yearly": "半年公开通报", "annual": "“每年一评定”"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _drafts(summary: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Drafts of 存在问题 and 下步要求, one point per problem the figures show."""
    problems: list[str] = []
    numerals = "一二三四五六七八九十"

    def point(items: list[str], text: str) -> None:
        items.append(f"{numerals[len(items)]}是{text}")

    if summary["overdue"]:
        towns = Counter(r[3] for r in data["named"] if r[4] == "overdue")
        worst = "、".join(f"{t}{n}个" for t, n in towns.most_common(3))
        point(problems, f"整改进度不平衡。{summary['overdue']}个对象逾期未完成整改({worst})。")
    if summary["failed_verifications"]:
        point(problems, f"整改质量不高。本期{summary['failed_verifications']}个对象验收不合格, "
              "群众认可度不够。")
    missing = [r for r in data["support"][:-1] if r[4]]
    if missing:
        point(problems, "包扶力量不到位。" + "、".join(f"{r[1]}缺{r[4]}个" for r in missing)
              + "。")
    if data["escalated"]:
        point(problems, f"整顿成果不巩固。{len(data['escalated'])}个党组织连续两年被列为整顿对象。")
    if summary["unfinished"]:
        point(problems, f"部分对象未按期销号。{summary['unfinished']}个对象年度内未通过验收销号, "
              "转入下年度继续整顿。")
    if summary["carried_over"]:
        point(problems, f"上年度遗留问题未清零。{summary['carried_over']}个对象上年度未按期销号。")
    if not problems:
        point(problems, "(请根据督查掌握的情况填写存在的问题。)")
    requirements: list[str] = []
    if summary["overdue"]:
        point(requirements, "对逾期对象实行挂牌督办, 所在乡镇(街道)党(工)委书记要约谈提醒, "
              "限期完成整改。")
    if summary["failed_verifications"]:
        point(requirements, "验收不合格的对象要对照验收意见重新整顿, 包扶责任人全程跟进, "
              "按期申请再次验收。")
    if summary["unfinished"] or summary["carried_over"]:
        point(requirements, "未按期销号的对象要重新明确整改期限和包扶责任人, "
              "直至验收销号; 连续列入的, 按规定追究责任。")
    if missing:
        point(requirements, "组织部门要在一周内补齐缺配的包扶力量, 确保包扶关系全覆盖。")
    point(requirements, "已销号的对象要落实跟踪问效, 开展“回头看”, 防止问题反弹。")
    point(requirements, "各责任单位于每月月底前报送整顿进展, 县委组织部将继续按月督查、按季通报。")
    return problems, requirements


def _document(scope: _Scope, settings: BulletinSettings, issued: date, period: str,
              audience: str, data: dict[str, Any]) -> Document:
    """The text of the bulletin: overview, named and commended, drafts of the last sections."""
    summary = {row[0]: row[3] for row in data["summary"]}
    where = scope.counties[0] if len(scope.counties) == 1 else "全县"
    public = audience == "public"
    span = f"{_date_zh(scope.start)}至{_date_zh(scope.on)}"
    cadence = _CADENCE[period]
    overview = [
        f"按照整顿软弱涣散基层党组织工作安排和{cadence}要求, 现将{span}"
        "整顿工作情况通报如下。",
        f"{scope.year}年, {where}共排查认定软弱涣散基层党组织{summary['cases']}个"
        f"(共有基层党组织{summary['organizations']}个)。截至{_date_zh(scope.on)}, "
        f"已销号{summary['delisted']}个, 销号率{_pct(summary['delisting_rate'])}; "
        f"正在整顿{summary['open']}个, 其中逾期未完成整改{summary['overdue']}个。"
        f"本期新认定{summary['new_listings']}个, 销号{summary['delisted_in_period']}个, "
        f"验收不合格{summary['failed_verifications']}个。",
    ]
    if summary["unfinished"]:
        overview.append(f"{summary['unfinished']}个整顿对象未能按期销号, 转入下年度继续整顿, "
                        "并计入连续列入的年数。")
    if summary["carried_over"]:
        overview.append(f"上年度未按期销号转入本年度的整顿对象{summary['carried_over']}个, "
                        "继续整顿至销号为止。")
    townships = data["townships"]
    if townships and townships[0][6]:
        best = [r[1] for r in townships if r[0] == 1]
        overview.append(f"从各乡镇(街道)看, {'、'.join(best)}销号率最高"
                        f"({_pct(townships[0][6])}); 排名情况见下表。")
    elif townships:
        overview.append("各乡镇(街道)均尚无销号的整顿对象; 进展情况见下表。")
    commendations: list[str] = []
    commended = data["commended"]
    if commended:
        names = "、".join(r[2] for r in commended[:8]) + ("等" if len(commended) > 8 else "")
        commendations.append(f"{names}{len(commended)}个党组织按期完成整改并通过验收销号, "
                             "予以通报表扬。")
    if townships and townships[0][6]:
        leaders = "、".join(r[1] for r in townships if r[0] == 1)
        commendations.append(f"{leaders}整顿进展较快, 整顿对象销号率达{_pct(townships[0][6])}, "
                             "予以表扬。")
    criticism: list[str] = []
    by_issue: dict[str, list[tuple[Any, ...]]] = {}
    for row in data["named"]:
        by_issue.setdefault(row[4], []).append(row)
    for issue, rows in by_issue.items():
        names = "、".join(dict.fromkeys(r[2] for r in rows))
        text = f"{NAMED_ISSUES[issue]}的: {names}, 共{len(rows)}个"
        if not public:
            heads = "、".join(dict.fromkeys(r[7] for r in rows))
            text += f"; 党组织书记: {heads}"
        criticism.append(text + "。")
    problems, requirements = _drafts(summary, data)
    return Document(issuer=settings.issuer, number=settings.number,
                    addressees=settings.addressees, cc=settings.cc,
                    signature=settings.signature, issued=issued, overview=tuple(overview),
                    commendations=tuple(commendations), criticism=tuple(criticism),
                    problems=tuple(problems), requirements=tuple(requirements))


def _continued_past(record: CaseRow, scope: _Scope) -> bool:
    """Whether ``record`` was still unfinished when its year (the bulletin's) closed."""
    return (record.is_open and record.continued_into is not None
            and record.year <= scope.year < record.continued_into)


def _overdue_rows(scope: _Scope,
                  now: Mapping[str, tuple[CaseRow, int]]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    late: set[str] = set()
    for item in deadlines_due((record for record, _ in now.values()), scope.on, 0):
        if not item.overdue or item.case is None:
            continue
        c = now[item.case][0]
        late.add(c.id)
        rows.append((c.id, c.org, scope.name(c.org), c.kind, scope.kind_zh(c.kind), c.state,
                     status_zh(c.state), item.due, (scope.on - item.due).days))
    # A case continued from an earlier year is overdue: its year ended before delisting.
    for c, _ in now.values():
        if c.is_open and c.year < scope.year and c.id not in late:
            due = date(c.year, 12, 31)
            rows.append((c.id, c.org, scope.name(c.org), c.kind, scope.kind_zh(c.kind),
                         c.state, status_zh(c.state), due, (scope.on - due).days))
    return rows


def _trend(streams: Mapping[str, _Stream], checkpoints: list[date]) -> list[tuple[Any, ...]]:
    trend: list[tuple[Any, ...]] = []
    for index, day in enumerate(checkpoints):
        at = [record for s in streams.values()
              if (record := _as_of(s, index)).opened_on <= day]
        late = sum(1 for item in deadlines_due(at, day, 0) if item.overdue)
        trend.append((day, late, sum(1 for c in at if c.is_open)))
    return trend


def _failed_rows(scope: _Scope, now: Mapping[str, tuple[CaseRow, int]],
                 failed: Iterable[VerificationRecorded]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for e in sorted(failed, key=lambda e: (e.on, e.stream)):
        if e.stream not in now or not scope.within(e.on):
            continue
        c = now[e.stream][0]
        zh = failure_reasons_zh(e.score, e.satisfied, e.basically_satisfied, e.dissatisfied,
                                scope.campaign.policy)
        rows.append((e.stream, c.org, scope.name(c.org), c.kind, scope.kind_zh(c.kind), e.on,
                     e.attempt, e.score, e.dissatisfied, "; ".join(e.reasons), zh,
                     e.new_deadline))
    return rows


def _accountability_rows(
    scope: _Scope, records: Iterable[Event]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    people = scope.campaign.people
    escalations: list[tuple[Any, ...]] = []
    dismissals: list[tuple[Any, ...]] = []
    for event in sorted(records, key=lambda e: (e.on, e.stream, e.version)):
        if not scope.within(event.on):
            continue
        if isinstance(event, EscalationRecorded) and scope.org(event.org):
            kind = scope.kind_of(event.org)
            escalations.append((event.on, event.org, scope.name(event.org), kind,
                                scope.kind_zh(kind), event.year, len(event.streak),
                                "、".join(map(str, event.streak))))
        elif isinstance(event, SecretaryDismissed):
            # ``cause`` is the case id of the escalating organization: YEAR-ORGCODE.
            cause = event.cause.split("-", 1)[1] if "-" in event.cause else event.org
            if not scope.org(cause):
                continue
            person = people.get(event.person) if event.person else None
            dismissals.append((event.on, event.org, scope.name(event.org), event.role,
                               ROLE_LABELS.get(event.role, event.role), event.person or "",
                               person.name if person else "", cause, scope.name(cause)))
    return escalations, dismissals


def _support_rows(campaign: Campaign, open_cases: list[CaseRow]) -> list[tuple[Any, ...]]:
    required = campaign.policy.support.required
    rows: list[tuple[Any, ...]] = []
    # The open cases per (kind, levels held): few distinct pairs.
    groups = Counter((c.kind, c.held) for c in open_cases)
    for level, label in campaign.policy.support.levels.items():
        needing = sum(n for (k, _), n in groups.items() if level in required.get(k, ()))
        held = sum(n for (k, levels), n in groups.items()
                   if level in required.get(k, ()) and level in levels)
        rows.append((level, label.zh, needing, held, needing - held, _rate(held, needing)))
    complete = sum(n for (k, levels), n in groups.items()
                   if all(level in levels for level in required.get(k, ())))
    rows.append((ALL_LEVELS, "全部所需层级到位", len(open_cases), complete,
                 len(open_cases) - complete, _rate(complete, len(open_cases))))
    return rows


def _kind_rows(scope: _Scope, cases: list[CaseRow],
               opened: list[CaseRow]) -> list[tuple[Any, ...]]:
    population = scope.campaign.population
    organizations = (_kind_counts(population) if scope.county is None and scope.kind is None
                     else None)
    if organizations is None:
        organizations = Counter(map(_KIND, scope.in_scope()))
    # The ranked are every organization in scope but those outside their unit of ranking.
    orgs = population.organizations
    ranked = organizations - Counter(
        orgs[i].kind for i in _outside_units(population, scope.campaign.policy)
        if scope.keeps(orgs[i]))
    listed = Counter(map(_KIND, cases))
    new = Counter(map(_KIND, opened))
    delisted = Counter(c.kind for c in cases if c.state == "delisted")
    still_open = Counter(c.kind for c in cases if c.is_open)
    return [(k, scope.kind_zh(k), organizations[k], ranked[k], listed[k],
             _rate(listed[k], ranked[k]),
             new[k], still_open[k], delisted[k], _rate(delisted[k], listed[k]))
            for k in scope.kinds
            if (scope.kind is None or k == scope.kind) and (organizations[k] or listed[k])]


def _kind_counts(population: Population) -> Counter[str] | None:
    """The organizations of each kind of a national population, from the kind codes its
    identification keeps (`rectify._identify_arrays.population_columns`, which
    `_outside_units` reads anyway) instead of a pass over its organizations; ``None``
    for a small population or without NumPy (the caller makes the pass)."""
    if len(population) < ARRAY_MIN_SIZE:
        return None
    try:
        import numpy as np

        from rectify._identify_arrays import population_columns
    except ImportError:  # NumPy is not installed (the `fast` extra)
        return None
    columns = population_columns(population)
    counts = np.bincount(columns.kind_code, minlength=len(columns.kinds)).tolist()
    return Counter({kind: int(n) for kind, n in zip(columns.kinds, counts, strict=True) if n})


def _outside_units(population: Population, policy: Policy) -> list[int]:
    """Indices of the organizations outside their kind's unit of ranking (`ranked_indices`).

    A national population reuses the columns its identification kept
    (`rectify._identify_arrays.population_columns`) instead of a pass over
    millions of organizations; without NumPy, or for a small population, the
    pass is made.
    """
    if len(population) >= ARRAY_MIN_SIZE:
        try:
            from rectify._identify_arrays import population_columns
        except ImportError:  # NumPy is not installed (the `fast` extra)
            pass
        else:
            top = frozenset(k for k, u in policy.identification.ranked.items()
                            if u is RankedUnit.TOP)
            if not top:
                return []
            found: list[int] = population_columns(population).unranked(population, top).tolist()
            return found
    units = ranked_indices(population, policy)
    return list(compress(range(len(units)), map(not_, units)))


def _rate(part: int, whole: int) -> float | None:
    """``part / whole``; ``None`` (shown as "—") when ``whole`` is 0."""
    return part / whole if whole else None
