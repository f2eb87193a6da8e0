"""The bulletin's charts as inline SVG, drawn by matplotlib: text stays text (``svg.fonttype: none``), so the
page's own CJK fonts draw the labels, in the browser and in the PDF alike, and a search finds them."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Without a CJK font matplotlib measures the labels with its own font and says so for every glyph; the labels
# are still written as text, which the page's fonts then draw.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

TIER_COLOURS = {"red": "#c8161d", "orange": "#f08a24", "yellow": "#e8c31a", "green": "#3a9d4f", "unassessed": "#b0b0b0"}
TIER_LABELS = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿", "unassessed": "未评"}
STYLE: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "handover-bulletin",
    "font.family": ["Noto Sans CJK SC", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


# rc_context sets matplotlib's global rcParams for as long as it is open, and the bulletin draws its charts in a
# worker thread: two bulletins drawn at once would each restore the other's settings mid-drawing (labels turned
# into glyph paths, say). One chart is drawn at a time.
_DRAWING = threading.Lock()

MARGINS = {"left": 0.09, "right": 0.87, "bottom": 0.13, "top": 0.83}

_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _svg(figure: Figure, name: str) -> str:
    buffer = io.StringIO()
    # Fixed margins (room for the axis labels below and beside, the legend above) instead of measuring every
    # label for a tight box: the charts have the same shape every month, and drawing them twice costs more.
    figure.subplots_adjust(**MARGINS)
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Inline in HTML: from the <svg> element on, without the XML prolog and DOCTYPE; and with the chart's name
    # before each id and reference to one, as two charts in one page would otherwise share ids ("line2d_1").
    return _REFERENCE.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text[text.index("<svg") :])


def tiers_by_district(names: Sequence[str], tiers: Mapping[str, Sequence[int]]) -> str:
    """Stacked bars: each district's projects by risk tier (``tiers``: tier → counts in ``names``' order)."""
    with _DRAWING, rc_context(STYLE):
        figure = Figure(figsize=(6.2, 2.6))
        axes = figure.subplots()
        bottoms = [0] * len(names)
        for tier, counts in tiers.items():
            axes.bar(names, counts, bottom=bottoms, color=TIER_COLOURS[tier], label=TIER_LABELS[tier], width=0.6)
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        axes.set_ylabel("项目数")
        axes.tick_params(axis="x", labelsize=8)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(ncols=len(tiers), loc="upper center", bbox_to_anchor=(0.5, 1.18), frameon=False)
        return _svg(figure, "tiers")


def trend(months: Sequence[str], stalled: Sequence[int], delivered: Sequence[int]) -> str:
    """Two lines over the months: projects stalled at each month's end (left axis) and units delivered in the
    month (right axis)."""
    with _DRAWING, rc_context(STYLE):
        figure = Figure(figsize=(6.2, 2.6))
        axes = figure.subplots()
        labels = [m[2:] for m in months]  # 26-01: short enough for twelve ticks
        axes.plot(labels, stalled, marker="o", color="#c8161d", label="月末停工项目")
        axes.set_ylabel("停工项目")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(bottom=0, top=max(1, *stalled) * 1.1)
        other = axes.twinx()
        other.spines["right"].set_visible(True)
        other.plot(labels, delivered, marker="s", color="#1f5fa8", label="当月交付套数")
        other.set_ylabel("交付套数")
        other.yaxis.set_major_locator(MaxNLocator(integer=True))
        other.set_ylim(bottom=0, top=max(1, *delivered) * 1.1)
        lines = axes.get_lines() + other.get_lines()
        axes.legend(
            lines,
            [str(line.get_label()) for line in lines],
            loc="upper center",
            bbox_to_anchor=(0.5, 1.18),
            ncols=2,
            frameon=False,
        )
        axes.tick_params(axis="x", labelsize=8)
        return _svg(figure, "trend")
