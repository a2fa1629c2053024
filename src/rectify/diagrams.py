"""Moved to `rectify.reporting.diagrams`; this alias is kept for one release."""

from rectify.reporting.diagrams import (
    case_dot,
    case_mermaid,
    county_dot,
    county_mermaid,
    coverage_dot,
    coverage_mermaid,
    render,
    workflow_mermaid,
)

__all__ = [
    "case_dot",
    "case_mermaid",
    "county_dot",
    "county_mermaid",
    "coverage_dot",
    "coverage_mermaid",
    "render",
    "workflow_mermaid",
]
