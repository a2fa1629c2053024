"""rectify: the rectification of weak and lax grassroots party organizations as auditable workflows.

整顿软弱涣散基层党组织: annual identification, case lifecycle, support, verification,
escalation and a ledger (台账) that loses nothing.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        PolicyConflict,
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
    "PolicyConflict",
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

# Each public name and the module defining it.  Importing `rectify` loads none
# of them: a name's module is imported when the name is first used (PEP 562),
# so a host that needs only `rectify.identify`, or only the version, does not
# pay for the campaign, the stores and the workflow engine.
_WHERE: dict[str, str] = {
    "Assessment": "rectify.model",
    "Campaign": "rectify.campaign",
    "CaseRecord": "rectify.lifecycle.case",
    "CommandRefused": "rectify.errors",
    "ConcurrencyConflict": "rectify.errors",
    "Decision": "rectify.identify",
    "ForestError": "rectify.errors",
    "Grade": "rectify.model",
    "Identification": "rectify.identify",
    "IdentificationError": "rectify.errors",
    "InputError": "rectify.errors",
    "InvalidValueError": "rectify.errors",
    "LedgerError": "rectify.errors",
    "MemoryStore": "rectify.stores",
    "OpenResult": "rectify.campaign",
    "OrgForm": "rectify.model",
    "Organization": "rectify.model",
    "PermissionDenied": "rectify.errors",
    "Person": "rectify.model",
    "Plan": "rectify.lifecycle.case",
    "Policy": "rectify.policy",
    "PolicyConflict": "rectify.errors",
    "PolicyError": "rectify.errors",
    "Population": "rectify.forest",
    "Problem": "rectify.errors",
    "ProblemsError": "rectify.errors",
    "RectifyError": "rectify.errors",
    "SQLiteStore": "rectify.stores",
    "Tier": "rectify.model",
    "UnknownCaseError": "rectify.errors",
    "UnknownPresetError": "rectify.errors",
    "Votes": "rectify.lifecycle.guards",
    "WorkflowDefinitionError": "rectify.errors",
    "load_policy": "rectify.policy",
    "open_store": "rectify.stores",
    "preset_names": "rectify.policy",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rectify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
