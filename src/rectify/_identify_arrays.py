"""The array core of identification: grades, direct criteria and per-kind ranking in NumPy.

`rectify.identify` uses this module when NumPy is installed (the ``fast``
extra) and the population is large enough for arrays to pay; otherwise it
runs its pure-Python path.  Both paths give identical results, which a
differential property test checks.  This module knows nothing of decisions
or reasons: it takes columns (kind codes, scores, grade codes, fact columns)
and returns the indices and numbers `rectify.identify` builds its
`Identification` from, so that the per-organization Python work is left to
the organizations a caller actually reads (the listed and the near misses).

Ties keep code order everywhere, as in the pure-Python path: every sort is
stable over indices in code order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Ranked", "band_codes", "compare", "float_column", "kind_codes", "rank_kind",
           "sort_by_kind"]

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


def sort_by_kind(codes: NDArray[np.int16], scores: Floats, kinds: int) -> tuple[Indices, Indices]:
    """Indices grouped by kind code, ascending score within a kind, ties in index order.

    Returns the order and the ``kinds + 1`` boundaries of the kinds' slices in it.
    """
    grouped = np.argsort(codes, kind="stable")
    bounds = np.zeros(kinds + 1, dtype=np.intp)
    np.cumsum(np.bincount(codes, minlength=kinds), out=bounds[1:])
    for k in range(kinds):
        segment = grouped[bounds[k]:bounds[k + 1]]
        segment[:] = segment[np.argsort(scores[segment], kind="stable")]
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


def rank_kind(segment: Indices, scores: Floats, direct: NDArray[np.bool_], needed: int,
              include_ties: bool, near_miss_ranks: int) -> Ranked:
    """List the ``needed`` lowest of a kind that are not listed directly.

    ``segment`` is the kind's indices in rank order (`sort_by_kind`).  With
    ``include_ties``, everyone tied with the last one listed is listed too;
    otherwise the code order (the order of ``segment``) breaks the tie.
    """
    ranked = scores[segment]
    empty = segment[:0]
    if needed <= 0:
        return Ranked(empty, -1, empty, ranked)
    free = np.flatnonzero(~direct[segment])  # positions in rank order that the quota can take
    if not len(free):
        return Ranked(empty, -1, empty, ranked)
    take = min(needed, len(free))
    if include_ties:
        cutoff = ranked[free[take - 1]]
        end = int(np.searchsorted(ranked, cutoff, side="right"))
        take = int(np.searchsorted(free, end, side="left"))
    positions = free[:take]
    last = int(positions[-1])
    after = segment[last + 1:last + 1 + max(0, near_miss_ranks)]
    return Ranked(segment[positions], int(segment[last]), after, ranked)
