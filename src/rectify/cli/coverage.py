"""``rectify coverage check|draw|export`` and ``rectify diagram workflow|coverage``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import (
    JsonOption,
    PolicyOption,
    app,
    bad_value,
    fail,
    out,
    print_json,
    table,
)
from rectify.cli._ledger import DbOption, PopulationOption, open_campaign
from rectify.cli._output import writable_or_fail
from rectify.errors import InvalidValueError, RectifyError

__all__ = ["coverage_app", "diagram_app"]

coverage_app = typer.Typer(help="Who covers whom (包扶关系): checks, pictures, exports.",
                           no_args_is_help=True)
diagram_app = typer.Typer(help="Diagrams of the workflow and of coverage.",
                          no_args_is_help=True)
app.add_typer(coverage_app, name="coverage")
app.add_typer(diagram_app, name="diagram")

FormatOption = Annotated[str, typer.Option(
    "--format", help="mermaid (text), dot (graphviz text), or svg/png (needs graphviz).")]


@coverage_app.command("check")
def coverage_check(db: DbOption, policy: PolicyOption = "northern-county",
                   population: PopulationOption = "sample", json_out: JsonOption = False) -> None:
    """Run every coverage check on the ledger's open cases; exit 0 even with findings."""
    from rectify.coverage import check_all, coverage_from_campaign

    campaign = open_campaign(db, policy, population, create=False)
    cov = campaign.policy.coverage
    findings = check_all(coverage_from_campaign(campaign), campaign.policy,
                         max_cases_per_person=cov.max_cases_per_person,
                         max_villages_per_unit=cov.max_villages_per_unit,
                         min_contact_points=cov.min_contact_points,
                         max_contact_points=cov.max_contact_points, min_visits=cov.min_visits)
    if json_out:
        print_json([f.to_dict() for f in findings])
        return
    if not findings:
        out.print("no finding / 未发现问题")
        return
    grid = table("check", "subject", "finding / 问题")
    for f in findings:
        grid.add_row(f.check, f.subject, f"{f.zh}\n{f.en}")
    out.print(grid)
    out.print(f"{len(findings)} finding(s)")


def _render(text: str, fmt: str, output: Path) -> Path:
    """Render DOT text with graphviz, or exit 3 naming the missing renderer."""
    from rectify.reporting.diagrams import render

    fix = ("install the diagrams extra (pip install 'rectify[diagrams]') and the graphviz "
           "programs (apt install graphviz), or draw --format dot or mermaid")
    try:
        return render(text, output, format=fmt)
    except RectifyError as exc:
        raise fail(exc) from None
    except ImportError:
        raise bad_value("--format", f"a renderer for {fmt} (the graphviz package)", fmt,
                        fix) from None
    except (RuntimeError, subprocess.SubprocessError) as exc:  # graphviz's own errors
        raise bad_value("--format", f"a renderer for {fmt} (the graphviz programs, dot)",
                        fmt, f"{type(exc).__name__}: {str(exc)[:160]}; {fix}") from None
    except OSError as exc:
        raise bad_value("--output", "a writable file path", str(output),
                        f"{exc.strerror or exc}: choose another path") from None


def _emit(text: str, fmt: str, output: Path | None, json_out: bool = False) -> None:
    if output is not None:
        writable_or_fail(output, "--output")
    written: Path | None = None
    if fmt in ("svg", "png"):
        if output is None:
            raise bad_value("--output", f"a file for the {fmt} picture", None,
                            "pass --output PATH")
        written = _render(text, fmt, output)
    elif output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise bad_value("--output", "a writable file path", str(output),
                            f"{exc.strerror or exc}: choose another path") from None
        written = output
    if json_out:
        print_json({"format": fmt, "written": None if written is None else str(written),
                    "text": None if fmt in ("svg", "png") else text})
    elif written is not None:
        out.print(f"wrote {written}", markup=False)
    else:
        out.print(text, markup=False, end="")


@coverage_app.command("draw")
def coverage_draw(
    db: DbOption,
    county: Annotated[str | None, typer.Option("--county", help="Draw one county.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Draw one case.")] = None,
    fmt: FormatOption = "mermaid",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Draw the coverage of one case or one county (Chinese labels)."""
    from rectify.coverage import build_graph
    from rectify.reporting import diagrams

    if fmt not in ("mermaid", "dot", "svg", "png"):
        raise fail(InvalidValueError("--format", "mermaid, dot, svg or png", fmt))
    campaign = open_campaign(db, policy, population, create=False)
    try:
        if case is not None:
            campaign.case(case)  # an unknown case is refused before drawing
    except RectifyError as exc:
        raise fail(exc) from None
    graph = build_graph(campaign)
    try:
        if case is not None:
            text = (diagrams.case_mermaid if fmt == "mermaid" else diagrams.case_dot)(graph,
                                                                                      case)
        else:
            counties = sorted({o.county for o in campaign.population})
            area = county or next(iter(counties), "")
            if county is not None and county not in counties:
                raise bad_value("--county", f"a county of the population ({', '.join(counties)})",
                                county, "correct the county's name")
            text = (diagrams.county_mermaid if fmt == "mermaid" else diagrams.county_dot)(
                graph, area)
    except RectifyError as exc:
        raise fail(exc) from None
    except KeyError as exc:  # the graph lacks the node asked for
        raise bad_value("--case" if case else "--county", "a case or county of the ledger",
                        exc.args[0] if exc.args else case, "check the id") from None
    _emit(text, fmt, output, json_out)


@coverage_app.command("export")
def coverage_export(
    db: DbOption, output: Annotated[Path, typer.Option("--output", "-o")],
    fmt: Annotated[str, typer.Option("--format", help="graphml or json (node-link).")] = "json",
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Export the coverage graph as GraphML or node-link JSON."""
    from rectify.coverage import build_graph, write_graphml, write_node_link

    if fmt not in ("graphml", "json"):
        raise fail(InvalidValueError("--format", "graphml or json", fmt))
    writable_or_fail(output, "--output")
    graph = build_graph(open_campaign(db, policy, population, create=False))
    try:
        (write_graphml if fmt == "graphml" else write_node_link)(graph, output)
    except OSError as exc:
        raise bad_value("--output", "a writable file path", str(output),
                        f"{exc.strerror or exc}: choose another path") from None
    if json_out:
        print_json({"written": str(output), "format": fmt, "nodes": graph.number_of_nodes(),
                    "edges": graph.number_of_edges()})
        return
    out.print(f"wrote {output} ({graph.number_of_nodes()} nodes, "
              f"{graph.number_of_edges()} edges)", markup=False)


@diagram_app.command("workflow")
def diagram_workflow(
    lang: Annotated[str, typer.Option("--lang", help="both, en or zh.")] = "both",
    fmt: FormatOption = "mermaid",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    json_out: JsonOption = False,
) -> None:
    """The case workflow, generated from its definition."""
    from rectify.reporting.diagrams import workflow_mermaid

    if fmt != "mermaid":
        raise fail(InvalidValueError("--format", "mermaid for the workflow", fmt,
                                     "the workflow is drawn as mermaid text"))
    if lang not in ("both", "en", "zh"):
        raise bad_value("--lang", "both, en or zh", lang)
    _emit(workflow_mermaid(lang), fmt, output, json_out)


@diagram_app.command("coverage")
def diagram_coverage(
    db: DbOption,
    county: Annotated[str | None, typer.Option("--county")] = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    fmt: FormatOption = "mermaid",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Same as `rectify coverage draw`."""
    coverage_draw(db, county, case, fmt, output, policy, population, json_out)
