"""The organization forest: county committee → direct organizations → second-tier branches."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from rectify.errors import ForestError, Problem
from rectify.model import Organization, Tier

__all__ = ["Population"]


class Population:
    """A validated set of organizations, kept in code order.

    Building one checks the tree and raises `ForestError`
    with every problem: duplicate codes, a direct organization with a parent, a
    second-tier branch without one, an unknown parent, a parent that is a plain
    branch (only committees and general branches have branches under them),
    and cycles.
    """

    __slots__ = ("_by_code", "_children", "_orgs")

    def __init__(self, organizations: Iterable[Organization]) -> None:
        orgs = sorted(organizations, key=_code)
        problems = _forest_problems(orgs)
        if problems:
            raise ForestError("the organization tree is inconsistent", problems)
        self._orgs: tuple[Organization, ...] = tuple(orgs)
        self._by_code: dict[str, Organization] = {o.code: o for o in orgs}
        children: defaultdict[str, list[str]] = defaultdict(list)
        for org in orgs:
            if org.parent is not None:
                children[org.parent].append(org.code)
        self._children = {k: tuple(v) for k, v in children.items()}

    def __len__(self) -> int:
        return len(self._orgs)

    def __iter__(self) -> Iterator[Organization]:
        return iter(self._orgs)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Organization:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"no organization with code {code!r} in this population") from None

    def __repr__(self) -> str:
        return f"<Population of {len(self)} organizations>"

    @property
    def organizations(self) -> tuple[Organization, ...]:
        """All organizations, sorted by code."""
        return self._orgs

    def get(self, code: str) -> Organization | None:
        """The organization with this code, or ``None``."""
        return self._by_code.get(code)

    def children(self, code: str) -> tuple[str, ...]:
        """Codes of the branches directly under ``code``."""
        return self._children.get(code, ())

    def ancestors(self, code: str) -> tuple[Organization, ...]:
        """The chain of parents of ``code``, nearest first (empty for a direct organization)."""
        chain: list[Organization] = []
        parent = self[code].parent
        while parent is not None:
            org = self._by_code[parent]
            chain.append(org)
            parent = org.parent
        return tuple(chain)

    def chain_secretaries(self, code: str) -> frozenset[str]:
        """The secretaries of ``code`` and of every organization above it (vacant posts left out).

        These people may not verify the organization's case.  An unknown code
        gives an empty set.
        """
        org = self.get(code)
        if org is None:
            return frozenset()
        return frozenset(o.secretary for o in (org, *self.ancestors(code)) if o.secretary)

    def kind_sizes(self) -> dict[str, int]:
        """How many organizations there are of each kind."""
        return dict(Counter(o.kind for o in self._orgs))


def _code(org: Organization) -> str:
    return org.code


def _forest_problems(orgs: list[Organization]) -> list[Problem]:
    problems: list[Problem] = []
    by_code: dict[str, Organization] = {}
    for org in orgs:
        if org.code in by_code:
            problems.append(
                Problem(
                    f"organization {org.code}",
                    "a unique code",
                    org.code,
                    f"two organizations share it ({by_code[org.code].name!r} and {org.name!r}); "
                    "give each its own code",
                )
            )
        else:
            by_code[org.code] = org
    for org in by_code.values():
        where = f"organization {org.code}.parent"
        if org.tier is Tier.DIRECT:
            if org.parent is not None:
                problems.append(
                    Problem(where, "no parent for a direct organization", org.parent,
                            "clear the parent, or make the tier second_tier")
                )
            continue
        if org.parent is None:
            problems.append(
                Problem(where, "the code of the committee or general branch above this "
                        "second-tier branch", None, "set the parent, or make the tier direct")
            )
            continue
        parent = by_code.get(org.parent)
        if parent is None:
            problems.append(
                Problem(where, "the code of an organization in the population", org.parent,
                        "add the parent organization or correct the code")
            )
        elif not parent.form.can_have_branches:
            problems.append(
                Problem(where, "a committee or general branch (党委/党总支)",
                        f"{parent.code} is a {parent.form.value}",
                        "attach the branch to a committee or general branch, or correct "
                        "the parent's form")
            )
    problems.extend(_cycle_problems(by_code))
    return problems


def _cycle_problems(by_code: dict[str, Organization]) -> list[Problem]:
    problems: list[Problem] = []
    settled: set[str] = set()
    for start in by_code:
        path: list[str] = []
        on_path: set[str] = set()
        code: str | None = start
        while code is not None and code not in settled and code in by_code:
            if code in on_path:
                cycle = [*path[path.index(code):], code]
                problems.append(
                    Problem(f"organization {code}.parent", "a tree without cycles",
                            " → ".join(cycle), "break the cycle by correcting one parent")
                )
                break
            path.append(code)
            on_path.add(code)
            code = by_code[code].parent
        settled.update(path)
    return problems
