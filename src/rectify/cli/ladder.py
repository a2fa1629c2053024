"""``rectify talk``, ``rectify appraisal`` and ``rectify finding``: accountability records.

Each reads the ledger under the policy like the other write commands and
records one entry with the consequences the policy's escalation ladder
calls for.  ``--command-id`` makes a retry safe: a command id already
recorded records nothing again.
"""

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
    from rectify.events import Event

__all__ = ["appraisal_command", "finding_command", "talk_command"]

PersonOption = Annotated[str, typer.Option("--person", help="The person's id.")]


@app.command("talk")
def talk_command(
    db: DbOption, person: PersonOption,
    kind: Annotated[str, typer.Option("--kind", help="admonishment / 约谈 or cautionary / 诫勉.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the talk is held.")],
    actor: ActorOption, on: OnOption,
    case: Annotated[str | None, typer.Option("--case", help="The case it concerns.")] = None,
    command_id: CommandIdOption = None, policy: PolicyOption = "northern-county",
    population: PopulationOption = "sample", json_out: JsonOption = False,
) -> None:
    """Record a talk with a secretary (约谈 or 诫勉) and the bans it imposes."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        talk = campaign.record_talk(person, kind, reason, actor=actor, on=day, case=case,
                                    command_id=command_id)
        record = campaign.accountability(person, day)
    except RectifyError as exc:
        raise fail(exc) from None
    bans = [{"kind": r.kind, "until": r.end.isoformat(), "zh": r.zh}
            for r in record.restrictions]
    if json_out:
        print_json({"person": person, "kind": talk.kind.value, "on": day.isoformat(),
                    "case": case, "restrictions": bans})
        return
    out.print(f"{person}: {talk.kind.label} {day} recorded / 已记录")
    for ban in bans:
        out.print(f"  {ban['zh']}")


@app.command("appraisal")
def appraisal_command(
    db: DbOption, person: PersonOption,
    year: Annotated[int, typer.Option("--year", help="The appraisal year (年度).")],
    grade: Annotated[str, typer.Option("--grade", help="good 好, fairly_good 较好, average 一般 "
                                       "or poor 差.")],
    actor: ActorOption, on: OnOption, command_id: CommandIdOption = None,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Record a secretary's annual appraisal (述职评议考核) and what it entails."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        outcome = campaign.record_appraisal(person, year, grade, actor=actor, on=day,
                                            command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    deadline = outcome.correction_deadline
    if json_out:
        print_json({"person": person, "year": year, "grade": outcome.appraisal.grade.value,
                    "cap_excellent": outcome.cap_excellent,
                    "talk_required": outcome.talk_required,
                    "correction_deadline": deadline.isoformat() if deadline else None})
        return
    out.print(f"{person} {year}: {outcome.appraisal.grade.label}")
    if outcome.cap_excellent:
        out.print(f"  {year}年度考核不得评为优秀")
    if outcome.talk_required and deadline is not None:
        out.print(f"  须约谈提醒, 限{deadline.year}年{deadline.month}月{deadline.day}日前整改")


def _event_json(event: Event) -> dict[str, Any]:
    from rectify.events import ConsequenceRecorded, FindingRecorded

    if isinstance(event, FindingRecorded):
        return {"type": "finding", "org": event.org, "kind": event.kind, "year": event.year,
                "extend_years": event.extend_years, "counts": event.counts}
    if isinstance(event, ConsequenceRecorded):
        return {"type": "consequence", "org": event.org, "person": event.person,
                "action": event.action, "talk": event.talk, "basis": event.basis,
                "year": event.year}
    return {"type": type(event).__name__, "stream": event.stream}


@app.command("finding")
def finding_command(
    db: DbOption,
    kind: Annotated[str, typer.Option("--kind", help="A kind of finding of the policy "
                                      "([escalation.findings]).")],
    actor: ActorOption, on: OnOption,
    org: Annotated[str | None, typer.Option("--org", help="The organization's code.")] = None,
    township: Annotated[str | None, typer.Option(
        "--township", help="A township or street, instead of --org.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="The year it counts in "
                                             "(default: that of --on).")] = None,
    note: Annotated[str, typer.Option("--note", help="What was found.")] = "",
    command_id: CommandIdOption = None, policy: PolicyOption = "northern-county",
    population: PopulationOption = "sample", json_out: JsonOption = False,
) -> None:
    """Record a finding (发现问题) against an organization or a township, with its effects."""
    from rectify.events import ConsequenceRecorded, FindingRecorded
    from rectify.policy import LADDER_ACTIONS

    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        events = campaign.record_finding(org, kind, actor=actor, on=day, township=township,
                                         year=year, note=note, command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json([_event_json(e) for e in events])
        return
    if not events:
        out.print("already recorded / 已记录过, nothing new")
        return
    rules = campaign.policy.escalation.findings
    for event in events:
        if isinstance(event, FindingRecorded):
            rule = rules.get(event.kind)
            label = rule.zh if rule else event.kind
            extra = f", 延长列入{event.extend_years}年" if event.extend_years else ""
            out.print(f"{event.org}: {label} ({event.year}年度){extra}")
        elif isinstance(event, ConsequenceRecorded):
            action = LADDER_ACTIONS.get(event.action, ("", event.action))[1]
            out.print(f"  {event.person or '书记空缺'}: {action}")
