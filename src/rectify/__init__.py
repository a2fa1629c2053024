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
    LedgerError,
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
from rectify.identify import Decision, Identification
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.lifecycle.guards import Votes
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier
from rectify.policy import Policy, load_policy, preset_names
from rectify.stores import MemoryStore, SQLiteStore, open_store

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Campaign",
    "CaseRecord",
    "CommandRefused",
    "ConcurrencyConflict",
    "Decision",
    "ForestError",
    "Grade",
    "Identification",
    "IdentificationError",
    "InputError",
    "InvalidValueError",
    "LedgerError",
    "MemoryStore",
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
    "SQLiteStore",
    "Tier",
    "UnknownCaseError",
    "UnknownPresetError",
    "Votes",
    "WorkflowDefinitionError",
    "load_policy",
    "open_store",
    "preset_names",
]
