"""Reports: JSON by default, CSV (or a document) when the ``Accept`` header prefers it; and the one CSV writer of
the services."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel

from services.common.headers import ZH

CSV = "text/csv"
JSON = "application/json"
HTML = "text/html"
PDF = "application/pdf"
# A cell starting with one of these is read as a formula by spreadsheet programs (OWASP: CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number: a spreadsheet reads it as the number it is, and it can run nothing.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _quality(accept: str, media_type: str) -> float:
    """The q the Accept header gives ``media_type``, from its most specific matching range."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        candidate = pieces[0].lower()
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(candidate)
        if specificity is None or specificity < best[0]:
            continue
        q = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = (specificity, q)
    return best[1]


def wants_csv(accept: str | None) -> bool:
    """CSV when the Accept header prefers it to JSON; JSON otherwise, also when it names neither."""
    return preferred(accept, [JSON, CSV]) == CSV


def preferred(accept: str | None, offers: Sequence[str]) -> str:
    """The offer the Accept header gives the highest q; the first offer on a tie, when the header is missing, or
    when it names none of them (so the first offer, JSON, is the default)."""
    if not accept:
        return offers[0]
    ranked = [(_quality(accept, offer), -index, offer) for index, offer in enumerate(offers)]
    return max(ranked)[2]


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows and never runs: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe (OWASP's advice), except a plain decimal number such as
    ``-5.00``, which stays a number."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_document(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as a CSV document for spreadsheet programs: UTF-8 with a byte-order mark (the one form in which
    Excel opens Chinese names correctly), every cell made safe by ``safe_cell`` and quoted, so that a separator
    inside a cell (a spreadsheet set to semicolons) never starts a new cell with a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# The Accept header negotiates, so it is not documented as a parameter: a generated client keeps the JSON type.
AcceptHeader = Annotated[str | None, Header(max_length=1000, include_in_schema=False)]


def csv_answer(what: str) -> dict[str, Any]:
    """The ``responses`` entry of a 200 that is JSON, or CSV on request.

    The document gives the JSON schema only, so generated clients type the body as the report; the CSV form is
    named in the description and in ``x-alternative-media-types`` (ask with ``Accept: text/csv``, read as text).
    """
    return {
        "description": f"The report as JSON; with `Accept: {CSV}`, CSV instead ({what}), in UTF-8 with a "
        "byte-order mark and a `Content-Disposition` file name.",
        "x-alternative-media-types": [CSV],
    }


def csv_response(body: bytes, filename: str) -> Response:
    """A CSV download; ``Vary: Accept`` because the same URL also answers JSON."""
    return Response(
        body,
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept"},
    )


def report_json(model: BaseModel) -> Response:
    """The JSON form of a negotiated report."""
    return Response(model.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})


# Tables: CSV or xlsx from one description ------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_OFFERS = (JSON, CSV, XLSX)


@dataclass(frozen=True)
class Table:
    """A report's table as its CSV shows it (``header``: field names; ``rows``: cells as text), and which columns
    hold amounts in yuan (``money``) and other numbers (``numbers``), so the xlsx form writes those as numbers."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    money: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    days: frozenset[str] = frozenset()


def wants_table(accept: str | None) -> str:
    """``JSON`` (the default), ``CSV`` or ``XLSX``, whichever the Accept header prefers."""
    return preferred(accept, TABLE_OFFERS)


def _typed(value: str, kind: str) -> object:
    """An xlsx cell from a CSV cell: amounts and numbers as Decimal or int (never float), the rest as text."""
    if value == "" or kind == "text":
        return value if value != "" else None
    if kind == "day":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    if kind == "money":
        return number.quantize(Decimal("0.01"))
    return int(number) if number == number.to_integral_value() and "." not in value else number


def table_response(table: Table, media_type: str, filename: str) -> Response:
    """The table as a CSV download (field names as the header, ``csv_document``) or as an xlsx workbook
    (Chinese headers from ``headers.ZH``, amounts as numbers formatted ``0.00``, days as date cells, the header
    row frozen);
    ``filename`` has no extension."""
    if media_type != XLSX:
        return csv_response(csv_document([list(table.header), *table.rows]), f"{filename}.csv")
    from services.common.spreadsheets import xlsx_document  # openpyxl is loaded when a workbook is asked for

    kinds = [
        "money" if c in table.money else "number" if c in table.numbers else "day" if c in table.days else "text"
        for c in table.header
    ]
    body = xlsx_document(
        [ZH.get(c, c) for c in table.header],
        ([_typed(v, k) for v, k in zip(row, kinds, strict=True)] for row in table.rows),
        title=filename[:31],
        money_columns=[i for i, k in enumerate(kinds) if k == "money"],
    )
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"', "Vary": "Accept"},
    )


def table_answer(what: str) -> dict[str, Any]:
    """The ``responses`` entry of a 200 that is JSON, or CSV or xlsx on request (see ``csv_answer``)."""
    return {
        "description": f"The report as JSON; with `Accept: {CSV}`, CSV instead ({what}), in UTF-8 with a "
        f"byte-order mark; with `Accept: {XLSX}`, the same table as an xlsx workbook with Chinese headers, amounts "
        "as numbers formatted to two places and the header row frozen. Both carry a `Content-Disposition` file name.",
        "x-alternative-media-types": [CSV, XLSX],
    }
