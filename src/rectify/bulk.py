"""Bulk commands for national runs: many cases, one batch in the ledger.

`run_bulk` gives exactly what issuing the commands one at a time, in order,
would give (the same guards, events and states; a differential property test
keeps it so), but records all accepted events in one all-or-nothing append.
Refused commands do not stop the batch: they come back in
`BulkResult.refused`.  It is a thin face over `rectify.Campaign.run_bulk`,
which takes the typed commands of `rectify.lifecycle.commands` directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from rectify.campaign import Actor, BulkResult, Campaign
from rectify.lifecycle.commands import CaseCommand, command_from

__all__ = ["BulkCommand", "BulkResult", "run_bulk"]


@attrs.frozen(slots=True)
class BulkCommand:
    """One command of a batch: its name, case, arguments and command id."""

    command: str
    case: str
    command_id: str
    args: dict[str, Any] = attrs.field(factory=dict)

    def typed(self) -> CaseCommand:
        """The typed command this row stands for.

        Raises `rectify.errors.InvalidValueError` for an unknown command name or
        arguments that do not fit it.
        """
        return command_from(self.command, self.case, self.args)


def run_bulk(campaign: Campaign, commands: Iterable[BulkCommand], *, actor: Actor,
             on: date, optimistic: bool | None = None) -> BulkResult:
    """Check every command against the cases as the earlier ones leave them, then record all.

    Nothing is recorded if the store refuses the batch (for example on a
    concurrent change), or if a row names an unknown command or wrong arguments
    (`rectify.errors.InvalidValueError`); the campaign's cases are then as before.
    ``optimistic``: see `rectify.Campaign.run_bulk`.
    """
    typed = [(cmd.typed(), cmd.command_id) for cmd in commands]
    return campaign.run_bulk(typed, actor=actor, on=on, optimistic=optimistic)
