"""Domain events: what happened, to which case, by whom, when, under which policy.

Every command appends events; current state is rebuilt by replaying them.
Each event belongs to a *stream* (a case id such as ``2017-V01-03``, or
``person:<id>`` / ``org:<code>`` for accountability records) and carries its
version within the stream, the acting person, the date, the policy
fingerprint and the id of the command that produced it.  An event whose
``transitions`` is not empty moved the case through those workflow triggers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
import cattrs

from rectify.errors import InvalidValueError

__all__ = [
    "EVENT_TYPES",
    "POLICY_STREAM",
    "SCHEMA_VERSION",
    "AppraisalRecorded",
    "CaseCarriedOver",
    "CaseContinued",
    "CaseDelisted",
    "CaseOpened",
    "CaseReopened",
    "ConsequenceRecorded",
    "EscalationRecorded",
    "Event",
    "FindingRecorded",
    "PlanFiled",
    "PlanReturned",
    "PolicyChanged",
    "PostAppointed",
    "PostVacated",
    "ReportRecorded",
    "SecretaryDismissed",
    "SupportAssigned",
    "SupportReleased",
    "TalkRecorded",
    "VerificationRecorded",
    "VerificationRequested",
    "event_from_dict",
    "event_to_dict",
]

#: Version of the serialised form; bump it and add an upcaster when a field changes.
SCHEMA_VERSION = 1


@attrs.frozen(kw_only=True, slots=True)
class Event:
    """Fields every event has."""

    stream: str
    version: int
    actor: str
    on: date
    policy: str
    command: str
    transitions: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class CaseOpened(Event):
    """A listed organization became a case (已认定).

    ``scope`` is the organization's place (`rectify.model.Organization.scope`)
    in a ledger of many counties; ``""`` for a ledger of one.
    """

    org: str
    year: int
    kind: str
    rules: tuple[str, ...]
    score: float
    scope: str = ""


@attrs.frozen(kw_only=True, slots=True)
class PlanFiled(Event):
    """The individual rectification plan was filed (报备)."""

    problems: tuple[tuple[str, str], ...]
    measures: tuple[str, ...]
    responsible: tuple[str, ...]
    deadline: date
    problem_type: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class PlanReturned(Event):
    """The organization department sent the plan back for rework."""

    reason: str


@attrs.frozen(kw_only=True, slots=True)
class SupportAssigned(Event):
    """A person (or unit) took up a support level for the case (包扶)."""

    level: str
    person: str


@attrs.frozen(kw_only=True, slots=True)
class SupportReleased(Event):
    """A support level was released."""

    level: str
    person: str


@attrs.frozen(kw_only=True, slots=True)
class ReportRecorded(Event):
    """A report: a first secretary's monthly work plan or duty ledger, or progress."""

    kind: str
    month: str
    resolved: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen(kw_only=True, slots=True)
class VerificationRequested(Event):
    """Every problem was reported resolved and verification was requested."""


@attrs.frozen(kw_only=True, slots=True)
class VerificationRecorded(Event):
    """A verification team's result (考核验收) and the acceptance decision."""

    score: float
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    team: tuple[str, ...]
    passed: bool
    reasons: tuple[str, ...]
    attempt: int
    new_deadline: date | None = None


@attrs.frozen(kw_only=True, slots=True)
class CaseDelisted(Event):
    """The organization was delisted (销号)."""


@attrs.frozen(kw_only=True, slots=True)
class CaseReopened(Event):
    """A relapse found in follow-up reopened the case (回头看)."""

    reason: str
    new_deadline: date


@attrs.frozen(kw_only=True, slots=True)
class CaseCarriedOver(Event):
    """The year closed before the case was delisted."""


@attrs.frozen(kw_only=True, slots=True)
class EscalationRecorded(Event):
    """An organization listed in consecutive years escalated (问责)."""

    org: str
    year: int
    streak: tuple[int, ...]


@attrs.frozen(kw_only=True, slots=True)
class SecretaryDismissed(Event):
    """A secretary was dismissed (免去书记职务) because of an escalation."""

    org: str
    person: str | None
    role: str
    year: int
    cause: str


@attrs.frozen(kw_only=True, slots=True)
class TalkRecorded(Event):
    """An admonishment (约谈) or cautionary (诫勉) talk."""

    person: str
    kind: str
    reason: str
    case: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class AppraisalRecorded(Event):
    """A secretary's annual report-and-appraisal grade (述职评议考核)."""

    person: str
    year: int
    grade: str


#: The ledger-level stream of `PolicyChanged` events (not a case, a person or an organization).
POLICY_STREAM = "ledger:policy"


@attrs.frozen(kw_only=True, slots=True)
class PolicyChanged(Event):
    """The ledger adopted another policy on purpose (政策调整).

    ``policy`` (as on every event) is the fingerprint of the policy adopted,
    ``name`` its name; ``previous`` is the fingerprint it replaces.  From this
    event on, commands are recorded under the new policy only.
    """

    previous: str
    name: str
    reason: str


@attrs.frozen(kw_only=True, slots=True)
class CaseContinued(Event):
    """The year closed before the case was delisted: it continues, still open, into ``into``.

    The case keeps its id and state; ``new_deadline`` (when set) replaces its
    deadline.  The organization counts as listed in ``into`` (连续列入), so
    the continuation counts towards escalation.
    """

    org: str
    into: int
    new_deadline: date | None = None


@attrs.frozen(kw_only=True, slots=True)
class FindingRecorded(Event):
    """A finding against an organization or a township (发现问题): a plaque mishandled,
    a misreport, a spot-check result.

    ``kind`` is a key of the policy's ``escalation.findings``; ``year`` the
    year it is counted in; ``extend_years`` how many following years the
    organization counts as listed because of it; ``counts`` whether it counts
    towards the escalation ladder.
    """

    org: str
    kind: str
    year: int
    note: str = ""
    extend_years: int = 0
    counts: bool = True


@attrs.frozen(kw_only=True, slots=True)
class ConsequenceRecorded(Event):
    """A step of the escalation ladder applied to an organization's secretary (问责措施).

    ``action`` is ``talk`` (with ``talk`` its kind), ``criticism`` (通报批评)
    or ``no_awards`` (取消评先); ``months`` how long its bans last (0: the
    rest of the year); ``basis`` and ``years`` what triggered it; ``step``
    the step's position in the policy's ladder; ``cause`` the case or finding
    behind it.
    """

    org: str
    person: str | None
    action: str
    basis: str
    year: int
    step: int
    years: tuple[int, ...] = ()
    talk: str = ""
    months: int = 0
    cause: str = ""


@attrs.frozen(kw_only=True, slots=True)
class PostAppointed(Event):
    """A person was appointed to a post (组织调整: 任命), on an organization's stream.

    ``role`` is the post at the organization (``"secretary"`` for 书记);
    ``previous`` is whoever held it until this date (``None``: it was vacant).
    """

    org: str
    role: str
    person: str
    previous: str | None = None
    reason: str = ""


@attrs.frozen(kw_only=True, slots=True)
class PostVacated(Event):
    """A person left a post without a successor (组织调整: 免职、调离), on the org's stream."""

    org: str
    role: str
    person: str
    reason: str = ""


EVENT_TYPES: Mapping[str, type[Event]] = {
    cls.__name__: cls
    for cls in (CaseOpened, PlanFiled, PlanReturned, SupportAssigned, SupportReleased,
                ReportRecorded, VerificationRequested, VerificationRecorded, CaseDelisted,
                CaseReopened, CaseCarriedOver, EscalationRecorded, SecretaryDismissed,
                TalkRecorded, AppraisalRecorded, PolicyChanged, CaseContinued, FindingRecorded,
                ConsequenceRecorded, PostAppointed, PostVacated)
}


@functools.cache
def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    return conv


def event_to_dict(event: Event) -> dict[str, Any]:
    """Plain JSON-ready data for an event, tagged with its type and schema version."""
    data: dict[str, Any] = _converter().unstructure(event)
    data["type"] = type(event).__name__
    data["schema"] = SCHEMA_VERSION
    return data


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """The event that `event_to_dict()` produced (older schema versions are upcast)."""
    body = dict(data)
    name = body.pop("type", None)
    schema = body.pop("schema", SCHEMA_VERSION)
    cls = EVENT_TYPES.get(str(name))
    if cls is None:
        raise InvalidValueError("type", f"an event type ({', '.join(EVENT_TYPES)})", name)
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise InvalidValueError("schema", f"a schema version ≤ {SCHEMA_VERSION}", schema,
                                "upgrade rectify to read this ledger")
    try:
        return _converter().structure(body, cls)
    except Exception as exc:
        raise InvalidValueError(name or "event", f"a valid {name} event", body,
                                str(exc)) from None
