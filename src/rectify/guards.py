"""Moved to `rectify.lifecycle.guards`; this alias is kept for one release."""

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

__all__ = [
    "Votes",
    "acceptance",
    "deadline_within_limit",
    "plan_complete",
    "problems_resolved",
    "support_complete",
    "verifier_independent",
    "within_follow_up",
]
