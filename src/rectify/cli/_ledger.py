"""Opening a campaign on a ledger file for the scriptable commands; shared options."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from rectify.campaign import Campaign
from rectify.cli._common import fail, load_policy_or_fail
from rectify.errors import InvalidValueError, RectifyError
from rectify.sample import people_from, population_from

__all__ = [
    "ActorOption",
    "DbOption",
    "OnOption",
    "PopulationOption",
    "open_campaign",
    "parse_date",
]

DbOption = Annotated[str, typer.Option(
    "--db", help="The ledger: a SQLite file (created if missing) or a postgresql:// DSN.")]
ActorOption = Annotated[str, typer.Option(
    "--actor", help="Id of the person issuing the command (from the people file).")]
OnOption = Annotated[str, typer.Option("--on", help="The date of the command, YYYY-MM-DD.")]
PopulationOption = Annotated[str, typer.Option(
    "--population", help="'sample', a directory with organizations/people files, or a file.")]


def parse_date(text: str, option: str = "--on") -> date:
    """A date from ``YYYY-MM-DD`` or exit 3 saying how to write it."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(InvalidValueError(option, "a date written YYYY-MM-DD", text,
                                     "e.g. 2017-03-01")) from None


def open_campaign(db: str, policy: str, population: str) -> Campaign:
    """The campaign recorded in ``db``, under ``policy``, over ``population``.

    Refuses (exit 3) a ledger written under another policy: mixing rules in
    one ledger would make its decisions unexplainable.
    """
    from rectify.stores import open_store

    chosen = load_policy_or_fail(policy)
    try:
        store = open_store(db)
        campaign = Campaign(chosen, store, population=population_from(population),
                            people=people_from(population))
    except RectifyError as exc:
        raise fail(exc) from None
    others = campaign.policies_seen() - {chosen.fingerprint()}
    if others:
        raise fail(InvalidValueError(
            "--policy", f"the policy the ledger {db} was written under "
            f"({', '.join(sorted(p[:12] for p in others))})", chosen.fingerprint()[:12],
            "pass the same --policy as when the ledger was created"))
    return campaign
