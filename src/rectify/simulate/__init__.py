"""What-if: compare two policies on one county, and simulate the years that follow."""

from rectify.simulate.compare import (
    Comparison,
    Consequences,
    GroupCount,
    LedgerFacts,
    LevelNeed,
    VerdictChange,
    compare,
    replay,
)

__all__ = [
    "Comparison",
    "Consequences",
    "GroupCount",
    "LedgerFacts",
    "LevelNeed",
    "VerdictChange",
    "compare",
    "replay",
]
