"""Moved to `rectify.reporting.bulletin`; this alias is kept for one release."""

from rectify.reporting.bulletin import (
    ALL_LEVELS,
    COLUMNS,
    FUNNEL_STAGES,
    PERIODS,
    RATE_METRICS,
    TABLES,
    Bulletin,
    Column,
    Table,
    bulletin,
    period_bounds,
)

__all__ = [
    "ALL_LEVELS",
    "COLUMNS",
    "FUNNEL_STAGES",
    "PERIODS",
    "RATE_METRICS",
    "TABLES",
    "Bulletin",
    "Column",
    "Table",
    "bulletin",
    "period_bounds",
]
