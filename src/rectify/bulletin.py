"""Moved to `rectify.reporting.render`; this alias is kept for one release."""

from rectify.reporting.render import (
    FORMATS,
    SHEET_NAMES,
    bulletin_stem,
    format_value,
    to_html,
    to_markdown,
    to_xlsx,
    write_bulletin,
)

__all__ = [
    "FORMATS",
    "SHEET_NAMES",
    "bulletin_stem",
    "format_value",
    "to_html",
    "to_markdown",
    "to_xlsx",
    "write_bulletin",
]
