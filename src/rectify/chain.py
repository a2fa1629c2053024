"""Moved to `rectify.stores.chain`; this alias is kept for one release."""

from rectify.stores.chain import (
    GENESIS,
    BadEntry,
    Checkpoint,
    VerifyReport,
    checkpoint,
    link,
    verify,
)

__all__ = [
    "GENESIS",
    "BadEntry",
    "Checkpoint",
    "VerifyReport",
    "checkpoint",
    "link",
    "verify",
]
