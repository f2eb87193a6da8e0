"""The bulletin as a standalone HTML page (Jinja2; inline CSS and SVG, no script, nothing fetched) and as PDF
(WeasyPrint, its fonts embedded)."""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import shutil
import subprocess
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.common.problems import ProblemError
from services.registry.approvals.board import ITEM_TITLES
from services.registry.bulletin.service import Bulletin, NamedList
from services.registry.projects.status import ProjectStatus

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

TEMPLATES = Path(__file__).parent / "templates"
# WeasyPrint names every SVG presentation property its CSS parser skips (its SVG renderer reads them): noise.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
FONT_PACKAGE = "fonts-noto-cjk"
STATUS_NAMES = {
    ProjectStatus.registered: "已登记",
    ProjectStatus.under_construction: "在建",
    ProjectStatus.stalled: "停工",
    ProjectStatus.completed: "竣工",
    ProjectStatus.delivered: "已交付",
    ProjectStatus.closed: "已办结",
    ProjectStatus.terminated: "终止",
}
NUMERIC = frozenset({"stall_days", "progress_pct", "planned_progress_pct", "lag_pct", "working_days_overdue"})


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, ProjectStatus) or value in STATUS_NAMES:
        return STATUS_NAMES.get(ProjectStatus(str(value)), str(value))
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _plain(value: Decimal) -> str:
    return f"{value:.2f}"


def _cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _cn_month(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


@functools.cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )
    environment.filters.update(cell=_cell, yuan=_yuan, plain=_plain, cn_date=_cn_date, cn_month=_cn_month)
    environment.filters["item_title"] = lambda item: ITEM_TITLES.get(item, item)
    environment.globals["numeric"] = NUMERIC
    return environment


def html(bulletin: Bulletin, list_limit: int) -> str:
    """The bulletin as one HTML document that needs nothing else: its CSS and charts are inline."""
    names = {row.district: row.district_name for row in bulletin.report.districts}

    def listed(rows: Sequence[object]) -> NamedList:
        shown = rows[:list_limit]
        dumped = [{**row.model_dump(), "district_name": names.get(row.district, row.district)} for row in shown]  # type: ignore[attr-defined]
        return NamedList(dumped, len(rows))

    return (
        _environment()
        .get_template("bulletin.html")
        .render(
            b=bulletin,
            css=(TEMPLATES / "bulletin.css").read_text(encoding="utf-8"),
            stalled=listed(bulletin.report.stalled_projects),
            lagging=listed(bulletin.report.lagging_projects),
        )
    )


# Font configurations (fontconfig's list of fonts, Pango's font map with the faces it has opened and measured,
# WeasyPrint's struts and font features) kept between PDFs: building one per PDF loads and measures the CJK fonts
# again every time. One PDF at a time uses each (Pango's font map is not safe across threads): a PDF takes one
# from here or makes a new one, and puts it back when done. Each holds the CJK faces, so only ``KEEP_FONTS`` are
# kept: a burst of PDFs makes more, dropped when done; one whose PDF failed is dropped too.
_FONT_CONFIGURATIONS: queue.SimpleQueue[FontConfiguration] = queue.SimpleQueue()
KEEP_FONTS = 2


def pdf(document: str) -> bytes:
    """The HTML document as PDF. Its fonts are found through fontconfig; ``missing_fonts`` says whether the CJK
    ones are there."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    try:
        fonts = _FONT_CONFIGURATIONS.get_nowait()
    except queue.Empty:
        fonts = FontConfiguration()
    written = HTML(string=document, base_url=None, url_fetcher=_fetch_nothing).write_pdf(font_config=fonts)
    if _FONT_CONFIGURATIONS.qsize() < KEEP_FONTS:
        _FONT_CONFIGURATIONS.put(fonts)
    return written


def _fetch_nothing(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The document carries everything it shows; nothing named in it is ever fetched (no way to reach the
    network the service runs in through a project's name or a stylesheet)."""
    raise ValueError(f"the bulletin fetches nothing: {url[:100]}")


@functools.cache
def _installed_families() -> frozenset[str]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return frozenset()
    listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30, check=False)
    return frozenset(name.strip() for line in listed.stdout.splitlines() for name in line.split(","))


async def require_fonts(families: Sequence[str]) -> None:
    """Raises ProblemError(503) naming the package to install when a font the PDF embeds is missing."""
    missing = await missing_fonts(families)
    if missing:
        raise ProblemError(
            503,
            f"The fonts {', '.join(missing)} are not installed, so the PDF cannot embed them: install the Debian "
            f"package {FONT_PACKAGE} (the HTML form works without them).",
            slug="fonts-missing",
        )


async def missing_fonts(families: Sequence[str]) -> list[str]:
    """The font families of ``families`` that fontconfig does not have (all of them without fontconfig). The
    first call asks ``fc-list`` off the event loop; later ones answer from its cached list."""
    installed = await asyncio.to_thread(_installed_families)
    return [family for family in families if family not in installed]
