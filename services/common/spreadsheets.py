"""Spreadsheets in and out: reading an uploaded CSV or xlsx into plain rows, reading one cell as a typed value
(day, amount, count, percent, yes/no) the way a Chinese office writes it, and writing xlsx downloads.

The cell readers raise ``CellError`` with an English and a Chinese reason; the importer turns it into a row error.
Amounts are yuan (元); a cell may say 元, 万元 or 亿元 itself (ADR 15). Nothing here touches a float except a
numeric spreadsheet cell, which is read back through its shortest decimal representation.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from services.common import xlsx_reader
from services.common.problems import ProblemError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
MONEY_FORMAT = "0.00"
DAY_FORMAT = "yyyy-mm-dd"
# A workbook may unpack to at most this many times its size (a zip bomb unpacks to thousands of times).
MAX_UNPACK_RATIO = 100
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


class CellError(ValueError):
    """A cell that cannot be read as what its column holds: ``detail`` in English, ``detail_zh`` in Chinese."""

    def __init__(self, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh


@dataclass(frozen=True, slots=True)
class Formula:
    """A cell holding a formula (xlsx) where a value belongs."""

    text: str


@dataclass(slots=True)
class SheetRow:
    """One non-empty row: its number as the spreadsheet shows it, the sheet's name (xlsx) and its cells."""

    number: int
    cells: list[Any]
    sheet: str | None = None
    percent_cells: set[int] = field(default_factory=set)


@dataclass(slots=True)
class Sheet:
    """A sheet's header (its first non-empty row, stripped) and its non-empty rows after it."""

    name: str | None
    header: list[str]
    header_row: int
    rows: list[SheetRow]


def bad_file(detail: str, slug: str = "unreadable-spreadsheet") -> ProblemError:
    return ProblemError(422, detail, slug=slug, title="The file cannot be imported")


def media_kind(content_type: str | None) -> str:
    """``CSV`` or ``XLSX`` from a Content-Type; 415 ``unsupported-spreadsheet`` otherwise."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in (CSV, "application/csv"):
        return CSV
    if kind == XLSX:
        return XLSX
    raise ProblemError(
        415,
        f"Send the sheet as {CSV} (UTF-8) or {XLSX}, with that Content-Type; got {kind or 'none'}.",
        slug="unsupported-spreadsheet",
    )


def read_sheets(body: bytes, kind: str, *, max_rows: int) -> list[Sheet]:
    """The sheets of a CSV (one) or xlsx (every worksheet that has a row) body.

    Raises ProblemError 422 ``unreadable-spreadsheet`` (not a spreadsheet of that kind), 422 ``bad-header``
    (merged cells in the header row) or 413 ``too-many-rows``.
    """
    sheets = _read_csv(body, max_rows) if kind == CSV else _read_xlsx(body, max_rows)
    total = sum(len(sheet.rows) for sheet in sheets)
    if total > max_rows:
        raise ProblemError(
            413, f"The file has more than {max_rows} rows; split it and import each part.", slug="too-many-rows"
        )
    return sheets


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_csv(body: bytes, max_rows: int) -> list[Sheet]:
    if body.startswith(b"PK\x03\x04"):
        raise bad_file("The body is a zip file (an xlsx workbook?), not CSV: send it with the xlsx Content-Type.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_file(
            f"The CSV is not UTF-8 (byte {exc.start} cannot be read): save it as 'CSV UTF-8' and try again."
        ) from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise bad_file(f"The CSV cannot be read: {exc}.") from exc
    header: list[str] | None = None
    header_row = 0
    rows: list[SheetRow] = []
    for number, record in enumerate(records, start=1):
        if all(_blank(value) for value in record):
            continue
        if header is None:
            header, header_row = [value.strip() for value in record], number
            continue
        rows.append(SheetRow(number, list(record)))
        if len(rows) > max_rows:
            break
    if header is None:
        return []
    return [Sheet(None, header, header_row, rows)]


def _check_zip(body: bytes) -> zipfile.ZipFile:
    if not body.startswith(b"PK\x03\x04"):
        raise bad_file("The body is not an xlsx workbook (an xlsx file is a zip archive; .xls is not read).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise bad_file("The xlsx workbook is damaged: open it in a spreadsheet program and save it again.") from exc
    if unpacked > min(MAX_UNPACKED_BYTES, MAX_UNPACK_RATIO * max(len(body), 1024 * 1024)):
        raise bad_file("The xlsx workbook unpacks to far more than its size; it is refused.")
    return archive


def _read_xlsx(body: bytes, max_rows: int) -> list[Sheet]:
    archive = _check_zip(body)
    try:
        raw_sheets = xlsx_reader.read(body, archive)
    except xlsx_reader.WorkbookError as exc:
        raise bad_file(exc.detail) from exc
    sheets: list[Sheet] = []
    for raw in raw_sheets:
        sheet = _read_worksheet(raw, max_rows)
        if sheet is not None:
            sheets.append(sheet)
    return sheets


_PERCENT = object()


def _cell(value: Any) -> Any:
    """A cell as openpyxl gave it: None when empty, a whole number as int (calamine gives every number as a
    float), a time of day or a duration as text (which no column takes as a number)."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return int(value) if value.is_integer() and -1e15 < value < 1e15 else value
    if kind in (bool, int, date, datetime):
        return value
    return None if value is None else str(value)


def _read_worksheet(raw: xlsx_reader.RawSheet, max_rows: int) -> Sheet | None:
    header: list[str] | None = None
    header_row = 0
    rows: list[SheetRow] = []
    marks: dict[int, list[tuple[int, Any]]] = {}  # by row: (column, a Formula, an error's text or PERCENT)
    for (row, column), formula in raw.formulas.items():
        marks.setdefault(row, []).append((column, Formula(formula)))
    for (row, column), error in raw.errors.items():
        marks.setdefault(row, []).append((column, error))
    for row, column in raw.percent:
        marks.setdefault(row, []).append((column, _PERCENT))
    for index, cells in enumerate(raw.rows):
        values = [_cell(value) for value in cells]
        percent: set[int] = set()
        for column, mark in marks.get(index, ()):
            if column >= len(values):
                continue
            if mark is _PERCENT:
                if type(values[column]) in (int, float):  # not a bool, nor a formula or an error marked too
                    percent.add(column)
            elif not isinstance(values[column], Formula):  # a formula wins over its cached error
                values[column] = mark
        first = values[0] if values else None
        if (first is None or (type(first) is str and not first.strip())) and all(_blank(v) for v in values):
            continue  # an empty row (the first cell, the code, is filled in on almost every row)
        number = index + 1
        if header is None:
            _refuse_merged_header(raw, number)
            header = ["" if v is None else str(v.text if isinstance(v, Formula) else v).strip() for v in values]
            header_row = number
            continue
        rows.append(SheetRow(number, values, raw.name, percent))
        if len(rows) > max_rows:
            break
    if header is None:
        return None
    return Sheet(raw.name, header, header_row, rows)


def _refuse_merged_header(raw: xlsx_reader.RawSheet, row: int) -> None:
    for merged, first, last in raw.merged:
        if first + 1 <= row <= last + 1:
            raise bad_file(
                f"Sheet {raw.name!r}: the header row {row} has merged cells ({merged}). The first row must "
                "hold one field name per column: remove title rows and unmerge the header (表头不能有合并单元格).",
                slug="bad-header",
            )


def cell_reference(column_index: int, row: int) -> str:
    """``C5`` for the third column of row 5."""
    return f"{get_column_letter(column_index + 1)}{row}"


# Reading cells -----------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def text(value: Any) -> str | None:
    """A text cell, stripped; None when blank. A number is written as a spreadsheet shows it (12, not 12.0)."""
    if value is None:
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    out = str(value).strip()
    if out.startswith("="):
        raise formula_error()
    return out or None


def formula_error() -> CellError:
    return CellError(
        "The cell holds a formula; paste its value instead (Paste Special → Values).",
        "该单元格是公式，请改为数值（选择性粘贴 → 数值）。",
    )


def _number_text(value: Any) -> str:
    """A numeric cell's exact decimal text: ints as they are, floats by their shortest representation."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


_DAY_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of the days the API takes (1900-03-01 to 2999-12-31); below 61 Excel's 1900 leap-year bug bites.
_FIRST_SERIAL, _LAST_SERIAL = 61, 401768


def day(value: Any) -> date | None:
    """A date cell, an Excel serial number, or text as 2026-06-30, 2026/6/30, 2026.6.30 or 2026年6月30日.
    Day-first and month-first forms (30/6/2026, 6/30/2026) are refused: they cannot be told apart."""
    if _blank(value):
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise _day_error(value)
    if isinstance(value, (int, float)):
        return _serial(value)
    raw = str(value).strip()
    if re.fullmatch(r"\d{5,6}(\.0+)?", raw):
        return _serial(Decimal(raw))
    for form in _DAY_FORMS:
        match = form.match(raw)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError(f"{raw} is not a day of the calendar.", f"{raw} 不是有效日期。") from None
    raise _day_error(raw)


def _serial(value: Any) -> date:
    number = Decimal(_number_text(value))
    if number != number.to_integral_value() or not _FIRST_SERIAL <= number <= _LAST_SERIAL:
        raise CellError(
            f"{value} is not an Excel date serial number of a day (a whole number, 1900 to 2999).",
            f"{value} 不是有效的 Excel 日期序列号。",
        )
    return _EXCEL_EPOCH + timedelta(days=int(number))


def _day_error(raw: Any) -> CellError:
    return CellError(
        f"{raw!r} is not a day: write 2026-06-30, 2026/6/30 or 2026年6月30日, or use a date cell.",
        f"“{raw}”不是日期：请写成 2026-06-30、2026/6/30 或 2026年6月30日，或使用日期格式的单元格。",
    )


_UNITS = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000)}
_UNITS.update({"亿": Decimal(100_000_000), "亿元": Decimal(100_000_000)})
_AMOUNT = re.compile(r"^[¥￥]?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(元|万元|万|亿元|亿)?$")
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")


def amount(value: Any) -> Decimal | None:
    """An amount in yuan with at most two places: a number cell, or text such as 1250000, 1,250,000.00,
    ¥1,250,000, 125万元 or 1.25亿. Refused: other groupings (1,25,000 or 1.250.000), negative amounts, units
    other than 元/万元/亿元, and more than two places in yuan."""
    if _blank(value):
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, (bool, datetime, date)):
        raise _amount_error(value)
    if isinstance(value, (int, float, Decimal)):
        digits, unit = _number_text(value), ""
    else:
        raw = _SPACES.sub("", str(value))
        match = _AMOUNT.match(raw)
        if not match:
            raise _amount_error(value)
        digits, unit = match[1], match[2] or ""
        if "," in digits:
            if not _GROUPED.match(digits):
                raise CellError(
                    f"{value!r}: thousands separators must group three digits (1,250,000.00).",
                    f"“{value}”：千位分隔符须每三位一组（如 1,250,000.00）。",
                )
            digits = digits.replace(",", "")
    try:
        number = Decimal(digits) * _UNITS[unit]
    except (InvalidOperation, KeyError):
        raise _amount_error(value) from None
    if not number.is_finite() or number < 0:
        raise CellError(f"{value!r} is not an amount of zero or more.", f"“{value}”不是大于等于零的金额。")
    if number > MAX_AMOUNT:
        raise CellError(f"{value!r} is too large an amount.", f"“{value}”金额过大。")
    if number != number.quantize(CENT):
        raise CellError(
            f"{value!r} has more than two decimal places in yuan (元).", f"“{value}”换算为元后超过两位小数。"
        )
    return number.quantize(CENT)


def _amount_error(value: Any) -> CellError:
    return CellError(
        f"{value!r} is not an amount in yuan: write 1250000.00, 1,250,000.00 or 125万元.",
        f"“{value}”不是金额：请以元为单位填写，如 1250000.00、1,250,000.00，或注明单位如 125万元。",
    )


def count(value: Any) -> int | None:
    """A whole number of zero or more: a number cell, or text such as 1200 or 1,200."""
    if _blank(value):
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, (bool, datetime, date)):
        raise _count_error(value)
    raw = _number_text(value) if isinstance(value, (int, float, Decimal)) else _SPACES.sub("", str(value))
    if "," in raw and _GROUPED.match(raw):
        raw = raw.replace(",", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise _count_error(value) from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise _count_error(value)
    if number > 1_000_000_000:
        raise _count_error(value)
    return int(number)


def _count_error(value: Any) -> CellError:
    return CellError(f"{value!r} is not a whole number of zero or more.", f"“{value}”不是非负整数。")


def percent(value: Any, *, formatted_as_percent: bool = False) -> Decimal | None:
    """A percentage 0..100: 45.5, "45.5" or "45.5%"; a number cell formatted as a percentage (0.455 shown as
    45.5%) is read as the percentage it shows."""
    if _blank(value):
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, (bool, datetime, date)):
        raise _percent_error(value)
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(_number_text(value))
        if formatted_as_percent:
            number *= 100
    else:
        raw = _SPACES.sub("", str(value)).rstrip("%％")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise _percent_error(value) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise _percent_error(value)
    if number != number.quantize(Decimal("0.1")):
        raise CellError(f"{value!r} has more than one decimal place.", f"“{value}”最多一位小数。")
    return number.quantize(Decimal("0.1"))


def _percent_error(value: Any) -> CellError:
    return CellError(f"{value!r} is not a percentage from 0 to 100.", f"“{value}”不是 0 到 100 之间的百分比。")


_YES = {"true", "yes", "y", "1", "是", "√", "正常", "在施工", "施工"}
_NO = {"false", "no", "n", "0", "否", "×", "停工"}


def yes_no(value: Any) -> bool | None:
    """Yes or no: a TRUE/FALSE cell, 是/否, yes/no, true/false, 1/0."""
    if _blank(value):
        return None
    if isinstance(value, Formula):
        raise formula_error()
    if isinstance(value, bool):
        return value
    raw = (_number_text(value) if isinstance(value, (int, float)) else str(value)).strip().lower()
    if raw in ("1.0", "0.0"):
        raw = raw[0]
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError(f"{value!r} is not yes or no: write 是 or 否.", f"“{value}”不是“是”或“否”。")


# Writing -----------------------------------------------------------------------------------------------------


def xlsx_document(
    header: Sequence[str],
    rows: Iterator[Sequence[Any]] | Sequence[Sequence[Any]],
    *,
    title: str = "Sheet1",
    money_columns: Sequence[int] = (),
    extra_header_rows: Sequence[Sequence[Any]] = (),
    widths: Sequence[int] | None = None,
) -> bytes:
    """An xlsx workbook of one sheet: ``header`` (and ``extra_header_rows``) frozen at the top, then ``rows``.
    Amounts in ``money_columns`` must be Decimal; they are written as numbers formatted ``0.00``. Text that a
    spreadsheet would run as a formula is written as text, never as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    frozen = 1 + len(extra_header_rows)
    sheet.freeze_panes = f"A{frozen + 1}"
    for index, width in enumerate(widths or [max(12, min(40, len(str(h)) * 2 + 4)) for h in header]):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append([_text_cell(sheet, value) for value in header])
    for extra in extra_header_rows:
        sheet.append([_text_cell(sheet, value) for value in extra])
    money = set(money_columns)
    for row in rows:
        out: list[Any] = []
        for index, value in enumerate(row):
            if index in money and isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = MONEY_FORMAT
                out.append(cell)
            elif isinstance(value, str):
                out.append(_text_cell(sheet, value))
            elif isinstance(value, float):
                raise TypeError("xlsx_document takes no floats")  # money and measures are Decimal
            elif isinstance(value, date) and not isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DAY_FORMAT
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: Any, value: Any) -> Any:
    """Text stays text: a string starting with ``=`` would otherwise be stored as a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
