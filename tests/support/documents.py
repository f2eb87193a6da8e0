"""Reading the documents the services render (HTML tables, PDF text and fonts) as a person would."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Cell:
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[Cell] = field(default_factory=list)

    def by_field(self) -> dict[str, str]:
        """The row's cells that name their field (``data-field``), by field."""
        return {c.attrs["data-field"]: c.text for c in self.cells if "data-field" in c.attrs}


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[Row]] = {}
        self._table: list[Row] | None = None
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table":
            # A table is known by its id, or else by its last class (figures headline → headline).
            name = values.get("id") or values.get("class", "").split()[-1]
            self._table = self.tables.setdefault(name, [])
        elif tag == "tr" and self._table is not None:
            self._table.append(Row(values))
        elif tag in ("td", "th") and self._table:
            self._cell = Cell(values)
            self._table[-1].cells.append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data.strip()


def html_tables(document: str) -> dict[str, list[Row]]:
    """The document's tables by id (or last class), each a list of rows with their cells' attributes and text."""
    parser = _Tables()
    parser.feed(document)
    return parser.tables


def poppler(tool: str, pdf: Path, *args: str) -> str:
    """The output of a poppler-utils command (``pdftotext``, ``pdffonts``, ``pdfinfo``) run on ``pdf``."""
    command = shutil.which(tool)
    assert command, f"{tool} is missing: .ci/system-packages installs poppler-utils"
    return subprocess.run(
        [command, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
