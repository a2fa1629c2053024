"""Moved to `rectify.lifecycle.workflow`; this alias is kept for one release."""

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
    "WORKFLOW",
    "StateDef",
    "TriggerDef",
    "Workflow",
    "build_machine",
    "compile_table",
    "mermaid",
]
