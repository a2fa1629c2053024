"""The documentation site builds with warnings as errors, and every page is in the navigation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A Sphinx cross-reference role left in a docstring (mkdocstrings shows it literally).
RAW_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj|py:\w+):`")


def test_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict` succeeds (broken links and bad references fail it)."""
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed (install the 'docs' extra)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "index.html").exists()
    assert "Keep a Changelog" in (tmp_path / "changelog" / "index.html").read_text("utf-8")
    raw = [(page.relative_to(tmp_path).as_posix(), match.group(0))
           for page in tmp_path.rglob("*.html")
           for match in RAW_ROLE.finditer(page.read_text("utf-8"))]
    assert raw == [], "Sphinx roles are not rendered by mkdocstrings: use `Name` instead"


def test_every_page_is_in_the_navigation() -> None:
    """No page of docs/ is left out of mkdocs.yml's nav."""
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    missing = [p for p in pages if f" {p}" not in nav]
    assert missing == []
