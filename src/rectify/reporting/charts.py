"""Charts of a bulletin (通报图表): the progress funnel, listings per kind, the overdue trend.

Drawn with matplotlib (the ``charts`` extra: ``pip install 'rectify[charts]'``),
imported only inside these functions.  Figures are built on the Agg canvas
without pyplot, and every setting is applied through
`matplotlib.rc_context()`, so the host's matplotlib configuration is left
as it was.

- **SVG** keeps text as text (``svg.fonttype = "none"``): Chinese labels stay
  searchable and the viewer's fonts draw them, so SVG charts are always
  labelled in the language asked for.
- **PNG** is rasterised here with a font for Simplified Chinese picked
  explicitly (`cjk_font()`: Noto Sans CJK SC, else the best available), so
  glyphs have their Simplified forms and matplotlib never warns about a
  missing family.  When no such font is installed the log says so once and a
  PNG asked for in Chinese is labelled in English instead, rather than
  drawing empty boxes (``apt-get install fonts-noto-cjk`` on Debian fixes
  that).

Chart names (`CHARTS`): ``funnel``, ``kinds``, ``overdue_trend``.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rectify.errors import InvalidValueError
from rectify.reporting.bulletin import Bulletin

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHARTS",
    "available",
    "chart_png",
    "chart_svg",
    "cjk_font",
    "write_charts",
]

#: Chart names with their English and Chinese titles, in the order bulletins show them.
CHARTS: dict[str, tuple[str, str]] = {
    "funnel": ("Progress funnel", "整顿进度漏斗"),
    "kinds": ("Listings by kind", "各类型整顿对象"),
    "overdue_trend": ("Overdue cases at month ends", "逾期对象趋势 (月末)"),
}

# Family names of fonts that draw Simplified Chinese, best first.  Noto Sans CJK
# ships as one collection (.ttc) with a face per region: the SC face is asked for
# by name, so Chinese never comes out in Japanese glyph forms (JP is face 0).
_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Serif CJK SC", "Source Han Serif SC",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Droid Sans Fallback",
    "AR PL UMing CN", "AR PL UKai CN",
)
# Other-region faces of the same collections: used only when no Simplified face exists.
_CJK_FALLBACKS = ("Noto Sans CJK", "Source Han Sans", "Noto Serif CJK", "Source Han Serif",
                  "AR PL UMing", "AR PL UKai")
# File-name fragments of the same fonts, to find them when matplotlib's font cache
# predates their installation.
_CJK_FILES = ("notosanscjk", "notoserifcjk", "notosanssc", "sourcehan", "wqy", "droidsansfallback",
              "uming", "ukai", "msyh", "simhei", "pingfang")
_COLOURS = ("#b22222", "#d2691e", "#daa520", "#2e8b57", "#4682b4", "#6a5acd")


def available() -> bool:
    """Whether matplotlib (the ``charts`` extra) can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _best(names: set[str]) -> str | None:
    for wanted in _CJK_FAMILIES:
        if wanted in names:
            return wanted
    for wanted in _CJK_FALLBACKS:
        for name in sorted(names):
            if name.startswith(wanted):
                return name
    return None


@functools.cache
def cjk_font() -> str | None:
    """The family name of the best installed font for Simplified Chinese, or ``None``.

    Prefers Noto Sans CJK SC, then other Simplified-Chinese families
    (`_CJK_FAMILIES`), then another region's face of a CJK collection.  Looks
    in matplotlib's font list first, then among the system's font files
    (registering every face of the ones it finds, for a font cache older than
    the fonts).  When none is installed, says so once in the ``rectify``
    log and returns ``None``.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    found = _best({f.name for f in manager.ttflist})
    if found is None:
        for path in sorted(font_manager.findSystemFonts()):
            if any(part in Path(path).name.lower().replace("-", "") for part in _CJK_FILES):
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # pragma: no cover - broken font
                    continue
        found = _best({f.name for f in manager.ttflist})
    if found is None:
        from rectify._logging import get_logger

        get_logger(__name__).warning(
            "no font for Chinese is installed: PNG charts are labelled in English "
            "(install fonts-noto-cjk)", event_id="charts.no_cjk_font")
    return found


@contextmanager
def _settings(name: str, font: str | None) -> Iterator[None]:
    """Local matplotlib settings for one chart; nothing global changes."""
    import matplotlib

    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    rc: dict[Any, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": f"rectify-{name}",
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # Without a CJK font matplotlib warns about every Chinese glyph while it
        # measures SVG text; the SVG keeps the text and the viewer draws it.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        warnings.filterwarnings("ignore", message=r"findfont: Font family")
        yield


def _check(name: str) -> None:
    if name not in CHARTS:
        raise InvalidValueError("chart", f"one of {', '.join(CHARTS)}", name)


def _figure(bulletin: Bulletin, name: str, lang: str) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 4.0), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    en, zh = CHARTS[name]
    ax.set_title(zh if lang == "zh" else en)
    if name == "funnel":
        _funnel(ax, bulletin, lang)
    elif name == "kinds":
        _kinds(ax, bulletin, lang)
    else:
        _trend(ax, bulletin, lang)
    return fig


def _funnel(ax: Any, bulletin: Bulletin, lang: str) -> None:
    table = bulletin.table("funnel")
    labels = table.column("zh" if lang == "zh" else "stage")
    values = [int(v) for v in table.column("reached")]
    widest = max(values, default=0) or 1
    positions = list(range(len(values)))[::-1]
    lefts = [(widest - v) / 2 for v in values]
    ax.barh(positions, values, left=lefts, color=_COLOURS[: len(values)], height=0.7)
    for y, left, value in zip(positions, lefts, values, strict=True):
        ax.text(left + value / 2 if value else widest / 2, y, str(value), ha="center",
                va="center", color="white" if value else "black", fontweight="bold")
    ax.set_yticks(positions, labels)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.set_xlim(0, widest)


def _kinds(ax: Any, bulletin: Bulletin, lang: str) -> None:
    table = bulletin.table("kinds")
    # Kinds with nothing listed (township and street committees) stay in the table only.
    rows = [d for d in table.dicts() if d["listed"] or d["delisted"]]
    labels = [d["zh" if lang == "zh" else "kind"] for d in rows]
    listed = [int(d["listed"]) for d in rows]
    delisted = [int(d["delisted"]) for d in rows]
    xs = list(range(len(labels)))
    width = 0.38
    ax.bar([x - width / 2 for x in xs], listed, width,
           label="整顿对象" if lang == "zh" else "listed", color=_COLOURS[0])
    ax.bar([x + width / 2 for x in xs], delisted, width,
           label="已销号" if lang == "zh" else "delisted", color=_COLOURS[4])
    ax.set_xticks(xs, labels)
    ax.set_ylabel("数量" if lang == "zh" else "cases")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False)


def _trend(ax: Any, bulletin: Bulletin, lang: str) -> None:
    table = bulletin.table("overdue_trend")
    days = table.column("date")
    labels = [f"{d.month}月{d.day}日" if lang == "zh" else d.isoformat() for d in days]
    xs = list(range(len(days)))
    ax.plot(xs, [int(v) for v in table.column("overdue")], marker="o", color=_COLOURS[0],
            label="逾期对象" if lang == "zh" else "overdue")
    ax.plot(xs, [int(v) for v in table.column("open")], marker="s", linestyle="--",
            color=_COLOURS[4], label="正在整顿" if lang == "zh" else "open")
    ax.set_xticks(xs, labels, rotation=30 if len(xs) > 4 else 0)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("数量" if lang == "zh" else "cases")
    ax.legend(frameon=False)


def chart_svg(bulletin: Bulletin, name: str, lang: str = "zh") -> str:
    """The chart ``name`` of ``bulletin`` as an SVG document, labels in ``lang``.

    Text stays text (``svg.fonttype = "none"``), so Chinese labels need no
    font here.  Requires matplotlib (the ``charts`` extra).
    """
    _check(name)
    font = cjk_font()
    with _settings(name, font):
        fig = _figure(bulletin, name, lang)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def chart_png(bulletin: Bulletin, name: str, lang: str = "zh", dpi: int = 120) -> bytes:
    """The chart ``name`` of ``bulletin`` as PNG bytes.

    Chinese labels need a CJK font (`cjk_font()`); when none is installed
    the PNG is labelled in English whatever ``lang`` says.  Requires
    matplotlib (the ``charts`` extra).
    """
    _check(name)
    font = cjk_font()
    if lang == "zh" and font is None:
        lang = "en"
    with _settings(name, font):
        fig = _figure(bulletin, name, lang)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def write_charts(bulletin: Bulletin, out_dir: str | Path, *, lang: str = "zh",
                 stem: str = "bulletin", formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Write every chart as ``<stem>-<chart>.png`` and ``.svg`` into ``out_dir``.

    Returns the paths written.  Requires matplotlib (the ``charts`` extra).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in CHARTS:
        for fmt in formats:
            path = out / f"{stem}-{name}.{fmt}"
            if fmt == "svg":
                path.write_text(chart_svg(bulletin, name, lang), encoding="utf-8")
            elif fmt == "png":
                path.write_bytes(chart_png(bulletin, name, lang))
            else:
                raise InvalidValueError("formats", "png or svg", fmt)
            paths.append(path)
    return paths
