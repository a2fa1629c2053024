"""Annual identification (排查认定): direct criteria, then per-kind quotas by reverse ranking.

`identify()` returns an `Identification`: one `Decision` per
organization, each explaining itself with `Reason` values, and a
`KindSummary` per kind.  Results are kept as columns and decisions are
built on demand, so a national population costs little memory.
"""

from __future__ import annotations

import functools
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import compress, repeat
from math import isnan
from operator import attrgetter, is_
from types import ModuleType
from typing import Any, Protocol, TypeVar, cast, overload

import attrs

from rectify._gc import gc_paused
from rectify.errors import IdentificationError, Problem
from rectify.forest import Population
from rectify.model import Assessment, Grade, Organization
from rectify.policy import Comparison, DirectCriterion, Policy, RankedUnit, TieRule

__all__ = [
    "FACT_LABELS",
    "RULE_LABELS",
    "AssessmentColumns",
    "Column",
    "Decision",
    "Decisions",
    "Identification",
    "KindSummary",
    "Listing",
    "Reason",
    "identify",
    "rank_phrase",
    "ranked_indices",
]

# Rule ids of the reasons a decision can carry, with their Chinese rendering.
# Direct criteria bring their own ids and labels from the policy.
RULE_LABELS: Mapping[str, tuple[str, str]] = {
    "quota": ("within the kind's quota by reverse ranking", "按倒序排名在比例范围内"),
    "above_cutoff": ("scored above the quota's cut-off", "得分高于分数线"),
    "tie_break": ("tied at the cut-off, left out by the code tie-break",
                  "与分数线同分, 按编码顺序未列入"),
    "quota_met_by_direct": ("the kind's quota was filled by direct listings",
                            "该类型名额已由直接认定的对象占满"),
    "no_quota": ("the kind's quota is zero (none set, or it rounds to zero); "
                 "only direct criteria list it", "该类型不按比例排名, 仅按直接认定条件列入"),
    "small_group": ("the kind is smaller than the minimum group size for a quota",
                    "该类型组织数少于按比例排名的最小规模"),
    "not_ranked": ("not a unit of its kind's ranking (it sits under an organization of the "
                   "same kind, which is ranked instead)",
                   "不单独参加排名(所在的上级同类党组织参加排名)"),
}

#: Chinese names of the facts direct criteria compare (other facts keep their id).
FACT_LABELS: Mapping[str, str] = {
    "total": "综合得分",
    "secretary_vacant_months": "书记职位空缺月数",
    "satisfaction": "群众满意度",
    "mass_incidents": "群体性事件数",
    "months_without_activity": "未开展组织生活月数",
    "years_without_candidate": "未发展党员年数",
}

_GRADE_ZH = {"A": "优秀", "B": "良好", "C": "一般", "D": "较差"}
_OP_ZH = {">": "超过", ">=": "不少于", "<": "低于", "<=": "不高于", "==": "等于"}

_CODE = attrgetter("code")
_KIND = attrgetter("kind")
_TOTAL = attrgetter("total")
_GRADE = attrgetter("grade")
_OPS: Mapping[Comparison, Callable[[Any, Any], bool]] = {
    Comparison.LT: operator.lt, Comparison.LE: operator.le, Comparison.GT: operator.gt,
    Comparison.GE: operator.ge, Comparison.EQ: operator.eq,
}


_T_co = TypeVar("_T_co", covariant=True)


class Column(Protocol[_T_co]):
    """A column of values, one per organization: a list, a tuple, a NumPy array (what
    `AssessmentColumns` accepts; an Arrow array converts with ``to_numpy()``)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[_T_co]: ...

    def __getitem__(self, index: int, /) -> _T_co: ...


@attrs.frozen
class AssessmentColumns:
    """One year's assessments as columns, in the order of ``population.organizations``.

    ``totals[i]`` is the composite score of the ``i``-th organization (code
    order); ``grades`` (optional) the assessed grades, ``None`` where the
    policy's bands decide; ``facts`` maps a fact name to its column (``None``
    where not measured).  This skips building one `Assessment` per
    organization, which dominates the cost of a national run.
    """

    year: int
    totals: Column[float]
    grades: Column[Grade | None] | None = None
    facts: Mapping[str, Column[float | None]] = attrs.field(factory=dict)

    @classmethod
    def of(cls, population: Population, assessments: Iterable[Assessment],
           year: int) -> AssessmentColumns:
        """Columns from assessment records (mainly for tests and small inputs)."""
        by_code = {a.org: a for a in assessments if a.year == year}
        rows = [by_code[o.code] for o in population]
        names = sorted({f for a in rows for f in a.facts})
        return cls(year, [a.total for a in rows], [a.grade for a in rows],
                   {f: [a.facts.get(f) for a in rows] for f in names})

    def checked(self, population: Population, policy: Policy, year: int) -> tuple[
            list[float], list[Grade | None], Callable[[str], list[Any]]]:
        """The columns as lists, after checking lengths, year and score range."""
        size = len(population)
        problems: list[Problem] = []
        if self.year != year:
            problems.append(Problem("assessments.year", f"columns for {year}", self.year,
                                    "pass the columns of the year being identified"))
        columns = {"totals": self.totals,
                   **({"grades": self.grades} if self.grades is not None else {}),
                   **{f"facts.{k}": v for k, v in self.facts.items()}}
        problems += [Problem(f"assessments.{name}", f"{size} values (one per organization)",
                             len(column), "align the columns with population.organizations")
                     for name, column in columns.items() if len(column) != size]
        scores = [float(t) for t in self.totals]
        if (scores and not (min(scores) >= 0 and max(scores) <= 100)) or any(map(isnan, scores)):
            bad = next(i for i, t in enumerate(scores) if not 0 <= t <= 100)
            problems.append(Problem(f"assessments.totals[{bad}]", "a score in [0, 100]",
                                    scores[bad], "correct the organization's score"))
        if problems:
            raise IdentificationError(f"cannot identify for {year}", problems)
        given: list[Grade | None] = (list(self.grades) if self.grades is not None
                                     else [None] * size)
        facts = self.facts
        return scores, given, lambda fact: list(facts.get(fact, [None] * size))


@attrs.frozen(slots=True)
class Reason:
    """Why an organization was, or was not, listed: a rule and the facts it used."""

    rule: str
    en: str
    zh: str
    facts: Mapping[str, Any]

    def render(self, lang: str = "en") -> str:
        """One line in English (``lang="en"``) or Chinese (``lang="zh"``) with the facts.

        The English line starts with the rule id and lists the facts as
        ``key=value``; the Chinese line is a sentence with no identifier in it
        (得分66.9, 倒数第12名, 分数线66.9, ...).  Each line is built once per
        reason and kept (reasons are immutable, and identification shares one
        reason among the organizations it applies to alike).
        """
        return self._zh_line if lang == "zh" else self._en_line

    @functools.cached_property
    def _en_line(self) -> str:
        facts = ", ".join(f"{k}={_fmt(v)}" for k, v in self.facts.items())
        text = self.en
        return f"{self.rule}: {text} ({facts})" if facts else f"{self.rule}: {text}"

    @functools.cached_property
    def _zh_line(self) -> str:
        facts_zh = _facts_zh(self.rule, self.facts)
        return f"{self.zh}({facts_zh})" if facts_zh else self.zh


def rank_phrase(rank: int, size: int, unit: str = "") -> str:
    """The Chinese phrase for a reverse rank: rank 1 is the *lowest* score, so 倒数第1.

    >>> rank_phrase(1, 52, "行政村")
    '在52个行政村中得分倒数第1'
    >>> rank_phrase(3, 20)
    '在20个同类组织中得分倒数第3'
    """
    return f"在{size}个{unit or '同类组织'}中得分倒数第{rank}"


def _num(value: Any) -> str:
    return _fmt(value) if isinstance(value, int | float) else str(value)


def _facts_zh(rule: str, facts: Mapping[str, Any]) -> str:
    """The facts of a reason as a Chinese clause, without identifiers."""
    if "grade" in facts:
        return f"评定等次: {_GRADE_ZH.get(str(facts['grade']), str(facts['grade']))}"
    if "fact" in facts:
        name = FACT_LABELS.get(str(facts["fact"]), str(facts["fact"]))
        op = _OP_ZH.get(str(facts.get("op")), str(facts.get("op")))
        return f"{name}{_num(facts['value'])}, 标准为{op}{_num(facts['threshold'])}"
    parts: list[str] = []
    if "score" in facts:
        parts.append(f"得分{_num(facts['score'])}")
    if "kind_size" in facts and "rank" not in facts:  # the rank itself closes the sentence
        parts.append(f"参加排名{facts['kind_size']}个")
    if "quota" in facts and "quota_count" in facts:
        parts.append(f"比例{float(facts['quota']) * 100:g}%即{facts['quota_count']}个")
    if facts.get("direct_count"):
        parts.append(f"直接认定{facts['direct_count']}个")
    if facts.get("cutoff") is not None:
        parts.append(f"分数线{_num(facts['cutoff'])}")
    margin = facts.get("margin")
    if isinstance(margin, int | float) and "cutoff" in facts:
        if margin > 0:
            parts.append(f"高出分数线{_fmt(margin)}分")
        elif margin < 0:
            parts.append(f"低于分数线{_fmt(-margin)}分")
        else:
            parts.append("与分数线持平")
    if "years" in facts and "limit" in facts:
        years = "、".join(str(y) for y in facts.get("streak", ()))
        parts.append(f"{years}年连续{facts['years']}年被列入, 规定为{facts['limit']}年")
    if "parent" in facts:
        parts.append(f"上级同类党组织: {facts.get('parent_name') or facts['parent']}")
    return ", ".join(parts)


@attrs.frozen(slots=True)
class KindSummary:
    """The quota arithmetic of one kind in one year.

    ``size`` counts the organizations ranked (the kind's unit of ranking);
    ``unranked`` those of the kind outside it (screened by direct criteria
    only), whose direct listings ``listed`` includes.
    """

    kind: str
    size: int
    fraction: float
    quota: int
    direct: int
    listed: int
    cutoff: float | None
    unranked: int = 0


@attrs.frozen(slots=True)
class Decision:
    """The identification decision for one organization in one year.

    ``rank`` is the competition rank in the kind by ascending score (1 is the
    lowest score; tied scores share a rank), and 0 for an organization outside
    its kind's unit of ranking.  ``margin`` is ``score - cutoff``: zero or
    negative means at or below the cut-off.  ``near_miss`` marks an
    organization not listed that ranked within ``near_miss_ranks`` places of
    the last one listed by quota.  ``name`` and ``kind_zh`` (the
    organization's name and the kind's Chinese label) let the Chinese
    explanation name what it speaks of.
    """

    org: str
    kind: str
    year: int
    listed: bool
    reasons: tuple[Reason, ...]
    score: float
    grade: Grade
    rank: int
    kind_size: int
    cutoff: float | None
    margin: float | None
    near_miss: bool
    policy: str
    name: str = ""
    kind_zh: str = ""

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids of the reasons."""
        return tuple(r.rule for r in self.reasons)

    def explain(self, lang: str = "en") -> str:
        """A sentence an official can read out: listed or not, and why.

        In Chinese the organization is named beside its code, every reason
        is a Chinese sentence, and the rank reads 倒数第N (rank 1 is the
        lowest score).
        """
        reasons = "; ".join(r.render(lang) for r in self.reasons)
        if lang == "zh":
            head = "列为整顿对象" if self.listed else "未列入"
            who = f"{self.name}({self.org})" if self.name else self.org
            tail = (f"; {rank_phrase(self.rank, self.kind_size, self.kind_zh)}" if self.rank
                    else "")
            return f"{who}: {head}: {reasons}{tail}"
        head = "listed" if self.listed else "not listed"
        tail = (f"; ranked {self.rank} of {self.kind_size} {self.kind}" if self.rank
                else f"; not ranked in {self.kind}")
        return f"{self.org}: {head}: {reasons}{tail}"


#: How many decisions iteration builds at a time (decisions decided alike share reasons).
_CHUNK = 4096


class _Batch:
    """The organizations of a `Decisions` sequence and the decisions built so far."""

    __slots__ = ("cache", "columns", "ident", "indices", "ranks", "shared")

    def __init__(self, ident: Identification, indices: Any, ranks: Any = None,
                 columns: dict[str, Any] | None = None,
                 built: list[Decision] | None = None) -> None:
        self.ident = ident
        self.indices = indices  # a list of ints, or an index array from the array core
        self.ranks = ranks  # the ranks (an array) when the array core computed them
        self.columns = columns  # the array core's numbers of these decisions
        self.cache: list[Decision | None] | None = cast(list[Decision | None], built)
        # Decisions built in full so far, by what decides them (see `Identification._decisions`).
        self.shared: dict[tuple[Any, ...], tuple[tuple[Any, ...], str]] = {}

    def __len__(self) -> int:
        return len(self.indices)

    def fill(self, positions: range) -> list[Decision | None]:
        """Build the decisions at ``positions`` not built yet; the cache."""
        cache = self.cache
        if cache is None:
            cache = self.cache = [None] * len(self.indices)
        missing: range | list[int]
        if positions.step == 1 and cache[positions.start:positions.stop].count(None) == len(
                positions):
            missing = positions  # none built yet: read the columns as slices
        else:
            missing = [p for p in positions if cache[p] is None]
        if not missing:
            return cache
        indices, ranks, columns = self.indices, self.ranks, self.columns
        where: slice | list[int] = (slice(missing.start, missing.stop)
                                    if isinstance(missing, range) else missing)
        flags = None
        if isinstance(indices, list):
            wanted = [indices[p] for p in missing]
            rank_of = None if ranks is None else [ranks[p] for p in missing]
        else:
            wanted = indices[where].tolist()
            rank_of = None if ranks is None else ranks[where].tolist()
            if columns is not None:
                flags = (columns["quota"][where].tolist(), columns["any_direct"][where].tolist())
        with gc_paused():
            built = self.ident._decisions(wanted, rank_of, flags, self.shared)
        if isinstance(missing, range):
            cache[missing.start:missing.stop] = built
        else:
            for p, decision in zip(missing, built, strict=True):
                cache[p] = decision
        return cache


class Decisions(Sequence[Decision]):
    """A read-only sequence of decisions that builds each `Decision` when first read.

    `Identification.listed` and `Identification.near_misses` return one.  It
    behaves as a list of the same decisions would: ``len``, indexing (negative
    too), slicing (another `Decisions` over the same decisions), iteration,
    ``in``, ``+`` (giving a list), and equality with any sequence of equal
    decisions.  A decision, once built, is kept, so reading it again gives
    the same object; a reason is rendered to text only when read.

    `columns` gives the numbers of every decision at once as NumPy arrays,
    which the array core computed without building any `Decision`.
    """

    __slots__ = ("_batch", "_span")

    def __init__(self, batch: _Batch, span: range | None = None) -> None:
        self._batch = batch
        self._span = range(len(batch)) if span is None else span

    def __len__(self) -> int:
        return len(self._span)

    @overload
    def __getitem__(self, key: int) -> Decision: ...

    @overload
    def __getitem__(self, key: slice) -> Decisions: ...

    def __getitem__(self, key: int | slice) -> Decision | Decisions:
        """The decision at ``key``, or the decisions of a slice as another `Decisions`."""
        if isinstance(key, slice):
            return Decisions(self._batch, self._span[key])
        position = self._span[key]  # IndexError or TypeError as a list gives them
        cache = self._batch.cache
        found = None if cache is None else cache[position]
        if found is None:
            found = self._batch.fill(range(position, position + 1))[position]
        assert found is not None
        return found

    def __iter__(self) -> Iterator[Decision]:
        span, fill = self._span, self._batch.fill
        for start in range(0, len(span), _CHUNK):
            chunk = span[start:start + _CHUNK]
            cache = cast(list[Decision], fill(chunk))  # built at every position of the chunk
            if chunk.step == 1:
                yield from cache[chunk.start:chunk.stop]
            else:
                yield from map(cache.__getitem__, chunk)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, as a list

    def __add__(self, other: Iterable[Decision]) -> list[Decision]:
        return [*self, *other]

    def __radd__(self, other: Iterable[Decision]) -> list[Decision]:
        return [*other, *self]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (and copied) as the list of its decisions, without the identification."""
        return (list, (list(self),))

    def __repr__(self) -> str:
        """As the list of the decisions; past 20, the first three and how many follow."""
        if len(self) <= _REPR_ALL:
            return repr(list(self))
        head = ", ".join(map(repr, self[:3]))
        return f"[{head}, ... {len(self) - 3:,} more]"

    @property
    def codes(self) -> list[str]:
        """The organizations' codes, in order (no decision built)."""
        orgs = self._batch.ident.population.organizations
        indices = self._batch.indices
        span = self._span
        if isinstance(indices, list):
            return [orgs[indices[p]].code for p in span]
        return list(map(_CODE, map(orgs.__getitem__, self._indices().tolist())))

    def _indices(self) -> Any:
        np = _numpy()
        indices = self._batch.indices
        span = self._span
        if isinstance(indices, list):
            return np.asarray([indices[p] for p in span], dtype=np.int64)
        return indices[np.arange(span.start, span.stop, span.step)].astype(np.int64)

    def columns(self) -> dict[str, Any]:
        """The decisions as columns: a dict of NumPy arrays of equal length (``fast`` extra).

        ``index`` (position in ``population.organizations``), ``org``,
        ``kind``, ``score``, ``grade`` (the text columns are object arrays of
        `str`), ``rank`` (0 outside the kind's unit of ranking),
        ``kind_size``, ``cutoff`` (NaN where none), ``listed`` and
        ``near_miss``, then one boolean column ``rule.<id>`` per rule a reason
        can carry: the policy's direct criteria in its order, then the rules
        of `RULE_LABELS`.  ``score - cutoff`` is the margin.  The listed
        decisions' columns come from the array core without building a
        `Decision`; elsewhere they are read from the decisions.  ``dict`` of
        arrays goes straight into ``pyarrow.table``, ``polars.DataFrame`` or
        ``pandas.DataFrame``.

        Raises:
            ImportError: NumPy is not installed (the ``fast`` extra).
        """
        np = _numpy()
        ident = self._batch.ident
        policy = ident.policy
        rules = [*(c.id for c in policy.identification.direct), *RULE_LABELS]
        kept = self._batch.columns
        if kept is None:
            decisions = list(self)
            kind = np.asarray([d.kind for d in decisions], dtype=object)
            out: dict[str, Any] = {
                "index": self._indices(),
                "org": np.asarray([d.org for d in decisions], dtype=object),
                "kind": kind,
                "score": np.asarray([d.score for d in decisions], dtype=np.float64),
                "grade": np.asarray([d.grade.value for d in decisions], dtype=object),
                "rank": np.asarray([d.rank for d in decisions], dtype=np.int64),
                "kind_size": np.asarray([d.kind_size for d in decisions], dtype=np.int64),
                "cutoff": np.asarray([np.nan if d.cutoff is None else d.cutoff
                                      for d in decisions], dtype=np.float64),
                "listed": np.asarray([d.listed for d in decisions], dtype=bool),
                "near_miss": np.asarray([d.near_miss for d in decisions], dtype=bool),
            }
            for rule in rules:
                out[f"rule.{rule}"] = np.asarray([rule in d.rules for d in decisions],
                                                 dtype=bool)
            return out
        span = self._span
        where = np.arange(span.start, span.stop, span.step)
        assert ident._arrays is not None
        kinds = ident._arrays.kind_names
        sizes = np.asarray([ident._kinds[k].summary.size for k in kinds], dtype=np.int64)
        cutoffs = np.asarray([np.nan if ident._kinds[k].summary.cutoff is None
                              else ident._kinds[k].summary.cutoff for k in kinds],
                             dtype=np.float64)
        code = kept["kind_code"][where]
        rank = kept["rank"][where].astype(np.int64)
        cutoff = cutoffs[code]
        cutoff[rank == 0] = np.nan  # outside the unit of ranking: no cut-off applies
        index = kept["index"][where]
        orgs = ident.population.organizations
        out = {
            "index": index,
            "org": np.asarray(list(map(_CODE, map(orgs.__getitem__, index.tolist()))),
                              dtype=object),
            "kind": np.asarray(kinds, dtype=object)[code],
            "score": kept["score"][where],
            "grade": np.asarray([g.value for g in _GRADE_ORDER], dtype=object)[
                kept["grade_code"][where]],
            "rank": rank,
            "kind_size": sizes[code],
            "cutoff": cutoff,
            "listed": np.ones(len(where), dtype=bool),
            "near_miss": np.zeros(len(where), dtype=bool),
        }
        direct = dict(zip((c.id for c in policy.identification.direct), kept["direct"],
                          strict=True))
        for rule in rules:
            if rule in direct:
                out[f"rule.{rule}"] = direct[rule][where]
            elif rule == "quota":
                out[f"rule.{rule}"] = kept["quota"][where]
            else:
                out[f"rule.{rule}"] = np.zeros(len(where), dtype=bool)
        return out


#: Up to this many decisions, a `Decisions` reprs as the list of them.
_REPR_ALL = 20


def _numpy() -> ModuleType:
    try:
        import numpy
    except ImportError:
        raise ImportError("Decision columns need NumPy, the fast extra: "
                          "pip install 'rectify[fast]'") from None
    return numpy


@attrs.frozen(slots=True)
class _KindResult:
    summary: KindSummary
    after_last: list[int]  # the near_miss_ranks organizations ranked after the last quota listing
    sorted_scores: Sequence[float]  # a list, or a float array from the array core
    reason: str  # rule id for organizations of this kind that are not listed


class Listing(Protocol):
    """What `rectify.Campaign.open_cases` reads of an identification.

    An `Identification` is one; so is any object offering the same three
    members, such as one province's share of a national identification that a
    platform hands to the worker of that province.
    """

    @property
    def year(self) -> int:
        """The campaign year the decisions are for."""

    @property
    def listed_codes(self) -> Collection[str]:
        """The codes of the listed organizations."""

    def listed(self) -> Sequence[Decision]:
        """The listed organizations' decisions."""


class Identification:
    """The outcome of one year's identification, decision by decision.

    Iterate for every `Decision` (in code order), or ask `listed()`,
    `near_misses()`, `decision()` and `kinds`.
    """

    def __init__(
        self,
        *,
        population: Population,
        policy: Policy,
        year: int,
        scores: list[float],
        grades: list[Grade],
        direct: Mapping[int, list[tuple[DirectCriterion, Any]]],
        listed_by_quota: AbstractSet[int],
        kinds: dict[str, _KindResult],
        unranked: frozenset[int] = frozenset(),
        arrays: _Columnar | None = None,
    ) -> None:
        self.population = population
        self.policy = policy
        self.year = year
        self.fingerprint = policy.fingerprint()
        self._scores = scores
        self._grades = grades
        self._direct = direct
        self._quota = listed_by_quota
        self._kinds = kinds
        self._unranked = unranked
        # The array core's columns, from which the listed are found and numbered in bulk.
        self._arrays = arrays
        # Organizations not listed that rank just above a kind's last quota listing.
        self._near: frozenset[int] = frozenset(
            i for r in kinds.values() for i in r.after_last
            if i not in listed_by_quota and i not in direct)
        # Built on the first lookup by code: most runs never need it.
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._scores)

    def __iter__(self) -> Iterator[Decision]:
        return (self._decision(i) for i in range(len(self._scores)))

    @property
    def kinds(self) -> dict[str, KindSummary]:
        """The quota arithmetic per kind."""
        return {k: r.summary for k, r in sorted(self._kinds.items())}

    @property
    def listed_codes(self) -> list[str]:
        """Codes of the listed organizations, in code order."""
        orgs = self.population.organizations
        return list(map(_CODE, map(orgs.__getitem__, self._listed_indices())))

    def _listed_indices(self) -> list[int]:
        """Indices of the listed organizations, ascending."""
        arrays = self._arrays
        if arrays is None:
            return sorted({*self._quota, *self._direct})
        found: list[int] = arrays.listed().tolist()
        return found

    def listed(self) -> Decisions:
        """Decisions of the listed organizations, in code order.

        A read-only sequence (`Decisions`): each `Decision` is built with its
        reasons when first read, and `Decisions.columns` gives the numbers of
        all of them as arrays without building any.
        """
        arrays = self._arrays
        if arrays is None:
            return Decisions(_Batch(self, self._listed_indices()))
        listed = arrays.listed()
        np = arrays.core.np
        cols = arrays.core.listed_columns(listed, arrays.kind_code, arrays.totals,
                                          arrays.grade_code, arrays.sorted_scores,
                                          arrays.outside)
        cols["quota"] = arrays.quota[listed]
        cols["any_direct"] = arrays.direct[listed]
        cols["direct"] = [hits[listed] for hits in arrays.criteria]
        cols["index"] = listed.astype(np.int64)
        return Decisions(_Batch(self, listed, cols["rank"], cols))

    def near_misses(self) -> Decisions:
        """Decisions of organizations not listed but ranked just above a cut-off."""
        indices = self._near_miss_indices()
        with gc_paused():
            kept = [(i, d) for i, d in zip(indices, self._decisions(indices), strict=True)
                    if d.near_miss]
        return Decisions(_Batch(self, [i for i, _ in kept], built=[d for _, d in kept]))

    def decision(self, code: str) -> Decision:
        """The decision for the organization with this code."""
        index = self._index
        if index is None:
            orgs = self.population.organizations
            index = self._index = dict(zip(map(_CODE, orgs), range(len(orgs)), strict=True))
        try:
            return self._decision(index[code])
        except KeyError:
            raise IdentificationError(
                "no decision", [Problem("code", "an organization of this population", code)]
            ) from None

    def _near_miss_indices(self) -> list[int]:
        return sorted(self._near)

    def _decisions(self, indices: list[int], ranks: list[int] | None = None,
                   flags: tuple[list[bool], list[bool]] | None = None,
                   shared: dict[tuple[Any, ...], tuple[tuple[Any, ...], str]] | None = None,
                   ) -> list[Decision]:
        """The decisions of many organizations: their inputs fetched column-wise, then built.

        Organizations of one kind with the same score, grade, direct criteria
        met and outcome get the same decision but for their code and name, so
        the first one is built in full (`_build`) and the others share its
        reasons (the same `Reason` objects, rendered once) and its numbers.
        The result equals building each decision on its own.  ``ranks``, if
        given, are the organizations' ranks, and ``flags`` whether each is
        listed by the quota and whether a direct criterion fired (both
        computed in bulk by the array core); ``shared`` the decisions built
        in full by earlier calls for the same sequence, to share them on.
        """
        orgs = self.population.organizations
        scores, grades = self._scores, self._grades
        if isinstance(scores, _Floats) and isinstance(grades, _Coded):
            score_of, grade_of = scores.take(indices), grades.take(indices)
        else:
            score_of, grade_of = list(map(scores.__getitem__, indices)), list(
                map(grades.__getitem__, indices))
        kinds, build, unranked = self._kinds, self._build, self._unranked
        direct, quota, near = self._direct.get, self._quota, self._near
        # The fields of the first decision of each key, but for code, name and kind label.
        if shared is None:
            shared = {}
        decisions: list[Decision] = []
        append = decisions.append
        make: Callable[..., Decision] = Decision  # positional: the fields in their order
        rank_of: Iterable[int] = repeat(0) if ranks is None else ranks
        if flags is None:
            quota_of: Iterable[bool] = map(quota.__contains__, indices)
            direct_of: Iterable[bool] = repeat(True)
        else:
            quota_of, direct_of = flags
        for i, org, score, grade, known, by_quota, any_direct in zip(
                indices, map(orgs.__getitem__, indices), score_of, grade_of, rank_of, quota_of,
                direct_of, strict=False):
            if i in unranked:  # its reasons name its parent: built on its own
                append(build(i, org, kinds[org.kind], score, grade, 0))
                continue
            fired = direct(i) if any_direct else None
            key = (org.kind, score, id(grade), by_quota, i in near,
                   tuple([(id(c), v) for c, v in fired]) if fired else ())
            found = shared.get(key)
            if found is None:
                result = kinds[org.kind]
                like = build(i, org, result, score, grade,
                             known or _rank(result.sorted_scores, score))
                shared[key] = ((like.kind, like.year, like.listed, like.reasons, like.score,
                                like.grade, like.rank, like.kind_size, like.cutoff, like.margin,
                                like.near_miss, like.policy), like.kind_zh)
                append(like)
            else:
                fields, kind_zh = found
                append(make(org.code, *fields, org.name, kind_zh))
        return decisions

    def _decision(self, i: int) -> Decision:
        org = self.population.organizations[i]
        result = self._kinds[org.kind]
        score = self._scores[i]
        rank = 0 if i in self._unranked else _rank(result.sorted_scores, score)
        return self._build(i, org, result, score, self._grades[i], rank)

    def _build(self, i: int, org: Organization, result: _KindResult, score: float,
               grade: Grade, rank: int) -> Decision:
        summary = result.summary
        outside = i in self._unranked
        cutoff = summary.cutoff
        margin = None if cutoff is None else round(score - cutoff, 6)
        ranking = {"score": score, "rank": rank, "kind_size": summary.size,
                   "quota": summary.fraction, "quota_count": summary.quota,
                   "cutoff": cutoff, "margin": margin}
        reasons: list[Reason] = [
            Reason(crit.id, crit.en, crit.zh, _direct_facts(crit, value))
            for crit, value in self._direct.get(i, ())
        ]
        if i in self._quota:
            reasons.append(_rule_reason("quota", ranking))
        listed = bool(reasons)
        if not listed and outside:
            parent = self.population.get(org.parent) if org.parent else None
            reasons.append(_rule_reason("not_ranked", {
                "parent": parent.code if parent else None,
                "parent_name": parent.name if parent else None}))
        elif not listed:
            rule = result.reason
            if rule == "above_cutoff" and margin == 0:
                rule = "tie_break"
            facts = ranking if rule in ("above_cutoff", "tie_break") else {
                "kind_size": summary.size, "quota": summary.fraction,
                "quota_count": summary.quota, "direct_count": summary.direct}
            reasons.append(_rule_reason(rule, facts))
        near = not listed and i in self._near
        label = self.policy.kinds.get(org.kind)
        return Decision(org=org.code, kind=org.kind, year=self.year, listed=listed,
                        reasons=tuple(reasons), score=score, grade=grade, rank=rank,
                        kind_size=summary.size, cutoff=None if outside else cutoff,
                        margin=None if outside else margin, near_miss=near,
                        policy=self.fingerprint, name=org.name,
                        kind_zh=label.zh if label else "")


    def to_arrow(self) -> Any:
        """Every decision as a `pyarrow.Table` (see `rectify.reporting.frames`; ``arrow`` extra)."""
        from rectify.reporting import frames

        return frames.decisions_table(self)

    def to_pandas(self) -> Any:
        """Every decision as a pandas DataFrame, through Arrow (``pandas`` extra)."""
        from rectify.reporting import frames

        return frames.to_pandas(frames.decisions_table(self))

    def to_polars(self) -> Any:
        """Every decision as a polars DataFrame, through Arrow (``polars`` extra)."""
        from rectify.reporting import frames

        return frames.to_polars(frames.decisions_table(self))

    def _repr_html_(self) -> str:
        from rectify.reporting import frames

        return frames.decisions_html(self)

def identify(
    population: Population,
    assessments: Mapping[str, Assessment] | Iterable[Assessment] | AssessmentColumns,
    policy: Policy,
    year: int,
) -> Identification:
    """Identify the year's weak and lax organizations (软弱涣散基层党组织).

    ``assessments`` gives each organization's assessment for ``year``, as a
    mapping by code, as an iterable (assessments of other years are
    ignored), or — fastest at national scale — as `AssessmentColumns`
    aligned with ``population.organizations``.  Direct criteria list an
    organization whatever its rank; then
    within each kind the lowest scores are listed until the kind's quota is
    met (direct listings count towards it when the policy says so).  Ranking
    is over the whole kind, never per township.  The result does not depend
    on the order of the inputs.

    Raises `IdentificationError` listing every
    organization without an assessment for the year and every unknown kind.
    """
    with gc_paused():
        return _identify(population, assessments, policy, year)


#: Below this many organizations the pure-Python path is faster than loading NumPy.
ARRAY_MIN_SIZE = 5_000


def _array_core(engine: str, size: int) -> ModuleType | None:
    """The NumPy core if it should run: ``engine`` is ``"auto"``, ``"python"`` or ``"arrays"``."""
    if engine == "python" or (engine == "auto" and size < ARRAY_MIN_SIZE):
        return None
    try:
        from rectify import _identify_arrays
    except ImportError:  # NumPy is not installed (the `fast` extra)
        if engine == "arrays":
            raise
        return None
    return _identify_arrays


def _identify(
    population: Population,
    assessments: Mapping[str, Assessment] | Iterable[Assessment] | AssessmentColumns,
    policy: Policy,
    year: int,
    engine: str = "auto",
) -> Identification:
    # Work column by column (map, zip, comprehensions) rather than organization
    # by organization: at national scale per-organization Python work dominates.
    orgs = population.organizations
    core = _array_core(engine, len(orgs))
    # The array core reads the kinds as columns kept per population (see PopulationColumns).
    cols = None if core is None else core.population_columns(population)
    known = cols is not None and all(k in policy.kinds for k in cols.kinds)
    if isinstance(assessments, AssessmentColumns) and core is not None and known:
        totals = _checked_totals(core, assessments, len(orgs), year)
        if totals is not None:
            return _with_arrays(core, cols, population, policy, year, totals,
                                _listed(assessments.grades), assessments.facts.get)
    kinds = list(map(_KIND, orgs))
    first_seen = dict.fromkeys(kinds)  # kinds in order of first occurrence
    unranked = _unranked(population, policy)
    if isinstance(assessments, AssessmentColumns):
        scores, given, fact_column = assessments.checked(population, policy, year)
        unknown = [k for k in first_seen if k not in policy.kinds]
        if unknown:
            raise IdentificationError(f"cannot identify for {year}", [Problem(
                f"organization {orgs[kinds.index(k)].code}.kind",
                f"a kind of the policy ({', '.join(policy.kinds)})", k,
                "correct the kind or use a policy declaring it") for k in unknown])
    else:
        by_code = _assessments_for(assessments, year)
        if not by_code and len(population):
            raise IdentificationError(f"cannot identify for {year}", [Problem(
                "assessments", f"assessments for {year}", "none for that year",
                "pass the year's assessments, or choose a year that has them")])
        rows = list(map(by_code.get, map(_CODE, orgs)))
        if any(map(is_, rows, repeat(None))) or any(k not in policy.kinds for k in first_seen):
            raise IdentificationError(f"cannot identify for {year}",
                                      _input_problems(orgs, by_code, policy, year))
        present = cast(list[Assessment], rows)
        scores = list(map(_TOTAL, present))
        given = list(map(_GRADE, present))

        def fact_column(fact: str) -> list[Any]:
            return [a.facts.get(fact) for a in present]

        if core is not None and known:
            totals = core.float_column(scores)
            if totals is not None:
                return _with_arrays(core, cols, population, policy, year, totals, given,
                                    fact_column)

    grades = _grades(given, scores, policy)
    direct = _direct(policy.identification.direct, fact_column, kinds, scores, grades)
    groups: dict[str, list[int]] = {k: [] for k in first_seen}
    add = {k: g.append for k, g in groups.items()}
    if unranked:
        for i, k in enumerate(kinds):
            if i not in unranked:
                add[k](i)
    else:
        for i, k in enumerate(kinds):
            add[k](i)
    direct_counts = Counter(kinds[i] for i in direct if i not in unranked)
    outside = Counter(kinds[i] for i in unranked)
    outside_direct = Counter(kinds[i] for i in direct if i in unranked)
    del kinds, add
    listed_by_quota: set[int] = set()
    results: dict[str, _KindResult] = {}
    for kind in list(groups):
        results[kind] = _rank_kind(kind, groups.pop(kind), scores, direct, direct_counts[kind],
                                   policy, listed_by_quota)
        if outside[kind]:
            summary = attrs.evolve(results[kind].summary, unranked=outside[kind],
                                   listed=results[kind].summary.listed + outside_direct[kind])
            results[kind] = attrs.evolve(results[kind], summary=summary)
    for kind in policy.kinds:
        if kind not in results:
            results[kind] = _KindResult(KindSummary(kind, 0, policy.identification.quota[kind],
                                                    0, 0, 0, None), [], [], "no_quota")
    return Identification(population=population, policy=policy, year=year, scores=scores,
                          grades=grades, direct=direct, listed_by_quota=listed_by_quota,
                          kinds=results, unranked=unranked)


def ranked_indices(population: Population, policy: Policy) -> list[bool]:
    """Whether each organization (in code order) is in its kind's unit of ranking.

    ``policy.identification.ranked`` names the unit per kind (`RankedUnit`):
    ``all`` (the default) ranks every organization of the kind, ``top`` only
    those not under another organization of the same kind.

    >>> from rectify.model import Organization, OrgForm, Tier
    >>> from rectify.policy import load_policy
    >>> town = Organization("T1", "东河镇党委", "township", Tier.DIRECT, OrgForm.COMMITTEE)
    >>> village = Organization("T1-01", "河口村党总支", "village", Tier.SECOND_TIER,
    ...                        OrgForm.GENERAL_BRANCH, parent="T1")
    >>> group = Organization("T1-01-01", "河口村第一村民小组党支部", "village",
    ...                      Tier.SECOND_TIER, parent="T1-01")
    >>> ranked_indices(Population([town, village, group]), load_policy())
    [True, True, False]
    """
    outside = _unranked(population, policy)
    return [i not in outside for i in range(len(population))]


def _unranked(population: Population, policy: Policy) -> frozenset[int]:
    """Indices of organizations outside their kind's unit of ranking."""
    rules = {k: u for k, u in policy.identification.ranked.items() if u is RankedUnit.TOP}
    if not rules:
        return frozenset()
    orgs = population.organizations
    out: set[int] = set()
    for i, org in enumerate(orgs):
        if org.kind in rules and org.parent is not None:
            parent = population.get(org.parent)
            if parent is not None and parent.kind == org.kind:
                out.add(i)
    return frozenset(out)


def _input_problems(
    orgs: tuple[Organization, ...], by_code: Mapping[str, Assessment], policy: Policy, year: int
) -> list[Problem]:
    """Every missing assessment and unknown kind, in code order."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for org in orgs:
        if by_code.get(org.code) is None:
            problems.append(Problem(f"assessment of {org.code}", f"an assessment for {year}",
                                    None, "assess every organization of the population"))
            continue
        if org.kind not in seen:
            seen.add(org.kind)
            if org.kind not in policy.kinds:
                problems.append(Problem(f"organization {org.code}.kind",
                                        f"a kind of the policy ({', '.join(policy.kinds)})",
                                        org.kind, "correct the kind or use a policy declaring it"))
    return problems


def _grades(given: list[Grade | None], scores: list[float], policy: Policy) -> list[Grade]:
    """The assessed grade, or where none was given the policy's band for the total."""
    bands = [(policy.grades[g.value], g) for g in (Grade.A, Grade.B, Grade.C)]

    def band(total: float) -> Grade:
        for bound, grade in bands:
            if total >= bound:
                return grade
        return Grade.D

    # Scores repeat (whole or half points), so each distinct total is banded once.
    memo = {total: band(total) for total in set(scores)}
    if given.count(None) == len(given):
        return list(map(memo.__getitem__, scores))
    return [memo[t] if g is None else g for g, t in zip(given, scores, strict=True)]


def _direct(
    criteria: tuple[DirectCriterion, ...],
    fact_column: Callable[[str], list[Any]],
    kinds: list[str],
    scores: list[float],
    grades: list[Grade],
) -> dict[int, list[tuple[DirectCriterion, Any]]]:
    """The direct criteria each organization meets, in the policy's order of criteria."""
    fired: dict[int, list[tuple[DirectCriterion, Any]]] = {}
    for crit in criteria:
        values: list[Any]
        if crit.grades:
            # Enum hashing runs in Python; comparing object ids stays in C.
            wanted = frozenset(id(g) for g in Grade if g.value in crit.grades)
            hits = list(compress(range(len(grades)), map(wanted.__contains__, map(id, grades))))
            values = grades
        else:
            assert crit.fact is not None
            assert crit.op is not None
            assert crit.threshold is not None
            fact = crit.fact
            values = scores if fact == "total" else fact_column(fact)
            holds, threshold = _OPS[crit.op], crit.threshold
            hits = [i for i, v in enumerate(values) if v is not None and holds(v, threshold)]
        if crit.kinds:
            allowed = frozenset(crit.kinds)
            hits = [i for i in hits if kinds[i] in allowed]
        for i in hits:
            value = values[i]
            if isinstance(value, Grade):
                value = value.value
            fired.setdefault(i, []).append((crit, value))
    return {i: fired[i] for i in sorted(fired)}


def _assessments_for(
    assessments: Mapping[str, Assessment] | Iterable[Assessment], year: int
) -> Mapping[str, Assessment]:
    if isinstance(assessments, Mapping):
        return assessments
    by_code: dict[str, Assessment] = {}
    duplicates: list[Problem] = []
    for a in assessments:
        if a.year != year:
            continue
        if a.org in by_code:
            duplicates.append(Problem(f"assessment of {a.org}", f"one assessment for {year}",
                                      "two", "keep one assessment per organization and year"))
        by_code[a.org] = a
    if duplicates:
        raise IdentificationError(f"cannot identify for {year}", duplicates)
    return by_code


def _listed(grades: Column[Grade | None] | None) -> list[Grade | None] | None:
    """A grades column as a list (the array path counts and maps it as one)."""
    return None if grades is None else list(grades)


def _checked_totals(core: ModuleType, columns: AssessmentColumns, size: int,
                    year: int) -> Any:
    """The columns' totals as a float array if every check passes, else ``None``.

    ``None`` sends the caller down the pure-Python path, which reports the problems.
    """
    if columns.year != year or len(columns.totals) != size:
        return None
    if (columns.grades is not None and len(columns.grades) != size) or any(
            len(c) != size for c in columns.facts.values()):
        return None
    totals = core.float_column(columns.totals)
    if totals is None or (size and not (totals.min() >= 0 and totals.max() <= 100)):
        return None  # also NaN, which fails both comparisons
    return totals


_GRADE_ORDER = (Grade.A, Grade.B, Grade.C, Grade.D)


def _with_arrays(
    core: ModuleType,
    cols: Any,
    population: Population,
    policy: Policy,
    year: int,
    totals: Any,
    given: Sequence[Grade | None] | None,
    fact_column: Callable[[str], Column[Any] | None],
    unranked: frozenset[int] = frozenset(),
) -> Identification:
    """`identify` over NumPy arrays: the same results as the pure-Python path below.

    ``cols`` are the population's `PopulationColumns` (kind codes, grouping,
    organizations outside their kind's unit of ranking).
    """
    ident = policy.identification
    np = core.np
    codes, kind_code = cols.codes, cols.kind_code
    top = frozenset(k for k, u in ident.ranked.items() if u is RankedUnit.TOP)
    outside = cols.unranked(population, top) if top else kind_code[:0]
    grade_code = core.band_codes(totals, [policy.grades[g.value] for g in _GRADE_ORDER[:3]])
    if given and given.count(None) != len(given):
        by_id = {id(g): n for n, g in enumerate(_GRADE_ORDER)}
        by_id[id(None)] = -1
        assessed = core.kind_codes(list(map(id, given)), by_id)
        grade_code = core.np.where(assessed >= 0, assessed, grade_code).astype("int8")
    grades = _Coded(grade_code, _GRADE_ORDER)
    scores = _Floats(totals)

    direct, direct_mask, masks = _direct_arrays(core, ident.direct, grade_code, kind_code,
                                                codes, totals, fact_column)
    kinds = len(codes)
    in_unit = None  # where organizations are in their kind's unit of ranking, if not all
    ranked_direct = direct_mask
    outside_kinds = outside_direct = [0] * kinds
    if len(outside):
        in_unit = np.ones(len(kind_code), dtype=bool)
        in_unit[outside] = False
        ranked_direct = direct_mask & in_unit
        outside_kinds = np.bincount(kind_code[outside], minlength=kinds).tolist()
        outside_direct = np.bincount(kind_code[outside[direct_mask[outside]]],
                                     minlength=kinds).tolist()
    direct_kinds = np.bincount(kind_code[ranked_direct], minlength=kinds).tolist()

    order, bounds = cols.grouped, cols.bounds
    by_quota = np.zeros(len(kind_code), dtype=bool)
    results: dict[str, _KindResult] = {}
    sorted_scores = []
    for kind, n in codes.items():
        segment = order[bounds[n]:bounds[n + 1]]
        if in_unit is not None:
            segment = segment[in_unit[segment]]
        fraction, quota, needed, reason = _quota(kind, len(segment), direct_kinds[n], policy)
        ranked = core.rank_kind(segment, totals, direct_mask, needed,
                                ident.ties is TieRule.INCLUDE_ALL, ident.near_miss_ranks)
        cutoff = None if ranked.last < 0 else float(totals[ranked.last])
        by_quota[ranked.quota] = True
        sorted_scores.append(ranked.sorted_scores)
        summary = KindSummary(kind, len(segment), fraction, quota, direct_kinds[n],
                              len(ranked.quota) + direct_kinds[n] + outside_direct[n], cutoff,
                              outside_kinds[n])
        results[kind] = _KindResult(summary, ranked.after_last.tolist(),
                                    ranked.sorted_scores, reason)
    for kind in policy.kinds:
        if kind not in results:
            results[kind] = _KindResult(KindSummary(kind, 0, ident.quota[kind], 0, 0, 0, None),
                                        [], [], "no_quota")
    arrays = _Columnar(core, list(codes), kind_code, totals, grade_code, by_quota, direct_mask,
                       masks, sorted_scores, None if in_unit is None else ~in_unit)
    return Identification(population=population, policy=policy, year=year,
                          scores=cast(list[float], scores), grades=cast(list[Grade], grades),
                          direct=direct, listed_by_quota=_Mask(by_quota),
                          kinds=results, unranked=frozenset(outside.tolist()), arrays=arrays)


@attrs.frozen(slots=True, eq=False)
class _Columnar:
    """What the array core keeps of an identification, to find and number the listed in bulk.

    ``kind_names`` are the kinds by kind code.  Arrays are aligned with
    ``population.organizations``; ``criteria`` holds
    where each direct criterion fired (policy order), ``sorted_scores`` each
    kind's sorted scores by kind code, ``outside`` where organizations are
    outside their kind's unit of ranking (``None`` if none is).
    """

    core: ModuleType
    kind_names: list[str]
    kind_code: Any
    totals: Any
    grade_code: Any
    quota: Any
    direct: Any
    criteria: list[Any]
    sorted_scores: list[Any]
    outside: Any

    def listed(self) -> Any:
        """Indices of the listed organizations, ascending, as an array."""
        return self.core.np.flatnonzero(self.quota | self.direct)


def _direct_arrays(
    core: ModuleType,
    criteria: tuple[DirectCriterion, ...],
    grade_code: Any,
    kind_code: Any,
    codes: dict[str, int],
    totals: Any,
    fact_column: Callable[[str], Column[Any] | None],
) -> tuple[_Fired, Any, list[Any]]:
    """The direct criteria each organization meets (as `_direct`, read on demand), where
    any fired, and where each fired (a boolean mask per criterion, in the policy's order)."""
    size = len(totals)
    direct_mask = core.np.zeros(size, dtype=bool)
    masks: list[Any] = []
    values_of: list[Callable[[Any], list[Any]]] = []
    for crit in criteria:
        if crit.grades:
            wanted = [n for n, g in enumerate(_GRADE_ORDER) if g.value in crit.grades]
            hits = core.np.isin(grade_code, wanted)
        else:
            assert crit.fact is not None
            assert crit.op is not None
            assert crit.threshold is not None
            column = totals if crit.fact == "total" else fact_column(crit.fact)
            values = None if column is None else core.float_column(column)
            if values is None:
                hits = core.np.zeros(size, dtype=bool) if column is None else core.np.array(
                    [v is not None and _OPS[crit.op](v, crit.threshold) for v in column],
                    dtype=bool)
            else:
                hits = core.compare(values, crit.op.value, crit.threshold)
        if crit.kinds:
            hits &= core.np.isin(kind_code, [codes[k] for k in crit.kinds if k in codes])
        masks.append(hits)
        direct_mask |= hits
        if crit.grades:
            values_of.append(functools.partial(_grade_values, grade_code))
        elif crit.fact == "total":
            values_of.append(functools.partial(_float_values, totals))
        else:
            source: Column[Any] = () if column is None else column  # None: never fired
            values_of.append(functools.partial(_values, source))
    fired = _Fired(list(zip(criteria, masks, values_of, strict=True)), direct_mask, core.np)
    return fired, direct_mask, masks


_GRADE_VALUES = tuple(g.value for g in _GRADE_ORDER)


def _grade_values(grade_code: Any, where: Any) -> list[str]:
    """The grade letters at the indices ``where`` (an index array)."""
    return list(map(_GRADE_VALUES.__getitem__, grade_code[where].tolist()))


def _float_values(values: Any, where: Any) -> list[float]:
    found: list[float] = values[where].tolist()
    return found


def _values(source: Column[Any], where: Any) -> list[Any]:
    return list(map(source.__getitem__, where.tolist()))


#: Lookups of single organizations' criteria before `_Fired` tables them all.
_TABLE_AFTER = 2048


class _Fired(Mapping[int, list[tuple[DirectCriterion, Any]]]):
    """The direct criteria each organization meets, as `_direct` gives them, read from masks.

    The array core keeps one boolean mask per criterion; an organization's
    criteria (each with the value it was judged on) are read from the masks
    when its decision is built, not for every organization a criterion fired
    on.  After `_TABLE_AFTER` lookups (a batch of decisions is being built)
    the criteria of every organization are tabled at once, in bulk.  Keys
    iterate in ascending order, as `_direct`'s do.
    """

    __slots__ = ("_any", "_criteria", "_keys", "_lookups", "_np", "_table")

    def __init__(self, criteria: list[tuple[DirectCriterion, Any, Callable[[Any], list[Any]]]],
                 any_fired: Any, np: ModuleType) -> None:
        self._np = np
        self._criteria = criteria
        self._any = any_fired
        self._keys: list[int] | None = None
        self._table: dict[int, list[tuple[DirectCriterion, Any]]] | None = None
        self._lookups = 0

    def get(self, i: int, default: Any = None) -> Any:
        """The criteria organization ``i`` meets with their values, or ``default``."""
        table = self._table
        if table is not None:
            return table.get(i, default)
        if not 0 <= i < len(self._any) or not self._any[i]:
            return default
        self._lookups += 1
        if self._lookups > _TABLE_AFTER:
            return self._tabled().get(i, default)
        one = self._np.array([i], dtype=self._np.intp)
        return [(crit, values(one)[0]) for crit, hits, values in self._criteria if hits[i]]

    def _tabled(self) -> dict[int, list[tuple[DirectCriterion, Any]]]:
        """Every organization's criteria with their values, built in one pass per criterion."""
        table: dict[int, list[tuple[DirectCriterion, Any]]] = {}
        get = table.get
        for crit, hits, values in self._criteria:
            where = hits.nonzero()[0]
            for i, value in zip(where.tolist(), values(where), strict=True):
                found = get(i)
                if found is None:
                    table[i] = [(crit, value)]
                else:
                    found.append((crit, value))
        self._table = table
        return table

    def __getitem__(self, i: int) -> list[tuple[DirectCriterion, Any]]:
        found: list[tuple[DirectCriterion, Any]] | None = self.get(i)
        if found is None:
            raise KeyError(i)
        return found

    def __contains__(self, i: object) -> bool:
        return isinstance(i, int) and 0 <= i < len(self._any) and bool(self._any[i])

    def __iter__(self) -> Iterator[int]:
        keys = self._keys
        if keys is None:
            keys = self._keys = self._any.nonzero()[0].tolist()
        return iter(keys)

    def __len__(self) -> int:
        return int(self._any.sum())


class _Mask(AbstractSet[int]):
    """The organizations where a boolean array holds, as a set of indices."""

    __slots__ = ("_mask",)

    def __init__(self, mask: Any) -> None:
        self._mask = mask

    def __contains__(self, i: object) -> bool:
        return isinstance(i, int) and 0 <= i < len(self._mask) and bool(self._mask[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self._mask.nonzero()[0].tolist())

    def __len__(self) -> int:
        return int(self._mask.sum())


class _Floats:
    """A float array read as a sequence of Python floats."""

    __slots__ = ("_array",)

    def __init__(self, array: Any) -> None:
        self._array = array

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, i: int) -> float:
        return float(self._array[i])

    def take(self, indices: list[int]) -> list[float]:
        """The floats at ``indices``."""
        values: list[float] = self._array[indices].tolist()
        return values


class _Coded:
    """A code array read as a sequence of the values the codes stand for."""

    __slots__ = ("_codes", "_values")

    def __init__(self, codes: Any, values: Sequence[Any]) -> None:
        self._codes = codes
        self._values = values

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, i: int) -> Any:
        return self._values[self._codes[i]]

    def take(self, indices: list[int]) -> list[Any]:
        """The values at ``indices``."""
        return list(map(self._values.__getitem__, self._codes[indices].tolist()))


def _rank(sorted_scores: Sequence[float], score: float) -> int:
    """The competition rank of ``score`` among a kind's sorted scores (1 is the lowest)."""
    if isinstance(sorted_scores, list):
        return bisect_left(sorted_scores, score) + 1
    return int(cast(Any, sorted_scores).searchsorted(score)) + 1  # a float array


def _quota(kind: str, size: int, direct_count: int, policy: Policy) -> tuple[
        float, int, int, str]:
    """A kind's fraction, quota, places left for ranking, and the not-listed reason."""
    ident = policy.identification
    fraction = ident.quota[kind]
    if fraction == 0 and ident.min_per_kind == 0:
        quota, reason = 0, "no_quota"
    elif size < ident.min_group_size:
        quota, reason = 0, "small_group"
    else:
        quota = min(size, max(ident.rounding.apply(fraction, size), ident.min_per_kind))
        reason = "above_cutoff"
    if reason == "above_cutoff" and quota == 0:
        reason = "no_quota"
    needed = max(0, quota - direct_count) if ident.count_direct_in_quota else quota
    if quota and not needed:
        reason = "quota_met_by_direct"
    return fraction, quota, needed, reason


def _rank_kind(
    kind: str,
    indices: list[int],
    scores: list[float],
    direct: dict[int, Any],
    direct_count: int,
    policy: Policy,
    listed_by_quota: set[int],
) -> _KindResult:
    ident = policy.identification
    # Indices are in code order and the sort is stable, so ties stay in code order.
    order = sorted(indices, key=scores.__getitem__)
    del indices
    size = len(order)
    fraction, quota, needed, reason = _quota(kind, size, direct_count, policy)
    last = -1
    cutoff: float | None = None
    taken = 0
    for position, i in enumerate(order):
        if taken >= needed and (ident.ties is not TieRule.INCLUDE_ALL or scores[i] != cutoff):
            break
        if i in direct:
            continue
        listed_by_quota.add(i)
        taken += 1
        last = position
        cutoff = scores[i]
    listed = taken + direct_count
    summary = KindSummary(kind, size, fraction, quota, direct_count, listed, cutoff)
    # Only the organizations ranked just after the last quota listing can be near misses.
    after_last = order[last + 1 : last + 1 + max(0, ident.near_miss_ranks)] if last >= 0 else []
    return _KindResult(summary, after_last, list(map(scores.__getitem__, order)), reason)


def _direct_facts(crit: DirectCriterion, value: Any) -> dict[str, Any]:
    if crit.grades:
        return {"grade": value, "grades": list(crit.grades)}
    assert crit.op is not None
    return {"fact": crit.fact, "value": value, "op": crit.op.value, "threshold": crit.threshold}


def _rule_reason(rule: str, facts: dict[str, Any]) -> Reason:
    en, zh = RULE_LABELS[rule]
    return Reason(rule, en, zh, facts)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

