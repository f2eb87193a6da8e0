"""Reading xlsx uploads with calamine: what calamine does not tell is found in the sheet's XML, and a sheet that
would make calamine allocate without bound is refused before calamine sees it."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook

from services.common.problems import ProblemError
from services.common.spreadsheets import XLSX, Formula, read_sheets


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(body: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """The workbook with ``old`` replaced by ``new`` in one part (what openpyxl cannot write)."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                assert old in data
                data = data.replace(old, new)
            target.writestr(info.filename, data)
    return out.getvalue()


def _cells(body: bytes) -> list[list[Any]]:
    [sheet] = read_sheets(body, XLSX, max_rows=100)
    return [row.cells for row in sheet.rows]


def test_numbers_days_blanks_and_percent_cells_read_as_openpyxl_read_them() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "progress_pct", "day", "note"])
    sheet.append([None, "  "])
    sheet.append(["A", 0.455, date(2026, 6, 30), 80])
    sheet["B3"].number_format = "0.0%"
    sheet.append(["B", 46.5, 46203, None])
    [read] = read_sheets(_save(book), XLSX, max_rows=100)
    assert read.header == ["code", "progress_pct", "day", "note"]
    assert [row.number for row in read.rows] == [3, 4]
    assert read.rows[0].cells == ["A", 0.455, date(2026, 6, 30), 80]
    assert type(read.rows[0].cells[3]) is int
    assert read.rows[0].percent_cells == {1}
    assert read.rows[1].cells == ["B", 46.5, 46203, None]
    assert read.rows[1].percent_cells == set()


def test_a_formula_is_a_formula_even_with_its_cached_value_and_an_error_cell_is_its_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "total_units", "sold_units"])
    sheet.append(["A", "=B3*2", 5])
    sheet["C2"] = "#DIV/0!"
    sheet["C2"].data_type = "e"
    body = _rewrite(_save(book), "xl/worksheets/sheet1.xml", b"<f>B3*2</f><v />", b"<f>B3*2</f><v>10</v>")
    [[code, formula, error]] = _cells(body)
    assert code == "A"
    assert formula == Formula("=B3*2")
    assert error == "#DIV/0!"


def test_hidden_sheets_are_not_read() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.append(["A"])
    hidden = book.create_sheet("hidden")
    hidden.sheet_state = "hidden"
    hidden.append(["code"])
    assert [s.name for s in read_sheets(_save(book), XLSX, max_rows=100)] == ["Sheet"]


def test_a_cell_far_outside_the_table_is_refused_before_calamine_allocates_for_it() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet["XFD1048576"] = "x"  # calamine would allocate 16384 × 1048576 cells (half a terabyte) and abort
    with pytest.raises(ProblemError) as refused:
        read_sheets(_save(book), XLSX, max_rows=100)
    assert (refused.value.status, refused.value.slug) == (422, "unreadable-spreadsheet")
    assert "1048576 rows and 16384 columns" in refused.value.detail


def test_a_wide_sheet_within_the_limit_is_read() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet["AB120000"] = "note"  # 3.36 million cells: within the limit
    [read] = read_sheets(_save(book), XLSX, max_rows=100)
    assert read.rows[0].number == 120000
    assert read.rows[0].cells[27] == "note"


def test_cells_without_a_reference_are_placed_by_counting() -> None:
    """``r`` is optional on a cell: the byte search cannot place such a cell, the expat pass counts it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "progress_pct", "total_units"])
    sheet.append(["A", 0.455, "=1+1"])
    sheet["B2"].number_format = "0.0%"
    body = _rewrite(_save(book), "xl/worksheets/sheet1.xml", b'<c r="B2" ', b"<c ")
    body = _rewrite(body, "xl/worksheets/sheet1.xml", b'<c r="C2"', b"<c")
    [read] = read_sheets(body, XLSX, max_rows=100)
    assert read.rows[0].cells == ["A", 0.455, Formula("=1+1")]
    assert read.rows[0].percent_cells == {1}
