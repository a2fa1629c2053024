"""Moved to `rectify.lifecycle.case`; this alias is kept for one release."""

from rectify.lifecycle.case import (
    OPEN_STATES,
    CaseRecord,
    Plan,
    case_id,
)
from rectify.lifecycle.projection import (
    Table,
    apply_event,
)

__all__ = [
    "OPEN_STATES",
    "CaseRecord",
    "Plan",
    "Table",
    "apply_event",
    "case_id",
]
