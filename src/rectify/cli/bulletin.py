"""``rectify bulletin``: monthly, quarterly, half-yearly and annual bulletins (通报)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rectify.cli._common import JsonOption, PolicyOption, app, fail, out, print_json
from rectify.cli._ledger import DbOption, PopulationOption, open_campaign, parse_date
from rectify.errors import InvalidValueError, RectifyError

__all__ = ["bulletin_command"]


@app.command("bulletin")
def bulletin_command(
    db: DbOption,
    on: Annotated[str | None, typer.Option(
        "--on", help="Report the period containing this date, up to it (YYYY-MM-DD).")] = None,
    issued: Annotated[str | None, typer.Option(
        "--issued", help="Issue date (YYYY-MM-DD): report the period the schedule says it "
        "covers, the one just ended (10 July: the second quarter).")] = None,
    period: Annotated[str, typer.Option(
        "--period", help="monthly, quarterly, half_yearly or annual.")] = "quarterly",
    audience: Annotated[str, typer.Option(
        "--audience", help="internal (default) or public: no people, no internal reasons."
    )] = "internal",
    county: Annotated[str | None, typer.Option("--county")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Listing year (default: the "
                                             "period's).")] = None,
    issuer: Annotated[str | None, typer.Option(
        "--issuer", help="发文机关 (default: 中共<county>委组织部).")] = None,
    number: Annotated[str | None, typer.Option(
        "--number", help="文号, may use {year} and {seq} (default: <X>组通〔{year}〕{seq}号).")
    ] = None,
    addressees: Annotated[str | None, typer.Option(
        "--to", help="主送 (default by period and audience).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write the bulletin files (and charts) into this folder.")] = None,
    formats: Annotated[str, typer.Option(
        "--format", help="Comma-separated: md,html,xlsx,pdf (pdf needs Chromium).")
    ] = "md,html,xlsx",
    policy: PolicyOption = "northern-county", population: PopulationOption = "sample",
    json_out: JsonOption = False,
) -> None:
    """Build a bulletin; print it, or write it with --out.  Give --on or --issued."""
    from rectify.reporting.bulletin import BulletinSettings, bulletin
    from rectify.reporting.render import FORMATS, to_markdown, write_bulletin

    if lang not in ("zh", "en"):
        raise fail(InvalidValueError("--lang", "zh or en", lang))
    if on is None and issued is None:
        raise fail(InvalidValueError("--on", "a date, or --issued with the issue date", None,
                                     "e.g. --issued 2017-07-10 for the second quarter"))
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise fail(InvalidValueError("--format", f"formats among {', '.join(FORMATS)}",
                                     ",".join(unknown)))
    campaign = open_campaign(db, policy, population)
    settings = BulletinSettings(issuer=issuer or "", number=number or "",
                                addressees=addressees or "")
    try:
        made = bulletin(campaign, period=period, on=parse_date(on) if on else None,
                        issued=parse_date(issued, "--issued") if issued else None,
                        county=county, kind=kind, year=year, audience=audience,
                        settings=settings)
        if out_dir is not None:
            for path in write_bulletin(made, out_dir, chosen, lang):
                out.print(f"wrote {path}", markup=False)
            return
    except RectifyError as exc:
        raise fail(exc) from None
    if json_out:
        print_json(made.to_dict())
    else:
        out.print(to_markdown(made, lang), markup=False)
