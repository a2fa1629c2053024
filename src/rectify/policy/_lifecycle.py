"""Policy tables for the case lifecycle: plans, accountability, cadence and permissions.

Every table has defaults (the documented county practice), so a policy file
only states what differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import attrs

__all__ = [
    "DEFAULT_COMMANDS",
    "AccountabilityPolicy",
    "CoveragePolicy",
    "PermissionsPolicy",
    "PlanPolicy",
    "SchedulePolicy",
]

_V = TypeVar("_V")


def _frozen(value: Mapping[str, _V]) -> Mapping[str, _V]:
    return MappingProxyType(dict(value))


@attrs.frozen
class PlanPolicy:
    """Rectification plans (整顿方案) and their deadlines (限期).

    ``carry_over`` says what closing a year does to a case not yet delisted
    (限期整改销号: a case ends only by being delisted): ``"continue"`` keeps the
    same case open into the next year, with a new deadline
    ``carry_over_days`` days after the close; ``"relist"`` ends it as carried
    over (结转) and opens the organization's case for the next year.  Either
    way the organization counts as listed in the next year.
    """

    max_deadline_days: int = 180
    retry_deadline_days: int = 90
    follow_up_months: int = 12
    carry_over: str = "continue"
    carry_over_days: int = 90


@attrs.frozen
class AccountabilityPolicy:
    """Talks (约谈/诫勉) and the secretaries' appraisal (述职评议考核)."""

    cautionary_months: int = 6
    correction_days: int = 90
    talk_grades: tuple[str, ...] = ("average", "poor")


@attrs.frozen
class SchedulePolicy:
    """The supervision cadence (动态管理): days on which things fall due.

    Weekdays count from 0 (Monday).  Monthly items fall on a day of the month;
    the quarterly bulletin on a day of the month after each quarter; the
    annual rating on a month and day of the following year.
    """

    weekly_reminder_weekday: int = 0
    monthly_plan_due_day: int = 5
    monthly_spot_check_day: int = 15
    quarterly_bulletin_day: int = 10
    annual_rating_month: int = 1
    annual_rating_day: int = 20


_DEFAULT_COMMANDS: Mapping[str, tuple[str, ...]] = {
    "open_cases": ("org_department",),
    "file_plan": ("secretary", "committee_supervisor", "org_department"),
    "return_plan": ("org_department",),
    "assign_support": ("org_department",),
    "release_support": ("org_department",),
    "record_report": ("first_secretary", "committee_supervisor", "org_department"),
    "request_verification": ("committee_supervisor", "org_department"),
    "record_verification": ("verifier",),
    "delist": ("org_department",),
    "reopen": ("org_department",),
    "close_year": ("org_department",),
    "record_talk": ("org_department",),
    "record_appraisal": ("org_department",),
    "record_finding": ("org_department",),
    "appoint": ("org_department",),
    "vacate": ("org_department",),
}

#: The roles allowed each command by default; a policy written before a command existed
#: falls back to these for it.
DEFAULT_COMMANDS = _DEFAULT_COMMANDS

_DEFAULT_SCOPES: Mapping[str, str] = {
    "first_secretary": "assigned",
    "secretary": "own_organization",
    "committee_supervisor": "assigned",
}


@attrs.frozen
class PermissionsPolicy:
    """Which roles may issue which command, and on which organizations.

    ``commands`` maps a command to the roles allowed to issue it.  ``scopes``
    narrows a role to some cases: ``assigned`` (the actor supports the case at
    the level of the same name), ``own_organization`` (the actor is the
    organization's secretary) or ``any``.
    """

    commands: Mapping[str, tuple[str, ...]] = attrs.field(
        default=_DEFAULT_COMMANDS, converter=_frozen
    )
    scopes: Mapping[str, str] = attrs.field(default=_DEFAULT_SCOPES, converter=_frozen)


_DEFAULT_LEVEL_ROLES: Mapping[str, str] = {
    "leader_contact": "county_leader",
    "org_guidance": "org_department",
    "paired_unit": "paired_unit",
    "committee_supervisor": "committee_supervisor",
    "first_secretary": "first_secretary",
}


_DEFAULT_PAIRING: Mapping[str, str] = {
    "weak": "party_government_dept",
    "poor": "economic_dept",
    "disorderly": "political_legal_dept",
    "specialised": "agricultural_dept",
}


@attrs.frozen
class CoveragePolicy:
    """Load caps and role rules of the coverage graph (包扶关系).

    ``level_roles`` names the role a person needs to take each support level;
    a level not listed may be taken by anyone.
    """

    max_cases_per_person: int = 5
    max_villages_per_unit: int = 5
    min_contact_points: int = 1
    max_contact_points: int = 2
    min_visits: int = 4
    level_roles: Mapping[str, str] = attrs.field(default=_DEFAULT_LEVEL_ROLES,
                                                 converter=_frozen)
    #: Open cases one first secretary may be stationed at together (一人驻一村: 1).
    max_stations_per_first_secretary: int = 1
    #: Whether the committee supervisor (直属党委专人督办) must come from the case
    #: organization's own supervising committee (the person's unit names it).
    supervisor_from_own_committee: bool = False
    #: The supervising committee (its unit name) of direct organizations by kind, for
    #: organizations with no committee above them (``agency = "县直机关工委"``).
    supervising_committees: Mapping[str, str] = attrs.field(
        default=MappingProxyType({}), converter=_frozen)
    #: Pairing by problem type (结对共建): the role the paired unit's cadre needs for a
    #: case whose plan states the type.
    pairing: Mapping[str, str] = attrs.field(default=_DEFAULT_PAIRING, converter=_frozen)
