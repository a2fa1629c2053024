"""Moved to `rectify.reporting.exports`; this alias is kept for one release."""

from rectify.reporting.exports import (
    CASE_COLUMNS,
    FORMATS,
    LEDGER_COLUMNS,
    case_rows,
    export,
    import_json,
    ledger_rows,
    write_csv,
    write_json,
    write_xlsx,
)

__all__ = [
    "CASE_COLUMNS",
    "FORMATS",
    "LEDGER_COLUMNS",
    "case_rows",
    "export",
    "import_json",
    "ledger_rows",
    "write_csv",
    "write_json",
    "write_xlsx",
]
