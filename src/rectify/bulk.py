"""Bulk commands for national runs: many cases, one batch in the ledger.

Each bulk function takes a sequence of commands and gives exactly what
issuing them one at a time, in order, would give (the same guards, events
and states; a differential property test keeps it so), but records all
accepted events in one all-or-nothing append.  Refused commands do not stop
the batch: they come back in :attr:`BulkResult.refused`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from rectify.campaign import Actor, Campaign
from rectify.case import CaseRecord, apply_event
from rectify.errors import RectifyError
from rectify.stores.base import Append

__all__ = ["BulkCommand", "BulkResult", "run_bulk"]


@attrs.frozen(slots=True)
class BulkCommand:
    """One command of a batch: its name, case, arguments and command id."""

    command: str
    case: str
    command_id: str
    args: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class BulkResult:
    """Accepted command ids, refusals (command id → error) and skipped repeats."""

    accepted: tuple[str, ...]
    refused: dict[str, RectifyError]
    repeated: tuple[str, ...]


def run_bulk(campaign: Campaign, commands: Iterable[BulkCommand], *, actor: Actor,
             on: date) -> BulkResult:
    """Check every command against the cases as the earlier ones leave them, then record all.

    Nothing is recorded if the store refuses the batch (for example on a
    concurrent change); the campaign's cases are then as before.
    """
    staged: dict[str, CaseRecord] = {}
    batch: list[Append] = []
    accepted: list[str] = []
    refused: dict[str, RectifyError] = {}
    repeated: list[str] = []
    seen: set[str] = set()
    cases = campaign._cases
    saved: dict[str, CaseRecord] = {}
    loads = campaign._loads.copy()
    try:
        for cmd in commands:
            try:
                campaign.case(cmd.case)  # an unknown case is refused first, as one at a time
            except RectifyError as exc:
                refused[cmd.command_id] = exc
                continue
            if cmd.command_id in seen:
                repeated.append(cmd.command_id)
                continue
            try:
                prepared = campaign.prepare(cmd.command, cmd.case, actor, on, cmd.command_id,
                                            **cmd.args)
            except RectifyError as exc:
                refused[cmd.command_id] = exc
                continue
            seen.add(cmd.command_id)
            if prepared is None:
                repeated.append(cmd.command_id)
                continue
            # Stage the new state so later commands of the batch see it, as they would
            # one at a time.
            saved.setdefault(cmd.case, cases[cmd.case])
            record = cases[cmd.case]
            for event in prepared.events:
                record = apply_event(record, event, campaign._table)
            campaign._count_load(cases[cmd.case], record)
            cases[cmd.case] = staged[cmd.case] = record
            batch.append(prepared)
            accepted.append(cmd.command_id)
    finally:
        # The staged states become real only through the store.
        cases.update(saved)
        campaign._loads = loads
    campaign._commit(batch)
    return BulkResult(tuple(accepted), refused, tuple(repeated))

