"""Who may issue which command on which case, as the policy says."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rectify.forest import Population
from rectify.lifecycle.case import CaseRecord
from rectify.model import Person, in_scope
from rectify.policy import Policy
from rectify.policy._lifecycle import DEFAULT_COMMANDS

__all__ = ["LEDGER_RIGHTS", "allowed_roles", "missing_right", "scope_denial"]

#: Roles allowed to issue the ledger-level commands that a policy does not list
#: (a policy's ``[permissions.commands]`` names the case commands only).
LEDGER_RIGHTS: Mapping[str, tuple[str, ...]] = {"change_policy": ("org_department",)}


def allowed_roles(command: str, policy: Policy) -> tuple[str, ...]:
    """The roles ``policy`` allows ``command``: its own list, else the ledger-level rights
    (`LEDGER_RIGHTS`), else the command's default roles when the policy omits it."""
    found = policy.permissions.commands.get(command)
    if found is not None:
        return found
    return LEDGER_RIGHTS.get(command, DEFAULT_COMMANDS.get(command, ()))


def missing_right(actor: Person, command: str, case: CaseRecord | None, population: Population,
                  policy: Policy, *,
                  secretary: Callable[[str], str | None] | None = None) -> str | None:
    """Why ``actor`` may not issue ``command`` on ``case``; ``None`` when allowed.

    A role grants the right when the policy lists it for the command and the
    role's scope covers the case: ``any``; ``assigned`` (the actor holds the
    support level named like the role on this case); ``own_organization``
    (the actor is the secretary of the case's organization: its current
    holder when ``secretary`` answers who holds an organization's secretary
    post, otherwise the population's).  An actor with a scope of its own
    (`rectify.model.Person.scope`, a county or a province) acts only on cases
    within it, whatever its roles.
    """
    allowed = allowed_roles(command, policy)
    held = [role for role in allowed if role in actor.roles]
    if not held:
        return f"needs one of the roles {', '.join(allowed) or '(none)'}; has " \
               f"{', '.join(sorted(actor.roles)) or 'no role'}"
    if case is not None and not in_scope(case.scope, actor.scope):
        return scope_denial(actor.scope, [case.scope])
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


def scope_denial(scope: str, outside: Iterable[str]) -> str:
    """Why an actor of ``scope`` may not act on cases lying in the ``outside`` scopes."""
    places = ", ".join(sorted({place or "no scope (the whole ledger)" for place in outside}))
    return (f"works in the scope {scope}, the case lies in {places}; a cadre of that scope "
            "(or one without a scope) must do it")
