"""``--format``/``--out`` for the commands that produce a table (identify, case list, export)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from rectify.cli._common import bad_value, fail, out
from rectify.errors import RectifyError

__all__ = ["FormatOption", "OutOption", "writable_or_fail", "write_table_or_fail"]

FormatOption = Annotated[str | None, typer.Option(
    "--format", help="Write the table as csv, xlsx, json or parquet (to --out; csv and json "
    "may go to stdout).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", help="The file to write with --format.")]


def writable_or_fail(path: Path, option: str = "--out", *, folder: bool = False) -> None:
    """Exit 3 unless ``path`` can be written: a file in a writable folder, or a folder.

    Checked before anything is written, so a bad path leaves nothing half-written.
    """
    import os

    if folder:
        if path.exists() and not path.is_dir():
            raise bad_value(option, "a folder", str(path),
                            "this is a file: name a folder (it is created if missing)")
        anchor = path
        while not anchor.exists() and anchor != anchor.parent:
            anchor = anchor.parent
    else:
        if path.is_dir():
            raise bad_value(option, "a file path", str(path),
                            "this is a folder: name a file in it")
        anchor = path.parent
        if not anchor.is_dir():
            raise bad_value(option, "a file in an existing folder", str(path),
                            f"create the folder {anchor} first, or choose another path")
        if path.exists() and not os.access(path, os.W_OK):
            raise bad_value(option, "a writable file", str(path),
                            "the file is read-only: choose another path")
    if not anchor.is_dir() or not os.access(anchor, os.W_OK | os.X_OK):
        raise bad_value(option, "a path in a folder you may write to", str(path),
                        f"{anchor} is not writable: choose another path")


def write_table_or_fail(rows: Sequence[Mapping[str, Any]], fmt: str, output: Path | None, *,
                        headers: Mapping[str, str] | None = None, sheet: str = "rectify",
                        json_out: bool = False) -> None:
    """Write ``rows`` as ``fmt`` to ``output`` (or stdout for csv/json), or exit 3."""
    from rectify.reporting.frames import FILE_FORMATS, write_rows

    if fmt not in FILE_FORMATS:
        raise bad_value("--format", f"one of {', '.join(FILE_FORMATS)}", fmt)
    if output is None:
        if fmt in ("xlsx", "parquet"):
            raise bad_value("--out", f"a file for the {fmt} table", None, "pass --out FILE")
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = write_rows(rows, Path(folder) / f"table.{fmt}", fmt, headers=headers)
            data = path.read_bytes()
        sys.stdout.buffer.write(data.removeprefix(b"\xef\xbb\xbf"))
        sys.stdout.flush()
        return
    writable_or_fail(output)
    try:
        written = write_rows(rows, output, fmt, headers=headers, sheet=sheet)
    except RectifyError as exc:
        raise fail(exc) from None
    except ImportError as exc:
        raise bad_value("--format", f"a format whose extra is installed ({fmt}: {exc})", fmt,
                        "install the extra, or choose csv, json or xlsx") from None
    if json_out:
        from rectify.cli._common import print_json

        print_json({"written": [str(written)], "rows": len(rows), "format": fmt})
    else:
        out.print(f"wrote {written} ({len(rows)} rows)")
