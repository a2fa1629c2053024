"""Recording escalations when cases open: the ledger side of :mod:`rectify.escalation`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rectify.escalation import EscalationDecision, escalate
from rectify.events import EscalationRecorded, SecretaryDismissed
from rectify.model import Person
from rectify.stores.base import Append

if TYPE_CHECKING:
    from rectify.campaign import Campaign

__all__ = ["escalation_appends"]


def escalation_appends(campaign: Campaign, year: int, actor: Person, on: date,
                       command: str) -> tuple[list[EscalationDecision], list[Append]]:
    """Escalating decisions for ``year`` and the events that record them.

    Each organization's stream ``org:<code>`` holds its escalation; each
    dismissed secretary's organization stream holds the dismissal.  Command
    ids derive from ``command`` so a retried ``open_cases`` records nothing twice.
    """
    listings = campaign.listings()
    if year not in listings:
        return [], []
    decisions = [d for d in escalate(campaign.population, listings, year, campaign.policy)
                 if d.escalates]
    versions: dict[str, int] = {}
    appends: list[Append] = []
    fingerprint = campaign.policy.fingerprint()

    def add(stream: str, event_id: str, build: type[EscalationRecorded] | type[
            SecretaryDismissed], **fields: object) -> None:
        if campaign.store.has_command(event_id):
            return
        current = versions.get(stream, campaign.store.version(stream))
        event = build(stream=stream, version=current + 1, actor=actor.id, on=on,
                      policy=fingerprint, command=event_id, **fields)  # type: ignore[arg-type]
        versions[stream] = current + 1
        appends.append(Append(stream, current, (event,), event_id))

    for decision in decisions:
        cause = f"{year}-{decision.org}"
        add(f"org:{decision.org}", f"escalation:{cause}", EscalationRecorded,
            org=decision.org, year=year, streak=decision.streak)
        for dismissal in decision.dismissals:
            # One dismissal per organization and year, even when a committee and one of
            # its branches escalate together.
            add(f"org:{dismissal.org}", f"dismissal:{year}:{dismissal.org}",
                SecretaryDismissed, org=dismissal.org, person=dismissal.person,
                role=dismissal.role, year=year, cause=cause)
    return decisions, appends
