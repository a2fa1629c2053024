"""Scriptable case commands over a ledger: open, plan, assign, report, verify, delist, close."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rectify.cli._common import JsonOption, PolicyOption, app, fail, out, print_json, table
from rectify.cli._inputs import ColumnsOption, EncodingOption, Sources
from rectify.cli._ledger import (
    ActorOption,
    CommandIdOption,
    DbOption,
    OnOption,
    PopulationOption,
    open_campaign,
    parse_date,
)
from rectify.cli._output import FormatOption, OutOption, write_table_or_fail
from rectify.errors import InputError, Problem, RectifyError
from rectify.reporting.labels import event_zh, failure_reasons_zh, level_zh, status_zh

if TYPE_CHECKING:  # the library is imported by the commands: `rectify --help` needs none
    from rectify.campaign import Campaign
    from rectify.events import VerificationRecorded
    from rectify.lifecycle.case import CaseRecord, Plan
    from rectify.policy import Policy

__all__ = ["case_app", "case_json", "verification_json"]

case_app = typer.Typer(help="List and show cases (整顿对象).", no_args_is_help=True)
app.add_typer(case_app, name="case")

CaseArg = Annotated[str, typer.Option("--case", help="The case id, YEAR-ORGCODE.")]


def case_json(case: CaseRecord) -> dict[str, Any]:
    """A case record as JSON-ready data, with the state's Chinese label."""
    from rectify.lifecycle.workflow import WORKFLOW

    return {
        "id": case.id, "org": case.org, "year": case.year, "kind": case.kind,
        "state": case.state, "state_zh": WORKFLOW.state(case.state).zh,
        "version": case.version, "opened_on": case.opened_on.isoformat(),
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "problems": list(case.problems), "resolved": sorted(case.resolved),
        "support": dict(case.support), "attempts": case.attempts, "passed": case.passed,
        "verifiers": list(case.verifiers),
        "delisted_on": case.delisted_on.isoformat() if case.delisted_on else None,
    }


def verification_json(event: VerificationRecorded) -> dict[str, Any]:
    """A verification's result as JSON-ready data: score, votes, outcome and each unmet rule."""
    return {"score": event.score, "votes": {"satisfied": event.satisfied,
                                            "basically_satisfied": event.basically_satisfied,
                                            "dissatisfied": event.dissatisfied},
            "team": list(event.team), "passed": event.passed, "reasons": list(event.reasons),
            "attempt": event.attempt,
            "new_deadline": event.new_deadline.isoformat() if event.new_deadline else None}


def _verification_lines(event: VerificationRecorded, policy: Policy) -> list[str]:
    """Why a verification passed or failed, in English and Chinese."""
    votes = (f"votes / 测评票: {event.satisfied} satisfied / 满意, {event.basically_satisfied} "
             f"basically / 基本满意, {event.dissatisfied} dissatisfied / 不满意")
    head = (f"verification {event.attempt} / 第{event.attempt}次验收: score / 得分 "
            f"{event.score:g}; {votes}: "
            + ("passed / 合格" if event.passed else "failed / 不合格"))
    lines = [head]
    lines += [f"    unmet: {reason}" for reason in event.reasons]
    if not event.passed:
        zh = failure_reasons_zh(event.score, event.satisfied, event.basically_satisfied,
                                event.dissatisfied, policy)
        if zh:
            lines.append(f"    未达标: {zh}")
    if event.new_deadline is not None:
        lines.append(f"    new deadline / 重新整顿期限: {event.new_deadline.isoformat()}")
    return lines


def _last_verification(campaign: Campaign, case: str) -> VerificationRecorded | None:
    from rectify.events import VerificationRecorded

    found = None
    for event in campaign.history(case):
        if isinstance(event, VerificationRecorded):
            found = event
    return found


def _show(campaign: Campaign, case: CaseRecord, json_out: bool) -> None:
    if json_out:
        print_json(case_json(case))
        return
    org = campaign.population.get(case.org)
    name = org.name if org else ""
    out.print(f"{case.id} {name}: {case.state} / {status_zh(case.state)}"
              f" (version {case.version})")


def _act(campaign: Campaign, json_out: bool, call: Any) -> None:
    try:
        record = call()
    except RectifyError as exc:
        raise fail(exc) from None
    _show(campaign, record, json_out)


@app.command("open")
def open_command(
    db: DbOption, year: Annotated[int, typer.Option("--year")], actor: ActorOption,
    on: OnOption, policy: PolicyOption = "northern-county",
    population: PopulationOption = "sample",
    assessments: Annotated[str | None, typer.Option(
        "--assessments", help="Assessments file (default: from --population).")] = None,
    encoding: EncodingOption = None, columns: ColumnsOption = None,
    json_out: JsonOption = False, command_id: CommandIdOption = None,
) -> None:
    """Identify the year and open a case for each listed organization (escalations included)."""
    from rectify.identify import identify

    day = parse_date(on)
    campaign = open_campaign(db, policy, population, encoding=encoding, columns=columns)
    sources = Sources(population, campaign.policy, encoding=encoding, columns=columns)
    try:
        rows = sources.assessments(campaign.population, assessments)
        result = identify(campaign.population, rows, campaign.policy, year)
        opened = campaign.open_cases(result, actor=actor, on=day, command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    data = {"opened": list(opened.opened), "existing": list(opened.existing),
            "escalations": [{"org": d.org, "streak": list(d.streak),
                             "dismissed": [{"person": x.person, "org": x.org, "role": x.role}
                                           for x in d.dismissals]}
                            for d in opened.escalations]}
    if json_out:
        print_json(data)
        return
    out.print(f"opened {len(opened.opened)} case(s) / 新认定整顿对象; "
              f"{len(opened.existing)} already existed / 已存在")
    for d in opened.escalations:
        out.print(f"  escalation / 问责: {d.explain()}")


_PLAN_SHAPE = ('a JSON list of {"case", "problems": [[aspect, text]], "measures": [text], '
               '"responsible": [text], "deadline": "YYYY-MM-DD"}')


def _texts(where: str, value: Any, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(where, "a list of texts", value, 'write ["...", "..."]'))
        return []
    return value


def _problem_pairs(where: str, value: Any, problems: list[Problem]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if not isinstance(value, list):
        problems.append(Problem(where, "a list of [aspect, description] pairs", value,
                                'write "problems": [["team_incomplete", "..."]]'))
        return pairs
    for i, item in enumerate(value):
        if isinstance(item, str) and ":" in item:
            aspect, _, text = item.partition(":")
            pairs.append((aspect.strip(), text.strip()))
        elif (isinstance(item, list) and len(item) == 2
              and all(isinstance(x, str) for x in item)):
            pairs.append((item[0], item[1]))
        else:
            problems.append(Problem(f"{where}[{i}]", "[aspect, description] or "
                                    '"aspect:description"', item,
                                    'write ["team_incomplete", "班子不齐"]'))
    return pairs


def _plans_from(path: Path) -> list[tuple[str, Plan]]:
    """Every plan of a plans file, or exit 3 listing every problem (nothing is filed)."""
    from rectify.lifecycle.case import Plan

    try:
        rows = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(InputError(f"cannot read plans from {path}", [Problem(
            str(path), _PLAN_SHAPE, reason[:200], "check the path and the JSON syntax")])
        ) from None
    problems: list[Problem] = []
    plans: list[tuple[str, Plan]] = []
    if not isinstance(rows, list):
        rows, problems = [], [Problem(path.name, _PLAN_SHAPE, type(rows).__name__,
                                      "wrap the plans in [ ... ]")]
    for n, row in enumerate(rows):
        where = f"{path.name}:[{n}]"
        if not isinstance(row, dict):
            problems.append(Problem(where, "a plan object", row, "see docs/cli.md"))
            continue
        unknown = sorted(set(row) - {"case", "problems", "measures", "responsible",
                                     "deadline"})
        problems += [Problem(f"{where}.{k}", "case, problems, measures, responsible or "
                             "deadline", k, "remove or correct the key") for k in unknown]
        case = row.get("case")
        if not isinstance(case, str) or not case:
            problems.append(Problem(f"{where}.case", "a case id, YEAR-ORGCODE", case,
                                    'write "case": "2017-V01-03"'))
        pairs = _problem_pairs(f"{where}.problems", row.get("problems"), problems)
        measures = _texts(f"{where}.measures", row.get("measures"), problems)
        responsible = _texts(f"{where}.responsible", row.get("responsible"), problems)
        deadline = row.get("deadline")
        day = None
        if deadline is not None:
            try:
                day = date.fromisoformat(deadline) if isinstance(deadline, str) else None
            except ValueError:
                day = None
            if day is None:
                problems.append(Problem(f"{where}.deadline", "a date written YYYY-MM-DD",
                                        deadline, 'write "deadline": "2017-06-30"'))
        if not problems:
            plans.append((str(case), Plan(problems=pairs, measures=measures,
                                          responsible=responsible, deadline=day)))
    if problems:
        raise fail(InputError(f"cannot read plans from {path}", problems))
    return plans


@app.command("plan")
def plan_command(
    db: DbOption, actor: ActorOption, on: OnOption,
    case: Annotated[str | None, typer.Option("--case")] = None,
    problem: Annotated[list[str] | None, typer.Option(
        "--problem", help="ASPECT:description (repeat).")] = None,
    measure: Annotated[list[str] | None, typer.Option("--measure")] = None,
    responsible: Annotated[list[str] | None, typer.Option("--responsible")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Plans as a JSON list.")] = None,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False, command_id: CommandIdOption = None,
) -> None:
    """File rectification plans (报备整顿方案): one from options, or many from --file.

    A plans file is all or nothing: every plan is checked first and each
    refusal reported; only when all pass are they filed, in one transaction.
    Running the same file again files nothing twice.
    """
    from rectify.lifecycle.case import Plan

    day = parse_date(on)
    if file is not None:
        plans = _plans_from(file)
    elif case is not None:
        pairs = [(p.partition(":")[0], p.partition(":")[2]) for p in problem or []]
        plans = [(case, Plan(problems=pairs, measures=measure or [],
                             responsible=responsible or [],
                             deadline=parse_date(deadline, "--deadline") if deadline else None))]
    else:
        raise fail(InputError("nothing to file", [Problem(
            "--case/--file", "a case with --problem/--measure/--responsible/--deadline, or "
            "--file", None, "see rectify plan --help")]))
    campaign = open_campaign(db, policy, population)
    if file is None:
        only, plan = plans[0]
        _act(campaign, json_out, lambda: campaign.file_plan(only, plan, actor=actor, on=day,
                                                            command_id=command_id))
        return
    _file_plans(campaign, plans, actor, day, command_id, json_out)


def _file_plans(campaign: Campaign, plans: list[tuple[str, Plan]], actor: str, day: date,
                command_id: str | None, json_out: bool) -> None:
    """File every plan of a file in one transaction, or none, reporting each plan."""
    from rectify.lifecycle.commands import FilePlan

    commands = []
    # In case order (stable within a case), so that the ledger does not depend on the order
    # of the file's plans.
    for n, (case, plan) in sorted(enumerate(plans), key=lambda item: item[1][0]):
        command = FilePlan(case, plan)
        cid = (f"{command_id}:{n}:{case}" if command_id is not None
               else campaign.command_id(command, actor=actor, on=day))
        commands.append((command, cid))
    try:
        result = campaign.run_bulk(commands, actor=actor, on=day, atomic=True)
    except RectifyError as exc:
        raise fail(exc) from None
    repeated = set(result.repeated)
    rows: list[dict[str, Any]] = []
    for command, cid in commands:
        error = result.refused.get(cid)
        status = ("refused" if error is not None else "already_filed" if cid in repeated
                  else "filed" if not result.refused else "not_filed")
        rows.append({"case": command.case, "command_id": cid, "status": status,
                     "error": str(error) if error is not None else None})
    if json_out:
        print_json({"filed": not result.refused, "plans": rows})
    else:
        words = {"filed": "filed / 已报备", "already_filed": "already filed / 此前已报备",
                 "refused": "refused / 不予报备", "not_filed": "not filed / 未报备"}
        for row in rows:
            tail = f": {row['error']}" if row["error"] else ""
            out.print(f"{row['case']}: {words[row['status']]}{tail}", markup=False)
    if result.refused:
        first = next(iter(result.refused.values()))
        raise fail(first if len(result.refused) == 1 else InputError(
            f"{len(result.refused)} of {len(plans)} plans refused; nothing was filed",
            [Problem(f"plan for {row['case']}", "a plan the case accepts", row["status"],
                     str(row["error"])) for row in rows if row["error"]]))


@app.command("assign")
def assign_command(
    db: DbOption, case: CaseArg, level: Annotated[str, typer.Option("--level")],
    actor: ActorOption, on: OnOption,
    person: Annotated[str | None, typer.Option("--person")] = None,
    release: Annotated[bool, typer.Option("--release", help="Release the level.")] = False,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False, command_id: CommandIdOption = None,
) -> None:
    """Assign (or with --release, release) a support level (五级包扶)."""
    day = parse_date(on)
    if not release and person is None:
        raise fail(InputError("no person", [Problem("--person", "the person to assign", None,
                                                    "pass --person ID, or --release")]))
    campaign = open_campaign(db, policy, population)
    if release:
        _act(campaign, json_out, lambda: campaign.release_support(
            case, level, actor=actor, on=day, command_id=command_id))
        return
    assert person is not None  # checked above
    _act(campaign, json_out, lambda: campaign.assign_support(
        case, level, person, actor=actor, on=day, command_id=command_id))


@app.command("report")
def report_command(
    db: DbOption, case: CaseArg, kind: Annotated[str, typer.Option(
        "--kind", help="work_plan, duty_ledger or progress.")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")], actor: ActorOption,
    on: OnOption, resolved: Annotated[list[str] | None, typer.Option("--resolved")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False, command_id: CommandIdOption = None,
) -> None:
    """Record a monthly work plan, duty ledger or progress report (月初计划, 月末台账)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    _act(campaign, json_out, lambda: campaign.record_report(
        case, kind, month, actor=actor, on=day, resolved=resolved or (), note=note,
        command_id=command_id))


@app.command("request-verification")
def request_command(db: DbOption, case: CaseArg, actor: ActorOption, on: OnOption,
                    policy: PolicyOption = "northern-county",
                    population: PopulationOption = "sample",
                    json_out: JsonOption = False, command_id: CommandIdOption = None) -> None:
    """Ask for verification once every problem is resolved (申请考核验收)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    _act(campaign, json_out, lambda: campaign.request_verification(
        case, actor=actor, on=day, command_id=command_id))


@app.command("verify")
def verify_command(
    db: DbOption, case: CaseArg, score: Annotated[float, typer.Option("--score")],
    satisfied: Annotated[int, typer.Option("--satisfied")],
    basically: Annotated[int, typer.Option("--basically-satisfied")],
    dissatisfied: Annotated[int, typer.Option("--dissatisfied")],
    team: Annotated[str, typer.Option("--team", help="Verifier ids, comma-separated.")],
    actor: ActorOption, on: OnOption, policy: PolicyOption = "northern-county",
    population: PopulationOption = "sample", json_out: JsonOption = False,
    command_id: CommandIdOption = None,
) -> None:
    """Record a verification (考核验收): accepted, or back to rectification, saying why."""
    from rectify.lifecycle.guards import Votes

    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    members = [m.strip() for m in team.split(",") if m.strip()]
    try:
        record = campaign.record_verification(
            case, score, Votes(satisfied, basically, dissatisfied), members, actor=actor,
            on=day, command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    event = _last_verification(campaign, case)
    if json_out:
        data = case_json(record)
        data["verification"] = verification_json(event) if event is not None else None
        print_json(data)
        return
    _show(campaign, record, False)
    for line in _verification_lines(event, campaign.policy) if event is not None else []:
        out.print(f"  {line}", markup=False)


@app.command("delist")
def delist_command(db: DbOption, case: CaseArg, actor: ActorOption, on: OnOption,
                   policy: PolicyOption = "northern-county",
                   population: PopulationOption = "sample", json_out: JsonOption = False,
                   command_id: CommandIdOption = None) -> None:
    """Delist a case after a passing, independent verification (销号)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    _act(campaign, json_out, lambda: campaign.delist(case, actor=actor, on=day,
                                                     command_id=command_id))


@app.command("reopen")
def reopen_command(db: DbOption, case: CaseArg,
                   reason: Annotated[str, typer.Option("--reason", help="The relapse found.")],
                   actor: ActorOption, on: OnOption, policy: PolicyOption = "northern-county",
                   population: PopulationOption = "sample", json_out: JsonOption = False,
                   command_id: CommandIdOption = None) -> None:
    """Reopen a delisted case for a relapse found in follow-up (回头看发现反弹, 重新整顿)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    _act(campaign, json_out, lambda: campaign.reopen(case, reason, actor=actor, on=day,
                                                     command_id=command_id))


@app.command("close-year")
def close_year_command(db: DbOption, year: Annotated[int, typer.Option("--year")],
                       actor: ActorOption, on: OnOption,
                       policy: PolicyOption = "northern-county",
                       population: PopulationOption = "sample",
                       json_out: JsonOption = False, command_id: CommandIdOption = None) -> None:
    """Close a year: every case still open goes on into the next year (转入下年度继续整顿)."""
    day = parse_date(on)
    campaign = open_campaign(db, policy, population)
    try:
        carried = campaign.close_year(year, actor=actor, on=day, command_id=command_id)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json({"carried_over": carried})
    else:
        out.print(f"{len(carried)} case(s) go on into {year + 1} / 转入下年度继续整顿: "
                  f"{', '.join(carried)}")


@case_app.command("list")
def case_list(db: DbOption, year: Annotated[int | None, typer.Option("--year")] = None,
              state: Annotated[str | None, typer.Option("--state")] = None,
              policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
              fmt: FormatOption = None, output: OutOption = None,
              json_out: JsonOption = False) -> None:
    """List cases, optionally by year and state; --format/--out write the case register."""
    from rectify.lifecycle.workflow import WORKFLOW

    states = [s.name for s in WORKFLOW.states]
    if state is not None and state not in states:
        raise fail(InputError("unknown state", [Problem(
            "--state", f"a state of the workflow ({', '.join(states)})", state,
            "use the English state name")]))
    campaign = open_campaign(db, policy, population, create=False)
    cases = campaign.cases(year=year, state=state)
    if fmt is not None:
        from rectify.reporting.frames import case_rows

        names = {c.org: campaign.population[c.org].name for c in cases
                 if c.org in campaign.population}
        write_table_or_fail(case_rows(cases, names), fmt, output, sheet="案卷 Cases",
                            json_out=json_out)
        return
    if json_out:
        print_json([case_json(c) for c in cases])
        return
    grid = table("case", "name / 名称", "state / 状态", "deadline", "attempts")
    for c in cases:
        org = campaign.population.get(c.org)
        grid.add_row(c.id, org.name if org else "",
                     f"{c.state} / {WORKFLOW.state(c.state).zh}",
                     c.deadline.isoformat() if c.deadline else "", str(c.attempts))
    out.print(grid)


@case_app.command("show")
def case_show(case: Annotated[str, typer.Argument(help="The case id, YEAR-ORGCODE.")],
              db: DbOption, policy: PolicyOption = "northern-county",
              population: PopulationOption = "sample", json_out: JsonOption = False) -> None:
    """Show a case: state, support, problems and its history."""
    from rectify.events import VerificationRecorded

    campaign = open_campaign(db, policy, population, create=False)
    try:
        record = campaign.case(case)
        history = campaign.history(case)
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        data = case_json(record)
        data["history"] = [{"version": e.version, "type": type(e).__name__,
                            "on": e.on.isoformat(), "actor": e.actor,
                            "transitions": list(e.transitions),
                            **({"verification": verification_json(e)}
                               if isinstance(e, VerificationRecorded) else {})}
                           for e in history]
        print_json(data)
        return
    _show(campaign, record, False)
    for level, person in record.support:
        who = campaign.people.get(person)
        out.print(f"  support {level} / {level_zh(level, campaign.policy)}: {person}"
                  f"{' ' + who.name if who else ''}")
    for e in history:
        moved = f" → {', '.join(e.transitions)}" if e.transitions else ""
        out.print(f"  v{e.version} {e.on} {type(e).__name__} / {event_zh(type(e).__name__)}"
                  f" by {e.actor}{moved}")
        if isinstance(e, VerificationRecorded):
            for line in _verification_lines(e, campaign.policy):
                out.print(f"      {line}", markup=False)
