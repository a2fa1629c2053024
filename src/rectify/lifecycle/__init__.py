"""The case lifecycle: the workflow definition, case records and their projection, guards,
permissions and the case commands.
"""

from rectify.lifecycle.case import (
    OPEN_STATES,
    CaseRecord,
    Plan,
    case_id,
)
from rectify.lifecycle.guards import (
    Votes,
    acceptance,
    deadline_within_limit,
    plan_complete,
    problems_resolved,
    support_complete,
    verifier_independent,
    within_follow_up,
)
from rectify.lifecycle.permissions import (
    missing_right,
)
from rectify.lifecycle.projection import (
    Table,
    apply_event,
)
from rectify.lifecycle.workflow import (
    WORKFLOW,
    StateDef,
    TriggerDef,
    Workflow,
    build_machine,
    compile_table,
    mermaid,
)

__all__ = [
    "OPEN_STATES",
    "WORKFLOW",
    "CaseRecord",
    "Plan",
    "StateDef",
    "Table",
    "TriggerDef",
    "Votes",
    "Workflow",
    "acceptance",
    "apply_event",
    "build_machine",
    "case_id",
    "compile_table",
    "deadline_within_limit",
    "mermaid",
    "missing_right",
    "plan_complete",
    "problems_resolved",
    "support_complete",
    "verifier_independent",
    "within_follow_up",
]
