"""Opening a campaign on a ledger file for the scriptable commands; shared options."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rectify.cli._common import bad_value, fail, load_policy_or_fail
from rectify.cli._inputs import PopulationOption, Sources
from rectify.errors import RectifyError

if TYPE_CHECKING:  # imported where used: `rectify --help` needs neither
    from rectify.campaign import Campaign
    from rectify.stores.base import LedgerStore

__all__ = [
    "ActorOption",
    "DbOption",
    "OnOption",
    "PopulationOption",
    "open_campaign",
    "open_store_or_fail",
    "parse_date",
]

DbOption = Annotated[str, typer.Option(
    "--db", envvar="RECTIFY_DB",
    help="The ledger: a SQLite file (created if missing) or a postgresql:// DSN.")]
ActorOption = Annotated[str, typer.Option(
    "--actor", help="Id of the person issuing the command (from the people file).")]
OnOption = Annotated[str, typer.Option("--on", help="The date of the command, YYYY-MM-DD.")]


def parse_date(text: str, option: str = "--on") -> date:
    """A date from ``YYYY-MM-DD`` or exit 3 saying how to write it."""
    try:
        if not isinstance(text, str) or not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise bad_value(option, "a date written YYYY-MM-DD", text, "e.g. 2017-03-01") from None


def open_store_or_fail(db: str, *, create: bool = True, readonly: bool = False) -> LedgerStore:
    """The store at ``db``, or exit 3 naming what is wrong with the path.

    ``create=False`` refuses a SQLite file that does not exist (commands that
    only read a ledger must not leave an empty one behind).
    """
    from rectify.stores import open_store

    if not db.startswith(("postgresql://", "postgres://")) and db != ":memory:":
        path = Path(db)
        if path.is_dir():
            raise bad_value("--db", "a SQLite ledger file or a postgresql:// DSN", db,
                            "this is a directory: name a file in it, e.g. "
                            f"{path / 'ledger.sqlite3'}")
        if not path.exists() and (not create or readonly):
            raise bad_value("--db", "an existing ledger file", db,
                            "check the path; commands that record create the ledger")
        if not path.parent.is_dir():
            raise bad_value("--db", "a file in an existing folder", db,
                            f"create the folder {path.parent} first")
    try:
        return open_store(db, readonly=True) if readonly else open_store(db)
    except RectifyError as exc:
        raise fail(exc) from None
    except (sqlite3.Error, OSError) as exc:
        raise bad_value("--db", "a SQLite ledger file (or a postgresql:// DSN) that can be "
                        "opened", db, f"{exc}: check the path and the file's permissions"
                        ) from None


def open_campaign(db: str, policy: str, population: str, *, encoding: str | None = None,
                  columns: Path | None = None, create: bool = True) -> Campaign:
    """The campaign recorded in ``db``, under ``policy``, over ``population``.

    The inputs are checked before the ledger is opened, so a refusal leaves no
    new ledger file behind; ``create=False`` (commands that only read) refuses a
    missing ledger file.  Refuses (exit 3) a ledger written under another
    policy: mixing rules in one ledger would make its decisions unexplainable.
    """
    chosen = load_policy_or_fail(policy)
    sources = Sources(population, chosen, encoding=encoding, columns=columns)
    try:
        orgs = sources.population()
        people = sources.people()
    except RectifyError as exc:
        raise fail(exc) from None
    store = open_store_or_fail(db, create=create)
    from rectify.campaign import Campaign

    try:
        campaign = Campaign(chosen, store, population=orgs, people=people)
    except RectifyError as exc:
        raise fail(exc) from None
    except (sqlite3.Error, OSError) as exc:
        raise bad_value("--db", "a readable rectify ledger", db, str(exc)) from None
    others = campaign.policies_seen() - {chosen.fingerprint()}
    if others:
        raise bad_value(
            "--policy", f"the policy the ledger {db} was written under "
            f"({', '.join(sorted(p[:12] for p in others))})", chosen.fingerprint()[:12],
            "pass the same --policy as when the ledger was created")
    return campaign
