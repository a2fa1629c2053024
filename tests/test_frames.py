"""Decisions, cases, the ledger and bulletins as Arrow tables and DataFrames."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify import load_policy
from rectify.forest import Population
from rectify.identify import Identification, identify
from rectify.lifecycle.case import CaseRecord
from rectify.model import Assessment, Organization, Tier
from rectify.reporting import frames

POLICY = load_policy()
KINDS = ["village", "community", "agency"]


def _identification(scores: list[tuple[str, float]]) -> Identification:
    orgs = Population(Organization(f"O{i}", f"组织{i}", kind, Tier.DIRECT)
                      for i, (kind, _) in enumerate(scores))
    rows = [Assessment(f"O{i}", 2017, score) for i, (_, score) in enumerate(scores)]
    return identify(orgs, rows, POLICY, 2017)


_scores = st.lists(st.tuples(st.sampled_from(KINDS),
                             st.integers(0, 40).map(lambda n: 50 + n / 2)), min_size=1,
                   max_size=40)


@given(_scores)
def test_decision_rows_are_the_decisions(scores: list[tuple[str, float]]) -> None:
    """The columnar rows say what each Decision says: listed, rules, rank, cut-off, margin."""
    result = _identification(scores)
    rows = frames.decision_rows(result)
    assert [(r["org_id"], r["listed"], r["rules"], r["rank"], r["kind_size"], r["cutoff"],
             r["margin"], r["near_miss"], r["grade"]) for r in rows] == [
        (d.org, d.listed, list(d.rules), d.rank, d.kind_size, d.cutoff, d.margin, d.near_miss,
         d.grade.value) for d in result]


def test_to_arrow_pandas_polars_agree() -> None:
    """to_arrow(), to_pandas() and to_polars() carry the same rows, with Chinese headers."""
    pa = pytest.importorskip("pyarrow")
    result = _identification([("village", 55.0), ("village", 70.0), ("community", 80.5)])
    table = result.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.column_names == [k for k, _, _ in frames.DECISION_COLUMNS]
    assert table.schema.metadata[b"zh:listed"].decode() == "列为整顿对象"
    assert table.column("rules").to_pylist() == [list(d.rules) for d in result]
    pytest.importorskip("pandas")
    frame = result.to_pandas()
    assert frame["org_id"].tolist() == ["O0", "O1", "O2"]
    assert frame["listed"].tolist() == [d.listed for d in result]
    pytest.importorskip("polars")
    assert result.to_polars()["score"].to_list() == [55.0, 70.0, 80.5]


def test_case_table_and_html() -> None:
    """A case record becomes a typed Arrow row; Jupyter shows cases and decisions as HTML."""
    pytest.importorskip("pyarrow")
    case = CaseRecord(id="2017-O0", org="O0", year=2017, kind="village", state="planned",
                      version=2, opened_on=date(2017, 2, 1), problems=("team_incomplete",),
                      support=(("first_secretary", "P<1>"),))
    row = case.to_arrow().to_pylist()[0]
    assert row["opened_on"] == date(2017, 2, 1)
    assert row["support"] == [{"level": "first_secretary", "person": "P<1>"}]
    assert "P&lt;1&gt;" in case._repr_html_()
    html = _identification([("village", 55.0)])._repr_html_()
    assert "1 of 1 listed" in html


def test_write_rows_formats(tmp_path: pytest.TempPathFactory) -> None:
    """CSV (with BOM), JSON, XLSX and Parquet round-trip the rows; a folder is refused."""
    from pathlib import Path

    from rectify import InvalidValueError

    folder = Path(str(tmp_path))
    rows = [{"org_id": "V1", "rules": ["grade_d", "quota"], "score": 55.0}]
    csv_path = frames.write_rows(rows, folder / "d.csv", "csv")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbforg_id,rules,score\r\nV1,")
    assert "V1,grade_d; quota,55.0" in csv_path.read_text("utf-8-sig")
    with pytest.raises(InvalidValueError, match="writable"):
        frames.write_rows(rows, folder, "csv")
    pq = pytest.importorskip("pyarrow.parquet")
    frames.write_rows(rows, folder / "d.parquet", "parquet")
    assert pq.read_table(folder / "d.parquet").to_pylist() == rows
