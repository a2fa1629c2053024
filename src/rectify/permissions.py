"""Moved to `rectify.lifecycle.permissions`; this alias is kept for one release."""

from rectify.lifecycle.permissions import (
    check_permission,
    missing_right,
)

__all__ = [
    "check_permission",
    "missing_right",
]
