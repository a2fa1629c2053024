"""MkDocs hook: the changelog page shows the repository's CHANGELOG.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"


def on_page_read_source(page: Any, config: Any) -> str | None:
    """Serve CHANGELOG.md as the source of ``changelog.md``."""
    if page.file.src_uri == "changelog.md":
        return CHANGELOG.read_text("utf-8")
    return None
