"""Projecting events onto case records: the one place that knows how an event changes a case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from rectify.errors import LedgerCorrupt
from rectify.events import (
    CaseCarriedOver,
    CaseContinued,
    CaseDelisted,
    CaseOpened,
    CaseReopened,
    Event,
    PlanFiled,
    PlanReturned,
    ReportRecorded,
    SupportAssigned,
    SupportReleased,
    VerificationRecorded,
    VerificationRequested,
)
from rectify.lifecycle.case import CaseRecord, advanced

__all__ = ["Table", "apply_event"]

_T = TypeVar("_T")

Table = Mapping[tuple[str, str], str]


def _opened(event: CaseOpened) -> CaseRecord:
    return CaseRecord(id=event.stream, org=event.org, year=event.year, kind=event.kind,
                      state="identified", version=event.version, opened_on=event.on,
                      last_on=event.on, last_event="CaseOpened", scope=event.scope)


Changes = dict[str, Any]
_EMPTY: frozenset[str] = frozenset()
# Equal resolved-sets and problem tuples recur across cases; sharing them keeps a loaded
# campaign small (a bounded cache, cleared when full).
_SHARED: dict[object, object] = {}
_SHARED_MAX = 4096


def _share(value: _T) -> _T:
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)  # type: ignore[return-value]


def _plan(record: CaseRecord, e: PlanFiled) -> Changes:
    return {"problems": _share(tuple(a for a, _ in e.problems)), "resolved": _EMPTY,
            "deadline": e.deadline, "problem_type": e.problem_type}


def _returned(record: CaseRecord, _e: PlanReturned) -> Changes:
    return {"problems": (), "deadline": None}


def _ended(record: CaseRecord, level: str, successor: str | None) -> tuple[tuple[str, str], ...]:
    """``past_support`` after ``level`` changes hands (to ``successor``, or to nobody)."""
    before = record.holder(level)
    if before is None or before == successor or (level, before) in record.past_support:
        return record.past_support
    return (*record.past_support, (level, before))


def _assigned(record: CaseRecord, e: SupportAssigned) -> Changes:
    kept = tuple(s for s in record.support if s[0] != e.level)
    return {"support": (*kept, (e.level, e.person)),
            "past_support": _ended(record, e.level, e.person)}


def _released(record: CaseRecord, e: SupportReleased) -> Changes:
    return {"support": tuple(s for s in record.support if s[0] != e.level),
            "past_support": _ended(record, e.level, None)}


def _report(record: CaseRecord, e: ReportRecorded) -> Changes:
    if not e.resolved:
        return {}
    return {"resolved": _share(record.resolved | frozenset(e.resolved))}


def _verified(record: CaseRecord, e: VerificationRecorded) -> Changes:
    if e.passed:
        return {"attempts": e.attempt, "passed": True, "verifiers": e.team,
                "verified_by": e.actor}
    return {"attempts": e.attempt, "passed": False, "verifiers": e.team, "resolved": _EMPTY,
            "deadline": e.new_deadline, "verified_by": e.actor}


def _delisted(record: CaseRecord, e: CaseDelisted) -> Changes:
    return {"delisted_on": e.on}


def _reopened(record: CaseRecord, e: CaseReopened) -> Changes:
    return {"deadline": e.new_deadline, "resolved": _EMPTY, "passed": None}


def _unchanged(record: CaseRecord, _e: Event) -> Changes:
    return {}


def _continued(record: CaseRecord, e: CaseContinued) -> Changes:
    deadline = e.new_deadline if e.new_deadline is not None else record.deadline
    return {"continued_into": e.into, "deadline": deadline}


_APPLY: dict[type[Event], Callable[[CaseRecord, Any], Changes]] = {
    PlanFiled: _plan,
    PlanReturned: _returned,
    SupportAssigned: _assigned,
    SupportReleased: _released,
    ReportRecorded: _report,
    VerificationRequested: _unchanged,
    VerificationRecorded: _verified,
    CaseDelisted: _delisted,
    CaseReopened: _reopened,
    CaseCarriedOver: _unchanged,
    CaseContinued: _continued,
}


def apply_event(record: CaseRecord | None, event: Event, table: Table) -> CaseRecord:
    """The record after ``event``: its payload, then its workflow transitions, then its version.

    Raises:
        LedgerCorrupt: the event comes before its case was opened, or fires a
            trigger its case's state does not allow (the ledger was not written
            by these rules).
    """
    if isinstance(event, CaseOpened):
        return _opened(event)
    if record is None:
        raise LedgerCorrupt(f"stream {event.stream}",
                            f"{type(event).__name__} at version {event.version} comes before "
                            "the case was opened",
                            "verify the ledger (rectify ledger verify) and restore it from a "
                            "backup")
    change = _APPLY.get(type(event))
    if change is None:
        raise LedgerCorrupt(f"stream {event.stream}",
                            f"{type(event).__name__} is not an event of a case",
                            "verify the ledger (rectify ledger verify) and restore it from a "
                            "backup")
    values = change(record, event)
    state = record.state
    for trigger in event.transitions:
        dest = table.get((state, trigger))
        if dest is None:
            raise LedgerCorrupt(f"stream {event.stream}",
                                f"{type(event).__name__} at version {event.version} fires "
                                f"{trigger} in state {state}, which the workflow does not allow",
                                "verify the ledger (rectify ledger verify) and restore it from "
                                "a backup")
        state = dest
    # One copy per event, slot by slot (attrs.evolve is several times slower).
    return advanced(record, values, state, event.version, event.on, type(event).__name__)
