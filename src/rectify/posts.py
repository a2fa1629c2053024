"""Posts over time (组织调整): who held which post on which date.

A `Post` is a role at an organization: its secretary (书记) or, for a
village, its stationed first secretary (第一书记).  `Holdings` answers "who
held this post on this date" from plain data: the population's initial
holders (`rectify.model.Organization.secretary`, holding since before the
ledger began) and the post events of the ledger (`rectify.events.PostAppointed`,
`rectify.events.PostVacated`, and `rectify.events.SecretaryDismissed`, which
vacates the post from its date).  It does no I/O: `rectify.Campaign` reads the
events from its store.

Each event takes effect on its date: on the day of a dismissal the person no
longer holds the post, and on the day of an appointment the new holder does.
Events of the same date apply in ledger order.

>>> from datetime import date
>>> from rectify.events import PostAppointed, SecretaryDismissed
>>> from rectify.sample import sample_population
>>> population = sample_population()
>>> population["T04-05"].secretary
'P0190'
>>> common = dict(actor="OD-1", policy="-", org="T04-05", role="secretary")
>>> events = [
...     SecretaryDismissed(stream="org:T04-05", version=1, on=date(2017, 2, 15),
...                        command="c1", person="P0190", year=2017, cause="2017-T04-05",
...                        **common),
...     PostAppointed(stream="org:T04-05", version=2, on=date(2017, 3, 1), command="c2",
...                   person="P0300", **common),
... ]
>>> holdings = Holdings.of(population, events)
>>> post = Post("T04-05")
>>> [holdings.who_held(post, day) for day in (date(2017, 2, 14), date(2017, 2, 15),
...                                           date(2017, 3, 1))]
['P0190', None, 'P0300']
>>> holdings.lost_post("P0190", date(2017, 3, 1))
(Post(org='T04-05', role='secretary'),)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from rectify.events import Event, PostAppointed, PostVacated, SecretaryDismissed
from rectify.model import Organization

__all__ = [
    "FIRST_SECRETARY",
    "POST_ROLES",
    "SECRETARY",
    "Holdings",
    "Initial",
    "Post",
    "Tenure",
    "post_events",
]

#: The post of an organization's secretary (书记).
SECRETARY = "secretary"
#: The post of a village's stationed first secretary (第一书记).
FIRST_SECRETARY = "first_secretary"

#: The posts the ledger follows, with their Chinese names.
POST_ROLES: Mapping[str, str] = MappingProxyType({
    SECRETARY: "书记",
    FIRST_SECRETARY: "第一书记",
})


@attrs.frozen(slots=True, order=True)
class Post:
    """A post: a role (``"secretary"``, ``"first_secretary"``) at one organization."""

    org: str
    role: str = SECRETARY

    def zh(self, name: str = "") -> str:
        """The post in Chinese: ``南沟乡党委书记`` (``name`` is the organization's name)."""
        return f"{name or self.org}{POST_ROLES.get(self.role, '书记')}"


@attrs.frozen(slots=True)
class Tenure:
    """One person's time in a post.

    ``start`` is ``None`` for an initial holder (from the population, before
    the ledger); ``end`` is ``None`` while the person still holds the post,
    otherwise the first day they no longer did.  ``ended_by`` names the event
    type that ended it (``"SecretaryDismissed"``, ``"PostVacated"``,
    ``"PostAppointed"`` for a successor).
    """

    post: Post
    person: str
    start: date | None
    end: date | None = None
    ended_by: str | None = None

    def holds_on(self, on: date) -> bool:
        """Whether the person holds the post on ``on``."""
        return (self.start is None or self.start <= on) and (self.end is None or on < self.end)


def _post_of(event: Event) -> Post | None:
    if isinstance(event, SecretaryDismissed):
        return Post(event.org, SECRETARY)
    if isinstance(event, PostAppointed | PostVacated):
        return Post(event.org, event.role)
    return None


def post_events(events: Iterable[Event]) -> list[Event]:
    """The events of ``events`` that change a post's holder, in date order (stable)."""
    chosen = [e for e in events if _post_of(e) is not None]
    return sorted(chosen, key=lambda e: e.on)


class Initial:
    """The population's initial holders, indexed once (share it between `Holdings.of` calls)."""

    __slots__ = ("by_person", "secretaries", "tenures")

    def __init__(self, population: Iterable[Organization]) -> None:
        self.tenures: dict[Post, Tenure] = {}
        self.by_person: dict[str, list[Post]] = {}
        #: Organization code → its initial secretary (what `Holdings.holder` answers for a
        #: secretary post no event changed, without building a `Post`).
        self.secretaries: dict[str, str] = {}
        for org in population:
            if org.secretary:
                post = Post(org.code, SECRETARY)
                self.tenures[post] = Tenure(post, org.secretary, None)
                self.by_person.setdefault(org.secretary, []).append(post)
                self.secretaries[org.code] = org.secretary


class Holdings:
    """Every post's holders over time; build it with `of()`.

    Only the posts the events changed are copied; the others are read from
    the shared `Initial` index, so building holdings costs the post events,
    not the population.
    """

    __slots__ = ("_by_person", "_changed", "_changed_secretaries", "_dismissed", "_initial")

    def __init__(self, initial: Initial, changed: dict[Post, tuple[Tenure, ...]],
                 dismissed: frozenset[tuple[Post, str]]) -> None:
        self._initial = initial
        self._changed = changed
        self._dismissed = dismissed
        #: The organizations whose secretary post the events changed.
        self._changed_secretaries = frozenset(p.org for p in changed if p.role == SECRETARY)
        self._by_person: dict[str, list[Tenure]] = {}
        for tenures in changed.values():
            for tenure in tenures:
                self._by_person.setdefault(tenure.person, []).append(tenure)

    @property
    def dismissed(self) -> frozenset[tuple[Post, str]]:
        """Every ``(post, person)`` dismissal (免职) recorded (read-only: a campaign shares
        one `Holdings` between its lookups)."""
        return self._dismissed

    @classmethod
    def of(cls, population: Iterable[Organization] | Initial,
           events: Iterable[Event]) -> Holdings:
        """The holdings of ``population``'s initial secretaries changed by ``events``.

        ``population`` may be an `Initial` index built once.  ``events`` may
        hold any events (a store's `records()`); only the post events count.
        A dismissal or removal of someone who does not hold the post at that
        date changes nothing.
        """
        initial = population if isinstance(population, Initial) else Initial(population)
        changed: dict[Post, list[Tenure]] = {}
        dismissed: set[tuple[Post, str]] = set()
        for event in post_events(events):
            found = _post_of(event)
            if found is None:  # pragma: no cover - post_events keeps only post events
                continue
            post = found
            if post not in changed:
                first = initial.tenures.get(post)
                changed[post] = [first] if first is not None else []
            held = changed[post]
            current = held[-1] if held and held[-1].end is None else None
            if isinstance(event, PostAppointed):
                if current is not None and current.person == event.person:
                    continue
                if current is not None:
                    held[-1] = attrs.evolve(current, end=event.on, ended_by="PostAppointed")
                held.append(Tenure(post, event.person, event.on))
                continue
            person = event.person if isinstance(event, SecretaryDismissed | PostVacated) \
                else None
            if isinstance(event, SecretaryDismissed) and person is not None:
                dismissed.add((post, person))
            if current is not None and current.person == person:
                held[-1] = attrs.evolve(current, end=event.on, ended_by=type(event).__name__)
        return cls(initial, {p: tuple(t) for p, t in changed.items()}, frozenset(dismissed))

    def changed_posts(self) -> tuple[Post, ...]:
        """The posts the ledger's events changed (the others keep their initial holder)."""
        return tuple(self._changed)

    @property
    def tenures(self) -> Mapping[Post, tuple[Tenure, ...]]:
        """Every post's tenures, oldest first."""
        merged: dict[Post, tuple[Tenure, ...]] = {
            p: (t,) for p, t in self._initial.tenures.items()}
        merged.update(self._changed)
        return MappingProxyType(merged)

    def history(self, post: Post) -> tuple[Tenure, ...]:
        """The tenures of ``post``, oldest first."""
        changed = self._changed.get(post)
        if changed is not None:
            return changed
        first = self._initial.tenures.get(post)
        return (first,) if first is not None else ()

    def who_held(self, post: Post, on: date) -> str | None:
        """The person holding ``post`` on ``on`` (``None``: vacant, or never filled)."""
        for tenure in reversed(self.history(post)):
            if tenure.holds_on(on):
                return tenure.person
        return None

    def holder(self, org: str, role: str = SECRETARY, *, on: date) -> str | None:
        """`who_held()` of the post ``role`` at ``org``."""
        if role == SECRETARY and org not in self._changed_secretaries:
            # The initial holder holds an unchanged post on every date (or nobody does).
            return self._initial.secretaries.get(org)
        return self.who_held(Post(org, role), on)

    def tenures_of(self, person: str) -> tuple[Tenure, ...]:
        """Every tenure of ``person``."""
        found = [self._initial.tenures[p] for p in self._initial.by_person.get(person, ())
                 if p not in self._changed]
        found += self._by_person.get(person, ())
        return tuple(found)

    def posts_of(self, person: str, on: date) -> tuple[Post, ...]:
        """The posts ``person`` holds on ``on``, in order."""
        return tuple(sorted(t.post for t in self.tenures_of(person) if t.holds_on(on)))

    def lost_post(self, person: str, on: date) -> tuple[Post, ...]:
        """The posts ``person`` held once but no longer holds on ``on`` (and holds no other).

        Empty for someone who never held a post, or who holds one on ``on``:
        such a person may still be named.  A person who lost every post they
        held may not be named as responsible, supporter or verifier, nor be
        talked to as a secretary.
        """
        tenures = self.tenures_of(person)
        if any(t.holds_on(on) for t in tenures):
            return ()
        return tuple(sorted({t.post for t in tenures if t.end is not None and t.end <= on}))

    def was_dismissed(self, post: Post, person: str) -> bool:
        """Whether ``person`` was ever dismissed (免职) from ``post``."""
        return (post, person) in self._dismissed

    def ever_held(self, person: str) -> bool:
        """Whether ``person`` held a post at some time."""
        return bool(self.tenures_of(person))

    def everyone(self) -> frozenset[str]:
        """Everyone who held a post at some time."""
        return frozenset(self._initial.by_person) | frozenset(self._by_person)
