"""What reports read from the read models as columns and aggregates, not as case records.

A bulletin (`rectify.reporting.bulletin`) needs, for every case of a year, a
handful of columns (state, kind, dates, the support levels held, the
opening's rules and score) and, for its overdue trend, how many cases were
open and overdue at each month end.  `ReportReads` is what a store answers
for it: `CaseRow` values read from columns (no record decoded), the cases'
dated steps counted by what they changed (`StepTally`, a ``GROUP BY`` in
SQL), the positions of failed verifications and the dated paths of chosen
cases.

The SQL stores answer with queries over ``case_heads`` and ``case_steps``
(`SqlReportReads`); the memory store with the same answers worked out from
its read state (`rows_of_state`, `tallies_of_paths`), so both run one
bulletin code.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, Protocol, runtime_checkable

import orjson

from rectify.stores._sql import select_in
from rectify.stores.readmodel import CaseHead, CaseStep

__all__ = ["HEAD_COLUMNS", "STEP_FIELDS", "CaseRow", "ReportReads", "SqlReportReads",
           "StepTally", "head_of_row", "in_report_year", "paths_until", "rows_of_state",
           "rules_text", "step_of_row", "stored_day", "stored_list", "stored_support",
           "support_text", "tallies_of_paths"]

#: The columns of ``case_heads``, in order: "case", then those of
#: `rectify.stores.readmodel.CaseHead`.
HEAD_COLUMNS = ('"case", reach, states, is_open, deadline, delisted_on, continued_into, held,'
                " state, year, org, kind, opened_on, rules, score, support")
#: The columns `SqlReportReads.report_cases` reads: those of `CaseRow`, not the support.
_ROW_COLUMNS = HEAD_COLUMNS.removesuffix(", support")
#: The columns of ``case_steps``, in order (those of `rectify.stores.readmodel.CaseStep`).
STEP_FIELDS = ('position, "case", day, reach, is_open, deadline, first, failed, was_open,'
               " was_deadline, year")


class CaseRow(NamedTuple):
    """A case as reports see it, read from columns (`ReportReads.report_cases()`).

    The fields of `rectify.lifecycle.case.CaseRecord` a bulletin's tables use,
    with ``held`` (the support levels held, `CaseHead.held`), ``states`` (every
    state the case held, `CaseHead.states`), ``reach`` (its head's latest date)
    and the opening's ``rules`` and ``score``.
    """

    id: str
    org: str
    year: int
    kind: str
    state: str
    is_open: bool
    deadline: date | None
    opened_on: date
    delisted_on: date | None
    continued_into: int | None
    held: tuple[str, ...]
    states: tuple[str, ...]
    reach: date
    rules: tuple[str, ...]
    score: float


class StepTally(NamedTuple):
    """``steps`` dated steps that took their cases, as of ``reach``, from open or not
    (``was_open``) with ``was_deadline`` to open or not (``is_open``) with ``deadline``.

    Summed over the steps whose ``reach`` is at most a day D, ``is_open - was_open``
    counts the cases open on D (each case's steps telescope to its latest one), and
    likewise for the cases overdue on D (`tallies_of_paths`).
    """

    reach: date
    is_open: bool
    deadline: date | None
    was_open: bool
    was_deadline: date | None
    steps: int


@runtime_checkable
class ReportReads(Protocol):
    """The columns and aggregates a store answers for reports (see the module docs)."""

    def report_cases(self, until: date, year: int) -> list[CaseRow]:
        """The cases opened by ``until`` that a report of listing ``year`` may show, by id.

        Those listed in ``year`` or ``year - 1`` and those continued into ``year``
        or later (`in_report_year`), as their current records are: a case
        whose ``reach`` is after ``until`` is as of a later date, and the caller
        reads its events up to ``until``.
        """
        ...

    def step_tallies(self, until: date, year: int) -> list[StepTally]:
        """The steps up to ``until`` of the cases listed in ``year``, counted per
        `StepTally` (reach, state and deadline before and after), sorted."""
        ...

    def failed_positions(self, start: date, until: date) -> list[int]:
        """The positions of the failed verifications dated from ``start`` whose steps'
        ``reach`` is at most ``until``, in order."""
        ...

    def case_paths(self, cases: Collection[str], until: date) -> dict[str, list[CaseStep]]:
        """The steps of ``cases`` whose ``reach`` is at most ``until``, per case in order."""
        ...

    def case_support(self, cases: Collection[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """The current support pairs (level, person) of those of ``cases`` that exist
        (`CaseHead.support`): the supporters a named list shows, no record decoded."""
        ...


def in_report_year(year: int, continued_into: int | None, wanted: int) -> bool:
    """Whether a case of ``year`` is among those `ReportReads.report_cases()` returns."""
    return (wanted - 1 <= year <= wanted
            or (year < wanted and continued_into is not None and continued_into >= wanted))


def rows_of_state(cases: Collection[str], heads: Mapping[str, CaseHead], until: date,
                  year: int) -> list[CaseRow]:
    """`ReportReads.report_cases()` worked out from heads in memory (``cases``: the ids)."""
    rows: list[CaseRow] = []
    for case in sorted(cases):
        head = heads.get(case)
        if head is None or head.opened_on > until:
            continue
        if in_report_year(head.year, head.continued_into, year):
            rows.append(_row(case, head))
    return rows


def _row(case: str, h: CaseHead) -> CaseRow:
    return _ROW(CaseRow, (case, h.org, h.year, h.kind, h.state, h.is_open, h.deadline,
                          h.opened_on, h.delisted_on, h.continued_into, h.held, h.states,
                          h.reach, h.rules, h.score))


#: Builds a named tuple from a tuple of its fields without the Python frame of its
#: ``__new__`` (a report builds one per case).
_ROW = tuple.__new__


def paths_until(steps: Mapping[str, list[CaseStep]], cases: Iterable[str],
                until: date) -> dict[str, list[CaseStep]]:
    """`ReportReads.case_paths()` from steps in memory."""
    found: dict[str, list[CaseStep]] = {}
    for case in dict.fromkeys(cases):
        path = [s for s in steps.get(case, ()) if s.reach <= until]
        if path:
            found[case] = path
    return found


def tallies_of_paths(paths: Iterable[Sequence[CaseStep]]) -> list[StepTally]:
    """The steps of dated paths counted per `StepTally` (the reference of the SQL
    ``GROUP BY``), sorted."""
    counts: Counter[tuple[date, bool, date | None, bool, date | None]] = Counter(
        (s.reach, s.is_open, s.deadline, s.was_open, s.was_deadline)
        for path in paths for s in path)
    return sorted((StepTally(*k, n) for k, n in counts.items()), key=_tally_order)


def _tally_order(t: StepTally) -> tuple[date, bool, date, bool, date, int]:
    return (t.reach, t.is_open, t.deadline or date.min, t.was_open,
            t.was_deadline or date.min, t.steps)


class SqlReportReads:
    """Mixed into the SQL stores' read models: `ReportReads` as queries."""

    _MARK: str
    _PREFIX: str

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _require_steps(self) -> None:
        raise NotImplementedError

    def report_cases(self, until: date, year: int) -> list[CaseRow]:
        """See `ReportReads.report_cases()`: one table of narrow rows, no record read."""
        self._require_steps()
        m = self._MARK
        day, levels, row = stored_day, stored_list, _ROW
        return [row(CaseRow, (case, org, int(y), kind, state, bool(is_open),
                              day(deadline) if deadline is not None else None, day(opened_on),
                              day(delisted_on) if delisted_on is not None else None,
                              int(into) if into is not None else None, levels(held),
                              levels(states), day(reach), _rules(rules), float(score)))
                for (case, reach, states, is_open, deadline, delisted_on, into, held, state, y,
                     org, kind, opened_on, rules, score) in self._select(
            f"SELECT {_ROW_COLUMNS} FROM {self._PREFIX}case_heads"
            f" WHERE opened_on <= {m} AND (year BETWEEN {m} AND {m}"
            f' OR (year < {m} AND continued_into >= {m})) ORDER BY "case"',
            (until.isoformat(), year - 1, year, year, year))]

    def step_tallies(self, until: date, year: int) -> list[StepTally]:
        """See `ReportReads.step_tallies()`: one ``GROUP BY`` over the steps."""
        self._require_steps()
        day = stored_day
        return sorted((StepTally(day(reach), bool(is_open),
                                 day(deadline) if deadline is not None else None,
                                 bool(was_open), day(was) if was is not None else None, int(n))
                       for reach, is_open, deadline, was_open, was, n in self._select(
            "SELECT reach, is_open, deadline, was_open, was_deadline, count(*)"
            f" FROM {self._PREFIX}case_steps WHERE year = {self._MARK} AND reach <= {self._MARK}"
            " GROUP BY reach, is_open, deadline, was_open, was_deadline",
            (year, until.isoformat()))), key=_tally_order)

    def failed_positions(self, start: date, until: date) -> list[int]:
        """See `ReportReads.failed_positions()`."""
        self._require_steps()
        return [int(r[0]) for r in self._select(
            f"SELECT position FROM {self._PREFIX}case_steps WHERE failed = 1 AND day >= "
            f"{self._MARK} AND reach <= {self._MARK} ORDER BY position",
            (start.isoformat(), until.isoformat()))]

    def case_paths(self, cases: Collection[str], until: date) -> dict[str, list[CaseStep]]:
        """See `ReportReads.case_paths()`."""
        self._require_steps()
        found: dict[str, list[CaseStep]] = {}
        rows = select_in(
            self._select, self._MARK,
            f"SELECT {STEP_FIELDS} FROM {self._PREFIX}case_steps"
            ' WHERE "case" IN ({marks})'
            f" AND reach <= {self._MARK}", cases, (until.isoformat(),))
        for made in sorted(map(step_of_row, rows)):
            found.setdefault(made.case, []).append(made)
        return {case: found[case] for case in sorted(found)}

    def case_support(self, cases: Collection[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """See `ReportReads.case_support()`: one narrow column of the heads."""
        self._require_steps()
        return {case: stored_support(support) for case, support in select_in(
            self._select, self._MARK,
            f'SELECT "case", support FROM {self._PREFIX}case_heads WHERE "case" IN ({{marks}})',
            list(dict.fromkeys(cases)))}


def step_of_row(row: Sequence[Any]) -> CaseStep:
    """A `CaseStep` from its columns, in the order of the ``case_steps`` table."""
    position, case, day, reach, is_open, deadline, first, failed, was_open, was, year = row
    return CaseStep(int(position), case, stored_day(day), stored_day(reach), bool(is_open),
                    stored_day(deadline) if deadline is not None else None, bool(first),
                    bool(failed), bool(was_open), stored_day(was) if was is not None else None,
                    int(year))


def head_of_row(row: Sequence[Any]) -> CaseHead:
    """A `CaseHead` from its columns (`HEAD_COLUMNS` after "case")."""
    (reach, states, is_open, deadline, delisted_on, continued_into, held, state, year, org,
     kind, opened_on, rules, score, support) = row
    day = stored_day
    return CaseHead(day(reach), stored_list(states), bool(is_open),
                    day(deadline) if deadline is not None else None,
                    day(delisted_on) if delisted_on is not None else None,
                    int(continued_into) if continued_into is not None else None,
                    stored_list(held), state, int(year), org, kind, day(opened_on), _rules(rules),
                    float(score), stored_support(support))


@functools.lru_cache(maxsize=4096)
def stored_day(text: str) -> date:
    """A stored ISO date (a ledger holds few distinct ones: cached)."""
    return date.fromisoformat(text)


@functools.lru_cache(maxsize=1024)
def stored_list(text: str) -> tuple[str, ...]:
    """A comma-separated column of identifiers (few distinct values: cached)."""
    return tuple(text.split(",")) if text else ()


@functools.lru_cache(maxsize=1024)
def _rules(text: str | None) -> tuple[str, ...]:
    """The opening's rules as stored (a JSON list; ``NULL`` on other steps)."""
    if not text:
        return ()
    return tuple(str(r) for r in orjson.loads(text))


@functools.lru_cache(maxsize=1024)
def rules_text(rules: tuple[str, ...]) -> str:
    """The ``rules`` column of an opening step."""
    return orjson.dumps(list(rules)).decode()


def stored_support(text: str) -> tuple[tuple[str, str], ...]:
    """The ``support`` column of a head: its record's (level, person) pairs, stored as a
    JSON list of pairs (`support_text`)."""
    return tuple((str(level), str(person)) for level, person in orjson.loads(text))


def support_text(support: tuple[tuple[str, str], ...]) -> str:
    """The ``support`` column of a head holding ``support`` pairs."""
    return orjson.dumps(support).decode() if support else "[]"
