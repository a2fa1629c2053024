"""``rectify accountability list`` and ``rectify due``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rectify.cli._common import JsonOption, PolicyOption, app, out, print_json, table
from rectify.cli._ledger import DbOption, OnOption, PopulationOption, open_campaign, parse_date

__all__ = ["accountability_app"]

accountability_app = typer.Typer(help="Talks, dismissals and bans (问责).", no_args_is_help=True)
app.add_typer(accountability_app, name="accountability")


@accountability_app.command("list")
def accountability_list(db: DbOption, on: OnOption, policy: PolicyOption = "northern-county",
                        population: PopulationOption = "sample",
                        json_out: JsonOption = False) -> None:
    """Everyone with a dismissal or talk on file, and the bans active on --on."""
    from rectify.events import ConsequenceRecorded, SecretaryDismissed, TalkRecorded

    day = parse_date(on)
    campaign = open_campaign(db, policy, population, create=False)
    people = sorted({e.person for e in campaign.records()
                     if isinstance(e, SecretaryDismissed | TalkRecorded | ConsequenceRecorded)
                     and e.person})
    rows: list[dict[str, Any]] = []
    for person in people:
        record = campaign.accountability(person, day)
        rows.append({
            "person": person,
            "name": campaign.people[person].name if person in campaign.people else "",
            "dismissals": [{"org": d.org, "role": d.role, "year": d.year, "cause": d.cause}
                           for d in record.dismissals],
            "talks": [{"kind": t.kind.value, "on": t.on.isoformat(), "reason": t.reason}
                      for t in record.talks],
            "restrictions": [{"kind": r.kind, "until": r.end.isoformat(), "zh": r.zh}
                             for r in record.restrictions],
        })
    if json_out:
        print_json(rows)
        return
    grid = table("person", "name / 姓名", "dismissed / 免职", "talks / 谈话",
                 f"bans on {day} / 限制")
    for row in rows:
        grid.add_row(row["person"], row["name"],
                      "; ".join(f"{d['role']} of {d['org']} ({d['cause']})"
                                for d in row["dismissals"]),
                      "; ".join(f"{t['kind']} {t['on']}" for t in row["talks"]),
                     "; ".join(f"{r['kind']} → {r['until']}" for r in row["restrictions"]))
    out.print(grid)


@app.command("due")
def due_command(db: DbOption, on: OnOption,
                within: Annotated[int, typer.Option("--within", help="Days ahead.")] = 7,
                policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
                json_out: JsonOption = False) -> None:
    """What is due or overdue on a date: cadence, deadlines, first secretaries' reports."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population, create=False)
    items = campaign.due(day, within)
    if json_out:
        print_json([{"kind": i.kind, "due": i.due.isoformat(), "case": i.case,
                     "person": i.person, "overdue": i.overdue, "en": i.en, "zh": i.zh}
                    for i in items])
        return
    grid = table("due", "kind", "overdue / 逾期", "what / 事项")
    for i in items:
        grid.add_row(i.due.isoformat(), i.kind, "yes / 是" if i.overdue else "",
                     f"{i.zh} / {i.en}")
    out.print(grid)
