"""The array core of identification: grades, direct criteria and per-kind ranking in NumPy.

`rectify.identify` uses this module when NumPy is installed (the ``fast``
extra) and the population is large enough for arrays to pay; otherwise it
runs its pure-Python path.  Both paths give identical results, which a
differential property test checks.  This module knows nothing of decisions
or reasons: it takes columns (kind codes, scores, grade codes, fact columns)
and returns the indices and numbers `rectify.identify` builds its
`Identification` from, so that the per-organization Python work is left to
the organizations a caller actually reads (the listed and the near misses).

Ties keep code order everywhere, as in the pure-Python path: every sort of
indices is stable over indices in code order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from rectify.forest import Population

__all__ = ["PopulationColumns", "Ranked", "band_codes", "compare", "float_column",
           "group_by_kind", "kind_codes", "listed_columns", "population_columns", "rank_kind"]

Indices = NDArray[np.intp]
Floats = NDArray[np.float64]


def float_column(values: Sequence[Any]) -> Floats | None:
    """``values`` as a float array (``None`` becomes NaN); ``None`` if they do not convert."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 1 else None


def kind_codes(kinds: list[str], codes: Mapping[str, int]) -> NDArray[np.int16]:
    """The code of each organization's kind (``codes`` maps every kind present to one)."""
    return np.fromiter(map(codes.__getitem__, kinds), dtype=np.int16, count=len(kinds))


def band_codes(scores: Floats, bounds: Sequence[float]) -> NDArray[np.int8]:
    """Grade codes from the policy's bands: 0, 1, 2 for the first bound met, else 3.

    ``bounds`` are the lower bounds of the grades coded 0, 1 and 2, checked in
    that order; the first met wins, as in the pure-Python banding.
    """
    codes = np.full(len(scores), len(bounds), dtype=np.int8)
    for code in range(len(bounds) - 1, -1, -1):  # the earliest bound is assigned last
        codes[scores >= bounds[code]] = code
    return codes


def compare(values: Floats, op: str, threshold: float) -> NDArray[np.bool_]:
    """Where ``values <op> threshold`` holds; NaN (a fact not measured) never holds."""
    holds: NDArray[np.bool_]
    if op == "<":
        holds = values < threshold
    elif op == "<=":
        holds = values <= threshold
    elif op == ">":
        holds = values > threshold
    elif op == ">=":
        holds = values >= threshold
    else:
        holds = values == threshold
    return holds


def group_by_kind(codes: NDArray[np.int16], kinds: int) -> tuple[Indices, Indices]:
    """Indices grouped by kind code, in index (code) order within a kind.

    Returns the grouped indices and the ``kinds + 1`` boundaries of the kinds' slices.
    """
    grouped = np.argsort(codes, kind="stable")
    bounds = np.zeros(kinds + 1, dtype=np.intp)
    np.cumsum(np.bincount(codes, minlength=kinds), out=bounds[1:])
    return grouped, bounds


class Ranked:
    """One kind's ranking: who the quota lists, the last of them, and the sorted scores."""

    __slots__ = ("after_last", "last", "quota", "sorted_scores")

    def __init__(self, quota: Indices, last: int, after_last: Indices,
                 sorted_scores: Floats) -> None:
        self.quota = quota  # indices listed by the quota, in rank order
        self.last = last  # index of the last one listed by the quota, -1 if none
        self.after_last = after_last  # the indices ranked just after it
        self.sorted_scores = sorted_scores

    def ranks(self, scores: Floats) -> NDArray[np.intp]:
        """Competition ranks (1 is the lowest score) of these scores within the kind."""
        ranks: NDArray[np.intp] = np.searchsorted(self.sorted_scores, scores, side="left") + 1
        return ranks


def rank_kind(members: Indices, scores: Floats, direct: NDArray[np.bool_], needed: int,
              include_ties: bool, near_miss_ranks: int) -> Ranked:
    """List the ``needed`` lowest of a kind that are not listed directly.

    ``members`` are the kind's indices in code order.  The rank order is by
    ascending score, ties in code order; with ``include_ties`` everyone tied
    with the last one listed is listed too, otherwise the code order breaks
    the tie.  Only the head of the rank order (up to the cut-off and the
    ``near_miss_ranks`` after it) is sorted by index; the rest of the kind
    needs only its sorted scores, for ranks.
    """
    values = scores[members]
    ranked = np.sort(values)
    empty = members[:0]
    free_values = values[~direct[members]] if needed > 0 else values[:0]
    if not len(free_values):
        return Ranked(empty, -1, empty, ranked)
    take = min(needed, len(free_values))
    cutoff = np.partition(free_values, take - 1)[take - 1]
    # The head holds every score up to the cut-off and the near_miss_ranks places after it.
    end = int(np.searchsorted(ranked, cutoff, side="right")) - 1 + max(0, near_miss_ranks)
    head = members[values <= ranked[min(end, len(ranked) - 1)]]
    head = head[np.argsort(scores[head], kind="stable")]
    head_scores = scores[head]
    free = np.flatnonzero(~direct[head])
    if include_ties:
        take = int(np.searchsorted(free, np.searchsorted(head_scores, cutoff, side="right")))
    positions = free[:take]
    last = int(positions[-1])
    after = head[last + 1:last + 1 + max(0, near_miss_ranks)]
    return Ranked(head[positions], int(head[last]), after, ranked)


def listed_columns(listed: Indices, kind_code: NDArray[np.int16], scores: Floats,
                   grade_code: NDArray[np.int8], sorted_scores: Sequence[Floats],
                   outside: NDArray[np.bool_] | None) -> dict[str, Any]:
    """The numbers of the listed decisions as columns, computed without one Python object each.

    ``listed`` are the indices (ascending) of the listed organizations,
    ``sorted_scores[n]`` the sorted scores of the unit of ranking of the kind
    coded ``n``, ``outside`` where organizations are outside their kind's unit
    of ranking (``None`` if none is).  Returns each listed organization's kind
    code, score, grade code and competition rank (1 is the lowest score in the
    kind; 0 outside the unit of ranking), as `Decision` has them.
    """
    kinds = kind_code[listed]
    score = scores[listed]
    rank = np.zeros(len(listed), dtype=np.intp)
    for n, ranked in enumerate(sorted_scores):
        where = np.flatnonzero(kinds == n)
        if len(where):
            rank[where] = np.searchsorted(ranked, score[where], side="left") + 1
    if outside is not None:
        rank[outside[listed]] = 0
    return {"kind_code": kinds, "score": score, "grade_code": grade_code[listed], "rank": rank}


class PopulationColumns:
    """What identification reads of a population, as columns computed once per population.

    ``kinds`` are the kinds in order of first occurrence (code order),
    ``codes`` their codes, ``kind_code`` each organization's kind code, and
    ``grouped``/``bounds`` the indices grouped by kind (`group_by_kind`).
    Reading the kind of millions of `Organization` objects is most of the
    Python work of a national identification; a population does not change,
    so `population_columns` keeps the columns of the last population seen
    (the analysts' anchors likewise build their columnar copy once).
    """

    __slots__ = ("_unranked", "bounds", "codes", "grouped", "kind_code", "kinds")

    def __init__(self, population: Population) -> None:
        kinds = list(map(attrgetter("kind"), population.organizations))
        self.kinds: list[str] = list(dict.fromkeys(kinds))
        self.codes: dict[str, int] = {k: n for n, k in enumerate(self.kinds)}
        self.kind_code = kind_codes(kinds, self.codes)
        del kinds
        self.grouped, self.bounds = group_by_kind(self.kind_code, len(self.kinds))
        self._unranked: dict[frozenset[str], Indices] = {}

    def unranked(self, population: Population, top: frozenset[str]) -> Indices:
        """Indices (ascending) of the organizations under a parent of their own kind.

        Only kinds in ``top`` (ranked by their top units, `RankedUnit.TOP`) are
        looked at; the same organizations as `rectify.identify._unranked`.
        """
        found = self._unranked.get(top)
        if found is None:
            wanted = [self.codes[k] for k in top if k in self.codes]
            orgs, get = population.organizations, population.get
            out = []
            for i in np.flatnonzero(np.isin(self.kind_code, wanted)).tolist():
                org = orgs[i]
                if org.parent is not None:
                    parent = get(org.parent)
                    if parent is not None and parent.kind == org.kind:
                        out.append(i)
            found = self._unranked[top] = np.asarray(out, dtype=np.intp)
        return found


# The columns of the last population identified with arrays (a strong reference: one
# population at a time, which is what a national run holds anyway).
_LAST: list[tuple[Population, PopulationColumns]] = []


def population_columns(population: Population) -> PopulationColumns:
    """The `PopulationColumns` of ``population``, computed on its first identification."""
    if _LAST and _LAST[0][0] is population:
        return _LAST[0][1]
    columns = PopulationColumns(population)
    _LAST[:] = [(population, columns)]
    return columns
