"""Moved to `rectify.reporting.charts`; this alias is kept for one release."""

from rectify.reporting.charts import (
    CHARTS,
    available,
    chart_png,
    chart_svg,
    cjk_font,
    write_charts,
)

__all__ = [
    "CHARTS",
    "available",
    "chart_png",
    "chart_svg",
    "cjk_font",
    "write_charts",
]
