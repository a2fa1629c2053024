"""The case record (the current state of one case), plans, and case ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from rectify.errors import InvalidValueError
from rectify.lifecycle.workflow import OPEN_STATES

__all__ = [
    "OPEN_STATES",
    "CaseRecord",
    "Plan",
    "case_id",
    "is_case_stream",
    "org_stream",
    "parse_case_id",
    "person_stream",
    "replaced",
]

_PERSON = "person:"
_ORG = "org:"
_LEDGER = "ledger:"  # ledger-level streams (rectify.events.POLICY_STREAM)


def case_id(year: int, org: str) -> str:
    """The id of the case of ``org`` in ``year``: ``"2017-V01-03"``; also its ledger stream."""
    return f"{year}-{org}"


def parse_case_id(case: str) -> tuple[int, str]:
    """The year and organization code of a case id: ``"2017-V01-03"`` → ``(2017, "V01-03")``.

    Raises:
        InvalidValueError: ``case`` is not ``YEAR-ORGCODE``.
    """
    year, sep, org = case.partition("-")
    if not sep or not org or len(year) != 4 or not year.isascii() or not year.isdigit():
        raise InvalidValueError("case id", "YEAR-ORGCODE, such as 2017-V01-03", case,
                                "write the four-digit year, a hyphen and the organization code")
    return int(year), org


def person_stream(person: str) -> str:
    """The ledger stream of a person's talks and appraisals: ``"person:P0152"``."""
    return f"{_PERSON}{person}"


def org_stream(org: str) -> str:
    """The ledger stream of an organization's escalations and dismissals: ``"org:V01-03"``."""
    return f"{_ORG}{org}"


def is_case_stream(stream: str) -> bool:
    """Whether ``stream`` holds a case's events (not a person's, an organization's or the
    ledger's own)."""
    return not stream.startswith((_PERSON, _ORG, _LEDGER))


def _pairs(values: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in values)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen(slots=True)
class Plan:
    """An individual rectification plan (一村一策): problems, measures, people, deadline.

    ``problems`` pairs each problem's aspect (a key of the policy's aspects)
    with a description; ``responsible`` names the people answerable for it;
    ``problem_type`` says what kind of village it is (软/穷/乱/专业, a key of
    the policy's ``coverage.pairing``), which decides the paired unit.
    """

    problems: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)
    measures: tuple[str, ...] = attrs.field(converter=_texts)
    responsible: tuple[str, ...] = attrs.field(converter=_texts)
    deadline: date | None = None
    problem_type: str | None = None


# No weak-reference slot: nothing refers to records weakly, and a campaign holds one
# record per case (8 bytes each at national scale).
@attrs.frozen(slots=True, weakref_slot=False)
class CaseRecord:
    """One organization's case in one year, as its events left it.

    ``support`` pairs each assigned level with the person holding it, and
    ``past_support`` each level with the people who held it before (released or
    replaced: they may not verify the case);
    ``attempts`` counts verifications; ``verifiers`` is the team of the
    latest verification and ``passed`` its outcome.
    ``last_on`` and ``last_event`` are the date and the event type of the
    case's latest event (``None`` in records stored before they were kept:
    `rectify.lifecycle.dates` then falls back to ``opened_on``).  ``scope`` is where the case
    lies (its organization's `rectify.model.Organization.scope`; ``""``: unscoped).
    ``continued_into`` is
    the latest year an unfinished case was continued into at a year's close
    (``None``: it is still in its own year).
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
    past_support: tuple[tuple[str, str], ...] = ()
    attempts: int = 0
    passed: bool | None = None
    verifiers: tuple[str, ...] = ()
    delisted_on: date | None = None
    last_on: date | None = None
    last_event: str | None = None
    scope: str = ""
    continued_into: int | None = None
    #: The problem type of the filed plan (软/穷/乱/专业), ``None`` when not stated.
    problem_type: str | None = None
    #: Who recorded the latest verification (``None``: none yet, or a record stored
    #: before it was kept; the campaign then reads the case's history).
    verified_by: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the case is still being rectified (not delisted, not carried over)."""
        return self.state in OPEN_STATES

    @property
    def current_year(self) -> int:
        """The year the case is being rectified in: its own, or the one it continued into."""
        return self.continued_into if self.continued_into is not None else self.year

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

    def to_arrow(self) -> Any:
        """The case as a one-row `pyarrow.Table` (see `rectify.reporting.frames`)."""
        from rectify.reporting import frames

        return frames.cases_table([self])

    def _repr_html_(self) -> str:
        from rectify.reporting import frames

        return frames.cases_html([self])


_RECORD_FIELDS = tuple(a.name for a in attrs.fields(CaseRecord))

#: The slot setter of each field of `CaseRecord`.  A new record may be filled through
#: them before anyone else sees it: a record has no validators or converters, and its
#: ``__init__`` sets its slots the same way (the stores' decoders use them too).
record_slot_setters: Mapping[str, Callable[[CaseRecord, Any], None]] = {
    name: getattr(CaseRecord, name).__set__ for name in _RECORD_FIELDS}


def _copier() -> Callable[[CaseRecord], CaseRecord]:
    """A function copying a record slot by slot (generated from the attrs fields)."""
    names: dict[str, Any] = {"new": object.__new__, "cls": CaseRecord}
    lines = ["def copy(r):", "    o = new(cls)"]
    for index, name in enumerate(_RECORD_FIELDS):
        names[f"s{index}"] = record_slot_setters[name]
        lines.append(f"    s{index}(o, r.{name})")
    lines.append("    return o")
    exec("\n".join(lines), names)  # the code is built here from the record's own fields
    copy: Callable[[CaseRecord], CaseRecord] = names["copy"]
    return copy


_copy = _copier()

#: The fields every projected event sets, in `advanced`'s argument order.
_ADVANCED = ("state", "version", "last_on", "last_event")


def _advancer() -> Callable[[CaseRecord, str, int, date, str], CaseRecord]:
    """A function copying a record slot by slot with the four fields every event sets
    given instead (generated from the attrs fields, as `_copier`)."""
    names: dict[str, Any] = {"new": object.__new__, "cls": CaseRecord}
    lines = [f"def advanced(r, {', '.join(_ADVANCED)}):", "    o = new(cls)"]
    for index, name in enumerate(_RECORD_FIELDS):
        names[f"s{index}"] = record_slot_setters[name]
        lines.append(f"    s{index}(o, {name if name in _ADVANCED else 'r.' + name})")
    lines.append("    return o")
    exec("\n".join(lines), names)  # the code is built here from the record's own fields
    advanced: Callable[[CaseRecord, str, int, date, str], CaseRecord] = names["advanced"]
    return advanced


_advanced = _advancer()


def advanced(record: CaseRecord, changes: Mapping[str, Any], state: str, version: int,
             last_on: date, last_event: str) -> CaseRecord:
    """``replaced(record, {**changes, "state": state, "version": version, "last_on":
    last_on, "last_event": last_event})``, without the dictionary (what every projected
    event does).  ``changes`` must not name those four fields."""
    new = _advanced(record, state, version, last_on, last_event)
    if changes:
        setters = record_slot_setters
        for name, value in changes.items():
            setters[name](new, value)
    return new


def replaced(record: CaseRecord, changes: Mapping[str, Any]) -> CaseRecord:
    """``record`` with the fields named in ``changes`` replaced (`attrs.evolve`, faster).

    The projection builds one record per event: this copies the record slot by slot
    and sets the changed slots on the copy, with no keyword dictionary and no
    ``__init__``.  Raises `KeyError` for a name that is not a field.
    """
    new = _copy(record)
    setters = record_slot_setters
    for name, value in changes.items():
        setters[name](new, value)
    return new
