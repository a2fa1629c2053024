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
re-issued identically.  The period is the calendar month, quarter or year
containing ``on``, from its first day up to ``on`` included; the cases
reported are those listed in ``year`` (``on``'s year by default).

Tables (by `Table.name`):

``summary``
    headline figures (整顿对象总数, 本期新认定, 已销号, 销号率, 逾期, ...).
``states``
    cases per workflow state (按状态统计), every state listed, zeros included.
``funnel``
    cases that ever reached each stage of the main path (整顿进度漏斗).
``kinds``
    listings per kind (按党建类型统计): organizations, listed, share, new, delisted.
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
"""

from __future__ import annotations

import calendar
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from rectify.errors import InvalidValueError
from rectify.escalation import ROLE_LABELS
from rectify.events import (
    CaseOpened,
    EscalationRecorded,
    Event,
    SecretaryDismissed,
    VerificationRecorded,
)
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW, build_machine, compile_table
from rectify.schedule import deadlines_due, month_end

if TYPE_CHECKING:
    from rectify.campaign import Campaign

__all__ = [
    "ALL_LEVELS",
    "COLUMNS",
    "FUNNEL_STAGES",
    "PERIODS",
    "RATE_METRICS",
    "TABLES",
    "Bulletin",
    "Column",
    "Table",
    "bulletin",
    "period_bounds",
]

#: Bulletin periods with their English and Chinese names.
PERIODS: Mapping[str, tuple[str, str]] = {
    "monthly": ("monthly", "月度"),
    "quarterly": ("quarterly", "季度"),
    "annual": ("annual", "年度"),
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
}

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


@attrs.frozen
class Bulletin:
    """A bulletin (通报): its header and its tables (see the module docs for their names).

    ``start`` is the first day of the period and ``on`` its last day
    reported; ``year`` is the listing year of the cases reported; ``county``
    and ``kind`` are the filters applied (``None``: all); ``counties`` lists
    the counties the bulletin covers.
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

    def table(self, name: str) -> Table:
        """The table called ``name``; raises `KeyError` for an unknown name."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def title(self, lang: str = "zh") -> str:
        """The bulletin's title, naming the county and the period."""
        label = self.period_label(lang)
        if lang == "zh":
            where = self.county or self._only_county or "全县(市、区)"
            kind = f"{self.kind}类" if self.kind else ""
            return f"{where}整顿软弱涣散基层党组织{kind}工作通报 ({label})"
        where = self.county or self._only_county or "all counties"
        kind = f", kind {self.kind}" if self.kind else ""
        return f"Bulletin on rectifying weak and lax party organizations: {where}{kind} ({label})"

    @property
    def _only_county(self) -> str:
        return self.counties[0] if len(self.counties) == 1 else ""

    def period_label(self, lang: str = "zh") -> str:
        """``2017年第1季度`` / ``2017 Q1``, ``2017年3月`` / ``2017-03``, ``2017年度`` / ``2017``."""
        y, m = self.start.year, self.start.month
        if self.period == "monthly":
            return f"{y}年{m}月" if lang == "zh" else f"{y}-{m:02d}"
        if self.period == "quarterly":
            q = (m - 1) // 3 + 1
            return f"{y}年第{q}季度" if lang == "zh" else f"{y} Q{q}"
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
        """JSON-ready data: the header and every table."""
        return {
            "period": self.period, "on": self.on.isoformat(), "start": self.start.isoformat(),
            "year": self.year, "county": self.county, "kind": self.kind,
            "counties": list(self.counties),
            "policy": self.policy, "policy_name": self.policy_name,
            "title": {"zh": self.title("zh"), "en": self.title("en")},
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
    return date(on.year, 1, 1), on


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
    stopped: bool = False
    frozen: list[CaseRecord] = attrs.field(factory=list)


@attrs.define
class _Replay:
    streams: dict[str, _Stream] = attrs.field(factory=dict)
    later: set[str] = attrs.field(factory=set)
    opened: list[CaseOpened] = attrs.field(factory=list)
    failed: list[VerificationRecorded] = attrs.field(factory=list)
    records: list[Event] = attrs.field(factory=list)


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
        if event.stream.startswith(("person:", "org:")):
            if start <= event.on <= on:
                out.records.append(event)
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
            stream = _Stream(record, bit)
            # A case opened after some checkpoints did not exist at them.
            out.streams[event.stream] = stream
        else:
            stream.record = record
            stream.reached |= bit
        if event.on < start:
            continue
        if isinstance(event, CaseOpened):
            out.opened.append(event)
        elif isinstance(event, VerificationRecorded) and not event.passed:
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
              _C("organizations", "组织数", "organizations"), _C("listed", "整顿对象", "listed"),
              _C("share", "占比", "share listed", fmt="percent"),
              _C("new", "本期新认定", "new in period"), _C("open", "正在整顿", "open"),
              _C("delisted", "已销号", "delisted"),
              _C("delisting_rate", "销号率", "delisting rate", fmt="percent")),
    "new_listings": (_C("case", "整顿对象编号", "case"), _C("org", "组织编码", "org"),
                     _C("name", "组织名称", "name"), _C("kind", "类型代码", "kind", "en"),
                     _C("kind_zh", "党建类型", "类型", "zh"),
                     _C("opened_on", "认定日期", "listed on", fmt="date"),
                     _C("rules", "认定依据", "rules"), _C("score", "得分", "score")),
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
        _C("reasons", "不合格原因", "reasons"),
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
                   _C("cause", "问责组织", "escalating organization")),
    "support": (_C("level", "层级代码", "level", "en"), _C("zh", "包扶层级", "层级", "zh"),
                _C("required", "需配备对象数", "open cases requiring it"),
                _C("assigned", "已配备", "assigned"), _C("missing", "缺配", "missing"),
                _C("coverage", "覆盖率", "coverage", fmt="percent")),
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

    def org(self, code: str) -> bool:
        org = self.campaign.population.get(code)
        if org is None:
            return self.county is None and self.kind is None
        return ((self.county is None or org.county == self.county)
                and (self.kind is None or org.kind == self.kind))

    def case(self, record: CaseRecord) -> bool:
        return (record.year == self.year and self.org(record.org)
                and (self.kind is None or record.kind == self.kind))

    def name(self, code: str) -> str:
        org = self.campaign.population.get(code)
        return org.name if org else ""

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
    counties = sorted({o.county for o in population})
    if county is not None and county not in counties:
        raise InvalidValueError("county", f"a county of the population ({', '.join(counties)})",
                                county, "check Organization.county in the input")
    policy_kinds = list(campaign.policy.kinds)
    kinds = (*policy_kinds, *sorted({o.kind for o in population} - set(policy_kinds)))
    if kind is not None and kind not in kinds:
        raise InvalidValueError("kind", f"a kind ({', '.join(kinds)})", kind)
    covered = (county,) if county is not None else tuple(c for c in counties if c)
    return _Scope(campaign, start, end, on.year if year is None else year, county, kind, kinds,
                  covered)


def bulletin(campaign: Campaign, *, period: str, on: date, county: str | None = None,
             kind: str | None = None, year: int | None = None) -> Bulletin:
    """The bulletin of ``campaign`` for the ``period`` (monthly, quarterly, annual) ending ``on``.

    Cases listed in ``year`` (``on.year`` by default) are reported, as the
    ledger held them on ``on``; ``county`` and ``kind`` keep only the
    organizations of that county (``Organization.county``) or kind.
    Escalations and dismissals are filtered by the escalating organization.
    Raises `InvalidValueError` for an unknown period,
    a county no organization belongs to, or a kind neither the policy nor
    the population knows.
    """
    scope = _scope(campaign, period, on, county, kind, year)
    checkpoints = _checkpoints(scope.start, scope.on)
    replay = _replay(campaign.store.replay(), scope.start, checkpoints)
    streams = {cid: s for cid, s in replay.streams.items() if scope.case(s.record)}
    now = {cid: (_as_of(s, len(checkpoints) - 1), s.reached)
           for cid, s in sorted(streams.items())}
    cases = [record for record, _ in now.values()]
    open_cases = [c for c in cases if c.is_open]

    counts = Counter(c.state for c in cases)
    states = [(s.name, s.zh, counts.get(s.name, 0)) for s in WORKFLOW.states]
    funnel = [(stage, WORKFLOW.state(stage).zh,
               sum(1 for _, reached in now.values() if reached & _STAGE_BIT[stage]))
              for stage in FUNNEL_STAGES]
    opened = sorted((e for e in replay.opened if e.stream in now and scope.within(e.on)),
                    key=lambda e: (e.on, e.stream))
    new_rows = [(e.stream, e.org, scope.name(e.org), e.kind, scope.kind_zh(e.kind), e.on,
                 ", ".join(e.rules), e.score) for e in opened]
    overdue_rows = _overdue_rows(scope, now)
    trend = _trend(streams, checkpoints)
    failed_rows = _failed_rows(scope, now, replay.failed)
    escalation_rows, dismissal_rows = _accountability_rows(scope, replay.records)
    support_rows = _support_rows(campaign, open_cases)
    coverage = support_rows[-1][5]
    kind_rows = _kind_rows(scope, cases, opened)
    organizations = sum(1 for o in campaign.population if scope.org(o.code))
    delisted = counts.get("delisted", 0)
    summary = [
        ("organizations", "基层党组织数", "organizations", organizations),
        ("cases", "整顿对象总数", "cases listed", len(cases)),
        ("new_listings", "本期新认定", "new listings in the period", len(new_rows)),
        ("open", "正在整顿", "open cases", len(open_cases)),
        ("delisted", "已销号", "delisted", delisted),
        ("delisting_rate", "销号率", "delisting rate", _rate(delisted, len(cases))),
        ("overdue", "逾期未完成整改", "overdue cases", len(overdue_rows)),
        ("failed_verifications", "本期验收不合格", "failed verifications in the period",
         len(failed_rows)),
        ("escalations", "本期问责", "escalations in the period", len(escalation_rows)),
        ("dismissals", "本期免去书记职务", "dismissals in the period", len(dismissal_rows)),
        ("support_coverage", "包扶全覆盖率", "support coverage (all required levels)", coverage),
    ]
    rows: dict[str, list[tuple[Any, ...]]] = {
        "summary": summary, "states": states, "funnel": funnel, "kinds": kind_rows,
        "new_listings": new_rows, "overdue": overdue_rows, "overdue_trend": trend,
        "failed_verifications": failed_rows, "escalations": escalation_rows,
        "dismissals": dismissal_rows, "support": support_rows,
    }
    tables = tuple(Table(name, zh, en, COLUMNS[name], tuple(rows[name]))
                   for name, (en, zh) in TABLES.items())
    policy = campaign.policy
    return Bulletin(period=period, on=on, start=scope.start, year=scope.year, county=county,
                    kind=kind, policy=policy.fingerprint(), policy_name=policy.meta.name,
                    tables=tables, counties=scope.counties)


def _overdue_rows(scope: _Scope,
                  now: Mapping[str, tuple[CaseRecord, int]]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for item in deadlines_due((record for record, _ in now.values()), scope.on, 0):
        if not item.overdue or item.case is None:
            continue
        c = now[item.case][0]
        rows.append((c.id, c.org, scope.name(c.org), c.kind, scope.kind_zh(c.kind), c.state,
                     WORKFLOW.state(c.state).zh, item.due, (scope.on - item.due).days))
    return rows


def _trend(streams: Mapping[str, _Stream], checkpoints: list[date]) -> list[tuple[Any, ...]]:
    trend: list[tuple[Any, ...]] = []
    for index, day in enumerate(checkpoints):
        at = [record for s in streams.values()
              if (record := _as_of(s, index)).opened_on <= day]
        late = sum(1 for item in deadlines_due(at, day, 0) if item.overdue)
        trend.append((day, late, sum(1 for c in at if c.is_open)))
    return trend


def _failed_rows(scope: _Scope, now: Mapping[str, tuple[CaseRecord, int]],
                 failed: Iterable[VerificationRecorded]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for e in sorted(failed, key=lambda e: (e.on, e.stream)):
        if e.stream not in now or not scope.within(e.on):
            continue
        c = now[e.stream][0]
        rows.append((e.stream, c.org, scope.name(c.org), c.kind, scope.kind_zh(c.kind), e.on,
                     e.attempt, e.score, e.dissatisfied, "; ".join(e.reasons), e.new_deadline))
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
                               person.name if person else "", cause))
    return escalations, dismissals


def _support_rows(campaign: Campaign, open_cases: list[CaseRecord]) -> list[tuple[Any, ...]]:
    required = campaign.policy.support.required
    rows: list[tuple[Any, ...]] = []
    for level, label in campaign.policy.support.levels.items():
        needing = [c for c in open_cases if level in required.get(c.kind, ())]
        held = sum(1 for c in needing if c.holder(level) is not None)
        rows.append((level, label.zh, len(needing), held, len(needing) - held,
                     _rate(held, len(needing))))
    complete = sum(1 for c in open_cases
                   if all(c.holder(level) is not None for level in required.get(c.kind, ())))
    rows.append((ALL_LEVELS, "全部所需层级到位", len(open_cases), complete,
                 len(open_cases) - complete, _rate(complete, len(open_cases))))
    return rows


def _kind_rows(scope: _Scope, cases: list[CaseRecord],
               opened: list[CaseOpened]) -> list[tuple[Any, ...]]:
    organizations = Counter(o.kind for o in scope.campaign.population if scope.org(o.code))
    listed = Counter(c.kind for c in cases)
    new = Counter(e.kind for e in opened)
    delisted = Counter(c.kind for c in cases if c.state == "delisted")
    still_open = Counter(c.kind for c in cases if c.is_open)
    return [(k, scope.kind_zh(k), organizations[k], listed[k], _rate(listed[k], organizations[k]),
             new[k], still_open[k], delisted[k], _rate(delisted[k], listed[k]))
            for k in scope.kinds
            if (scope.kind is None or k == scope.kind) and (organizations[k] or listed[k])]


def _rate(part: int, whole: int) -> float:
    """``part / whole``; 0.0 when ``whole`` is 0."""
    return part / whole if whole else 0.0
