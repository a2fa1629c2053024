"""Opening a campaign on a ledger file for the scriptable commands; shared options."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rectify.cli._common import bad_value, fail, load_policy_or_fail
from rectify.cli._inputs import PopulationOption, Sources
from rectify.errors import PolicyConflict, RectifyError

if TYPE_CHECKING:  # imported where used: `rectify --help` needs neither
    from rectify.campaign import Campaign
    from rectify.stores.base import LedgerStore

__all__ = [
    "ActorOption",
    "CommandIdOption",
    "DbOption",
    "OnOption",
    "PopulationOption",
    "open_campaign",
    "open_store_or_fail",
    "parse_date",
    "split_schema",
]

DbOption = Annotated[str, typer.Option(
    "--db", envvar="RECTIFY_DB",
    help="The ledger: a SQLite file (created if missing) or a postgresql:// DSN; "
    "add ?schema=NAME to the DSN to choose the PostgreSQL schema (default rectify).")]
ActorOption = Annotated[str, typer.Option(
    "--actor", help="Id of the person issuing the command (from the people file).")]
OnOption = Annotated[str, typer.Option("--on", help="The date of the command, YYYY-MM-DD.")]
CommandIdOption = Annotated[str | None, typer.Option(
    "--command-id", help="The command's id (default: a hash of its content, so a rerun "
    "records nothing twice); give one to record a deliberate repeat.")]


def parse_date(text: str, option: str = "--on") -> date:
    """A date from ``YYYY-MM-DD`` or exit 3 saying how to write it."""
    try:
        if not isinstance(text, str) or not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise bad_value(option, "a date written YYYY-MM-DD", text, "e.g. 2017-03-01") from None


_SCHEMA_PARAM = re.compile(r"([?&])schema=([^&]*)&?")
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def split_schema(dsn: str) -> tuple[str, str | None]:
    """A PostgreSQL DSN without its ``schema=NAME`` query parameter, and that name.

    ``postgresql://host/db?schema=county_a`` keeps the ledger in the schema
    ``county_a`` (so several ledgers share a database); without it the store's
    default (``rectify``) is used.  Exits 3 for a name that is not a plain
    lower-case SQL identifier.

    >>> split_schema("postgresql://u@127.0.0.1/test?schema=county_a&sslmode=disable")
    ('postgresql://u@127.0.0.1/test?sslmode=disable', 'county_a')
    >>> split_schema("postgresql://u@127.0.0.1/test")
    ('postgresql://u@127.0.0.1/test', None)
    """
    found = _SCHEMA_PARAM.search(dsn)
    if found is None:
        return dsn, None
    name = found.group(2)
    if not _SCHEMA_NAME.fullmatch(name):
        raise bad_value("--db", "schema=NAME with a lower-case SQL name (letters, digits, _; "
                        "at most 63)", name, "e.g. ?schema=county_a")
    rest = dsn[:found.start()] + (found.group(1) if found.end() < len(dsn)
                                  and dsn[found.end() - 1] == "&" else "") + dsn[found.end():]
    return rest, name


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
        if db.startswith(("postgresql://", "postgres://")):
            dsn, schema = split_schema(db)
            return open_store(dsn) if schema is None else open_store(dsn, schema=schema)
        return open_store(db, readonly=True) if readonly else open_store(db)
    except RectifyError as exc:
        raise fail(exc) from None
    except (sqlite3.Error, OSError) as exc:
        raise bad_value("--db", "a SQLite ledger file (or a postgresql:// DSN) that can be "
                        "opened", db, f"{exc}: check the path and the file's permissions"
                        ) from None


def open_campaign(db: str, policy: str, population: str, *, encoding: str | None = None,
                  columns: Path | None = None, create: bool = True,
                  check_policy: bool = True, readonly: bool | None = None) -> Campaign:
    """The campaign recorded in ``db``, under ``policy``, over ``population``.

    The inputs are checked before the ledger is opened, so a refusal leaves no
    new ledger file behind; ``create=False`` (commands that only read) refuses a
    missing ledger file.  Refuses (exit 3, `rectify.errors.PolicyConflict`) a
    ledger that was never kept under ``policy``: mixing rules in one ledger
    would make its decisions unexplainable.  A ledger's earlier policy (before
    a recorded change) still reads; a command that records is checked again by
    the campaign inside the store's write transaction, where no other process
    can change the ledger's policy meanwhile.  ``check_policy=False`` skips
    this check (``rectify policy adopt``).  ``readonly`` defaults to ``not create``:
    a command that records into an existing ledger passes ``readonly=False``.
    """
    chosen = load_policy_or_fail(policy)
    sources = Sources(population, chosen, encoding=encoding, columns=columns)
    try:
        orgs = sources.population()
        people = sources.people()
    except RectifyError as exc:
        raise fail(exc) from None
    # Commands that only read (create=False) open a SQLite file read-only: they write nothing.
    if readonly is None:
        readonly = not create
    readonly = readonly and not db.startswith(("postgresql://", "postgres://")) \
        and db != ":memory:"
    store = open_store_or_fail(db, create=create, readonly=readonly)
    from rectify.campaign import Campaign

    try:
        campaign = Campaign(chosen, store, population=orgs, people=people)
    except RectifyError as exc:
        raise fail(exc) from None
    except (sqlite3.Error, OSError) as exc:
        raise bad_value("--db", "a readable rectify ledger", db, str(exc)) from None
    if not check_policy:
        return campaign
    try:
        seen = campaign.policies_seen()
        current = campaign.store.current_policy()
        if seen and current is not None and chosen.fingerprint() not in seen:
            raise PolicyConflict(current, chosen.fingerprint(),
                                 ledger_name=campaign.policy_name(current),
                                 name=chosen.meta.name,
                                 fix="pass the same --policy as the ledger's, or adopt this one "
                                 "on purpose first: rectify policy adopt --db ... --policy ... "
                                 "--reason ...")
    except RectifyError as exc:
        raise fail(exc) from None
    return campaign
