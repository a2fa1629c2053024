"""Case ids and stream names, the case record and the projection of events onto it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify.errors import InvalidValueError, LedgerCorrupt
from rectify.events import (
    CaseOpened,
    PlanReturned,
    SupportAssigned,
    SupportReleased,
)
from rectify.lifecycle.case import (
    OPEN_STATES,
    CaseRecord,
    case_id,
    is_case_stream,
    org_stream,
    parse_case_id,
    person_stream,
)
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import WORKFLOW, default_table

CODES = st.text(st.sampled_from("ABCVT0123456789-"), min_size=1, max_size=8)
DAY = date(2017, 3, 1)


@given(st.integers(min_value=1921, max_value=2100), CODES)
def test_case_ids_parse_back(year: int, org: str) -> None:
    """parse_case_id undoes case_id for every year and code (codes may contain hyphens)."""
    assert parse_case_id(case_id(year, org)) == (year, org)


@pytest.mark.parametrize("bad", ["", "2017", "2017-", "17-V1", "V1-2017", "²⁰¹⁷-V1"])
def test_malformed_case_ids_are_refused(bad: str) -> None:
    """A case id that is not YEAR-ORGCODE is a typed error naming the value and the form."""
    with pytest.raises(InvalidValueError, match="YEAR-ORGCODE") as caught:
        parse_case_id(bad)
    assert caught.value.got == bad


@given(CODES)
def test_stream_names_are_told_apart(code: str) -> None:
    """People's and organizations' streams are never case streams; case ids always are."""
    assert not is_case_stream(person_stream(code))
    assert not is_case_stream(org_stream(code))
    assert is_case_stream(case_id(2017, code))


def test_open_states_are_the_workflows_non_final_states() -> None:
    """OPEN_STATES is derived from the workflow definition."""
    assert {s.name for s in WORKFLOW.states if not s.final} == OPEN_STATES


def _opened() -> CaseRecord:
    event = CaseOpened(stream="2017-V1", version=1, actor="D1", on=DAY, policy="p",
                       command="c1", org="V1", year=2017, kind="village", rules=("grade_d",),
                       score=40.0)
    return apply_event(None, event, default_table())


def _event(kind: type, version: int, **fields: object) -> object:
    return kind(stream="2017-V1", version=version, actor="D1", on=DAY, policy="p",
                command=f"c{version}", **fields)


def test_an_event_before_the_opening_is_a_corrupt_ledger() -> None:
    """Projecting onto no case raises LedgerCorrupt, not an assertion."""
    with pytest.raises(LedgerCorrupt, match="before the case was opened"):
        apply_event(None, _event(PlanReturned, 2, reason="x"), default_table())  # type: ignore[arg-type]


def test_a_trigger_the_state_does_not_allow_is_a_corrupt_ledger() -> None:
    """An event firing a trigger its state does not allow raises LedgerCorrupt."""
    event = _event(PlanReturned, 2, reason="x", transitions=("delist",))
    with pytest.raises(LedgerCorrupt, match="fires delist in state identified"):
        apply_event(_opened(), event, default_table())  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["P1", "P2", None])),
                max_size=12))
def test_past_support_holds_every_ended_assignment(moves: list[tuple[str, str | None]]) -> None:
    """past_support is exactly the (level, person) pairs that were assigned and then ended."""
    record = _opened()
    ended: set[tuple[str, str]] = set()
    current: dict[str, str] = {}
    version = 1
    for level, person in moves:
        if person is None and level not in current:
            continue
        version += 1
        if person is None:
            event = _event(SupportReleased, version, level=level, person=current[level])
            ended.add((level, current.pop(level)))
        else:
            event = _event(SupportAssigned, version, level=level, person=person)
            if current.get(level) not in (None, person):
                ended.add((level, current[level]))
            current[level] = person
        record = apply_event(record, event, default_table())  # type: ignore[arg-type]
    assert set(record.past_support) == ended
    assert len(record.past_support) == len(set(record.past_support))
    assert dict(record.support) == current
