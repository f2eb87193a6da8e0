"""The two import sheets, pure: their columns (field name, Chinese label, how a cell is read, an example), the
header row mapped to columns, and each row read into plain values or row errors. No database here."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.common import spreadsheets as cells
from services.common.credit_code import validate as validate_credit_code
from services.common.problems import ProblemError
from services.common.spreadsheets import CellError, Sheet, SheetRow
from services.registry.imports.schemas import RowError

STATUS_LABELS = {
    "registered": "已登记",
    "under_construction": "在建",
    "stalled": "停工",
    "completed": "竣工",
    "delivered": "已交付",
    "closed": "已办结",
    "terminated": "终止",
}
_STATUS_BY_TEXT = {**{v: k for k, v in STATUS_LABELS.items()}, **{k: k for k in STATUS_LABELS}}
_STATUS_BY_TEXT.update(
    {"停建": "stalled", "施工中": "under_construction", "已竣工": "completed", "已终止": "terminated"}
)
# Columns a city's sheet often has that the import does not need: ignored, never an error.
IGNORED_HEADERS = {"序号", "#", "no", "no."}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    label: str
    read: Callable[[Any, bool], Any]
    required: bool
    example: Any


def _text(value: Any, _: bool) -> Any:
    return cells.text(value)


_CREDIT_CODE = re.compile(r"[0-9A-Za-z]{18}")


def _code(value: Any, _: bool) -> Any:
    out = cells.text(value)
    return out.upper() if out is not None and _CREDIT_CODE.fullmatch(out) else out


def _status(value: Any, _: bool) -> Any:
    raw = cells.text(value)
    if raw is None:
        return None
    status = _STATUS_BY_TEXT.get(raw) or _STATUS_BY_TEXT.get(raw.lower())
    if status is None:
        names = "、".join(STATUS_LABELS.values())
        raise CellError(
            f"{raw!r} is not a status: use one of {', '.join(STATUS_LABELS)} (or {names}).",
            f"“{raw}”不是项目状态：请填写 {names} 之一。",
        )
    return status


_WEEK = re.compile(r"(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})")
_WEEK_ZH = re.compile(r"(\d{4})\s*年\s*第?\s*(\d{1,2})\s*周")


def _week(value: Any, _: bool) -> Any:
    raw = cells.text(value)
    if raw is None:
        return None
    match = _WEEK.fullmatch(raw) or _WEEK_ZH.fullmatch(raw)
    if not match or not 1 <= int(match[2]) <= 53:
        raise CellError(
            f"{raw!r} is not an ISO week: write 2026-W03 (or 2026年第3周).",
            f"“{raw}”不是周次：请写成 2026-W03 或 2026年第3周。",
        )
    return f"{match[1]}-W{int(match[2]):02d}"


def _count(value: Any, _: bool) -> Any:
    return cells.count(value)


def _day(value: Any, _: bool) -> Any:
    found = cells.day(value)
    return found.isoformat() if found is not None else None


def _money(value: Any, _: bool) -> Any:
    return cells.amount(value)


def _percent(value: Any, formatted_as_percent: bool) -> Any:
    return cells.percent(value, formatted_as_percent=formatted_as_percent)


def _yes_no(value: Any, _: bool) -> Any:
    return cells.yes_no(value)


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编号", _text, True, "HZ-2024-017"),
    Column("name", "项目名称", _text, True, "滨江示例花园"),
    Column("district", "所属区县", _text, True, "东湖区"),
    Column("developer_name", "开发企业名称", _text, False, "杭州示例置业有限公司"),
    Column("developer_credit_code", "统一社会信用代码", _code, True, "91330100MA2H3K7P41"),
    Column("total_units", "总套数", _count, True, 1200),
    Column("sold_units", "已售套数", _count, True, 980),
    Column("delivered_units", "已交付套数", _count, False, 0),
    Column("contract_delivery_date", "合同约定交付日期", _day, True, "2026-06-30"),
    Column("status", "项目状态", _status, False, "在建"),
    Column("progress_pct", "工程进度（%）", _percent, False, "45.5"),
    Column("remaining_cost", "剩余投入（元）", _money, True, "125000000.00"),
    Column("own_funds_available", "可用自有资金（元）", _money, True, "30000000.00"),
    Column("responsible_unit", "责任单位", _text, False, "东湖区住建局"),
    Column("responsible_person", "责任人", _text, False, "王某"),
)

REPORT_COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编号", _text, True, "HZ-2024-017"),
    Column("week", "周次", _week, True, "2026-W03"),
    Column("progress_pct", "工程进度（%）", _percent, True, "46"),
    Column("working", "是否正常施工", _yes_no, True, "否"),
    Column("workers_on_site", "在场工人数", _count, True, 0),
    Column("issues", "存在问题", _text, False, "拖欠材料款，施工方撤场"),
    Column("actions", "推进措施", _text, False, "区专班约谈开发商"),
)


def _normal(header: str) -> str:
    return re.sub(r"[\s*＊]", "", header).replace("(", "（").replace(")", "）").lower()


@dataclass(slots=True)
class Layout:
    """Which column of the sheet holds which field."""

    positions: dict[str, int]
    skip_first_row: bool = False


def header_problem(detail: str) -> ProblemError:
    return ProblemError(422, detail, slug="bad-header", title="The file cannot be imported")


def layout(sheet: Sheet, columns: Sequence[Column]) -> Layout:
    """Map the sheet's header (field names or Chinese labels, in any order) to the columns.

    Raises ProblemError 422 ``bad-header``: an unknown column, one named twice, or a required one missing.
    """
    by_header: dict[str, Column] = {}
    for column in columns:
        by_header[_normal(column.name)] = column
        by_header[_normal(column.label)] = column
        by_header[_normal(column.label.split("（")[0])] = column
    where = f"Sheet {sheet.name!r}, row {sheet.header_row}" if sheet.name else f"Row {sheet.header_row}"
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(sheet.header):
        key = _normal(header)
        if not key or key in IGNORED_HEADERS:
            continue
        found = by_header.get(key)
        if found is None:
            unknown.append(header)
        elif found.name in positions:
            raise header_problem(f"{where}: the column {found.name} ({found.label}) appears twice.")
        else:
            positions[found.name] = index
    if unknown:
        names = ", ".join(repr(h) for h in unknown)
        hint = ""
        if any("万" in h for h in unknown):
            hint = " Amount columns are in yuan (元): a column in 万元 is refused, write the unit in each cell instead."
        raise header_problem(
            f"{where}: unknown column(s) {names}. The header takes the template's field names or Chinese labels." + hint
        )
    missing = [c for c in columns if c.required and c.name not in positions]
    if missing:
        names = ", ".join(f"{c.name} ({c.label})" for c in missing)
        raise header_problem(f"{where}: required column(s) missing: {names}.")
    skip = bool(sheet.rows) and _is_label_row(sheet.rows[0], positions, columns)
    return Layout(positions, skip)


def _is_label_row(row: SheetRow, positions: dict[str, int], columns: Sequence[Column]) -> bool:
    """The template's second row (the Chinese labels under the field names) is not data."""
    labels = {c.name: c.label for c in columns}
    matched = 0
    for name, index in positions.items():
        value = row.cells[index] if index < len(row.cells) else None
        if isinstance(value, str) and _normal(value) in (_normal(labels[name]), _normal(labels[name].split("（")[0])):
            matched += 1
    return matched == len(positions)


@dataclass(slots=True)
class ReadRow:
    """A row read into its fields' values (None for a blank cell), or the errors that kept it from being read."""

    row: SheetRow
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def row_error(row: SheetRow, column: str | None, detail: str, detail_zh: str, index: int | None = None) -> RowError:
    return RowError(
        row=row.number,
        column=column,
        cell=cells.cell_reference(index, row.number) if index is not None else None,
        sheet=row.sheet,
        detail=detail,
        detail_zh=detail_zh,
        pointer=f"#/rows/{row.number}" + (f"/{column}" if column else ""),
    )


def read_rows(sheet: Sheet, columns: Sequence[Column], where: Layout) -> list[ReadRow]:
    """Every data row of the sheet, each cell read as its column says; required cells must not be blank."""
    out: list[ReadRow] = []
    rows = sheet.rows[1:] if where.skip_first_row else sheet.rows
    for row in rows:
        read = ReadRow(row)
        for column in columns:
            index = where.positions.get(column.name)
            if index is None:
                continue
            raw = row.cells[index] if index < len(row.cells) else None
            try:
                value = column.read(raw, index in row.percent_cells)
            except CellError as exc:
                read.errors.append(row_error(row, column.name, exc.detail, exc.detail_zh, index))
                continue
            if value is None and column.required:
                read.errors.append(
                    row_error(
                        row,
                        column.name,
                        f"{column.name} ({column.label}) is required.",
                        f"“{column.label}”为必填项。",
                        index,
                    )
                )
                continue
            read.values[column.name] = value
        out.append(read)
    return out


def credit_code_error(row: SheetRow, value: str, index: int | None) -> RowError | None:
    """The credit code's check (GB 32100), as a row error; None when it is valid."""
    try:
        validate_credit_code(value)
    except ValueError as exc:
        return row_error(
            row,
            "developer_credit_code",
            f"{value!r} is not a valid unified social credit code: {exc}.",
            f"“{value}”不是有效的统一社会信用代码（18位，末位为校验码）。",
            index,
        )
    return None


_ZH_BY_TYPE = {
    "string_too_long": "内容过长。",
    "string_too_short": "不能为空。",
    "string_pattern_mismatch": "格式不正确（只能用字母、数字、点、横线、下划线）。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "greater_than": "数值过小。",
    "decimal_max_digits": "位数过多。",
    "decimal_max_places": "小数位过多。",
}


def validation_errors(row: SheetRow, exc: ValidationError, where: Layout) -> list[RowError]:
    """pydantic's complaints about a row's values, one row error per field."""
    out = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else None
        index = where.positions.get(name) if name else None
        zh = _ZH_BY_TYPE.get(str(error.get("type")), "取值不符合要求。")
        out.append(row_error(row, name, f"{name}: {error['msg']}.", f"{name}：{zh}", index))
    return out


_ZH_BY_SLUG = {
    "illegal-transition": "项目状态不能这样变更（见项目状态流转规则）。",
    "duplicate-code": "项目编号已被其他项目使用。",
    "duplicate-report": "该项目该周已填报，且内容不同。",
    "project-not-reportable": "项目已竣工、交付、办结或终止，不再填报周调度。",
    "future-period": "周次尚未开始，不能填报。",
    "forbidden": "只能导入本区县的项目。",
}
_ZH_BY_FIELD = {
    "sold_units": "已售套数不能超过总套数。",
    "delivered_units": "已交付套数不能超过已售套数，也不能减少。",
    "status": "新项目的状态只能是“已登记”或“在建”。",
    "district": "区县代码或名称不存在。",
}


def problem_errors(row: SheetRow, exc: ProblemError, where: Layout, default_column: str | None) -> list[RowError]:
    """A rule of the projects or progress service refused the row: its problem as row errors."""
    pointers: list[str | None] = [e.pointer for e in exc.errors or []] or [None]
    out = []
    for pointer in pointers:
        name = pointer.rsplit("/", 1)[-1] if pointer and pointer.startswith("#/body/") else default_column
        index = where.positions.get(name) if name else None
        zh = _ZH_BY_SLUG.get(exc.slug) or (_ZH_BY_FIELD.get(name) if name else None) or "不符合规则。"
        out.append(row_error(row, name, exc.detail, zh, index))
    return out
