"""``rectify ledger verify|checkpoint|import`` and ``rectify export``: the ledger itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import EXIT_BAD_INPUT, JsonOption, app, fail, out, print_json
from rectify.cli._ledger import DbOption, PopulationOption
from rectify.errors import InvalidValueError, RectifyError

__all__ = ["ledger_app"]

ledger_app = typer.Typer(help="Verify, checkpoint and import the ledger (台账).",
                         no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

KeyFileOption = Annotated[Path | None, typer.Option(
    "--key-file", help="A file holding the HMAC key that signs checkpoints.")]


def _key(key_file: Path | None) -> bytes | None:
    if key_file is None:
        return None
    try:
        return key_file.read_bytes().strip()
    except OSError as exc:
        raise fail(InvalidValueError("--key-file", "a readable key file", str(key_file),
                                     exc.strerror or "")) from None


@ledger_app.command("verify")
def ledger_verify(
    db: DbOption,
    checkpoint: Annotated[str | None, typer.Option(
        "--checkpoint", help="A checkpoint line printed earlier by `rectify ledger checkpoint`"
        "; detects a truncated tail.")] = None,
    key_file: KeyFileOption = None, json_out: JsonOption = False,
) -> None:
    """Check the hash chain; exit 3 naming the first bad entry (edited, deleted, reordered)."""
    from rectify.stores import open_store
    from rectify.stores.chain import Checkpoint, verify

    key = _key(key_file)
    try:
        head = Checkpoint.parse(checkpoint) if checkpoint else None
        store = open_store(db, readonly=True) if not db.startswith("postgres") else open_store(db)
        report = verify(store, head, key=key)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        bad = report.first_bad
        print_json({"ok": report.ok, "checked": report.checked,
                    "first_bad": None if bad is None else str(bad),
                    "checkpoint_checked": report.checkpoint_checked})
    else:
        out.print(str(report), markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@ledger_app.command("checkpoint")
def ledger_checkpoint(db: DbOption, key_file: KeyFileOption = None) -> None:
    """Print the ledger's head as one line to keep elsewhere (a bulletin, a signed record)."""
    from rectify.stores import open_store
    from rectify.stores.chain import checkpoint

    try:
        line = str(checkpoint(open_store(db), key=_key(key_file)))
    except RectifyError as exc:
        raise fail(exc) from None
    out.print(line, markup=False)


@ledger_app.command("import")
def ledger_import(
    db: DbOption,
    source: Annotated[Path, typer.Option("--from", help="A JSON export of a ledger.")],
) -> None:
    """Load a JSON export into an empty ledger, keeping every entry and hash."""
    from rectify.reporting.exports import import_json
    from rectify.stores import open_store

    try:
        count = import_json(source, open_store(db))
    except RectifyError as exc:
        raise fail(exc) from None
    out.print(f"imported {count} entries into {db}")


@app.command("export")
def export_command(
    db: DbOption,
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv (a folder) or json.")],
    output: Annotated[Path, typer.Option("--out", help="The file (or folder for csv).")],
    population: PopulationOption = "sample",
) -> None:
    """Export the ledger and the case register (Chinese and English headers)."""
    from rectify.reporting.exports import export
    from rectify.sample import population_from
    from rectify.stores import open_store

    try:
        written = export(open_store(db), output, fmt, population=population_from(population))
    except RectifyError as exc:
        raise fail(exc) from None
    for path in written:
        out.print(f"wrote {path}")
