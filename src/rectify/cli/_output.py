"""``--format``/``--out`` for the commands that produce a table (identify, case list, export)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from rectify.cli._common import bad_value, fail, out
from rectify.errors import RectifyError

__all__ = ["FormatOption", "OutOption", "write_table_or_fail"]

FormatOption = Annotated[str | None, typer.Option(
    "--format", help="Write the table as csv, xlsx, json or parquet (to --out; csv and json "
    "may go to stdout).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", help="The file to write with --format.")]


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
