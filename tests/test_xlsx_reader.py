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
    """``r`` is optional on a cell: the expat pass counts such a cell into place, as calamine does."""
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


def _far_sheet(old: bytes, new: bytes) -> bytes:
    """A one-column sheet rewritten so that ``old`` in its XML (a cell of row 2) becomes ``new``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.append(["A"])
    return _rewrite(_save(book), "xl/worksheets/sheet1.xml", old, new)


def _refused(body: bytes) -> ProblemError:
    with pytest.raises(ProblemError) as refused:
        read_sheets(body, XLSX, max_rows=100)
    assert (refused.value.status, refused.value.slug) == (422, "unreadable-spreadsheet")
    return refused.value


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Valid XML a byte search for r="..." would not see: single quotes, spaces around the equals sign.
        (b'<c r="A2" ', b"<c r='XFD1048576' "),
        (b'<c r="A2" ', b'<c r = "XFD1048576" '),
        # A reference with more digits than a sheet has rows.
        (b'<c r="A2" ', b'<c r="A99999999" '),
        # Cells without r in a row far down, counted into place: 1,048,576 rows by 17 columns.
        (b'<row r="2"><c r="A2" ', b'<row r="1048576">' + b"<c/>" * 16 + b"<c "),
    ],
    ids=["single-quotes", "spaces", "too-many-digits", "counted-cells"],
)
def test_a_far_cell_written_any_valid_way_is_refused_before_calamine_allocates_for_it(old: bytes, new: bytes) -> None:
    assert "more than an import reads" in _refused(_far_sheet(old, new)).detail


def test_the_sheets_of_one_workbook_may_not_span_more_than_the_limit_together() -> None:
    book = Workbook()
    for index in range(3):
        sheet = book.active if index == 0 else book.create_sheet(f"s{index}")
        assert sheet is not None
        sheet.append(["code"])
        sheet["Z60000"] = "x"  # 1.56 million cells each: within the limit alone, not three together
    assert "s2" in _refused(_save(book)).detail


def test_the_sheet_part_checked_is_the_one_calamine_reads() -> None:
    """calamine reads ``Target="xl/worksheets/sheet1.xml"`` as ``xl/xl/worksheets/sheet1.xml``: a workbook holding
    a harmless part under the first name and a far cell under the second must not get the harmless one checked."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.append(["A"])
    body = _rewrite(_save(book), "xl/_rels/workbook.xml.rels", b'Target="/xl/worksheets/', b'Target="xl/worksheets/')
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, data)
            if info.filename == "xl/worksheets/sheet1.xml":
                target.writestr("xl/xl/worksheets/sheet1.xml", data.replace(b'<c r="A2" ', b'<c r="XFD1048576" '))
    assert "1048576 rows and 16384 columns" in _refused(out.getvalue()).detail


def test_a_sheet_part_the_workbook_names_but_lacks_is_refused() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    body = _rewrite(_save(book), "xl/_rels/workbook.xml.rels", b"worksheets/sheet1.xml", b"worksheets/elsewhere.xml")
    _refused(body)


def test_cells_filled_down_with_a_shared_formula_are_formulas() -> None:
    """Excel writes a filled-down formula once and each cell below it as ``<f t="shared" si="0"/>``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "total_units"])
    sheet.append(["A", "=1+1"])
    sheet.append(["B", 7])
    body = _rewrite(
        _save(book),
        "xl/worksheets/sheet1.xml",
        b'<c r="B3" t="n"><v>7</v>',
        b'<c r="B3"><f t="shared" si="0"/><v>7</v>',
    )
    [first, second] = _cells(body)
    assert first == ["A", Formula("=1+1")]
    assert second[0] == "B" and isinstance(second[1], Formula)


def test_a_damaged_sheet_part_is_refused_not_a_server_error() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.append(["A"])
    source = zipfile.ZipFile(io.BytesIO(_save(book)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    body = out.getvalue()
    at = body.index(b"<sheetData>")  # stored, so the sheet's bytes are in the file as they are
    damaged = body[:at] + b"<sheetDatb>" + body[at + len(b"<sheetData>") :]  # its CRC no longer matches
    _refused(damaged)
