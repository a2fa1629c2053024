"""``rectify bulletin``: monthly, quarterly and annual bulletins (通报)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import JsonOption, PolicyOption, app, fail, out, print_json
from rectify.cli._ledger import DbOption, OnOption, PopulationOption, open_campaign, parse_date
from rectify.errors import InvalidValueError, RectifyError

__all__ = ["bulletin_command"]


@app.command("bulletin")
def bulletin_command(
    db: DbOption, on: OnOption,
    period: Annotated[str, typer.Option("--period", help="monthly, quarterly or annual.")] = (
        "quarterly"),
    county: Annotated[str | None, typer.Option("--county")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Listing year (default: --on's)."
                                             )] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write the bulletin files (and charts) into this folder.")] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: md,html,xlsx."
                                         )] = "md,html,xlsx",
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Build the bulletin for the period containing --on; print it, or write it with --out."""
    from rectify.reporting.bulletin import bulletin
    from rectify.reporting.render import FORMATS, to_markdown, write_bulletin

    if lang not in ("zh", "en"):
        raise fail(InvalidValueError("--lang", "zh or en", lang))
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise fail(InvalidValueError("--format", f"formats among {', '.join(FORMATS)}",
                                     ",".join(unknown)))
    campaign = open_campaign(db, policy, population)
    try:
        made = bulletin(campaign, period=period, on=parse_date(on), county=county, kind=kind,
                        year=year)
        if out_dir is not None:
            for path in write_bulletin(made, out_dir, chosen, lang):
                out.print(f"wrote {path}")
            return
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json(made.to_dict())
    else:
        out.print(to_markdown(made, lang), markup=False)
