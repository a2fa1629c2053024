"""rectify: the rectification of weak and lax grassroots party organizations as auditable workflows.

整顿软弱涣散基层党组织: annual identification, case lifecycle, support, verification,
escalation and a ledger (台账) that loses nothing.
"""

from rectify.errors import (
    ForestError,
    IdentificationError,
    InputError,
    InvalidValueError,
    PolicyError,
    Problem,
    ProblemsError,
    RectifyError,
    UnknownPresetError,
)
from rectify.forest import Population
from rectify.model import Assessment, Grade, Organization, OrgForm, Person, Tier
from rectify.policy import Policy, load_policy, preset_names

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "ForestError",
    "Grade",
    "IdentificationError",
    "InputError",
    "InvalidValueError",
    "OrgForm",
    "Organization",
    "Person",
    "Policy",
    "PolicyError",
    "Population",
    "Problem",
    "ProblemsError",
    "RectifyError",
    "Tier",
    "UnknownPresetError",
    "load_policy",
    "preset_names",
]
