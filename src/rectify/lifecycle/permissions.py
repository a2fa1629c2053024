"""Who may issue which command on which case, as the policy says."""

from __future__ import annotations

from collections.abc import Callable

from rectify.forest import Population
from rectify.lifecycle.case import CaseRecord
from rectify.model import Person
from rectify.policy import Policy
from rectify.policy._lifecycle import DEFAULT_COMMANDS

__all__ = ["allowed_roles", "missing_right"]


def allowed_roles(command: str, policy: Policy) -> tuple[str, ...]:
    """The roles ``policy`` allows ``command`` (its default roles when the policy omits it)."""
    return policy.permissions.commands.get(command, DEFAULT_COMMANDS.get(command, ()))


def missing_right(actor: Person, command: str, case: CaseRecord | None, population: Population,
                  policy: Policy, *,
                  secretary: Callable[[str], str | None] | None = None) -> str | None:
    """Why ``actor`` may not issue ``command`` on ``case``; ``None`` when allowed.

    A role grants the right when the policy lists it for the command and the
    role's scope covers the case: ``any``; ``assigned`` (the actor holds the
    support level named like the role on this case); ``own_organization``
    (the actor is the secretary of the case's organization: its current
    holder when ``secretary`` answers who holds an organization's secretary
    post, otherwise the population's).
    """
    allowed = allowed_roles(command, policy)
    held = [role for role in allowed if role in actor.roles]
    if not held:
        return f"needs one of the roles {', '.join(allowed) or '(none)'}; has " \
               f"{', '.join(sorted(actor.roles)) or 'no role'}"
    out_of_scope: list[str] = []
    for role in held:
        scope = policy.permissions.scopes.get(role, "any")
        if scope == "any" or case is None:
            return None
        if scope == "assigned" and case.holder(role) == actor.id:
            return None
        if scope == "own_organization":
            org = population.get(case.org)
            holder = secretary(case.org) if secretary is not None else (
                org.secretary if org is not None else None)
            if org is not None and holder == actor.id:
                return None
        out_of_scope.append(f"{role} only for cases where the actor is "
                            f"{'assigned as ' + role if scope == 'assigned' else 'the secretary'}")
    return "; ".join(out_of_scope)
