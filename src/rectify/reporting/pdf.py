"""Printing a bulletin to PDF (A4, Chinese fonts embedded) with headless Chromium.

`to_pdf()` writes the bulletin's HTML (`rectify.reporting.render.to_html()`)
to a temporary file and asks a headless Chromium to print it: the page's
``@page { size: A4 }`` rules apply and the fonts that draw the Chinese text
are embedded in the PDF.  Chromium is found by `find_chromium()`: the
``RECTIFY_CHROMIUM`` environment variable, else ``chromium``,
``chromium-browser``, ``google-chrome`` or ``chrome`` on the ``PATH``.
Where none is installed, `PrintError` says so and how to install one
(``apt-get install chromium fonts-noto-cjk`` on Debian); nothing else in
rectify needs a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rectify.errors import RectifyError

if TYPE_CHECKING:
    pass

__all__ = ["BROWSERS", "PrintError", "find_chromium", "print_html"]

#: Executable names tried, in order, when ``RECTIFY_CHROMIUM`` is not set.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


class PrintError(RectifyError, RuntimeError):
    """A bulletin could not be printed to PDF: no Chromium, or Chromium failed.

    ``browser`` is the executable tried (``None`` when none was found) and
    ``detail`` what went wrong.
    """

    def __init__(self, browser: str | None, detail: str, fix: str) -> None:
        self.browser = browser
        self.detail = detail
        self.fix = fix
        super().__init__(f"PDF printing: expected a headless Chromium, {detail}; {fix}")


def find_chromium() -> str | None:
    """The Chromium executable to print with, or ``None`` when none is installed."""
    chosen = os.environ.get("RECTIFY_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).exists() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_html(page: str, path: str | Path, *, timeout: float = 120.0) -> Path:
    """Print the HTML ``page`` to an A4 PDF at ``path`` with headless Chromium; the path.

    `rectify.reporting.render.to_pdf()` prints a bulletin with it.

    Raises:
        PrintError: no Chromium is installed, it failed, or it wrote no PDF.
    """
    browser = find_chromium()
    if browser is None:
        raise PrintError(None, "found none (tried $RECTIFY_CHROMIUM, " + ", ".join(BROWSERS)
                         + ")", "install one (Debian: apt-get install chromium fonts-noto-cjk) "
                         "or set RECTIFY_CHROMIUM; the HTML bulletin needs no browser")
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rectify-pdf-") as tmp:
        source = Path(tmp) / "bulletin.html"
        source.write_text(page, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
                   f"--user-data-dir={tmp}/profile", f"--print-to-pdf={target}",
                   source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError(browser, f"it could not run ({exc})",
                             "check the browser installation or RECTIFY_CHROMIUM") from None
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PrintError(browser, f"it exited with {done.returncode} ({tail[0]})",
                         "run it by hand with --headless --print-to-pdf to see why")
    return target
