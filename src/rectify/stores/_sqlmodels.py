"""The read models of the SQL stores: their tables, their upkeep in each append, their queries.

Shared by SQLite and PostgreSQL.  A store supplies `_select`, `_execute_many`,
its parameter mark, the table prefix and the two statements whose dialects
differ (upsert a case, insert-if-missing).  Every update runs inside the
append's transaction, so the read models never disagree with the events.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import attrs
import orjson

from rectify.errors import LedgerSchemaError
from rectify.events import (
    POLICY_STREAM,
    CaseOpened,
    Event,
    PlanFiled,
    PlanReturned,
    ReportRecorded,
    VerificationRecorded,
    VerificationRequested,
)
from rectify.lifecycle.case import CaseRecord
from rectify.stores._aggregates import (
    HEAD_COLUMNS,
    STEP_FIELDS,
    SqlReportReads,
    head_of_row,
    rules_text,
    step_of_row,
    stored_day,
    stored_list,
    support_text,
)
from rectify.stores._sql import select_in
from rectify.stores.base import STORAGE_SCHEMA, Append
from rectify.stores.codec import Upcasters, decode
from rectify.stores.readmodel import (
    CaseHead,
    CaseStep,
    ReadState,
    case_from_json,
    case_to_json,
    changes_of,
    project,
    step,
)

__all__ = ["READ_MODEL_TABLES", "STEP_COLUMNS", "STEP_TABLES", "SqlReadModels",
           "read_model_ddl", "scope_upgrade_ddl", "step_ddl", "steps_outdated"]

#: The read-model tables, in the order they are created.
READ_MODEL_TABLES = ("cases", "support", "listings", "reports", "policies", "records")
#: The tables of the case steps (`rectify.stores.readmodel.CaseStep`): added after
#: schema 3 was released, so a ledger that lacks them gets them when opened for writing.
STEP_TABLES = ("case_heads", "case_steps")
#: Columns of the step tables that their current layout has and earlier ones lacked: the
#: opening's rules on the heads, the previous step's state on the steps (added with the
#: other columns reports read), the support pairs on the heads (added with the steps'
#: index in the order of their tallies, ``case_steps_tally``).
STEP_COLUMNS: tuple[tuple[str, str], ...] = (("case_heads", "rules"),
                                             ("case_steps", "was_open"),
                                             ("case_heads", "support"))

#: Events read, decoded and projected together when the read models are rebuilt.
_REBUILD_PAGE = 20000
#: Rows written per statement when a rebuild writes what it folded.
_WRITE_CHUNK = 20000
#: Case records a rebuild holds in memory before it writes them (about 1.5 KB each).
_FOLD_CASES = 400_000

#: The narrow update of a case row past its opening (see `SqlReadModels._write_cases`).
_UPDATE_CASE = ("UPDATE {p}cases SET state = {m}, is_open = {m}, deadline = {m}, record = {m}"
                ' WHERE "case" = {m} AND year = {m} AND kind = {m} AND org = {m} AND scope = {m}')

#: Events that leave an open case's support as it was (the support rows need no rewrite).
_SUPPORT_KEPT: frozenset[type[Event]] = frozenset({
    CaseOpened, PlanFiled, PlanReturned, ReportRecorded, VerificationRequested,
    VerificationRecorded})


def read_model_ddl(prefix: str, blob: str) -> tuple[str, ...]:
    """The CREATE statements of the read models (``prefix``: a schema and a dot, or '')."""
    p = prefix
    return (
        f'CREATE TABLE {p}cases ("case" TEXT PRIMARY KEY, year INTEGER NOT NULL,'
        f" state TEXT NOT NULL, is_open INTEGER NOT NULL, kind TEXT NOT NULL,"
        f" org TEXT NOT NULL, deadline TEXT, record {blob} NOT NULL,"
        " scope TEXT NOT NULL DEFAULT '')",
        f'CREATE INDEX cases_year ON {p}cases (year, "case")',
        f'CREATE INDEX cases_scope ON {p}cases (scope, "case")',
        f'CREATE TABLE {p}support (person TEXT NOT NULL, "case" TEXT NOT NULL,'
        f' level TEXT NOT NULL, PRIMARY KEY (person, "case", level))',
        f'CREATE INDEX support_case ON {p}support ("case")',
        f"CREATE TABLE {p}listings (year INTEGER NOT NULL, org TEXT NOT NULL,"
        " PRIMARY KEY (year, org))",
        f'CREATE TABLE {p}reports ("case" TEXT NOT NULL, kind TEXT NOT NULL,'
        f' month TEXT NOT NULL, PRIMARY KEY ("case", kind, month))',
        f"CREATE TABLE {p}policies (fingerprint TEXT PRIMARY KEY)",
        f"CREATE TABLE {p}records (position BIGINT PRIMARY KEY)",
        *step_ddl(prefix),
    )


def step_ddl(prefix: str) -> tuple[str, ...]:
    """The statements that (re)create the case heads and steps (``prefix`` as in
    `read_model_ddl`).

    An earlier layout of them is dropped first: they are always filled from the
    events afterwards (a new ledger has none; an upgraded one is rebuilt).
    """
    p = prefix
    return (
        f"DROP TABLE IF EXISTS {p}case_heads",
        f"DROP TABLE IF EXISTS {p}case_steps",
        f'CREATE TABLE {p}case_heads ("case" TEXT PRIMARY KEY, reach TEXT NOT NULL,'
        " states TEXT NOT NULL, is_open INTEGER NOT NULL, deadline TEXT,"
        " delisted_on TEXT, continued_into INTEGER, held TEXT NOT NULL, state TEXT NOT NULL,"
        " year INTEGER NOT NULL, org TEXT NOT NULL, kind TEXT NOT NULL,"
        " opened_on TEXT NOT NULL, rules TEXT NOT NULL, score DOUBLE PRECISION NOT NULL,"
        " support TEXT NOT NULL)",
        f"CREATE TABLE {p}case_steps (position BIGINT PRIMARY KEY,"
        ' "case" TEXT NOT NULL, day TEXT NOT NULL, reach TEXT NOT NULL,'
        " is_open INTEGER NOT NULL, deadline TEXT,"
        " first INTEGER NOT NULL, failed INTEGER NOT NULL, was_open INTEGER NOT NULL,"
        " was_deadline TEXT, year INTEGER NOT NULL)",
        f'CREATE INDEX case_steps_case ON {p}case_steps ("case", position)',
        # The steps of a year in the order `SqlReportReads.step_tallies` groups them: the
        # GROUP BY walks it instead of sorting every step (SQLite).
        f"CREATE INDEX case_steps_tally ON {p}case_steps (year, reach, is_open, deadline,"
        " was_open, was_deadline)",
    )


def steps_outdated(tables: Collection[str], columns: Callable[[str], Collection[str]]) -> bool:
    """Whether a ledger lacks the step tables or has an earlier layout of them.

    ``tables`` are the ledger's tables, ``columns(table)`` a table's columns.
    """
    return (not set(STEP_TABLES) <= set(tables)
            or any(column not in columns(table) for table, column in STEP_COLUMNS))


def scope_upgrade_ddl(prefix: str) -> tuple[str, ...]:
    """The statements that add the cases' scope column to a schema-2 ledger."""
    return (f"ALTER TABLE {prefix}cases ADD COLUMN scope TEXT NOT NULL DEFAULT ''",
            f'CREATE INDEX cases_scope ON {prefix}cases (scope, "case")')


class SqlReadModels(SqlReportReads):
    """Mixed into the SQL stores: read models kept with every append, and read back."""

    upcasters: Upcasters | None
    #: Set by a read-only store whose ledger was written before the case steps were kept.
    _steps_missing: bool = False
    _where: str
    _MARK: str
    _PREFIX: str
    _UPSERT_CASE: str
    _INSERT_NEW: str  # "{table}" and "{columns}" and "{marks}" are filled in

    def _select(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _execute_many(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run ``query`` once per row of ``rows``; return the rows it changed in all."""
        raise NotImplementedError

    def _record_bytes(self, value: Any) -> bytes:
        return bytes(value)

    # -- upkeep ----------------------------------------------------------------------

    def _stored_cases(self, cases: Sequence[str]) -> dict[str, CaseRecord]:
        return {case: case_from_json(self._record_bytes(record)) for case, record in select_in(
            self._select, self._MARK,
            f'SELECT "case", record FROM {self._PREFIX}cases WHERE "case" IN ({{marks}})', cases)}

    def _keep_read_models(self, batch: Sequence[Append], accepted: Sequence[bool],
                          first_position: int,
                          projected: Sequence[CaseRecord | None] | None = None) -> None:
        """Update the read models for the accepted items of ``batch``, stored from
        ``first_position`` on (call inside the append's transaction); ``projected``: see
        `rectify.stores.base.EventStore.append()`."""
        events: list[tuple[int, Event]] = []
        position = first_position
        for item, ok in zip(batch, accepted, strict=True):
            if ok:
                for event in item.events:
                    events.append((position, event))
                    position += 1
        if projected is not None and (len(projected) != len(events) or not all(accepted)):
            projected = None
        if events:
            self._apply_events(events, projected)

    def _apply_events(self, events: Sequence[tuple[int, Event]],
                      projected: Sequence[CaseRecord | None] | None = None) -> None:
        current = {} if projected is not None else self._stored_cases(
            list(dict.fromkeys(e.stream for _, e in events)))
        upkeep = _Upkeep()
        upkeep.gather(events, current, projected)
        self._write_cases(list(upkeep.touched.values()), upkeep.moved)
        self._keep_steps(upkeep.changed)
        self._write_rest(upkeep)

    def _write_rest(self, upkeep: _Upkeep) -> None:
        """Write the listings, reports, policies and record positions ``upkeep`` gathered."""
        self._insert_new("listings", "year, org", sorted(upkeep.listings))
        self._insert_new("reports", '"case", kind, month', sorted(upkeep.reports))
        self._insert_new("policies", "fingerprint", [(p,) for p in sorted(upkeep.policies)])
        records = upkeep.records
        for start in range(0, len(records), _WRITE_CHUNK):
            self._execute_many(f"INSERT INTO {self._PREFIX}records VALUES ({self._MARK})",
                               [(p,) for p in records[start:start + _WRITE_CHUNK]])

    def _keep_steps(self, changes: Sequence[tuple[int, Event, CaseRecord]]) -> None:
        """Advance the case heads and steps by ``(position, event, record after)`` triples."""
        if not changes:
            return
        p, m = self._PREFIX, self._MARK
        # A stream whose version-1 event is here had no events before: it has no head to
        # read back (the openings of a year are all such).
        fresh = {e.stream for _, e, _ in changes if e.version == 1}
        # The cases in key order: the read-back and the updates then walk the heads' index
        # from one end to the other instead of jumping about it (commands come in any order).
        touched = sorted({e.stream for _, e, _ in changes})
        heads = self._stored_heads([s for s in touched if s not in fresh])
        stored = set(heads)
        steps: list[tuple[Any, ...]] = []
        for position, event, after in changes:
            head, made = step(heads.get(event.stream), position, event, after)
            heads[event.stream] = head
            if made is not None:
                steps.append((made.position, made.case, made.on.isoformat(),
                              made.reach.isoformat(), int(made.is_open), _iso(made.deadline),
                              int(made.first), int(made.failed), int(made.was_open),
                              _iso(made.was_deadline), made.year))
        # A case new to the heads is inserted whole; the others are updated by key, leaving
        # what their opening set (year, org, kind, opening date, rules, score) as it is.
        iso, joined = _iso, _joined
        added = [c for c in touched if c not in stored]
        if added:
            self._execute_many(f"INSERT INTO {p}case_heads VALUES ({', '.join([m] * 16)})", [
                (c, h.reach.isoformat(), joined(h.states), int(h.is_open), iso(h.deadline),
                 iso(h.delisted_on), h.continued_into, joined(h.held), h.state, h.year, h.org,
                 h.kind, h.opened_on.isoformat(), rules_text(h.rules), h.score,
                 support_text(h.support))
                for c in added for h in (heads[c],)])
        if len(added) < len(touched):
            self._execute_many(
                f"UPDATE {p}case_heads SET reach = {m}, states = {m}, is_open = {m},"
                f" deadline = {m}, delisted_on = {m}, continued_into = {m}, held = {m},"
                f' state = {m}, support = {m} WHERE "case" = {m}', [
                    (h.reach.isoformat(), joined(h.states), int(h.is_open), iso(h.deadline),
                     iso(h.delisted_on), h.continued_into, joined(h.held), h.state,
                     support_text(h.support), c)
                    for c in touched if c in stored for h in (heads[c],)])
        if steps:
            self._execute_many(f"INSERT INTO {p}case_steps VALUES ({', '.join([m] * 11)})",
                               steps)

    def _stored_heads(self, cases: Sequence[str]) -> dict[str, CaseHead]:
        """The heads of ``cases`` as far as `step()` reads them back: what the opening set
        (rules, score) is left out, since the upsert never rewrites it."""
        return {case: CaseHead(stored_day(reach), stored_list(states), bool(is_open),
                               stored_day(deadline) if deadline is not None else None)
                for case, reach, states, is_open, deadline in select_in(
            self._select, self._MARK, 'SELECT "case", reach, states, is_open, deadline FROM '
            f'{self._PREFIX}case_heads WHERE "case" IN ({{marks}})', cases)}

    def _write_cases(self, records: Sequence[CaseRecord],
                     moved: Collection[str] | None = None, *, fresh: bool = False) -> None:
        """Upsert ``records``; the support rows of those in ``moved`` (all: ``None``) too
        (``fresh``: the read models were cleared, no support row is there to delete).

        A record past its opening is written by a narrow update of the columns that
        change after it (state, open, deadline, record), keyed by what the opening
        fixed (case, year, kind, organization, scope): it leaves the year and scope
        indexes alone.  Should any row not match (missing, or its fixed columns
        differ), every such record is upserted in full instead, so the table ends
        the same either way.
        """
        if not records:
            return
        record_value = self._record_value
        later = [] if fresh else [r for r in records if r.version > 1]
        if later:
            updated = self._execute_many(_UPDATE_CASE.format(p=self._PREFIX, m=self._MARK), [
                (r.state, int(r.is_open), None if r.deadline is None else r.deadline.isoformat(),
                 record_value(case_to_json(r)), r.id, r.year, r.kind, r.org, r.scope)
                for r in later])
            whole = ([r for r in records if r.version <= 1] if updated == len(later)
                     else list(records))
        else:
            whole = list(records)
        if whole:
            self._execute_many(self._UPSERT_CASE.format(p=self._PREFIX, m=self._MARK), [
                (r.id, r.year, r.state, int(r.is_open), r.kind, r.org,
                 None if r.deadline is None else r.deadline.isoformat(),
                 record_value(case_to_json(r)), r.scope)
                for r in whole])
        if moved is not None:
            records = [r for r in records if r.id in moved]
            if not records:
                return
        if not fresh:
            self._execute_many(f'DELETE FROM {self._PREFIX}support WHERE "case" = '
                               f"{self._MARK}", [(r.id,) for r in records])
        support = [(person, r.id, level) for r in records if r.is_open
                   for level, person in r.support]
        if support:
            self._insert_new("support", 'person, "case", level', support)

    def _record_value(self, payload: bytes) -> Any:
        return payload

    def _insert_new(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            marks = ", ".join([self._MARK] * len(rows[0]))
            self._execute_many(self._INSERT_NEW.format(table=f"{self._PREFIX}{table}",
                                                       columns=columns, marks=marks), rows)

    def _clear_read_models(self) -> None:
        for table in (*READ_MODEL_TABLES, *STEP_TABLES):
            self._execute_many(f"DELETE FROM {self._PREFIX}{table}", [()])

    def _rebuild_from(self, events: Iterable[tuple[int, Event]]) -> None:
        """Recompute every read model from ``events`` (inside a transaction).

        One pass: the events are folded into the case records in memory, page
        by page (the case steps written per page), and the cases, their support
        rows, the listings, reports, policies and records are written at the
        end, so a case whose events are spread over the ledger is written once,
        not once per page.  At most `_FOLD_CASES` records are held: past that
        they are written and dropped, and a later event of such a case reads
        its record back.
        """
        self._clear_read_models()
        pairs = iter(events)
        current: dict[str, CaseRecord] = {}
        written: set[str] = set()  # cases written (and dropped) by an earlier flush
        upkeep = _Upkeep()
        while page := list(itertools.islice(pairs, _REBUILD_PAGE)):
            if written:
                back = [s for s in dict.fromkeys(e.stream for _, e in page)
                        if s not in current and s in written]
                if back:
                    current.update(self._stored_cases(back))
            upkeep.gather(page, current, None, moves=False)
            self._keep_steps(upkeep.changed)
            upkeep.changed = []
            if len(current) >= _FOLD_CASES:
                self._flush_cases(current, written)
        self._flush_cases(current, written)
        self._write_rest(upkeep)

    def _flush_cases(self, current: dict[str, CaseRecord], written: set[str]) -> None:
        """Write (a rebuild's) ``current`` records and drop them, noting them in ``written``;
        those written before get their support rows replaced, the others just inserted."""
        again = [r for r in current.values() if r.id in written]
        first = [r for r in current.values() if r.id not in written]
        for records, fresh in ((again, False), (first, True)):
            for start in range(0, len(records), _WRITE_CHUNK):
                self._write_cases(records[start:start + _WRITE_CHUNK], fresh=fresh)
        written.update(current)
        current.clear()

    # -- queries ---------------------------------------------------------------------

    def case(self, case: str) -> CaseRecord | None:
        """See `rectify.stores.base.ReadModels.case()`."""
        rows = self._select(f'SELECT record FROM {self._PREFIX}cases WHERE "case" = '
                            f"{self._MARK}", (case,))
        return case_from_json(self._record_bytes(rows[0][0])) if rows else None

    def cases(self, *, year: int | None = None, state: str | None = None,
              open_only: bool = False, kind: str | None = None,
              orgs: Collection[str] | None = None, overdue_on: date | None = None,
              after: str | None = None, limit: int | None = None,
              scope: str | None = None) -> list[CaseRecord]:
        """See `rectify.stores.base.ReadModels.cases()`."""
        where: list[str] = []
        params: list[Any] = []
        m = self._MARK
        if scope:
            where.append(f"(scope = {m} OR substr(scope, 1, {m}) = {m})")
            params += [scope, len(scope) + 1, scope + "/"]
        for clause, value in (("year = ", year), ("state = ", state), ("kind = ", kind),
                              ('"case" > ', after)):
            if value is not None:
                where.append(f"{clause}{m}")
                params.append(value)
        if open_only:
            where.append("is_open = 1")
        if overdue_on is not None:
            where.append(f"is_open = 1 AND deadline IS NOT NULL AND deadline < {m}")
            params.append(overdue_on.isoformat())
        if orgs is not None:
            chosen = sorted(set(orgs))
            if not chosen:
                return []
            where.append(f"org IN ({', '.join([m] * len(chosen))})")
            params += chosen
        query = f"SELECT record FROM {self._PREFIX}cases"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += ' ORDER BY "case"'
        if limit is not None:
            query += f" LIMIT {self._MARK}"
            params.append(limit)
        return [case_from_json(self._record_bytes(r[0])) for r in self._select(query, params)]

    def cases_by_id(self, cases: Collection[str]) -> dict[str, CaseRecord]:
        """See `rectify.stores.base.ReadModels.cases_by_id()`."""
        return self._stored_cases(list(dict.fromkeys(cases)))

    def recorded_commands(self, commands: Collection[str]) -> set[str]:
        """See `rectify.stores.base.ReadModels.recorded_commands()`."""
        return {r[0] for r in select_in(
            self._select, self._MARK,
            f"SELECT command FROM {self._PREFIX}commands WHERE command IN ({{marks}})",
            commands)}

    def loads(self, persons: Collection[str], level: str | None = None) -> dict[str, int]:
        """See `rectify.stores.base.ReadModels.loads()`."""
        at = f" AND level = {self._MARK}" if level is not None else ""
        return {str(p): int(n) for p, n in select_in(
            self._select, self._MARK,
            f'SELECT person, count(DISTINCT "case") FROM {self._PREFIX}support'
            f" WHERE person IN ({{marks}}){at} GROUP BY person", persons,
            (level,) if level is not None else ())}

    def load(self, person: str, level: str | None = None) -> int:
        """See `rectify.stores.base.ReadModels.load()`."""
        if level is not None:
            rows = self._select(f'SELECT count(DISTINCT "case") FROM {self._PREFIX}support'
                                f" WHERE person = {self._MARK} AND level = {self._MARK}",
                                (person, level))
            return int(rows[0][0])
        rows = self._select(f'SELECT count(DISTINCT "case") FROM {self._PREFIX}support'
                            f" WHERE person = {self._MARK}", (person,))
        return int(rows[0][0])

    def listings(self) -> dict[int, frozenset[str]]:
        """See `rectify.stores.base.ReadModels.listings()`."""
        found: dict[int, set[str]] = {}
        for year, org in self._select(f"SELECT year, org FROM {self._PREFIX}listings"
                                      " ORDER BY year, org"):
            found.setdefault(int(year), set()).add(org)
        return {year: frozenset(orgs) for year, orgs in found.items()}

    def reports_filed(self) -> frozenset[tuple[str, str, str]]:
        """See `rectify.stores.base.ReadModels.reports_filed()`."""
        return frozenset((c, k, m) for c, k, m in self._select(
            f'SELECT "case", kind, month FROM {self._PREFIX}reports'))

    def policies(self) -> frozenset[str]:
        """See `rectify.stores.base.ReadModels.policies()`."""
        return frozenset(r[0] for r in self._select(
            f"SELECT fingerprint FROM {self._PREFIX}policies"))

    def current_policy(self) -> str | None:
        """See `rectify.stores.base.ReadModels.current_policy()`."""
        p, m = self._PREFIX, self._MARK
        # One round trip: the latest policy change, else the first event.
        rows = self._select(
            f"SELECT payload FROM (SELECT payload, 0 AS k FROM (SELECT payload FROM {p}events"
            f" WHERE stream = {m} ORDER BY version DESC LIMIT 1) changed UNION ALL"
            f" SELECT payload, 1 FROM (SELECT payload FROM {p}events ORDER BY position"
            " LIMIT 1) opening) either ORDER BY k LIMIT 1", (POLICY_STREAM,))
        if not rows:
            return None
        # Every event has the field ``policy``: read it without building the event.
        return str(orjson.loads(self._payload_text(rows[0][0]))["policy"])

    def records(self) -> list[Event]:
        """See `rectify.stores.base.ReadModels.records()`."""
        # From the (few) record positions to their events, not a scan of every event.
        rows = self._select(f"SELECT e.payload FROM {self._PREFIX}events e WHERE e.position IN"
                            f" (SELECT position FROM {self._PREFIX}records) ORDER BY e.position")
        return [decode(self._payload_text(r[0]), self.upcasters) for r in rows]

    #: What `case_tokens()` reads of a stored record (PostgreSQL: a digest computed there).
    _RECORD_TOKEN = "record"

    def case_tokens(self, cases: Collection[str]) -> dict[str, object]:
        """See `rectify.stores.base.ReadModels.case_tokens()`: the stored bytes (or their
        digest), not decoded."""
        return {case: bytes(token) if isinstance(token, memoryview) else token
                for case, token in select_in(
                    self._select, self._MARK, f'SELECT "case", {self._RECORD_TOKEN} FROM '
                    f'{self._PREFIX}cases WHERE "case" IN ({{marks}})', cases)}

    def records_mark(self) -> tuple[int, bytes]:
        """See `rectify.stores.base.ReadModels.records_mark()`."""
        p = self._PREFIX
        rows = self._select(f"SELECT r.position, e.hash FROM {p}records r JOIN {p}events e"
                            " ON e.position = r.position ORDER BY r.position DESC LIMIT 1")
        return (int(rows[0][0]), bytes(rows[0][1])) if rows else (0, b"")

    def _payload_text(self, value: Any) -> bytes:
        return bytes(value)

    def _require_steps(self) -> None:
        if self._steps_missing:
            raise LedgerSchemaError(
                self._where, STORAGE_SCHEMA, STORAGE_SCHEMA,
                "the ledger predates the case steps read model: open it once for writing "
                "(rectify ledger rebuild --db PATH) to add it from the events")

    def case_heads(self) -> dict[str, CaseHead]:
        """See `rectify.stores.base.ReadModels.case_heads()`."""
        self._require_steps()
        return {row[0]: head_of_row(row[1:]) for row in self._select(
            f"SELECT {HEAD_COLUMNS} FROM {self._PREFIX}case_heads")}

    def case_steps(self, until: date) -> list[CaseStep]:
        """See `rectify.stores.base.ReadModels.case_steps()`."""
        self._require_steps()
        return [step_of_row(row) for row in self._select(
            f"SELECT {STEP_FIELDS} FROM {self._PREFIX}case_steps"
            f" WHERE reach <= {self._MARK}"
            ' ORDER BY "case", position', (until.isoformat(),))]

    def events_at(self, positions: Collection[int]) -> list[Event]:
        """See `rectify.stores.base.ReadModels.events_at()`."""
        rows = select_in(self._select, self._MARK,
                         f"SELECT position, payload FROM {self._PREFIX}events"
                         " WHERE position IN ({marks})", sorted(set(positions)))
        return [decode(self._payload_text(payload), self.upcasters)
                for _, payload in sorted(rows, key=lambda r: int(r[0]))]

    def read_state(self) -> ReadState:
        """The read models as stored, gathered into a `ReadState` (to compare with a replay)."""
        state = ReadState()
        for key, year, current, is_open, kind, org, deadline, record, scope in self._select(
                f'SELECT "case", year, state, is_open, kind, org, deadline, record, scope FROM '
                f"{self._PREFIX}cases"):
            case = case_from_json(self._record_bytes(record))
            due = case.deadline.isoformat() if case.deadline is not None else None
            if (key, year, current, bool(is_open), kind, org, deadline, scope) != (
                    case.id, case.year, case.state, case.is_open, case.kind, case.org, due,
                    case.scope):
                # The columns queries filter on disagree with the record: show it as changed.
                case = attrs.evolve(case, id=key, year=int(year), state=str(current),
                                    scope=str(scope))
            state.cases[key] = case
        for person, case, _level in self._select(
                f'SELECT person, "case", level FROM {self._PREFIX}support'):
            state.loads.setdefault(person, set()).add(case)
        state.listings = {y: set(o) for y, o in self.listings().items()}
        state.reports = set(self.reports_filed())
        state.policies = set(self.policies())
        state.current_policy = self.current_policy()
        state.records = [int(r[0]) for r in self._select(
            f"SELECT position FROM {self._PREFIX}records ORDER BY position")]
        if not self._steps_missing:  # else verify_read_models names every case as differing
            state.heads = self.case_heads()
            for made in self.case_steps(date.max):
                state.steps.setdefault(made.case, []).append(made)
        return state

    def stray_commands(self, limit: int = 10) -> tuple[list[str], list[str]]:
        """Command ids recorded without events, and commands of events not recorded."""
        p, m = self._PREFIX, self._MARK
        without = self._select(f"SELECT command FROM {p}commands EXCEPT SELECT command FROM "
                               f"{p}events ORDER BY 1 LIMIT {m}", (limit,))
        unrecorded = self._select(f"SELECT command FROM {p}events EXCEPT SELECT command FROM "
                                  f"{p}commands ORDER BY 1 LIMIT {m}", (limit,))
        return [r[0] for r in without], [r[0] for r in unrecorded]

    def _positions(self) -> Iterator[tuple[int, Event]]:
        """Every event with its position, read and decoded a page at a time."""
        upcasters = self.upcasters
        after = 0
        while True:
            rows = self._select(f"SELECT position, payload FROM {self._PREFIX}events WHERE "
                                f"position > {self._MARK} ORDER BY position LIMIT "
                                f"{_REBUILD_PAGE}", (after,))
            if not rows:
                return
            # decode() reads the stored bytes (SQLite) or text (PostgreSQL) as they are.
            yield from [(position, decode(payload, upcasters)) for position, payload in rows]
            after = rows[-1][0]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


@functools.lru_cache(maxsize=1024)
def _joined(names: tuple[str, ...]) -> str:
    """A column of identifiers (states, levels) as stored: few distinct tuples, cached."""
    return ",".join(names)


class _Upkeep:
    """What a run of events does to the read models, gathered before any of it is written.

    ``touched``: the case records after the run; ``moved``: the cases whose
    support rows change; ``changed``: ``(position, event, record after)`` of
    every event that changed a case (for the case steps); the listings,
    reports, policies and record positions the events add.
    """

    __slots__ = ("changed", "listings", "moved", "policies", "records", "reports", "touched")

    def __init__(self) -> None:
        self.touched: dict[str, CaseRecord] = {}
        self.moved: set[str] = set()
        self.changed: list[tuple[int, Event, CaseRecord]] = []
        self.listings: set[tuple[int, str]] = set()
        self.reports: set[tuple[str, str, str]] = set()
        self.policies: set[str] = set()
        self.records: list[int] = []

    def gather(self, events: Sequence[tuple[int, Event]], current: dict[str, CaseRecord],
               projected: Sequence[CaseRecord | None] | None, *, moves: bool = True) -> None:
        """Fold ``events`` into ``current`` (the records as they stand, updated in place).

        ``projected``: the records after each event as the caller projected them
        (see `rectify.stores.base.EventStore.append()`); ``moves=False`` leaves
        ``moved`` and ``touched`` alone (a rebuild writes every case of
        ``current``).
        """
        touched, moved, changed = self.touched, self.moved, self.changed
        listings, reports, policies = self.listings, self.reports, self.policies
        records = self.records
        last_policy = None
        for index, (position, event) in enumerate(events):
            if event.policy is not last_policy:
                last_policy = event.policy
                policies.add(last_policy)
            change = changes_of(event)
            if change.extra:
                listings.update(change.extra)
            if change.policy:
                continue
            if change.record:
                records.append(position)
                continue
            stream = event.stream
            prior = current.get(stream)
            after = (projected[index] if projected is not None else project(prior, event))
            if after is None:
                continue
            if moves:
                if prior is None:
                    if not (after.is_open and type(event) in _SUPPORT_KEPT):
                        moved.add(stream)
                elif (after.support is not prior.support and after.support != prior.support
                      ) or after.is_open != prior.is_open:
                    moved.add(stream)
                touched[stream] = after
            current[stream] = after
            changed.append((position, event, after))
            if change.listing is not None:
                listings.add(change.listing)
            if change.report is not None:
                reports.add(change.report)
