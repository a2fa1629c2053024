"""Errors raised by the ledger stores, the hash chain and the exports.

Each is a `RectifyError` and a subclass of the builtin
it resembles; the message names the file (or DSN), what was expected, what
was found and how to fix it.  When one of these is raised the existing ledger
is left as it was.
"""

from __future__ import annotations

from rectify.errors import RectifyError

__all__ = [
    "LedgerCorrupt",
    "LedgerError",
    "LedgerFull",
    "LedgerReadOnly",
    "LedgerSchemaError",
    "LedgerUnavailable",
]


class LedgerError(RectifyError, OSError):
    """A ledger could not be opened, read or written; nothing was changed."""

    def __init__(self, where: str, problem: str, fix: str = "") -> None:
        self.where = where
        self.problem = problem
        self.fix = fix
        text = f"ledger {where}: {problem}"
        super().__init__(f"{text}; {fix}" if fix else text)

    def __str__(self) -> str:
        return str(self.args[0])


class LedgerCorrupt(LedgerError):
    """The file is not a rectify ledger (corrupt, foreign, or missing its tables)."""


class LedgerSchemaError(LedgerError):
    """The ledger was written with a storage schema this version cannot read."""

    def __init__(self, where: str, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        fix = ("upgrade rectify to read this ledger" if actual > expected
               else "migrate the ledger with the rectify version that wrote it")
        super().__init__(where, f"expected storage schema version {expected}, found {actual}",
                         fix)


class LedgerReadOnly(LedgerError, PermissionError):
    """The ledger file (or its directory) cannot be written."""


class LedgerFull(LedgerError):
    """The disk (or the database's size limit) is full; the batch was not recorded."""


class LedgerUnavailable(LedgerError, ConnectionError):
    """The database server could not be reached."""
