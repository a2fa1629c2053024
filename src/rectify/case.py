"""The case record: the current state of one case, a projection of its events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

import attrs

from rectify.events import (
    CaseCarriedOver,
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

_T = TypeVar("_T")

__all__ = ["OPEN_STATES", "CaseRecord", "Plan", "apply_event", "case_id"]

OPEN_STATES = frozenset({"identified", "planned", "supported", "verifying", "accepted"})


def case_id(year: int, org: str) -> str:
    """The id of the case of ``org`` in ``year``: ``"2017-V01-03"``."""
    return f"{year}-{org}"


def _pairs(values: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in values)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen(slots=True)
class Plan:
    """An individual rectification plan (一村一策): problems, measures, people, deadline.

    ``problems`` pairs each problem's aspect (a key of the policy's aspects)
    with a description; ``responsible`` names the people answerable for it.
    """

    problems: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)
    measures: tuple[str, ...] = attrs.field(converter=_texts)
    responsible: tuple[str, ...] = attrs.field(converter=_texts)
    deadline: date | None = None


@attrs.frozen(slots=True)
class CaseRecord:
    """One organization's case in one year, as its events left it.

    ``support`` pairs each assigned level with the person holding it;
    ``attempts`` counts verifications; ``verifiers`` is the team of the
    latest verification and ``passed`` its outcome.
    """

    id: str
    org: str
    year: int
    kind: str
    state: str
    version: int
    opened_on: date
    deadline: date | None = None
    problems: tuple[str, ...] = ()
    resolved: frozenset[str] = frozenset()
    support: tuple[tuple[str, str], ...] = ()
    attempts: int = 0
    passed: bool | None = None
    verifiers: tuple[str, ...] = ()
    delisted_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Whether the case is still being rectified (not delisted, not carried over)."""
        return self.state in OPEN_STATES

    @property
    def supporters(self) -> frozenset[str]:
        """Everyone currently supporting the case."""
        return frozenset(person for _, person in self.support)

    def holder(self, level: str) -> str | None:
        """Who holds support ``level``, if anyone."""
        for assigned, person in self.support:
            if assigned == level:
                return person
        return None

    @property
    def unresolved(self) -> tuple[str, ...]:
        """Aspects of the plan's problems not yet reported resolved."""
        return tuple(p for p in self.problems if p not in self.resolved)


Table = Mapping[tuple[str, str], str]


def _opened(event: CaseOpened) -> CaseRecord:
    return CaseRecord(id=event.stream, org=event.org, year=event.year, kind=event.kind,
                      state="identified", version=event.version, opened_on=event.on)


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
            "deadline": e.deadline}


def _returned(record: CaseRecord, _e: PlanReturned) -> Changes:
    return {"problems": (), "deadline": None}


def _assigned(record: CaseRecord, e: SupportAssigned) -> Changes:
    kept = tuple(s for s in record.support if s[0] != e.level)
    return {"support": (*kept, (e.level, e.person))}


def _released(record: CaseRecord, e: SupportReleased) -> Changes:
    return {"support": tuple(s for s in record.support if s[0] != e.level)}


def _report(record: CaseRecord, e: ReportRecorded) -> Changes:
    if not e.resolved:
        return {}
    return {"resolved": _share(record.resolved | frozenset(e.resolved))}


def _verified(record: CaseRecord, e: VerificationRecorded) -> Changes:
    if e.passed:
        return {"attempts": e.attempt, "passed": True, "verifiers": e.team}
    return {"attempts": e.attempt, "passed": False, "verifiers": e.team, "resolved": _EMPTY,
            "deadline": e.new_deadline}


def _delisted(record: CaseRecord, e: CaseDelisted) -> Changes:
    return {"delisted_on": e.on}


def _reopened(record: CaseRecord, e: CaseReopened) -> Changes:
    return {"deadline": e.new_deadline, "resolved": _EMPTY, "passed": None}


def _unchanged(record: CaseRecord, _e: Event) -> Changes:
    return {}


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
}

_FIELDS = tuple(a.name for a in attrs.fields(CaseRecord))
_VALUES = attrgetter(*_FIELDS)


def apply_event(record: CaseRecord | None, event: Event, table: Table) -> CaseRecord:
    """The record after ``event``: its payload, then its workflow transitions, then its version."""
    if isinstance(event, CaseOpened):
        return _opened(event)
    assert record is not None, f"event {event!r} before its case was opened"
    # One constructor call per event (attrs.evolve is several times slower on this hot path).
    values = dict(zip(_FIELDS, _VALUES(record), strict=True))
    values.update(_APPLY[type(event)](record, event))
    state = record.state
    for trigger in event.transitions:
        state = table[(state, trigger)]
    values["state"] = state
    values["version"] = event.version
    return CaseRecord(**values)
