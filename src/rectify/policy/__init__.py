"""Policy as data: the rules a locality applies, loaded from TOML.

A `Policy` is immutable and validated; its `Policy.fingerprint()` is stamped
on every decision so that a ledger shows which rules were in force.  Presets
ship as package data (`rectify policy list`); what-if variants come from
`Policy.evolve()` or a TOML overlay.
"""

from rectify.policy._io import load_policy, preset_names, preset_text
from rectify.policy._model import (
    LADDER_ACTIONS,
    LADDER_BASES,
    AccountabilityPolicy,
    Comparison,
    CoveragePolicy,
    DatesPolicy,
    DirectCriterion,
    EscalationPolicy,
    FindingRule,
    IdentificationPolicy,
    InvariantsPolicy,
    Label,
    LadderStep,
    Meta,
    PermissionsPolicy,
    PlanPolicy,
    Policy,
    RankedUnit,
    Rounding,
    SchedulePolicy,
    SupportPolicy,
    TieRule,
    VerificationPolicy,
)

__all__ = [
    "LADDER_ACTIONS",
    "LADDER_BASES",
    "AccountabilityPolicy",
    "Comparison",
    "CoveragePolicy",
    "DatesPolicy",
    "DirectCriterion",
    "EscalationPolicy",
    "FindingRule",
    "IdentificationPolicy",
    "InvariantsPolicy",
    "Label",
    "LadderStep",
    "Meta",
    "PermissionsPolicy",
    "PlanPolicy",
    "Policy",
    "RankedUnit",
    "Rounding",
    "SchedulePolicy",
    "SupportPolicy",
    "TieRule",
    "VerificationPolicy",
    "load_policy",
    "preset_names",
    "preset_text",
]
