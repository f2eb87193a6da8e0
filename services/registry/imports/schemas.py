"""What a spreadsheet import answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RowError(BaseModel):
    """One problem in one row of the sheet, in plain language."""

    row: int = Field(description="The row number as the spreadsheet shows it (CSV: the record's number).")
    column: str | None = Field(description="The field (column) at fault, by its field name; null for the whole row.")
    cell: str | None = Field(None, description="The cell, as `C5`, when one column is at fault.")
    sheet: str | None = Field(None, description="The worksheet's name (xlsx); null for CSV.")
    detail: str = Field(description="What is wrong and how to fix it, in English.")
    detail_zh: str = Field(description="The same in Chinese (中文说明).")
    pointer: str = Field(description="`#/rows/<row>/<column>`: where the problem is, for generic problem readers.")


class ImportResult(BaseModel):
    """What the import did (or, in a dry run, would do)."""

    dry_run: bool
    rows: int = Field(description="Rows read (empty rows are skipped and not counted).")
    created: int = Field(description="Rows that create a project (or weekly report).")
    updated: int = Field(description="Rows that change an existing project; weekly sheets never update.")
    unchanged: int = Field(description="Rows that match what is recorded already.")
    errors: list[RowError] = Field(description="Every problem found; with any, a real run writes nothing (422).")
