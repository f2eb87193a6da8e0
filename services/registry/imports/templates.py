"""The import templates: an xlsx per sheet with the field names, the Chinese labels and one example row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from services.common.spreadsheets import xlsx_document
from services.registry.imports.sheets import PROJECT_COLUMNS, REPORT_COLUMNS, Column
from services.registry.settings import District

_MONEY = ("remaining_cost", "own_funds_available")


def _document(columns: Sequence[Column], example: dict[str, object], title: str) -> bytes:
    row = [example.get(c.name, c.example) for c in columns]
    row = [Decimal(str(v)) if c.name in _MONEY else v for c, v in zip(columns, row, strict=True)]
    return xlsx_document(
        [c.name for c in columns],
        [row],
        title=title,
        extra_header_rows=[[c.label + ("*" if c.required else "") for c in columns]],
        money_columns=[i for i, c in enumerate(columns) if c.name in _MONEY],
        widths=[max(14, len(c.label) * 2 + 4) for c in columns],
    )


def projects(districts: Sequence[District]) -> bytes:
    """The ledger's template; its example names the city's first district."""
    example: dict[str, object] = {"district": districts[0].name} if districts else {}
    return _document(PROJECT_COLUMNS, example, "风险台账")


def reports(week: str) -> bytes:
    """The weekly dispatch template; its example reports ``week`` (this week)."""
    return _document(REPORT_COLUMNS, {"week": week}, "周调度")
