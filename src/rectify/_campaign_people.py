"""Campaign commands and queries about people: talks, appraisals, restrictions, what is due."""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from rectify.accountability import (
    Appraisal,
    AppraisalGrade,
    AppraisalOutcome,
    Restriction,
    Talk,
    TalkKind,
    active_restrictions,
    appraisal_outcome,
    restrictions_from_talk,
)
from rectify.errors import CommandRefused
from rectify.events import AppraisalRecorded, Event, SecretaryDismissed, TalkRecorded
from rectify.schedule import (
    DueItem,
    cadence_due,
    deadlines_due,
    first_secretary_reports_due,
)
from rectify.stores.base import Append

if TYPE_CHECKING:
    from rectify.campaign import Actor, Campaign

__all__ = ["AccountabilityRecord", "accountability", "due", "record_appraisal", "record_talk"]


@attrs.frozen
class AccountabilityRecord:
    """Everything on file about one person, and what applies on a date (问责记录)."""

    person: str
    on: date
    talks: tuple[Talk, ...]
    appraisals: tuple[AppraisalOutcome, ...]
    dismissals: tuple[SecretaryDismissed, ...]
    restrictions: tuple[Restriction, ...]


def record_talk(campaign: Campaign, person: str, kind: TalkKind | str, reason: str, *,
                actor: Actor, on: date, case: str | None = None,
                command_id: str | None = None) -> Talk:
    """Record an admonishment (约谈) or cautionary (诫勉) talk with ``person``."""
    talk = Talk(person, kind, on, reason)
    if not reason.strip():
        raise CommandRefused(f"person:{person}", "-", "record_talk",
                             ["a reason for the talk is required"])
    if case is not None:
        campaign.case(case)
    _person_event(campaign, actor, "record_talk", person, on, command_id, TalkRecorded,
                  person=person, kind=talk.kind.value, reason=reason, case=case)
    return talk


def record_appraisal(campaign: Campaign, person: str, year: int, grade: AppraisalGrade | str,
                     *, actor: Actor, on: date,
                     command_id: str | None = None) -> AppraisalOutcome:
    """Record a secretary's appraisal grade (述职评议); returns what it entails."""
    appraisal = Appraisal(person, year, grade)
    _person_event(campaign, actor, "record_appraisal", person, on, command_id,
                  AppraisalRecorded, person=person, year=year, grade=appraisal.grade.value)
    return appraisal_outcome(appraisal, campaign.policy, on)


def accountability(campaign: Campaign, person: str, on: date) -> AccountabilityRecord:
    """Talks, appraisals and dismissals of ``person``, and the restrictions active on ``on``."""
    talks: list[Talk] = []
    outcomes: list[AppraisalOutcome] = []
    dismissals: list[SecretaryDismissed] = []
    for event in campaign.records():
        if isinstance(event, TalkRecorded) and event.person == person:
            talks.append(Talk(person, event.kind, event.on, event.reason))
        elif isinstance(event, AppraisalRecorded) and event.person == person:
            outcomes.append(appraisal_outcome(Appraisal(person, event.year, event.grade),
                                              campaign.policy, event.on))
        elif isinstance(event, SecretaryDismissed) and event.person == person:
            dismissals.append(event)
    restrictions = [r for t in talks for r in restrictions_from_talk(t, campaign.policy)]
    restrictions += [r for o in outcomes for r in o.restrictions]
    return AccountabilityRecord(person, on, tuple(talks), tuple(outcomes),
                                tuple(dismissals),
                                tuple(active_restrictions(restrictions, person, on)))


def due(campaign: Campaign, on: date, within_days: int = 7) -> list[DueItem]:
    """What falls due on ``on``: the cadence, case deadlines, first secretaries' reports."""
    items = cadence_due(on, campaign.policy)
    items += deadlines_due(campaign.cases(open_only=True), on, within_days)
    stationed = [(c.id, person) for c in campaign.cases(open_only=True)
                 if (person := c.holder("first_secretary")) is not None]
    monthly = {r for r in campaign.reports_filed() if r[1] in ("work_plan", "duty_ledger")}
    items += first_secretary_reports_due(stationed, monthly, on, campaign.policy,
                                         within_days=within_days)
    return items


def _person_event(campaign: Campaign, actor: Actor, command: str, subject: str, on: date,
                  command_id: str | None, build: type[Event], **fields: Any) -> None:
    who = campaign._actor(actor, command, None)
    command_id = command_id or os.urandom(16).hex()
    if campaign.store.has_command(command_id):
        return
    stream = f"person:{subject}"
    version = campaign.store.version(stream)
    event = build(stream=stream, version=version + 1, actor=who.id, on=on,
                  policy=campaign.policy.fingerprint(), command=command_id, **fields)
    campaign._commit([Append(stream, version, (event,), command_id)])
