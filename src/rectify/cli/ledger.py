"""``rectify ledger verify|checkpoint|rebuild|import`` and ``rectify export``: the ledger itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rectify.cli._common import (
    EXIT_BAD_INPUT,
    JsonOption,
    app,
    bad_value,
    fail,
    out,
    print_json,
)
from rectify.cli._ledger import DbOption, PopulationOption, open_store_or_fail
from rectify.cli._output import writable_or_fail
from rectify.errors import InvalidValueError, RectifyError

if TYPE_CHECKING:  # `rectify --help` imports neither
    from rectify.forest import Population
    from rectify.stores.base import LedgerStore

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
    """Check the hash chain, the commands and the read models; exit 3 naming what is wrong.

    The chain finds an edited, deleted or reordered entry; the commands table
    must hold exactly the command ids the events carry; the read models must
    equal a replay of the events (`rectify ledger rebuild` recomputes them).
    """
    from rectify.stores.chain import Checkpoint, verify
    from rectify.stores.readmodel import verify_read_models

    key = _key(key_file)
    try:
        head = Checkpoint.parse(checkpoint) if checkpoint is not None else None
    except RectifyError as exc:
        raise fail(exc) from None
    store = open_store_or_fail(db, readonly=not db.startswith("postgres"))
    try:
        report = verify(store, head, key=key)
        problems = verify_read_models(store) if report.ok else []  # type: ignore[arg-type]
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        bad = report.first_bad
        print_json({"ok": report.ok and not problems, "checked": report.checked,
                    "first_bad": None if bad is None else str(bad),
                    "checkpoint_checked": report.checkpoint_checked,
                    "read_models": problems})
    else:
        out.print(str(report), markup=False)
        for problem in problems:
            out.print(f"  - {problem}", markup=False)
        if problems:
            out.print("the read models or the commands table differ from the events: "
                      "rectify ledger rebuild --db ... recomputes the read models", markup=False)
    if not report.ok or problems:
        raise typer.Exit(EXIT_BAD_INPUT)


@ledger_app.command("backup")
def ledger_backup(
    db: DbOption,
    to: Annotated[Path, typer.Option("--to", help="The new file to write the copy to.")],
    json_out: JsonOption = False,
) -> None:
    """Copy a SQLite ledger safely while it is in use (SQLite's backup API)."""
    if db.startswith(("postgresql://", "postgres://")):
        raise bad_value("--db", "a SQLite ledger (PostgreSQL is backed up by the server)", db,
                        "use pg_dump --schema=rectify (or your schema) on the database")
    store = open_store_or_fail(db, create=False, readonly=True)
    try:
        written = store.backup(to)  # type: ignore[attr-defined]
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json({"backup": str(written), "entries": len(store)})
    else:
        out.print(f"backed up {len(store)} entries to {written}", markup=False)


@ledger_app.command("rebuild")
def ledger_rebuild(db: DbOption, json_out: JsonOption = False) -> None:
    """Recompute the read models from the events (also upgrades a ledger of an older schema)."""
    store = open_store_or_fail(db, create=False)
    try:
        store.rebuild_read_models()  # type: ignore[attr-defined]
        entries = len(store)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json({"rebuilt": True, "entries": entries})
    else:
        out.print(f"read models rebuilt from {entries} entries", markup=False)


@ledger_app.command("checkpoint")
def ledger_checkpoint(db: DbOption, key_file: KeyFileOption = None,
                      json_out: JsonOption = False) -> None:
    """Print the ledger's head as one line to keep elsewhere (a bulletin, a signed record)."""
    from rectify.stores.chain import checkpoint

    key = _key(key_file)
    store = open_store_or_fail(db, create=False, readonly=_is_file(db))
    try:
        head = checkpoint(store, key=key)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json({"checkpoint": str(head), "position": store.head().position,
                    "hash": store.head().hash.hex()})
    else:
        out.print(str(head), markup=False)


_ENTRY_KEYS = ("position", "stream", "version", "command", "event", "hash")


def _check_export(source: Path) -> None:
    """Exit 3 unless ``source`` is a readable rectify export whose entries are well formed.

    Checked before the ledger is touched, so that a refusal changes nothing.
    """
    import orjson

    if not source.exists():
        raise bad_value("--from", "an existing JSON export (rectify export --format json)",
                        str(source), "check the path")
    if source.is_dir():
        raise bad_value("--from", "a JSON export file", str(source),
                        "this is a directory: name the .json file in it")
    try:
        doc = orjson.loads(source.read_bytes())
    except OSError as exc:
        raise bad_value("--from", "a readable file", str(source),
                        exc.strerror or str(exc)) from None
    except orjson.JSONDecodeError as exc:
        raise bad_value("--from", "a JSON export of a rectify ledger", str(source),
                        f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                        ) from None
    if not isinstance(doc, dict) or doc.get("format") != "rectify-ledger":
        raise bad_value("--from", "a JSON document with format 'rectify-ledger'", str(source),
                        "export it with rectify export --format json")
    entries = doc.get("entries")
    if not isinstance(entries, list):
        raise bad_value("--from", "an export with a list of entries", str(source),
                        "the document has no \"entries\" list: use an untouched export")
    for n, entry in enumerate(entries):
        missing = [k for k in _ENTRY_KEYS if not isinstance(entry, dict) or k not in entry]
        if missing or not isinstance(entry["event"], dict):
            raise bad_value(f"--from entries[{n}]", "an entry with " + ", ".join(_ENTRY_KEYS),
                            missing or entry, "use an untouched export")


@ledger_app.command("import")
def ledger_import(
    db: DbOption,
    source: Annotated[Path, typer.Option("--from", help="A JSON export of a ledger.")],
    json_out: JsonOption = False,
) -> None:
    """Load a JSON export into an empty ledger, keeping every entry and hash."""
    from rectify.reporting.exports import import_json

    _check_export(source)
    store = open_store_or_fail(db)
    try:
        count = import_json(source, store)
    except RectifyError as exc:
        raise fail(exc) from None
    except (KeyError, TypeError, ValueError) as exc:  # an entry the checks above let through
        raise bad_value("--from", "a rectify ledger export", str(source),
                        f"{type(exc).__name__}: {exc}") from None
    if json_out:
        print_json({"imported": count, "db": db})
    else:
        out.print(f"imported {count} entries into {db}", markup=False)


_EXPORT_FORMATS = ("xlsx", "csv", "json", "parquet")


@app.command("export")
def export_command(
    db: DbOption,
    fmt: Annotated[str, typer.Option(
        "--format", help="xlsx, csv (a folder), json, or parquet (a folder).")],
    output: Annotated[Path, typer.Option("--out", help="The file (or folder for csv, parquet).")],
    population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Export the ledger and the case register (Chinese and English headers)."""
    from rectify.cli._common import load_policy_or_fail
    from rectify.cli._inputs import Sources

    if fmt not in _EXPORT_FORMATS:
        raise bad_value("--format", f"one of {', '.join(_EXPORT_FORMATS)}", fmt)
    folder = fmt in ("csv", "parquet")
    if not folder and output.is_dir():
        raise bad_value("--out", f"a file for the {fmt} export", str(output),
                        f"this is a folder: name a file in it, e.g. {output / ('ledger.' + fmt)}")
    writable_or_fail(output, folder=folder)
    try:
        pop = Sources(population, load_policy_or_fail("northern-county")).population()
    except RectifyError as exc:
        raise fail(exc) from None
    store = open_store_or_fail(db, create=False, readonly=_is_file(db))
    try:
        written = _export(store, output, fmt, pop)
    except RectifyError as exc:
        raise fail(exc) from None
    except ImportError as exc:
        raise bad_value("--format", f"a format whose extra is installed ({exc})", fmt,
                        "install the extra, or choose csv, json or xlsx") from None
    except OSError as exc:
        raise bad_value("--out", "a writable path", str(output),
                        f"{exc.strerror or exc}: choose another path, or create the folder "
                        "first") from None
    if json_out:
        print_json({"written": [str(p) for p in written], "format": fmt})
        return
    for path in written:
        out.print(f"wrote {path}", markup=False)


def _export(store: LedgerStore, output: Path, fmt: str, population: Population) -> list[Path]:
    from rectify.reporting.exports import export

    if fmt != "parquet":
        return export(store, output, fmt, population=population)
    import pyarrow.parquet as pq

    from rectify.reporting.exports import _project
    from rectify.reporting.frames import cases_table, ledger_table

    output.mkdir(parents=True, exist_ok=True)
    cases = _project(store.replay())
    names = {o.code: o.name for o in population}
    written = [output / "ledger.parquet", output / "cases.parquet"]
    pq.write_table(ledger_table(store), written[0])
    pq.write_table(cases_table(cases, names), written[1])
    return written


def _is_file(db: str) -> bool:
    """Whether ``db`` names a SQLite file (which read-only commands open read-only)."""
    return not db.startswith(("postgresql://", "postgres://")) and db != ":memory:"
