"""The read models' projection and change table equal the lifecycle's (differential properties)."""

from __future__ import annotations

from datetime import date
from functools import cache

import attrs
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_workers import campaign, scenario

from rectify.errors import LedgerCorrupt
from rectify.events import (
    POLICY_STREAM,
    CaseContinued,
    CaseOpened,
    CaseReopened,
    Event,
    FindingRecorded,
    PolicyChanged,
    SupportReleased,
)
from rectify.lifecycle.case import CaseRecord, is_case_stream
from rectify.lifecycle.commands import REPORT_KINDS
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import default_table
from rectify.stores import MemoryStore
from rectify.stores.readmodel import (
    CaseChange,
    _case_from_dict,
    _case_to_json_sorting,
    case_from_json,
    case_to_json,
    changes_of,
    project,
)

DAY = date(2017, 3, 1)


@cache
def pool() -> tuple[Event, ...]:
    """Events of a campaign year (every case event type the scenario makes), and more."""
    store = MemoryStore()
    scenario(campaign(store))
    found = list(store.replay())
    base = {"stream": "2017-V3", "version": 1, "actor": "D1", "on": DAY, "policy": "p",
            "command": "x"}
    found += [
        SupportReleased(**base, level="first_secretary", person="F3"),
        CaseReopened(**base, reason="relapse", new_deadline=date(2018, 6, 30),
                     transitions=("reopen",)),
        CaseContinued(**base, org="V3", into=2018, new_deadline=None),
        CaseContinued(**base, org="V3", into=2018, new_deadline=date(2018, 3, 1)),
        PolicyChanged(**{**base, "stream": POLICY_STREAM}, previous="q", name="n",
                      reason="r"),
    ]
    return tuple(found)


def reference_project(before: CaseRecord | None, event: Event) -> CaseRecord | None:
    """The projection as the lifecycle defines it."""
    try:
        return apply_event(before, event, default_table())
    except LedgerCorrupt:
        return None


def reference_changes(event: Event) -> CaseChange:
    """`changes_of` as it was written before its shared results."""
    if isinstance(event, PolicyChanged) or event.stream == POLICY_STREAM:
        return CaseChange(policy=True)
    if not is_case_stream(event.stream):
        extra: tuple[tuple[int, str], ...] = ()
        if isinstance(event, FindingRecorded) and event.extend_years > 0:
            extra = tuple((event.year + n, event.org) for n in range(1, event.extend_years + 1))
        return CaseChange(record=True, extra=extra)
    if isinstance(event, CaseOpened | CaseContinued):
        year = event.year if isinstance(event, CaseOpened) else event.into
        return CaseChange(listing=(year, event.org))
    kind = getattr(event, "kind", None)
    if kind in REPORT_KINDS:
        return CaseChange(report=(event.stream, str(kind), str(getattr(event, "month", ""))))
    return CaseChange()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0), min_size=1, max_size=40))
def test_project_equals_apply_event(picks: list[int]) -> None:
    """Any sequence of case events (in or out of workflow order) folds to equal records,
    field by field, through `project` and through `apply_event`."""
    events = pool()
    fast: CaseRecord | None = None
    slow: CaseRecord | None = None
    for version, pick in enumerate(picks, start=1):
        event = attrs.evolve(events[pick % len(events)], stream="2017-V9", version=version)
        after_fast, after_slow = project(fast, event), reference_project(slow, event)
        assert after_fast == after_slow
        if after_slow is not None:
            assert after_fast is not None
            assert attrs.astuple(after_fast, recurse=False) == attrs.astuple(
                after_slow, recurse=False)
            assert hash(after_fast) == hash(after_slow)
            fast, slow = after_fast, after_slow


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.sampled_from(["2017-V1", "person:P1", "org:V1",
                                                   POLICY_STREAM]))
def test_changes_of_equals_the_reference(pick: int, stream: str) -> None:
    """The shared change results equal the ones built per event, on every kind of stream."""
    events = pool()
    event = attrs.evolve(events[pick % len(events)], stream=stream)
    assert changes_of(event) == reference_changes(event)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0), min_size=1, max_size=40))
def test_case_json_equals_the_sorting_encoder(picks: list[int]) -> None:
    """The generated case encoder writes the bytes of orjson's sorted dump of the record,
    and they read back as the record."""
    events = pool()
    record: CaseRecord | None = None
    for version, pick in enumerate(picks, start=1):
        event = attrs.evolve(events[pick % len(events)], stream="2017-V9", version=version)
        record = project(record, event) or record
        if record is not None:
            assert case_to_json(record) == _case_to_json_sorting(record)
            assert case_from_json(case_to_json(record)) == record


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0), min_size=1, max_size=40), st.sampled_from(
    [(), ("last_on", "last_event"), ("verified_by",), ("scope", "problem_type")]))
def test_case_decoder_equals_the_init_path(picks: list[int], dropped: tuple[str, ...]) -> None:
    """The generated case decoder builds the record `__init__` builds from the same JSON,
    with the same types in every field; JSON written before a field was kept (fewer
    keys) still loads with that field defaulted."""
    events = pool()
    record: CaseRecord | None = None
    for version, pick in enumerate(picks, start=1):
        event = attrs.evolve(events[pick % len(events)], stream="2017-V9", version=version)
        record = project(record, event) or record
        if record is None:
            continue
        data = orjson.loads(case_to_json(record))
        for name in dropped:
            del data[name]
        payload = orjson.dumps(data)
        fast, slow = case_from_json(payload), _case_from_dict(orjson.loads(payload))
        assert fast == slow
        assert [type(v) for v in attrs.astuple(fast, recurse=False)] == [
            type(v) for v in attrs.astuple(slow, recurse=False)]
        assert [type(v) for v in fast.support] == [type(v) for v in slow.support]
        if not dropped:
            assert fast == record
