"""Dates run forward (domain §9): no command before its case's or person's latest event, none
outside the policy's date window, day and month counts bounded, no crash from any date."""

from __future__ import annotations

import contextlib
import functools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rectify import (
    Campaign,
    CommandRefused,
    Organization,
    OrgForm,
    Person,
    Plan,
    Population,
    RectifyError,
    Tier,
    Votes,
    load_policy,
)
from rectify.errors import PolicyError
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord
from rectify.lifecycle.dates import (
    EARLIEST,
    LATEST,
    case_date_problems,
    order_problems,
    window,
    window_problems,
)
from rectify.model import Assessment
from rectify.stores import MemoryStore
from rectify.stores.readmodel import case_from_json, case_to_json, verify_read_models

OPENED = date(2016, 2, 15)
DEPT = Person("D1", "组织部干部", roles={"org_department"})
FS = Person("F1", "第一书记", roles={"first_secretary"})
SUP = Person("S1", "督办", roles={"committee_supervisor"})
VER = Person("R1", "验收员", roles={"verifier"})
#: The supporters the levels name (support goes to known people only).
HELPERS = [Person("L1", "联系领导", roles={"county_leader"}),
           Person("U1", "帮扶单位干部", roles={"paired_unit"}, unit="县财政局")]
LEVELS = [("leader_contact", "L1"), ("org_guidance", "D1"), ("paired_unit", "U1"),
          ("committee_supervisor", "S1"), ("first_secretary", "F1")]
PLAN = Plan(problems=[("venue_nonstandard", "场所")], measures=["修缮"], responsible=["P-V1"],
            deadline=date(2016, 6, 30))
CASE = "2016-V1"


def _campaign() -> Campaign:
    orgs = [Organization("V0", "乡镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE,
                         secretary="P-V0"),
            Organization("V1", "村党支部", "village", Tier.SECOND_TIER, parent="V0",
                         secretary="P-V1")]
    population = Population(orgs)
    campaign = Campaign(load_policy(), MemoryStore(), population=population,
                        people=[DEPT, FS, SUP, VER, *HELPERS])
    rows = [Assessment("V0", 2016, 95.0), Assessment("V1", 2016, 40.0)]
    campaign.open_cases(identify(population, rows, campaign.policy, 2016), actor=DEPT,
                        on=OPENED)
    return campaign


def _verified(campaign: Campaign, on: date) -> None:
    campaign.file_plan(CASE, PLAN, actor=DEPT, on=on)
    for level, person in LEVELS:
        campaign.assign_support(CASE, level, person, actor=DEPT, on=on)
    campaign.record_report(CASE, "progress", "2016-03", actor=FS, on=on,
                           resolved=["venue_nonstandard"])
    campaign.request_verification(CASE, actor=SUP, on=on)


def _refused(campaign: Campaign, call: object, *needles: str) -> CommandRefused:
    before = len(campaign.store)  # type: ignore[arg-type]
    with pytest.raises(CommandRefused) as info:
        call()  # type: ignore[operator]
    assert len(campaign.store) == before  # type: ignore[arg-type]
    for needle in needles:
        assert needle in str(info.value), str(info.value)
    return info.value


def test_a_plan_before_its_case_was_opened_is_refused_naming_both_dates() -> None:
    """Filing a plan dated before the case opened names the date, the opening and the fix."""
    campaign = _campaign()
    _refused(campaign, lambda: campaign.file_plan(CASE, PLAN, actor=DEPT, on=date(2016, 1, 1)),
             "2016-01-01", "case opened", "2016-02-15", "2016-02-15 or later")
    assert campaign.case(CASE).state == "identified"


def test_a_delisting_before_the_opening_and_a_verification_before_its_request() -> None:
    """A verification dated before its request and a delisting before the case are refused."""
    campaign = _campaign()
    _verified(campaign, date(2016, 5, 1))
    _refused(campaign, lambda: campaign.record_verification(
        CASE, 85.0, Votes(10, 3, 2), ["R1"], actor=VER, on=date(2016, 4, 30)),
        "2016-04-30", "verification requested", "2016-05-01")
    campaign.record_verification(CASE, 85.0, Votes(10, 3, 2), ["R1"], actor=VER,
                                 on=date(2016, 5, 2))
    _refused(campaign, lambda: campaign.delist(CASE, actor=DEPT, on=date(2016, 1, 1)),
             "2016-01-01", "verification recorded", "2016-05-02")
    assert campaign.delist(CASE, actor=DEPT, on=date(2016, 5, 2)).state == "delisted"


def test_a_command_outside_the_date_window_is_refused_and_the_window_is_policy() -> None:
    """Five years after the campaign year is the last; a policy may widen the window."""
    campaign = _campaign()
    _refused(campaign, lambda: campaign.file_plan(
        CASE, PLAN, actor=DEPT, on=date(2022, 1, 1)),
        "2022-01-01", "date window", "2015-01-01 to 2021-12-31", "[dates]")
    wide = campaign.policy.evolve({"dates": {"years_after": 10}})
    assert window(wide, 2016) == (date(2015, 1, 1), date(2026, 12, 31))


def test_close_year_before_its_year_or_before_a_case_event_is_refused() -> None:
    """close_year(2016) dated 2015 is refused, and so is one before a case's latest event."""
    campaign = _campaign()
    _refused(campaign, lambda: campaign.close_year(2016, actor=DEPT, on=date(2015, 12, 31)),
             "2015-12-31", "before the year 2016 begins")
    campaign.file_plan(CASE, PLAN, actor=DEPT, on=date(2016, 3, 1))
    _refused(campaign, lambda: campaign.close_year(2016, actor=DEPT, on=date(2016, 2, 20)),
             "plan filed", "2016-03-01")
    assert campaign.close_year(2016, actor=DEPT, on=date(2016, 12, 31)) == [CASE]


def test_person_events_run_forward_and_far_dates_are_refused() -> None:
    """A talk dated 9999 is refused (it broke accountability lists); talks run forward."""
    campaign = _campaign()
    _refused(campaign, lambda: campaign.record_talk(
        "P-V1", "cautionary", "整改滞后", actor=DEPT, on=date(9999, 9, 1)),
        "9999-09-01", "calendar")
    campaign.record_talk("P-V1", "admonishment", "整改滞后", actor=DEPT, on=date(2016, 6, 1))
    _refused(campaign, lambda: campaign.record_talk(
        "P-V1", "admonishment", "又一次", actor=DEPT, on=date(2016, 5, 1)),
        "2016-05-01", "talk recorded", "2016-06-01", "person P-V1")
    _refused(campaign, lambda: campaign.record_appraisal(
        "P-V1", 2017, "poor", actor=DEPT, on=date(2016, 12, 1)), "before the year 2017 begins")
    _refused(campaign, lambda: campaign.record_talk(
        "P-V1", "admonishment", "整改", actor=DEPT, on=date(2030, 1, 1), case=CASE),
        "date window")
    assert campaign.accountability("P-V1", date(2016, 7, 1)).talks


def test_policy_day_and_month_counts_are_bounded_in_one_report() -> None:
    """Counts of 10⁹ days fail validation (they overflowed in use), each named at once."""
    with pytest.raises(PolicyError) as info:
        load_policy().evolve({"plan": {"retry_deadline_days": 10**9, "follow_up_months": 10**9},
                              "accountability": {"cautionary_months": 10**9},
                              "dates": {"years_after": -1}})
    where = {p.location for p in info.value.problems}
    assert {"plan.retry_deadline_days", "plan.follow_up_months",
            "accountability.cautionary_months", "dates.years_after"} <= where


def test_records_stored_without_the_latest_event_still_load_and_fall_back() -> None:
    """A stored record without last_on loads (None) and is checked against its opening."""
    record = CaseRecord(id=CASE, org="V1", year=2016, kind="village", state="identified",
                        version=1, opened_on=OPENED)
    text = case_to_json(record).replace(b',"last_event":null', b"").replace(
        b',"last_on":null', b"")
    assert b"last_on" not in text
    loaded = case_from_json(text)
    assert loaded == record
    problems = case_date_problems(loaded, date(2016, 1, 1), load_policy())
    assert any("case opened" in p for p in problems)
    assert any("2016-02-15 or later" in p for p in problems)


@example(date(1900, 1, 1), 0, 0, 1800)  # a year before the calendar: even its first day fails
@example(date(9000, 12, 31), 0, 0, 9001)
@given(st.dates(), st.integers(0, 50), st.integers(0, 50), st.integers(1800, 9999))
def test_the_window_is_the_year_and_its_margins(on: date, before: int, after: int,
                                                year: int) -> None:
    """A date passes the window check exactly when it lies in the margins around the year."""
    policy = load_policy().evolve({"dates": {"years_before": before, "years_after": after}})
    first, last = window(policy, year)
    inside = (max(year - before, EARLIEST.year) <= on.year <= min(year + after, LATEST.year)
              and EARLIEST.year <= year + after and year - before <= LATEST.year)
    assert (not window_problems(on, policy, year, "x")) == inside
    assert first <= last


@given(st.dates(), st.one_of(st.none(), st.dates()))
def test_order_problems_name_both_dates(on: date, last: date | None) -> None:
    """Refused exactly when the date is before the latest event; the message names both."""
    problems = order_problems(on, last, "PlanFiled", "the case")
    assert bool(problems) == (last is not None and on < last)
    if problems and last is not None:
        assert on.isoformat() in problems[0]
        assert last.isoformat() in problems[0]


_COMMANDS = ("plan", "assign", "report", "request", "verify", "delist", "reopen", "talk",
             "appraisal", "close")


_DATES = st.one_of(st.dates(), st.sampled_from([date.min, date.max, EARLIEST, LATEST]),
                   st.dates(date(2015, 1, 1), date(2022, 12, 31)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_COMMANDS), _DATES), max_size=12),
       st.integers(1, 3660), st.integers(0, 120))
def test_no_date_and_no_bounded_count_crashes_a_command(
        steps: list[tuple[str, date]], retry_days: int, cautionary: int) -> None:
    """Any dates, any in-range counts: a command succeeds or raises a RectifyError, and the
    case's events stay in date order; the accountability view of any date answers."""
    campaign = _campaign()
    campaign.policy = campaign.policy.evolve({
        "plan": {"retry_deadline_days": retry_days, "max_deadline_days": retry_days},
        "accountability": {"cautionary_months": max(cautionary, 1)}})
    plan = Plan(problems=PLAN.problems, measures=PLAN.measures, responsible=PLAN.responsible,
                deadline=OPENED + timedelta(days=30))
    calls = {
        "plan": lambda on: campaign.file_plan(CASE, plan, actor=DEPT, on=on),
        "assign": lambda on: [campaign.assign_support(CASE, lv, p, actor=DEPT, on=on)
                              for lv, p in LEVELS],
        "report": lambda on: campaign.record_report(CASE, "progress", "2016-03", actor=FS,
                                                    on=on, resolved=["venue_nonstandard"]),
        "request": lambda on: campaign.request_verification(CASE, actor=SUP, on=on),
        "verify": lambda on: campaign.record_verification(CASE, 60.0, Votes(1, 1, 13), ["R1"],
                                                          actor=VER, on=on),
        "delist": lambda on: campaign.delist(CASE, actor=DEPT, on=on),
        "reopen": lambda on: campaign.reopen(CASE, "反弹", actor=DEPT, on=on),
        "talk": lambda on: campaign.record_talk("P-V1", "cautionary", "滞后", actor=DEPT, on=on),
        "appraisal": lambda on: campaign.record_appraisal("P-V1", 2016, "poor", actor=DEPT,
                                                          on=on),
        "close": lambda on: campaign.close_year(2016, actor=DEPT, on=on),
    }
    for name, on in steps:
        with contextlib.suppress(RectifyError):
            calls[name](on)
        for query in (functools.partial(campaign.accountability, "P-V1", on),
                      functools.partial(campaign.due, on)):
            try:
                query()
            except RectifyError:
                assert not EARLIEST <= on <= LATEST
    days = [e.on for e in campaign.history(CASE)]
    assert days == sorted(days)
    first, last = window(campaign.policy, 2016)
    assert all(first <= d <= last for d in days[1:])


def test_a_sqlite_ledger_written_before_last_on_loads_verifies_and_falls_back(
        tmp_path: Path) -> None:
    """Case records stored without last_on (an older ledger) load, pass the read-model check,
    and the date rules use the opening date; the next command fills last_on in."""
    import sqlite3

    from rectify.stores import SQLiteStore

    path = tmp_path / "old.sqlite3"
    store = SQLiteStore(path)
    campaign = Campaign(load_policy(), store, population=_campaign().population,
                        people=[DEPT, FS, SUP, VER, *HELPERS])
    rows = [Assessment("V0", 2016, 95.0), Assessment("V1", 2016, 40.0)]
    campaign.open_cases(identify(campaign.population, rows, campaign.policy, 2016), actor=DEPT,
                        on=OPENED)
    store.close()
    with sqlite3.connect(path) as db:
        (record,) = db.execute('SELECT record FROM cases WHERE "case" = ?', (CASE,)).fetchone()
        old = bytes(record) if not isinstance(record, str) else record.encode()
        old = old.replace(b',"last_event":"CaseOpened"', b"").replace(
            b',"last_on":"2016-02-15"', b"")
        assert b"last_on" not in old
        db.execute('UPDATE cases SET record = ? WHERE "case" = ?',
                   (old if not isinstance(record, str) else old.decode(), CASE))
    store = SQLiteStore(path)
    campaign = Campaign(load_policy(), store, population=campaign.population,
                        people=[DEPT, FS, SUP, VER, *HELPERS])
    assert campaign.case(CASE).last_on is None
    assert verify_read_models(store) == []
    _refused(campaign, lambda: campaign.file_plan(CASE, PLAN, actor=DEPT, on=date(2016, 1, 1)),
             "before the case 2016-V1 was opened", "2016-02-15 or later")
    assert campaign.file_plan(CASE, PLAN, actor=DEPT, on=OPENED).last_on == OPENED
    store.close()
    with sqlite3.connect(path) as db:  # an old record that also differs is still reported
        tampered = old.replace(b'"state":"identified"', b'"state":"delisted"')
        db.execute('UPDATE cases SET record = ? WHERE "case" = ?',
                   (tampered if not isinstance(record, str) else tampered.decode(), CASE))
    store = SQLiteStore(path)
    assert any(CASE in problem for problem in verify_read_models(store))
    store.close()
