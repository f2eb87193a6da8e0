"""Reading an uploaded xlsx workbook fast: the cell values from python-calamine (Rust), and from the sheet's XML
what calamine does not say (ADR 15).

calamine reads a 52,000-row sheet in well under a second where openpyxl took seven; it gives every number as a
float, a formula's cached value (or nothing) instead of the formula, nothing for an error cell, and no number
formats. So, before calamine builds a sheet, one streaming pass of expat over the sheet's XML (``_scan``) finds:

- the extent of the cells: calamine allocates the whole rectangle from the first cell to the last, so one cell
  at ``XFD1048576`` would ask for half a terabyte and abort the process. The pass places every cell as calamine
  does (by its ``r``, or by counting where a row or cell has none), and a workbook whose sheets span more than
  ``MAX_SHEET_CELLS`` in all is refused before calamine sees it;
- formulas (``<f>``, shared ones included), error cells (``t="e"``) and cells whose style is a percentage
  format (``0.0%``).

A byte search that skipped the pass when a sheet looked plain was quicker (about 1 s of the weekly bench's 52,000
rows) but could be fooled by valid XML written another way (single quotes, cells without ``r``), and a sheet it
was fooled by could abort the process. A sheet whose part calamine would read but this module cannot find is
refused as damaged, so no sheet reaches calamine unchecked.

Merged cells and sheet visibility come from calamine. Rows are given whole, from row 1 and column A, as
``RawSheet``; ``services.common.spreadsheets`` turns them into the import's sheets.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

import python_calamine

# The most cells the sheets of one workbook may span together, each from A1 to its last cell (a year of weekly
# sheets for 1,000 projects is 52,001 × 7).
MAX_SHEET_CELLS = 4_000_000
# Built-in number formats that are percentages (ECMA-376 18.8.30): 9 is 0%, 10 is 0.00%.
_PERCENT_BUILTINS = {9, 10}
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


DAMAGED = "The xlsx workbook is damaged: open it in a spreadsheet program and save it again."


class WorkbookError(ValueError):
    """The workbook cannot be read; ``detail`` says why, for the person who sent it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(slots=True)
class RawSheet:
    """A visible worksheet as calamine reads it, rows and columns from A1 (``None`` for an empty cell), with what
    the XML says besides: formulas (their text) and error cells (their text) by (row, column), both 0-based; the
    cells styled as percentages; and the merged ranges as ``A1:B1``, each with its first and last row (0-based)."""

    name: str
    rows: list[list[Any]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    percent: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[str, int, int]] = field(default_factory=list)


def read(body: bytes, archive: zipfile.ZipFile) -> list[RawSheet]:
    """The visible worksheets of the workbook ``body`` (``archive`` is the same bytes, opened and checked)."""
    try:
        paths = _sheet_paths(archive)
        percent_styles = _percent_styles(archive)
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body))
        metadata = workbook.sheets_metadata
    except WorkbookError:
        raise
    except Exception as exc:  # a broken workbook raises many kinds; none may become a 500
        raise WorkbookError("The body is not a readable xlsx workbook: open it and save it again as .xlsx.") from exc
    out: list[RawSheet] = []
    cells = 0
    for meta in metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            continue
        path = paths.get(meta.name)
        xml = _member(archive, path) if path else b""
        if not xml:  # calamine would read a part we did not check (or none): refuse rather than guess
            raise WorkbookError(DAMAGED)
        sheet = RawSheet(meta.name, [])
        rows, columns = _scan(xml, percent_styles, sheet)
        cells += rows * columns
        if cells > MAX_SHEET_CELLS:
            raise WorkbookError(
                f"Sheet {meta.name!r}: its cells span {rows} rows and {columns} columns, and with the sheets before it "
                f"{cells} cells, more than an import reads ({MAX_SHEET_CELLS} cells). Delete what lies outside the "
                "table (表格以外的单元格) and save it again."
            )
        try:
            calamine_sheet = workbook.get_sheet_by_name(meta.name)
            sheet.rows = calamine_sheet.to_python(skip_empty_area=False)
            merged = calamine_sheet.merged_cell_ranges or []
        except Exception as exc:
            raise WorkbookError(
                f"Sheet {meta.name!r} cannot be read: open the workbook and save it again as .xlsx."
            ) from exc
        sheet.merged = [(f"{_ref(r0, c0)}:{_ref(r1, c1)}", r0, r1) for (r0, c0), (r1, c1) in merged]
        out.append(sheet)
    return out


# The workbook's parts -----------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    """The part's bytes, or ``b""`` when the workbook has no such part."""
    try:
        return archive.read(name)
    except KeyError:
        return b""
    except Exception as exc:  # a bad CRC, broken deflate data, encryption, an unknown compression: all damage
        raise WorkbookError(DAMAGED) from exc


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name → its part in the zip, from ``xl/workbook.xml`` and its relationships."""
    workbook = _member(archive, "xl/workbook.xml")
    rels = _member(archive, "xl/_rels/workbook.xml.rels")
    if not workbook:
        raise WorkbookError("The body is not an xlsx workbook (it has no xl/workbook.xml); save it again as .xlsx.")
    try:
        targets = (
            {
                rel.get("Id"): rel.get("Target", "")
                for rel in ElementTree.fromstring(rels).iter()
                if _local(rel.tag) == "Relationship"
            }
            if rels
            else {}
        )
        out: dict[str, str] = {}
        for sheet in ElementTree.fromstring(workbook).iter():
            if _local(sheet.tag) != "sheet":
                continue
            target = targets.get(sheet.get(f"{{{_RELS}}}id"), "")
            if target:
                out[sheet.get("name", "")] = _part(target)
    except ElementTree.ParseError as exc:
        raise WorkbookError(DAMAGED) from exc
    return out


def _part(target: str) -> str:
    """A relationship's target as the zip member calamine reads: from the package root when it starts with ``/``,
    else relative to ``xl/`` (``xl/worksheets/a.xml`` names ``xl/xl/worksheets/a.xml``, as calamine reads it)."""
    return target[1:] if target.startswith("/") else f"xl/{target}"


def _percent_styles(archive: zipfile.ZipFile) -> set[int]:
    """The cell styles (indexes into ``cellXfs``) whose number format is a percentage."""
    styles = _member(archive, "xl/styles.xml")
    if not styles:
        return set()
    try:
        root = ElementTree.fromstring(styles)
    except ElementTree.ParseError as exc:
        raise WorkbookError(DAMAGED) from exc
    percent_formats = set(_PERCENT_BUILTINS)
    out: set[int] = set()
    for element in root:
        if _local(element.tag) == "numFmts":
            for fmt in element:
                if "%" in fmt.get("formatCode", "") and (fmt.get("numFmtId") or "").isdigit():
                    percent_formats.add(int(fmt.get("numFmtId", "0")))
    for element in root:
        if _local(element.tag) == "cellXfs":
            for index, xf in enumerate(xf for xf in element if _local(xf.tag) == "xf"):
                if (xf.get("numFmtId") or "0").isdigit() and int(xf.get("numFmtId", "0")) in percent_formats:
                    out.add(index)
    return out


# The sheet's XML --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _column_index(letters: str | bytes) -> int:
    index = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _ref(row: int, column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")


class _Scan:
    """What one expat pass over a sheet's XML finds: the extent of its cells, placed as calamine places them (by
    ``r`` where a row or cell has one, by counting where it has none), and its formulas, error cells and
    percentage-styled cells. Streaming, so a sheet that would span billions of cells costs only its bytes."""

    def __init__(self, sheet: RawSheet, percent_styles: set[int]) -> None:
        self.sheet, self.percent_styles = sheet, percent_styles
        self.row = self.column = -1
        self.rows = self.columns = 0  # the extent: one past the last row and column holding a cell
        self.cell: tuple[int, int] | None = None
        self.error = False
        self.text: list[str] | None = None
        self.local: dict[str, str] = {}  # qualified name (``x:c``) → local name (``c``)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.local.get(name) or self.local.setdefault(name, name.rpartition(":")[2])
        if tag == "c":
            match = _CELL.fullmatch(attrs.get("r", ""))
            if match:
                self.row, self.column = int(match[2]) - 1, _column_index(match[1])
            else:
                self.column += 1
            cell = self.cell = (self.row, self.column)
            self.rows, self.columns = max(self.rows, self.row + 1), max(self.columns, self.column + 1)
            self.error = attrs.get("t") == "e"
            style = attrs.get("s", "")
            if style.isdigit() and int(style) in self.percent_styles:
                self.sheet.percent.add(cell)
        elif tag == "row":
            r = attrs.get("r", "")
            self.row = int(r) - 1 if r.isdigit() else self.row + 1
            self.column = -1
        elif (tag == "f" and self.cell is not None) or (tag == "v" and self.error):
            self.text = []

    def end(self, name: str) -> None:
        tag = self.local.get(name) or self.local.setdefault(name, name.rpartition(":")[2])
        if self.text is not None and self.cell is not None:
            if tag == "f":
                self.sheet.formulas[self.cell] = "=" + "".join(self.text)
                self.text = None
            elif tag == "v":
                self.sheet.errors[self.cell] = "".join(self.text)
                self.text = None
        if tag == "c":
            self.cell, self.error, self.text = None, False, None

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)


def _scan(xml: bytes, percent_styles: set[int], sheet: RawSheet) -> tuple[int, int]:
    """One expat pass over the sheet: its formulas, error cells and percentage-styled cells go into ``sheet``;
    returns the rows and columns from A1 to its last cell (the rectangle calamine would allocate)."""
    scan = _Scan(sheet, percent_styles)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.data
    try:
        parser.Parse(xml, True)
    except (expat.ExpatError, ValueError) as exc:
        raise WorkbookError(
            f"Sheet {sheet.name!r} is damaged: open the workbook in a spreadsheet program and save it again."
        ) from exc
    return scan.rows, scan.columns
