"""The HTML bulletin in a real browser: headless Chromium shows its tables, charts and Chinese.

Needs Debian's ``chromium`` (``.ci/run`` installs it with a CJK font); the
tests skip, saying why, when it is missing.
"""

from __future__ import annotations

import functools
import html.parser
import io
import re
import shutil
import struct
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest

from rectify.lifecycle.workflow import WORKFLOW
from rectify.reporting import charts as charts_module
from rectify.reporting.bulletin import bulletin
from rectify.reporting.labels import STATUS_ZH
from rectify.reporting.render import BODY_TABLES, to_html
from test_reports import sample_campaign

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"),
                             shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run does it)")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")
TITLE_ZH = "整顿软弱涣散基层党组织"


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                          timeout=180, check=False, cwd=tmp)


@functools.cache
def _page() -> str:
    b = bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))
    return to_html(b)


def _write_page(tmp: Path) -> Path:
    path = tmp / "bulletin.html"
    path.write_text(_page(), encoding="utf-8")
    return path


class _Dom(html.parser.HTMLParser):
    """Tags with their attributes, and the text outside SVG and style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _png_size_and_colours(data: bytes, max_rows: int = 800) -> tuple[int, int, int]:
    """Width, height and the number of distinct colours in the first ``max_rows`` rows.

    Uses Pillow when it is installed (matplotlib brings it), else decodes the
    PNG with zlib (8-bit RGB or RGBA, not interlaced, as Chromium writes).
    """
    width, height = struct.unpack(">II", data[16:24])
    try:
        from PIL import Image
    except ImportError:
        return width, height, _zlib_colours(data, max_rows)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    top = image.crop((0, 0, width, min(height, max_rows)))
    return width, height, len(top.getcolors(maxcolors=1 << 24) or ())


def _zlib_colours(data: bytes, max_rows: int) -> int:
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8, "expected an 8-bit PNG"
    assert colour in (2, 6), "expected an RGB or RGBA PNG"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(min(height, max_rows)):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return len(colours)


def test_dom_has_tables_charts_and_intact_chinese(tmp_path: Path) -> None:
    """Chromium's DOM holds every table, the SVG charts and the Chinese text as written."""
    page = _write_page(tmp_path)
    result = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    b = bulletin(sample_campaign(), period="annual", on=date(2016, 12, 31))
    tables = [a.get("data-table") for t, a in dom.tags if t == "table"]
    body = [name for name in BODY_TABLES if b.table(name).rows]
    assert tables == body + [t.name for t in b.tables if t.rows and t.name not in BODY_TABLES]
    text = "".join(dom.text)
    assert b.title("zh") in text
    assert TITLE_ZH in text
    for table in b.tables:
        assert table.zh in text, table.name
    for state in WORKFLOW.states:
        assert STATUS_ZH[state.name] in text
    assert "\ufffd" not in result.stdout, "replacement characters: the page was mis-decoded"
    assert "æ" not in text, "mojibake: UTF-8 read as Latin-1"
    if charts_module.available():
        figures = [a.get("id") for t, a in dom.tags if t == "figure"]
        assert figures == ["chart-funnel", "chart-kinds", "chart-overdue_trend"]
        assert sum(1 for t, _ in dom.tags if t == "svg") == 3
        assert "整顿进度漏斗" in result.stdout
        assert "已销号" in result.stdout


def test_screenshot_is_not_blank(tmp_path: Path) -> None:
    """A 1200×2000 screenshot of the page is a real picture: many colours, not a blank page."""
    page = _write_page(tmp_path)
    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000",
                       page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000
    width, height, colours = _png_size_and_colours(data)
    assert (width, height) == (1200, 2000)
    # A blank page has one colour; text alone gives a few dozen anti-aliased greys;
    # the red headings and the coloured charts give far more.
    assert colours > (200 if charts_module.available() else 30), colours


def test_chinese_glyphs_are_drawn(tmp_path: Path) -> None:
    """Chinese text is drawn with real glyphs: two different phrases give different pictures.

    With no CJK font every character becomes the same empty box (tofu), so two
    different Chinese phrases of the same length would look the same.
    """
    if shutil.which("fc-list") and not subprocess.run(
            ["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk; .ci/run does it)")
    shots = []
    for i, phrase in enumerate(("整顿软弱涣散", "基层党组织书")):
        page = tmp_path / f"p{i}.html"
        page.write_text(f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8">'
                        f'<body style="margin:0;font-size:64px">{phrase}</body></html>',
                        encoding="utf-8")
        shot = tmp_path / f"p{i}.png"
        result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=600,120",
                           page.as_uri())
        assert result.returncode == 0, result.stderr[-2000:]
        shots.append(shot.read_bytes())
    colours = _png_size_and_colours(shots[0])[2]
    assert colours > 2
    assert _zlib_colours(shots[0], 120) == colours, "the zlib fallback decoder disagrees"
    assert shots[0] != shots[1], "both phrases render identically: missing CJK glyphs"


def test_pdf_is_a4_with_embedded_fonts(tmp_path: Path) -> None:
    """to_pdf prints the document on A4 pages with the fonts that draw the Chinese embedded."""
    from rectify.reporting.render import to_pdf

    b = bulletin(sample_campaign(), period="quarterly", issued=date(2016, 7, 10))
    path = to_pdf(b, tmp_path / "q2.pdf", charts=False)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes
    assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)
    assert re.search(rb"/FontFile[23]?|/CharProcs", data), "no embedded font program"
    assert data.count(b"/Type /Page\n") + data.count(b"/Type/Page") + len(
        re.findall(rb"/Type\s*/Page[^s]", data)) >= 2


def test_write_bulletin_writes_the_pdf(tmp_path: Path) -> None:
    """'pdf' among the formats writes <stem>.pdf beside the other files."""
    from rectify.reporting.render import write_bulletin

    b = bulletin(sample_campaign(), period="monthly", on=date(2016, 7, 31))
    paths = write_bulletin(b, tmp_path, formats=("html", "pdf"), charts=False)
    assert [p.name for p in paths] == ["bulletin-2016-07.html", "bulletin-2016-07.pdf"]
    assert paths[1].read_bytes().startswith(b"%PDF-")
