"""PostgreSQL's COPY text of the events table reads back as exactly the rows given."""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("psycopg")

from rectify.stores.postgres import copy_text

_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def _field(text: str) -> str:
    """One field of COPY's text format, unescaped as the server reads it."""
    return re.sub(r"\\[\\tnr]", lambda m: _UNESCAPE[m.group()], text)


_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 min_size=1, max_size=10)
_row = st.tuples(st.integers(1, 10**9), _texts, st.integers(1, 10**6), _texts,
                 st.one_of(st.dictionaries(_texts, _texts, max_size=3).map(orjson.dumps),
                           _texts.map(str.encode)),
                 st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))


@given(st.lists(_row, max_size=5), st.booleans())
def test_copy_text_reads_back_as_the_rows(rows: list[tuple[int, str, int, str, bytes, bytes,
                                                             bytes]], chained: bool) -> None:
    """Every field survives COPY's escaping (tabs, newlines, backslashes in ids and
    payloads), chained rows (previous = the hash before) as well as unchained ones."""
    if chained:
        for i in range(1, len(rows)):
            rows[i] = (*rows[i][:5], rows[i - 1][6], rows[i][6])
    lines = copy_text(rows).split("\n")
    assert lines[-1] == ""
    parsed = [[_field(f) for f in line.split("\t")] for line in lines[:-1]]
    assert parsed == [[str(p), s, str(v), c, payload.decode(), f"\\x{prev.hex()}",
                       f"\\x{h.hex()}"] for p, s, v, c, payload, prev, h in rows]
