"""``rectify appoint``, ``rectify vacate`` and ``rectify holder``: posts over time (组织调整)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rectify.cli._common import JsonOption, PolicyOption, app, fail, out, print_json
from rectify.cli._ledger import (
    ActorOption,
    CommandIdOption,
    DbOption,
    OnOption,
    PopulationOption,
    open_campaign,
    parse_date,
)
from rectify.errors import RectifyError

if TYPE_CHECKING:  # the library is imported by the commands: `rectify --help` needs none
    from rectify.campaign import Campaign

#: The default post (rectify.posts.SECRETARY; a literal so that help imports nothing).
SECRETARY = "secretary"

__all__ = ["appoint_command", "holder_command", "vacate_command"]

OrgOption = Annotated[str, typer.Option("--org", help="The organization's code.")]
RoleOption = Annotated[str, typer.Option(
    "--role", help="The post: secretary, first_secretary (书记, 第一书记).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded with the event).")]


def _holder_json(campaign: Campaign, org: str, role: str, day: Any) -> dict[str, Any]:
    from rectify.posts import POST_ROLES

    person = campaign.holder(org, role, on=day)
    known = campaign.people.get(person) if person else None
    organization = campaign.population.get(org)
    return {"org": org, "org_name": organization.name if organization else "",
            "role": role, "role_zh": POST_ROLES.get(role, role), "on": day.isoformat(),
            "person": person, "name": known.name if known else ""}


def _say(row: dict[str, Any]) -> None:
    who = f"{row['name']}({row['person']})" if row["name"] else (row["person"] or "空缺")
    out.print(f"{row['org_name'] or row['org']}{row['role_zh']} on {row['on']} / "
              f"{row['on']}在任: {who}")


@app.command("appoint")
def appoint_command(
    db: DbOption, org: OrgOption, person: Annotated[str, typer.Option(
        "--person", help="Id of the person appointed.")],
    actor: ActorOption, on: OnOption, role: RoleOption = SECRETARY, reason: ReasonOption = "",
    command_id: CommandIdOption = None, policy: PolicyOption = "northern-county",
    population: PopulationOption = "sample", json_out: JsonOption = False,
) -> None:
    """Appoint a person to a post from --on (组织调整: 任职); a holder still in it leaves."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        campaign.appoint(org, person, role=role, actor=actor, on=day, reason=reason,
                         command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    row = _holder_json(campaign, org, role, day)
    print_json(row) if json_out else _say(row)


@app.command("vacate")
def vacate_command(
    db: DbOption, org: OrgOption, actor: ActorOption, on: OnOption,
    role: RoleOption = SECRETARY, reason: ReasonOption = "", command_id: CommandIdOption = None,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Remove the holder of a post from --on without a successor (免职、调离)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        campaign.vacate(org, role=role, actor=actor, on=day, reason=reason,
                        command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    row = _holder_json(campaign, org, role, day)
    print_json(row) if json_out else _say(row)


@app.command("holder")
def holder_command(
    db: DbOption, org: OrgOption, on: OnOption, role: RoleOption = SECRETARY,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Who held a post on a date (某日在任者)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population, create=False)
    row = _holder_json(campaign, org, role, day)
    print_json(row) if json_out else _say(row)
