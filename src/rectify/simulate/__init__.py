"""What-if: compare two policies on one county, and simulate the years that follow.

- `compare` identifies one year under two policies and lists every
  changed verdict with both sets of reasons, counts by kind, township and
  rule, and the consequences under each policy (escalations and dismissals
  with the cascade, talks, support needed per level against the load cap,
  first secretaries); `replay` does it for a year already in a ledger.
- `simulate` runs seeded multi-year futures of a policy through the
  real `Campaign` and `rectify.bulk.run_bulk`, with an
  `OutcomeModel` (TOML data, validated like a policy) saying how
  likely verifications pass, relapses come and scores drift.
- `write_report` writes either as Markdown, HTML or XLSX with charts.

>>> from rectify import load_policy
>>> from rectify.sample import sample_assessments, sample_population
>>> ten = load_policy().evolve({"identification": {"quota": {"village": 0.10}}})
>>> result = compare(load_policy(), ten, sample_population(), sample_assessments(), 2017)
>>> len(result.removed), len(result.added)
(3, 0)
"""

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
from rectify.simulate.model import (
    OutcomeModel,
    OutcomeModelError,
    default_outcome_model,
    load_outcome_model,
)
from rectify.simulate.montecarlo import METRICS, Interval, Simulation, YearStats, simulate
from rectify.simulate.report import write_report

__all__ = [
    "METRICS",
    "Comparison",
    "Consequences",
    "GroupCount",
    "Interval",
    "LedgerFacts",
    "LevelNeed",
    "OutcomeModel",
    "OutcomeModelError",
    "Simulation",
    "VerdictChange",
    "YearStats",
    "compare",
    "default_outcome_model",
    "load_outcome_model",
    "replay",
    "simulate",
    "write_report",
]
