"""Bulletin rows (rectify.reporting.bulletin): the numbers agree with the campaign."""

from __future__ import annotations

import functools
import json
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify import (
    Campaign,
    InvalidValueError,
    Organization,
    OrgForm,
    Person,
    Plan,
    Population,
    Tier,
    Votes,
    load_policy,
)
from rectify.events import EscalationRecorded, SecretaryDismissed, VerificationRecorded
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.workflow import WORKFLOW
from rectify.model import Assessment
from rectify.reporting.bulletin import (
    ALL_LEVELS,
    FUNNEL_STAGES,
    PERIODS,
    TABLES,
    Bulletin,
    bulletin,
    period_bounds,
)
from rectify.reporting.labels import STATUS_ZH
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.stores import Append, MemoryStore

#: Each example computes bulletins of the sample county: the ci profile's examples are capped
#: at 100 per test (hypothesis draws a new seed every run); quick runs keep theirs.
COSTLY = settings(max_examples=min(settings().max_examples, 100))


DEPT = "P0236"
# The sample's cadres per support level (P0236, the acting organization department
# cadre, supports nothing); cases take them in turn, five open cases at most each.
SUPPORT = {"leader_contact": [f"P{n:04d}" for n in range(229, 236)],
           "org_guidance": [f"P{n:04d}" for n in range(237, 242)],
           "paired_unit": [f"P{n:04d}" for n in range(242, 254)],
           "committee_supervisor": [f"P{n:04d}" for n in range(254, 267)],
           "first_secretary": [f"P{n:04d}" for n in range(267, 279)]}
PROBLEMS = [("venue_nonstandard", "活动场所年久失修"), ("rules_not_kept", "三会一课不经常")]
KINDS = ("village", "community", "state_enterprise", "non_public", "agency", "institution",
         "township", "street")
FIRST, LAST = date(2016, 1, 1), date(2018, 3, 31)


def _plan(deadline: date) -> Plan:
    return Plan(problems=PROBLEMS, measures=["修缮活动室", "建立三会一课台账"],
                responsible=["P0152"], deadline=deadline)


def _support(c: Campaign, case: str, turn: int, on: date, skip: tuple[str, ...] = ()) -> None:
    for level in c.policy.support.required[c.case(case).kind]:
        if level not in skip:
            people = SUPPORT[level]
            if level == "first_secretary":  # one station each: skip those stationed already
                people = [p for p in people if not c.store.load(p, level)] or people
            c.assign_support(case, level, people[turn % len(people)], actor=DEPT, on=on)


def _verify(c: Campaign, case: str, score: float, votes: Votes, on: date) -> CaseRecord:
    c.record_report(case, "progress", f"{on.year}-{on.month:02d}", actor=DEPT,
                    on=on - timedelta(days=10), resolved=[a for a, _ in PROBLEMS])
    c.request_verification(case, actor=DEPT, on=on - timedelta(days=5))
    return c.record_verification(case, score, votes, ["P0279", "P0280"], actor="P0279", on=on)


def drive_sample() -> Campaign:
    """Two years on the sample county, after docs/lifecycle.md, with every kind of event.

    2016: 20 cases; most plans filed (deadlines 2016-06-30 or 2016-08-15), a few
    never; some packages lack the first secretary; six cases pass and are
    delisted in May; 2016-T01-02 fails in June and passes in September;
    2016-T05-05 fails in July and stays overdue; the year is closed on
    2016-12-31.  2017: the cases reopen with escalations and dismissals on
    2017-02-15; a third are planned (deadline 2017-05-31) and supported.
    """
    population = sample_population()
    c = Campaign(load_policy(), population=population, people=sample_people())
    c.open_cases(identify(population, sample_assessments(), c.policy, 2016), actor=DEPT,
                 on=date(2016, 2, 15))
    ids = [case.id for case in c.cases(year=2016)]
    for i, case in enumerate(ids):
        if i % 7 == 6:
            continue
        deadline = date(2016, 6, 30) if i % 2 else date(2016, 8, 15)
        c.file_plan(case, _plan(deadline), actor=DEPT, on=date(2016, 3, 1))
        _support(c, case, i, date(2016, 3, 5), skip=("first_secretary",) if i % 5 == 4 else ())
    for case in ids[:6]:
        if c.case(case).state == "supported":
            _verify(c, case, 85, Votes(12, 2, 1), date(2016, 5, 20))
            c.delist(case, actor=DEPT, on=date(2016, 5, 25))
    _verify(c, "2016-T01-02", 65, Votes(5, 3, 7), date(2016, 6, 10))
    _verify(c, "2016-T01-02", 82, Votes(9, 4, 2), date(2016, 9, 1))
    c.delist("2016-T01-02", actor=DEPT, on=date(2016, 9, 5))
    _verify(c, "2016-T05-05", 60, Votes(3, 2, 10), date(2016, 7, 20))
    c.close_year(2016, actor=DEPT, on=date(2016, 12, 31))
    c.open_cases(identify(population, sample_assessments(), c.policy, 2017), actor=DEPT,
                 on=date(2017, 2, 15))
    for i, case in enumerate(c.cases(year=2017)):
        if i % 3 == 0:
            c.file_plan(case.id, _plan(date(2017, 5, 31)), actor=DEPT, on=date(2017, 3, 1))
            _support(c, case.id, i, date(2017, 3, 5))
    return c


@functools.cache
def sample_campaign() -> Campaign:
    """The driven sample campaign, built once (tests must not add commands to it)."""
    return drive_sample()


def truncated(campaign: Campaign, on: date) -> Campaign:
    """A campaign holding only the events dated on or before ``on``."""
    store = MemoryStore()
    for event in campaign.store.replay():
        if event.on <= on:
            store.append([Append(event.stream, event.version - 1, (event,), event.command)])
    return Campaign(campaign.policy, store, population=campaign.population,
                    people=campaign.people.values())


def _scope(c: Campaign, on: date, kind: str | None = None) -> list[CaseRecord]:
    """The campaign's cases of ``on``'s year, in kind ``kind``, as the campaign holds them.

    A case of an earlier year that continued into ``on``'s year belongs to it too.
    """
    return [case for case in c.cases() if case.opened_on <= on
            and (case.year == on.year or case.year < on.year <= (case.continued_into or 0))
            and (kind is None or case.kind == kind)]


days = st.dates(min_value=FIRST, max_value=LAST)
periods = st.sampled_from(sorted(PERIODS))
kinds = st.sampled_from((None, *KINDS))


def test_every_table_is_present_with_matching_columns() -> None:
    """A bulletin holds every table of TABLES, in order, each row as wide as its columns."""
    b = bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))
    assert [t.name for t in b.tables] == list(TABLES)
    for table in b.tables:
        assert all(len(row) == len(table.columns) for row in table.rows), table.name
        assert table.zh
        assert table.en
        assert [d[table.columns[0].key] for d in table.dicts()] == table.column(
            table.columns[0].key)


@COSTLY
@given(on=days, period=periods, kind=kinds)
def test_state_counts_sum_to_the_cases(on: date, period: str, kind: str | None) -> None:
    """State counts cover every workflow state and add up to the number of cases in scope."""
    c = sample_campaign()
    b = bulletin(c, period=period, on=on, kind=kind)
    counts = b.state_counts
    assert list(counts) == [s.name for s in WORKFLOW.states]
    expected = len(_scope(c, on, kind))
    assert sum(counts.values()) == b.summary["cases"] == expected
    assert b.summary["open"] + counts["delisted"] + counts["carried_over"] == expected
    zh = dict(zip(b.table("states").column("state"), b.table("states").column("zh"),
                  strict=True))
    assert zh == {s.name: STATUS_ZH[s.name] for s in WORKFLOW.states}


@COSTLY
@given(on=days, period=periods, kind=kinds)
def test_delisting_rate_is_delisted_over_cases(on: date, period: str, kind: str | None) -> None:
    """销号率 = delisted / cases, None (shown as —) when there is no case; per kind likewise."""
    b = bulletin(sample_campaign(), period=period, on=on, kind=kind)
    cases, delisted = b.summary["cases"], b.state_counts["delisted"]
    assert b.summary["delisted"] == delisted
    assert b.summary["delisting_rate"] == (delisted / cases if cases else None)
    for row in b.table("kinds").dicts():
        assert row["delisting_rate"] == (row["delisted"] / row["listed"] if row["listed"]
                                         else None)
        assert row["open"] + row["delisted"] <= row["listed"] <= row["organizations"]


@COSTLY
@given(on=days, period=periods)
def test_kind_filters_partition_the_bulletin(on: date, period: str) -> None:
    """Bulletins per kind add up to the whole; the kinds table agrees with both."""
    c = sample_campaign()
    whole = bulletin(c, period=period, on=on)
    parts = [bulletin(c, period=period, on=on, kind=k) for k in KINDS]
    for metric in ("organizations", "cases", "new_listings", "open", "delisted", "overdue",
                   "failed_verifications", "escalations"):
        assert sum(p.summary[metric] for p in parts) == whole.summary[metric], metric
    table = whole.table("kinds")
    assert sum(table.column("listed")) == whole.summary["cases"]
    assert sum(table.column("new")) == whole.summary["new_listings"]
    assert sum(table.column("organizations")) == len(c.population)
    for part in parts:
        assert [r["kind"] for r in part.table("kinds").dicts()] == [part.kind]


@COSTLY
@given(on=days, period=periods, kind=kinds)
def test_funnel_narrows(on: date, period: str, kind: str | None) -> None:
    """Every case reached 已认定; each later stage was reached by no more cases than the last."""
    b = bulletin(sample_campaign(), period=period, on=on, kind=kind)
    funnel = b.table("funnel")
    assert funnel.column("stage") == list(FUNNEL_STAGES)
    reached = funnel.column("reached")
    assert reached[0] == b.summary["cases"]
    assert reached == sorted(reached, reverse=True)
    counts = b.state_counts
    assert reached[-1] >= counts["delisted"]


def test_final_bulletin_matches_the_campaign() -> None:
    """After the last event the bulletin's states and overdue cases are the campaign's own."""
    c = sample_campaign()
    on = date(2017, 12, 31)
    b = bulletin(c, period="annual", on=on)
    assert b.state_counts == {s.name: Counter(x.state for x in _scope(c, on))[s.name]
                              for s in WORKFLOW.states}
    overdue = {item.case for item in c.overdue(on) if item.kind == "deadline"}
    assert set(b.table("overdue").column("case")) == overdue
    assert len(overdue) == b.summary["overdue"] > 0
    assert b.table("overdue_trend").rows[-1][1] == len(overdue)


@COSTLY
@given(on=days, period=periods)
def test_bulletin_depends_only_on_the_ledger_up_to_on(on: date, period: str) -> None:
    """A bulletin for a past date equals one computed from the ledger as it stood then."""
    c = sample_campaign()
    assert bulletin(c, period=period, on=on) == bulletin(truncated(c, on), period=period, on=on)


@COSTLY
@given(on=days, period=periods)
def test_new_listings_and_failures_come_from_the_ledger(on: date, period: str) -> None:
    """New listings and failed verifications are the ledger's events dated in the period."""
    c = sample_campaign()
    b = bulletin(c, period=period, on=on)
    start, _ = period_bounds(period, on)
    opened = {x.id for x in c.cases(year=on.year) if start <= x.opened_on <= on}
    assert set(b.table("new_listings").column("case")) == opened
    assert b.summary["new_listings"] == len(opened)
    failed = [(e.stream, e.on) for e in c.store.replay()
              if isinstance(e, VerificationRecorded) and not e.passed
              and start <= e.on <= on and e.stream.startswith(f"{on.year}-")]
    rows = b.table("failed_verifications")
    assert sorted(zip(rows.column("case"), rows.column("on"), strict=True)) == sorted(failed)


def test_failed_verifications_of_2016() -> None:
    """The annual 2016 bulletin lists both failed verifications with their reasons."""
    b = bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))
    rows = b.table("failed_verifications").dicts()
    assert [(r["case"], r["on"]) for r in rows] == [("2016-T01-02", date(2016, 6, 10)),
                                                    ("2016-T05-05", date(2016, 7, 20))]
    assert "below the pass mark" in rows[0]["reasons"]
    assert rows[1]["new_deadline"] == date(2016, 10, 18)


def test_escalations_and_dismissals_match_the_records() -> None:
    """Q1 2017 lists every escalation and dismissal of the campaign's records; Q2 none."""
    c = sample_campaign()
    b = bulletin(c, period="quarterly", on=date(2017, 3, 31))
    escalated = sorted(e.org for e in c.records() if isinstance(e, EscalationRecorded))
    dismissed = sorted((e.org, e.role) for e in c.records() if isinstance(e, SecretaryDismissed))
    assert sorted(b.table("escalations").column("org")) == escalated
    assert "T04-05" in escalated
    table = b.table("dismissals")
    assert sorted(zip(table.column("org"), table.column("role"), strict=True)) == dismissed
    assert ("T04", "parent_secretary") in dismissed
    assert "上级党组织书记" in table.column("role_zh")
    assert b.summary["escalations"] == len(escalated)
    later = bulletin(c, period="quarterly", on=date(2017, 6, 30))
    assert later.summary["escalations"] == later.summary["dismissals"] == 0
    villages = bulletin(c, period="quarterly", on=date(2017, 3, 31), kind="village")
    assert set(villages.table("escalations").column("kind")) == {"village"}


@COSTLY
@given(on=days, period=periods, kind=kinds)
def test_support_coverage_counts_open_cases(on: date, period: str, kind: str | None) -> None:
    """Per level: assigned + missing = required ≤ open; the last row counts complete packages."""
    c = sample_campaign()
    b = bulletin(c, period=period, on=on, kind=kind)
    rows = b.table("support").dicts()
    assert [r["level"] for r in rows] == [*c.policy.support.levels, ALL_LEVELS]
    for row in rows:
        assert row["assigned"] + row["missing"] == row["required"] <= b.summary["open"]
        assert row["coverage"] == (row["assigned"] / row["required"] if row["required"] else None)
    assert rows[-1]["required"] == b.summary["open"]
    assert b.summary["support_coverage"] == rows[-1]["coverage"]


def test_support_coverage_against_the_cases() -> None:
    """Complete packages are counted directly from the campaign's open cases."""
    c = sample_campaign()
    on = date(2016, 9, 30)
    b = bulletin(c, period="quarterly", on=on)
    open_cases = [x for x in truncated(c, on).cases(year=2016) if x.is_open]
    required = c.policy.support.required
    complete = [x for x in open_cases if all(x.holder(lv) for lv in required[x.kind])]
    last = b.table("support").dicts()[-1]
    assert (last["required"], last["assigned"]) == (len(open_cases), len(complete))
    assert 0 < len(complete) < len(open_cases)


def test_overdue_trend_has_one_point_per_month_end() -> None:
    """The trend has a point at every month end of the period, the last one at ``on``."""
    c = sample_campaign()
    year = bulletin(c, period="annual", on=date(2016, 12, 31)).table("overdue_trend")
    assert len(year.rows) == 12
    assert year.column("date")[1] == date(2016, 2, 29)
    assert max(year.column("overdue")) > 0
    part = bulletin(c, period="quarterly", on=date(2016, 8, 20)).table("overdue_trend")
    assert part.column("date") == [date(2016, 7, 31), date(2016, 8, 20)]
    month = bulletin(c, period="monthly", on=date(2016, 9, 30)).table("overdue_trend")
    assert month.column("date") == [date(2016, 9, 30)]


def test_period_bounds() -> None:
    """Periods start on the first day of the month, quarter or year containing ``on``."""
    on = date(2017, 11, 15)
    assert period_bounds("monthly", on) == (date(2017, 11, 1), on)
    assert period_bounds("quarterly", on) == (date(2017, 10, 1), on)
    assert period_bounds("annual", on) == (date(2017, 1, 1), on)


@given(on=days, period=periods)
def test_period_contains_on(on: date, period: str) -> None:
    """The period starts on a first of the month, no later than ``on`` and in its year."""
    start, end = period_bounds(period, on)
    assert end == on
    assert start <= on
    assert start.day == 1
    assert start.year == on.year


def test_bad_arguments_are_refused() -> None:
    """An unknown period, county or kind raises InvalidValueError naming the field."""
    c = sample_campaign()
    with pytest.raises(InvalidValueError, match="period"):
        bulletin(c, period="weekly", on=date(2016, 3, 1))
    with pytest.raises(InvalidValueError, match="county"):
        bulletin(c, period="monthly", on=date(2016, 3, 1), county="南山县")
    with pytest.raises(InvalidValueError, match="kind"):
        bulletin(c, period="monthly", on=date(2016, 3, 1), kind="school")


def _two_counties() -> Campaign:
    orgs = [Organization("E1", "东县一村党支部", "village", Tier.DIRECT, OrgForm.BRANCH,
                         secretary="PE", county="东县"),
            Organization("W1", "西县一村党支部", "village", Tier.DIRECT, OrgForm.BRANCH,
                         secretary="PW", county="西县"),
            Organization("W2", "西县二村党支部", "village", Tier.DIRECT, OrgForm.BRANCH,
                         secretary="PW2", county="西县")]
    dept = Person("D", "组织部", roles={"org_department"})
    c = Campaign(load_policy(), population=Population(orgs), people=[dept])
    rows = [Assessment("E1", 2017, 40.0), Assessment("W1", 2017, 45.0),
            Assessment("W2", 2017, 95.0)]
    c.open_cases(identify(c.population, rows, c.policy, 2017), actor=dept, on=date(2017, 2, 1))
    return c


def test_county_filter() -> None:
    """Each county's bulletin keeps its own organizations and cases; titles name the county."""
    c = _two_counties()
    on = date(2017, 3, 31)
    east = bulletin(c, period="quarterly", on=on, county="东县")
    west = bulletin(c, period="quarterly", on=on, county="西县")
    both = bulletin(c, period="quarterly", on=on)
    assert (east.summary["organizations"], west.summary["organizations"]) == (1, 2)
    assert east.summary["cases"] + west.summary["cases"] == both.summary["cases"] == 2
    assert east.table("new_listings").column("org") == ["E1"]
    assert "东县" in east.title("zh")
    assert "东县" in east.title("en")
    assert both.counties == ("东县", "西县")
    assert "全县" in both.title("zh")


def test_titles_and_labels() -> None:
    """Titles name the period in Chinese and English; a single county is named."""
    b = bulletin(sample_campaign(), period="quarterly", on=date(2017, 3, 31), kind="village")
    assert b.period_label("zh") == "2017年第1季度"
    assert b.period_label("en") == "2017 Q1"
    assert "北岭县" in b.title("zh")
    assert "行政村类" in b.title("zh")
    assert "village" not in b.title("zh")
    m = bulletin(sample_campaign(), period="monthly", on=date(2017, 3, 31))
    assert (m.period_label("zh"), m.period_label("en")) == ("2017年3月", "2017-03")
    y = bulletin(sample_campaign(), period="annual", on=date(2017, 3, 31))
    assert (y.period_label("zh"), y.period_label("en")) == ("2017年度", "2017")


def test_to_dict_is_json() -> None:
    """to_dict() is plain JSON data with ISO dates, and keeps every table."""
    b = bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))
    data = json.loads(json.dumps(b.to_dict(), ensure_ascii=False))
    assert data["on"] == "2016-12-31"
    assert data["title"]["zh"] == b.title("zh")
    assert [t["name"] for t in data["tables"]] == list(TABLES)
    assert data["tables"][1]["rows"][0] == ["identified", "已认定(待报方案)",
                                            b.state_counts["identified"]]


def test_bulletin_is_a_value() -> None:
    """Two bulletins of the same ledger, period and date are equal (nothing reads the clock)."""
    c = sample_campaign()
    first = bulletin(c, period="monthly", on=date(2016, 6, 30))
    assert isinstance(first, Bulletin)
    assert first == bulletin(c, period="monthly", on=date(2016, 6, 30))
    assert first.year == 2016
    assert first.start == date(2016, 6, 1)
    earlier = bulletin(c, period="annual", on=date(2017, 1, 31), year=2016)
    assert earlier.summary["cases"] == 20
    assert earlier.summary["unfinished"] > 0  # continued into 2017, not delisted
