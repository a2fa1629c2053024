"""rectify: the rectification of weak and lax grassroots party organizations as auditable workflows.

整顿软弱涣散基层党组织: annual identification, case lifecycle, support, verification,
escalation and a ledger (台账) that loses nothing.
"""

from rectify.campaign import Campaign, OpenResult
from rectify.errors import (
    CommandRefused,
    ConcurrencyConflict,
    ForestError,
    IdentificationError,
    InputError,
    InvalidValueError,
    PermissionDenied,
    PolicyError,
    Problem,
    ProblemsError,
    RectifyError,
    UnknownCaseError,
    UnknownPresetError,
    WorkflowDefinitionError,
)
from rectify.forest import Population
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.lifecycle.guards import Votes
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier
from rectify.policy import Policy, load_policy, preset_names

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Campaign",
    "CaseRecord",
    "CommandRefused",
    "ConcurrencyConflict",
    "ForestError",
    "Grade",
    "IdentificationError",
    "InputError",
    "InvalidValueError",
    "OpenResult",
    "OrgForm",
    "Organization",
    "PermissionDenied",
    "Person",
    "Plan",
    "Policy",
    "PolicyError",
    "Population",
    "Problem",
    "ProblemsError",
    "RectifyError",
    "Tier",
    "UnknownCaseError",
    "UnknownPresetError",
    "Votes",
    "WorkflowDefinitionError",
    "load_policy",
    "preset_names",
]
