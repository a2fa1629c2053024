"""``rectify policy list|show|validate``."""

from __future__ import annotations

from typing import Annotated

import typer

from rectify.cli._common import (
    EXIT_BAD_INPUT,
    JsonOption,
    fail,
    load_policy_or_fail,
    out,
    policy_app,
    print_json,
    problem_json,
    table,
)
from rectify.cli._inputs import PopulationOption
from rectify.cli._ledger import (
    ActorOption,
    CommandIdOption,
    DbOption,
    OnOption,
    open_campaign,
    parse_date,
)
from rectify.errors import RectifyError

__all__ = ["policy_adopt", "policy_list", "policy_show", "policy_validate"]


@policy_app.command("list")
def policy_list(json_out: JsonOption = False) -> None:
    """List the presets shipped with rectify."""
    from rectify.policy import load_policy, preset_names

    rows = []
    for name in preset_names():
        p = load_policy(name)
        rows.append({"name": name, "title": p.meta.title, "version": p.meta.version,
                     "fingerprint": p.fingerprint(), "description": p.meta.description})
    if json_out:
        print_json(rows)
        return
    grid = table("name", "title", "version", "fingerprint")
    for row in rows:
        grid.add_row(row["name"], row["title"], row["version"], row["fingerprint"][:12])
    out.print(grid)


@policy_app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="A preset name or a TOML file.")],
                json_out: JsonOption = False) -> None:
    """Print a policy as TOML (a preset's own file, comments included), or as JSON."""
    from rectify.policy import preset_names, preset_text

    if json_out:
        chosen = load_policy_or_fail(name)
        print_json({"name": chosen.meta.name, "fingerprint": chosen.fingerprint(),
                    "policy": chosen.to_dict()})
        return
    if name in preset_names():
        out.print(preset_text(name), markup=False, end="")
        return
    out.print(load_policy_or_fail(name).to_toml(), markup=False, end="")


@policy_app.command("validate")
def policy_validate(
    name: Annotated[str, typer.Argument(help="A preset name or a TOML file.")],
    json_out: JsonOption = False,
) -> None:
    """Check a policy; exit 0 when valid, 3 with every problem listed otherwise."""
    from rectify.policy import load_policy

    try:
        policy = load_policy(name)
    except RectifyError as exc:
        if json_out:
            problems = getattr(exc, "problems", ())
            print_json({"valid": False, "error": str(exc).splitlines()[0],
                         "problems": [problem_json(p) for p in problems]})
            raise typer.Exit(EXIT_BAD_INPUT) from None
        raise fail(exc) from None
    if json_out:
        print_json({"valid": True, "name": policy.meta.name,
                     "fingerprint": policy.fingerprint()})
    else:
        out.print(f"{name}: valid (fingerprint {policy.fingerprint()[:12]})")


@policy_app.command("adopt")
def policy_adopt(
    db: DbOption, actor: ActorOption, on: OnOption,
    policy: Annotated[str, typer.Option(
        "--policy", "-p", envvar="RECTIFY_POLICY",
        help="The policy to adopt: a preset name or a TOML file.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="Why the ledger changes policy (recorded; required).")],
    population: PopulationOption = "sample",
    command_id: CommandIdOption = None,
    json_out: JsonOption = False,
) -> None:
    """Change the ledger's policy on purpose (政策调整), recording who, when and why.

    From then on commands run under the adopted policy only (the old one is
    refused for recording, and still reads).  Exits 4 without the right
    (org_department), with a blank reason or when the ledger already keeps it.
    """
    day = parse_date(on)
    campaign = open_campaign(db, policy, population, create=False, check_policy=False,
                             readonly=False)
    try:
        previous = campaign.store.current_policy()
        campaign.change_policy(campaign.policy, actor=actor, on=day, reason=reason,
                               command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    data = {"policy": campaign.policy.meta.name,
            "fingerprint": campaign.policy.fingerprint(),
            "previous": previous, "previous_name": campaign.policy_name(previous or ""),
            "reason": reason}
    if json_out:
        print_json(data)
        return
    out.print(f"the ledger now runs under {campaign.policy.meta.name} "
              f"({campaign.policy.fingerprint()[:12]}), "
              f"replacing {data['previous_name'] or (previous or '')[:12]} / 已调整政策")
