"""Errors raised by the ledger stores, the hash chain and the exports.

They live in the one catalogue, `rectify.errors`, and are re-exported here.
Each is a `RectifyError` and a subclass of the builtin it resembles; the
message names the file (or DSN), what was expected, what was found and how to
fix it.  When one of these is raised the existing ledger is left as it was.
"""

from rectify.errors import (
    LedgerCorrupt,
    LedgerError,
    LedgerFull,
    LedgerReadOnly,
    LedgerSchemaError,
    LedgerUnavailable,
)

__all__ = [
    "LedgerCorrupt",
    "LedgerError",
    "LedgerFull",
    "LedgerReadOnly",
    "LedgerSchemaError",
    "LedgerUnavailable",
]
