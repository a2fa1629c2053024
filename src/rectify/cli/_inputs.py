"""Loading what a command reads: `--population`, `--assessments`, `--encoding`, `--columns`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rectify.cli._common import fail
from rectify.errors import RectifyError

if TYPE_CHECKING:  # the loaders are imported where used: `rectify --help` needs none
    from rectify.forest import Population
    from rectify.inputs import ColumnMapping
    from rectify.model import Assessment, Person
    from rectify.policy import Policy

__all__ = [
    "ColumnsOption",
    "EncodingOption",
    "PopulationOption",
    "Sources",
    "mapping_or_fail",
]

PopulationOption = Annotated[str, typer.Option(
    "--population", envvar="RECTIFY_POPULATION",
    help="'sample', a folder with organizations/assessments/people files, one file, or a "
    "workbook with a sheet per table.")]
EncodingOption = Annotated[str | None, typer.Option(
    "--encoding", help="Encoding of CSV/JSON files (default: UTF-8 or GB18030, detected).")]
ColumnsOption = Annotated[Path | None, typer.Option(
    "--columns", help="A TOML column mapping for another system's export (see docs/inputs.md).")]


def mapping_or_fail(path: Path | None) -> ColumnMapping | None:
    """The column mapping in ``path`` (``None`` without one), or exit 3."""
    if path is None:
        return None
    from rectify.inputs import load_mapping

    try:
        return load_mapping(path)
    except RectifyError as exc:
        raise fail(exc) from None


class Sources:
    """What ``--population`` (and ``--assessments``) name, loaded under one policy.

    ``sample`` is the bundled county; anything else is read with the policy's
    kinds, aspects, facts and roles, in ``encoding`` and through ``columns``.
    Loaders raise `InputError`; the caller turns it into exit 3.
    """

    def __init__(self, source: str, policy: Policy, *, encoding: str | None = None,
                 columns: Path | None = None) -> None:
        self.source = source
        self.policy = policy
        self.encoding = encoding
        self.columns = mapping_or_fail(columns)

    @property
    def is_sample(self) -> bool:
        """Whether the source is the bundled sample county."""
        return self.source == "sample"

    def population(self) -> Population:
        """The organizations."""
        if self.is_sample:
            from rectify.sample import sample_population

            return sample_population()
        from rectify.inputs import find_table
        from rectify.inputs import load_organizations as _load_organizations

        path, sheet = find_table(self.source, "organizations")
        return _load_organizations(path, policy=self.policy, encoding=self.encoding,
                                   columns=self.columns, sheet=sheet)

    def assessments(self, population: Population, source: str | None = None
                    ) -> list[Assessment]:
        """The assessments (from ``source`` when given), checked against ``population``."""
        where = source or self.source
        if where == "sample":
            from rectify.sample import assessments_from

            return assessments_from("sample", population)
        from rectify.inputs import find_table
        from rectify.inputs import load_assessments as _load_assessments

        path, sheet = find_table(where, "assessments")
        return _load_assessments(path, population=population, policy=self.policy,
                                 encoding=self.encoding, columns=self.columns, sheet=sheet)

    def people(self) -> list[Person]:
        """The people (secretaries, cadres, verifiers)."""
        if self.is_sample:
            from rectify.sample import sample_people

            return sample_people()
        from rectify.inputs import find_table
        from rectify.inputs import load_people as _load_people

        path, sheet = find_table(self.source, "people")
        return _load_people(path, policy=self.policy, encoding=self.encoding,
                            columns=self.columns, sheet=sheet)
