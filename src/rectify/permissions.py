"""Moved to `rectify.lifecycle.permissions`; this alias is kept for one release."""

from rectify.lifecycle.permissions import (
    missing_right,
)

__all__ = [
    "missing_right",
]
