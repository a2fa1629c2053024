"""Read models: the ledger's current state, kept beside the events in the same transaction.

A store answers "what is the case now", "how many open cases does this person
support", "which organizations were listed in 2017" without replaying the
ledger: it keeps these answers (the read models) and updates them in the
transaction that appends the events.  They are always rebuildable from the
events: `ReadState.rebuild()` replays a ledger into a fresh state, and a
store's `verify_read_models()` compares what it keeps with that replay.

The read models:

- cases: the current `CaseRecord` of every case;
- support: for every open case, who holds which level (so a person's load
  is a count of open cases; in memory the counts themselves are kept);
- listings: the organizations listed per year;
- reports: ``(case, kind, month)`` of every report filed;
- policies: the fingerprint of every policy the ledger's events were recorded
  under, and the ledger's current policy: the one of the latest event of the
  ledger's policy stream (`rectify.events.POLICY_STREAM`, where
  `rectify.events.PolicyChanged` events go), or else of its first event;
- records: the positions of the accountability events (the ``person:`` and
  ``org:`` streams);
- case steps (`CaseStep`, `CaseHead`): the dated path of every case, for
  reports as of a past date (`rectify.reporting.bulletin`): one head per case
  (the latest date its events reached, the states it ever held, whether it is
  open and its deadline) and a step for each event that opened or closed the
  case, moved its deadline or failed a verification.

A store is an event store first: it keeps whatever events it is given.  An
event of a case stream that does not follow the case's workflow (one written
by another tool before the case was opened, or firing a trigger its state does
not allow) leaves the read models as they were; `rectify.testing.ledger_rules`
reports such ledgers.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

import attrs
import orjson

from rectify.errors import LedgerCorrupt
from rectify.events import (
    POLICY_STREAM,
    CaseContinued,
    CaseOpened,
    Event,
    FindingRecorded,
    PolicyChanged,
    VerificationRecorded,
)
from rectify.lifecycle.case import CaseRecord, is_case_stream, record_slot_setters
from rectify.lifecycle.commands import REPORT_KINDS
from rectify.lifecycle.projection import apply_event
from rectify.lifecycle.workflow import default_table
from rectify.stores.codec import compact_json

__all__ = [
    "CaseChange",
    "CaseHead",
    "CaseStep",
    "ReadState",
    "case_from_json",
    "case_to_json",
    "changes_of",
    "project",
    "step",
    "verify_read_models",
]

_DATES = ("opened_on", "deadline", "delisted_on", "last_on")
_FIELDS = tuple(a.name for a in attrs.fields(CaseRecord))
_VALUES = attrgetter(*_FIELDS)
_PAIRS = ("support", "past_support")


def case_to_json(record: CaseRecord) -> bytes:
    """The canonical JSON of a case record (what the SQL stores keep in ``cases.record``)."""
    return _CASE_TO_JSON(record)


def _case_encoder() -> Callable[[CaseRecord], bytes]:
    """A function writing a record's canonical JSON with its keys already in sorted order.

    The bytes of ``orjson.dumps`` with ``OPT_SORT_KEYS`` over the record's
    fields (dates as ``YYYY-MM-DD``, which orjson writes itself; ``resolved``
    sorted), without the intermediate dict and its sorting, copied to their own
    size as `compact_json` does.
    """
    values = {name: f"r.{name}" for name in _FIELDS}
    values["resolved"] = "sorted(r.resolved)"
    items = ", ".join(f"{name!r}: {values[name]}" for name in sorted(values))
    names: dict[str, Any] = {"dumps": orjson.dumps, "view": memoryview, "sorted": sorted}
    exec(f"def write(r):\n    return view(dumps({{{items}}})).tobytes()", names)  # built here
    write: Callable[[CaseRecord], bytes] = names["write"]
    return write


_CASE_TO_JSON = _case_encoder()


def _case_to_json_sorting(record: CaseRecord) -> bytes:
    """`case_to_json` through a dict sorted by orjson (the reference of the generated one)."""
    data = dict(zip(_FIELDS, _VALUES(record), strict=True))
    for name in _DATES:
        value = data[name]
        if value is not None:
            data[name] = value.isoformat()
    data["resolved"] = sorted(record.resolved)
    return compact_json(data)


def case_from_json(payload: bytes | str) -> CaseRecord:
    """The case record that `case_to_json()` wrote."""
    data: dict[str, Any] = orjson.loads(payload)
    if len(data) == len(_FIELDS):
        try:
            return _CASE_FROM_DICT(data)
        except KeyError:
            pass  # other keys than the fields: the general path says what is wrong
    return _case_from_dict(data)


def _case_from_dict(data: dict[str, Any]) -> CaseRecord:
    """A record from its JSON dict through ``__init__`` (fields stored later defaulted)."""
    fromiso = date.fromisoformat
    for name in _DATES:
        value = data.get(name)  # records stored before last_on was kept lack it
        data[name] = fromiso(value) if value is not None else None
    data["resolved"] = frozenset(data["resolved"])
    data["problems"] = tuple(data["problems"])
    data["verifiers"] = tuple(data["verifiers"])
    for name in _PAIRS:
        data[name] = tuple([(level, person) for level, person in data[name]])
    return CaseRecord(**data)


def _case_decoder() -> Callable[[dict[str, Any]], CaseRecord]:
    """A function filling a record's slots straight from its complete JSON dict.

    The same record as `_case_from_dict` builds (a property test holds them
    equal); it raises `KeyError` for a dict missing a field.
    """
    names: dict[str, Any] = {"new": object.__new__, "cls": CaseRecord,
                             "fromiso": date.fromisoformat, "frozenset": frozenset,
                             "tuple": tuple}
    lines = ["def make(d):", "    o = new(cls)"]
    for index, name in enumerate(_FIELDS):
        names[f"s{index}"] = _SETTERS[name]
        value = f"d[{name!r}]"
        if name in _DATES:
            lines.append(f"    v = {value}")
            value = "None if v is None else fromiso(v)"
        elif name == "resolved":
            value = f"frozenset({value})"
        elif name in ("problems", "verifiers"):
            value = f"tuple({value})"
        elif name in _PAIRS:
            value = f"tuple([(a, b) for a, b in {value}])"
        lines.append(f"    s{index}(o, {value})")
    lines.append("    return o")
    exec("\n".join(lines), names)  # code built here from the attrs fields
    make: Callable[[dict[str, Any]], CaseRecord] = names["make"]
    return make


@attrs.frozen(slots=True)
class CaseChange:
    """What one append did to the read models beyond the case records themselves."""

    listing: tuple[int, str] | None = None
    report: tuple[str, str, str] | None = None
    record: bool = False
    policy: bool = False
    extra: tuple[tuple[int, str], ...] = ()


#: The changes most events make, shared (`CaseChange` is frozen): no object per event.
_NO_CHANGE = CaseChange()
_POLICY_CHANGE = CaseChange(policy=True)
_RECORD_CHANGE = CaseChange(record=True)
#: Per event type: whether it has a ``kind`` field and a ``month`` one.
_KIND_FIELDS: dict[type[Event], tuple[bool, bool]] = {}


def changes_of(event: Event) -> CaseChange:
    """The listing, report, accountability record or policy change that ``event`` adds.

    A continued case lists its organization in the year it continues into; a
    finding that extends the listing lists it in each of the following years
    (``extra``, kept even though the finding is an accountability record).
    """
    stream = event.stream
    if stream == POLICY_STREAM or isinstance(event, PolicyChanged):
        return _POLICY_CHANGE
    if not is_case_stream(stream):
        if isinstance(event, FindingRecorded) and event.extend_years > 0:
            return CaseChange(record=True, extra=tuple(
                (event.year + n, event.org) for n in range(1, event.extend_years + 1)))
        return _RECORD_CHANGE
    cls = type(event)
    fields = _KIND_FIELDS.get(cls)
    if fields is None:
        names = {f.name for f in attrs.fields(cls)}
        fields = _KIND_FIELDS[cls] = ("kind" in names, "month" in names)
    if isinstance(event, CaseOpened | CaseContinued):
        year = event.year if isinstance(event, CaseOpened) else event.into
        return CaseChange(listing=(year, event.org))
    if fields[0]:
        kind = event.kind  # type: ignore[attr-defined]
        if kind in REPORT_KINDS:
            month = event.month if fields[1] else ""  # type: ignore[attr-defined]
            return CaseChange(report=(stream, str(kind), str(month)))
    return _NO_CHANGE


def project(before: CaseRecord | None, event: Event) -> CaseRecord | None:
    """The case record after ``event``, or ``None`` when the event does not follow the workflow."""
    try:
        return apply_event(before, event, default_table())
    except LedgerCorrupt:
        return None


_SETTERS = record_slot_setters
_CASE_FROM_DICT = _case_decoder()


class CaseHead(NamedTuple):
    """Where a case's dated path stands after its latest event (one per case).

    ``reach`` is the latest event date met so far (a running maximum, so
    "the case as of day D" is the prefix of its events whose ``reach`` is at
    most D); ``states`` every workflow state the case ever held, sorted;
    ``is_open``, ``deadline``, ``delisted_on``, ``continued_into`` and
    ``state`` those of its current record; ``held`` the support levels its
    record holds (each once, in the order first assigned); ``year``, ``org``,
    ``kind``, ``opened_on``, ``rules`` and ``score`` come from its opening;
    ``support`` is its record's support pairs (level, person), for the rows
    that name supporters.  Reports read these columns instead of decoding
    records and events.
    """

    reach: date
    states: tuple[str, ...]
    is_open: bool
    deadline: date | None
    delisted_on: date | None = None
    continued_into: int | None = None
    held: tuple[str, ...] = ()
    state: str = ""
    year: int = 0
    org: str = ""
    kind: str = ""
    opened_on: date = date.min
    rules: tuple[str, ...] = ()
    score: float = 0.0
    support: tuple[tuple[str, str], ...] = ()


class CaseStep(NamedTuple):
    """One event of a case that matters to reports as of a date (see `step()`).

    ``on`` is the event's date and ``reach`` its head's after it; ``is_open``
    and ``deadline`` are the record's after it, ``was_open`` and
    ``was_deadline`` those before it (the previous step's; not open and no
    deadline for the opening), so counts as of a date add up steps without
    pairing each with the next.  ``year`` is the case's listing year.
    ``first`` marks the event that opened the case, ``failed`` a verification
    that did not pass.
    """

    position: int
    case: str
    on: date
    reach: date
    is_open: bool
    deadline: date | None
    first: bool = False
    failed: bool = False
    was_open: bool = False
    was_deadline: date | None = None
    year: int = 0


def held_levels(support: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The support levels of ``support`` pairs, each once, in the order first assigned."""
    levels = tuple(map(_FIRST, support))
    return levels if len(set(levels)) == len(levels) else tuple(dict.fromkeys(levels))


_FIRST = operator.itemgetter(0)
#: Builds a `CaseHead` or `CaseStep` from a tuple of all its fields, without the Python
#: frame of the named tuple's ``__new__`` (`step()` makes one or two per stored event).
_MAKE = tuple.__new__


def step(head: CaseHead | None, position: int, event: Event,
         after: CaseRecord) -> tuple[CaseHead, CaseStep | None]:
    """The case's head after ``event`` (stored at ``position``, giving record ``after``),
    and its step when the event opened or closed the case, moved its deadline or
    failed a verification (``None`` otherwise: the path's dated shape is unchanged)."""
    on, state, is_open, deadline = event.on, after.state, after.is_open, after.deadline
    held = held_levels(after.support) if after.support else ()
    failed = isinstance(event, VerificationRecorded) and not event.passed
    if head is None:
        rules, score = ((tuple(event.rules), float(event.score))
                        if isinstance(event, CaseOpened) else ((), 0.0))
        new = _MAKE(CaseHead, (on, (state,), is_open, deadline, after.delisted_on,
                               after.continued_into, held, state, after.year, after.org,
                               after.kind, after.opened_on, rules, score, after.support))
        return new, _MAKE(CaseStep, (position, event.stream, on, on, is_open, deadline, True,
                                     failed, False, None, after.year))
    reach = on if on > head.reach else head.reach
    states = head.states
    if state not in states:
        states = tuple(sorted((*states, state)))
    if held == head.held:
        held = head.held  # one object per case while its levels stay
    new = _MAKE(CaseHead, (reach, states, is_open, deadline, after.delisted_on,
                           after.continued_into, held, state, after.year, after.org, after.kind,
                           after.opened_on, head.rules, head.score, after.support))
    if head.is_open == is_open and head.deadline == deadline and not failed:
        return new, None
    return new, _MAKE(CaseStep, (position, event.stream, on, reach, is_open, deadline, False,
                                 failed, head.is_open, head.deadline, after.year))


@attrs.define
class ReadState:
    """The read models held in memory (the memory store's, and any rebuild's).

    Support loads are kept as counts: ``counts`` (open cases per person) and
    ``held`` (open cases per ``(level, person)``), with the case ids of a
    person's open cases derived from ``cases`` when needed (`supported()`).
    ``loads`` is for read models gathered from elsewhere (a SQL store's
    support table, see `summary()`); applying events leaves it empty.  Texts
    and support pairs that many records repeat (people, levels, months) are
    shared: one object each, not one per event.
    """

    cases: dict[str, CaseRecord] = attrs.field(factory=dict)
    loads: dict[str, set[str]] = attrs.field(factory=dict)
    listings: dict[int, set[str]] = attrs.field(factory=dict)
    reports: set[tuple[str, str, str]] = attrs.field(factory=set)
    policies: set[str] = attrs.field(factory=set)
    records: list[int] = attrs.field(factory=list)
    current_policy: str | None = None
    counts: dict[str, int] = attrs.field(factory=dict)
    held: dict[tuple[str, str], int] = attrs.field(factory=dict)
    _shared: dict[Any, Any] = attrs.field(factory=dict, repr=False, eq=False)
    heads: dict[str, CaseHead] = attrs.field(factory=dict)
    steps: dict[str, list[CaseStep]] = attrs.field(factory=dict)
    #: Whether applying events keeps ``heads`` and ``steps`` (the memory store works them
    #: out from its events when asked instead, to hold less per case).
    dated: bool = attrs.field(default=True, eq=False)

    @classmethod
    def rebuild(cls, events: Iterable[tuple[int, Event]]) -> ReadState:
        """The read models of ``(position, event)`` pairs in append order."""
        state = cls()
        for position, event in events:
            state.apply(position, event)
        return state

    def apply(self, position: int, event: Event, *,
              projected: CaseRecord | None = None) -> CaseRecord | None:
        """Apply one stored event; returns the case record it produced (``None`` for others).

        ``projected`` is the record after the event when the caller already projected it
        (see `rectify.stores.base.EventStore.append()`).
        """
        self.policies.add(event.policy)
        if self.current_policy is None or event.stream == POLICY_STREAM:
            self.current_policy = event.policy
        change = changes_of(event)
        for year, org in change.extra:
            self.listings.setdefault(year, set()).add(org)
        if change.policy:
            return None
        if change.record:
            self.records.append(position)
            return None
        before = self.cases.get(event.stream)
        after = projected if projected is not None else project(before, event)
        if after is None:
            return before
        after = self._share(before, after)
        self.put(before, after)
        if self.dated:
            self.keep_steps(((position, event, after),))
        if change.listing is not None:
            self.listings.setdefault(change.listing[0], set()).add(change.listing[1])
        if change.report is not None:
            case, kind, month = change.report
            self.reports.add((case, self._one(kind), self._one(month)))
        return after

    def _one(self, value: Any) -> Any:
        """The one object kept for ``value`` (a text or a tuple of them)."""
        return self._shared.setdefault(value, value)

    def _pairs(self, pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        one = self._one
        return tuple(one((one(level), one(person))) for level, person in pairs)

    def _share(self, before: CaseRecord | None, after: CaseRecord) -> CaseRecord:
        """``after`` with the support pairs it newly holds shared with other records."""
        support, past = after.support, after.past_support
        if (not support and not past) or (before is not None and support is before.support
                                          and past is before.past_support):
            return after
        shared_support = support if before is not None and support is before.support \
            else self._pairs(support)
        shared_past = past if before is not None and past is before.past_support \
            else self._pairs(past)
        # The shared tuples equal the record's own, so the record is changed in place: the
        # campaign's staged copy of it stays equal and no second record is built.
        object.__setattr__(after, "support", shared_support)
        object.__setattr__(after, "past_support", shared_past)
        return after

    def keep_steps(self, changes: Iterable[tuple[int, Event, CaseRecord]]) -> None:
        """Advance the case heads and steps by ``(position, event, record after)`` triples."""
        for position, event, after in changes:
            head, made = step(self.heads.get(event.stream), position, event, after)
            self.heads[event.stream] = head
            if made is not None:
                self.steps.setdefault(event.stream, []).append(made)

    def case_steps(self, until: date) -> list[CaseStep]:
        """The steps whose ``reach`` is at most ``until``, by case then position."""
        return [s for case in sorted(self.steps) for s in self.steps[case] if s.reach <= until]

    def put(self, before: CaseRecord | None, after: CaseRecord) -> None:
        """Store ``after`` as its case's record, keeping the loads in step."""
        self.cases[after.id] = after
        if before is not None and before.support == after.support \
                and before.is_open == after.is_open:
            return  # the loads stay as they are
        old_people = before.supporters if before is not None and before.is_open else _NOBODY
        new_people = after.supporters if after.is_open else _NOBODY
        _count(self.counts, old_people - new_people, -1)
        _count(self.counts, new_people - old_people, 1)
        old_held = set(_holders(before)) if before is not None and before.is_open else set()
        new_held = set(_holders(after)) if after.is_open else set()
        _count(self.held, old_held - new_held, -1)
        _count(self.held, new_held - old_held, 1)

    def load(self, person: str, level: str | None = None) -> int:
        """How many open cases ``person`` supports (at support ``level``, when given)."""
        if level is None:
            return self.counts.get(person, 0)
        return self.held.get((level, person), 0)

    def supported(self) -> dict[str, set[str]]:
        """The open cases each person supports: ``loads`` if gathered, else from ``cases``."""
        if self.loads or not self.counts:
            return self.loads
        found: dict[str, set[str]] = {}
        for record in self.cases.values():
            if record.is_open:
                for person in record.supporters:
                    found.setdefault(person, set()).add(record.id)
        return found

    def summary(self) -> Mapping[str, Any]:
        """Everything the read models hold, as comparable plain data.

        The loads of a gathered state (``loads`` filled, ``counts`` empty) are
        compared as they were gathered, so a support row changed behind the
        store's back shows; the counts of an applied state must agree with its
        cases.
        """
        supported = self.supported()
        counts = self.counts if self.counts or not supported else {
            p: len(c) for p, c in supported.items() if c}
        held = self.held if self.counts else _held(self.cases.values())
        return {
            "cases": {k: case_to_json(v) for k, v in sorted(self.cases.items())},
            "loads": {p: sorted(c) for p, c in sorted(supported.items()) if c},
            "load_counts": dict(sorted(counts.items())),
            "level_loads": dict(sorted(held.items())),
            "listings": {y: sorted(o) for y, o in sorted(self.listings.items())},
            "reports": sorted(self.reports),
            "policies": sorted(self.policies),
            "records": list(self.records),
            "current_policy": self.current_policy,
            "heads": {c: tuple(h) for c, h in sorted(self.heads.items())},
            "steps": {c: [tuple(s) for s in v] for c, v in sorted(self.steps.items())},
        }


_NOBODY: frozenset[str] = frozenset()


def _count(counts: dict[Any, int], keys: Iterable[Any], step: int) -> None:
    """Add ``step`` to the count of each of ``keys``, dropping counts that reach zero."""
    for key in keys:
        n = counts.get(key, 0) + step
        if n:
            counts[key] = n
        else:
            counts.pop(key, None)


def _held(records: Iterable[CaseRecord]) -> dict[tuple[str, str], int]:
    """Open cases per ``(level, holder)`` among ``records``."""
    found: dict[tuple[str, str], int] = {}
    for record in records:
        if record.is_open:
            for key in _holders(record):
                found[key] = found.get(key, 0) + 1
    return found


def _holders(record: CaseRecord) -> list[tuple[str, str]]:
    """The ``(level, holder)`` pairs of ``record`` (the first pair of a level holds it).

    The pairs are the record's own objects, so counts keyed by them share them.
    """
    levels: set[str] = set()
    found: list[tuple[str, str]] = []
    for pair in record.support:
        if pair[0] not in levels:
            levels.add(pair[0])
            found.append(pair)
    return found


class _Kept(Protocol):
    def replay(self) -> Iterable[Event]:
        """Every event in append order."""

    def read_state(self) -> ReadState:
        """The read models as the store keeps them."""

    def stray_commands(self, limit: int = 10) -> tuple[list[str], list[str]]:
        """Command ids recorded without events, and commands of events not recorded."""


def verify_read_models(store: _Kept, *, limit: int = 10) -> list[str]:
    """Every way the store's read models and command ids differ from its events (empty: none).

    The read models are compared with a replay of the events into a fresh
    `ReadState`; the commands table with the command ids the (hash-chained)
    events carry, so a command row added, edited or deleted behind the
    ledger's back is found.  At most ``limit`` differences per kind are named.
    """
    problems: list[str] = []
    without_events, unrecorded = store.stray_commands(limit)
    problems += [f"command {c!r} is recorded but no event carries it (added or edited behind "
                 "the ledger's back)" for c in without_events]
    problems += [f"command {c!r} of a stored event is missing from the commands table "
                 "(deleted behind the ledger's back: a retry would append twice)"
                 for c in unrecorded]
    kept = store.read_state().summary()
    replayed = ReadState.rebuild(enumerate(store.replay(), start=1)).summary()
    for name, expected in replayed.items():
        actual = kept[name]
        if actual == expected:
            continue
        if isinstance(expected, dict) and isinstance(actual, dict):
            keys = sorted({*expected, *actual}, key=str)
            wrong = [k for k in keys if expected.get(k) != actual.get(k)
                     and not (name == "cases" and _before_last_on(actual.get(k),
                                                                  expected.get(k)))][:limit]
            if not wrong:
                continue
            problems += [f"read model {name}: {k!r} is {actual.get(k)!r}, a replay gives "
                         f"{expected.get(k)!r}" for k in wrong]
        else:
            problems.append(f"read model {name} differs from a replay of the events")
    return problems


def _before_last_on(kept: object, replayed: object) -> bool:
    """Whether ``kept`` is a case record stored before ``last_on`` was kept, else equal.

    Such records load with ``last_on`` and ``last_event`` ``None`` (and the
    date rules fall back to the opening date); ``rectify ledger rebuild``
    fills them in.
    """
    if not isinstance(kept, bytes) or not isinstance(replayed, bytes):
        return False
    old = case_from_json(kept)
    if old.last_on is not None:
        return False
    return old == attrs.evolve(case_from_json(replayed), last_on=None, last_event=None)
