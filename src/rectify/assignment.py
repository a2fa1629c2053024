"""Moved to `rectify.coverage.assignment`; this alias is kept for one release."""

from rectify.coverage.assignment import (
    LotteryError,
    PairingResult,
    Suggestion,
    Uncovered,
    cross_assessment_lottery,
    pair_units,
    suggest_supporters,
)

__all__ = [
    "LotteryError",
    "PairingResult",
    "Suggestion",
    "Uncovered",
    "cross_assessment_lottery",
    "pair_units",
    "suggest_supporters",
]
