"""Days, months and instants as the API writes them: ``YYYY-MM-DD``, ``YYYY-MM`` and RFC 3339 with a zone."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

from services.common.problems import unprocessable

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _iso_day(value: Any) -> Any:
    # pydantic would also read 0 or "1699920000" as a Unix timestamp; the API promises YYYY-MM-DD only.
    if isinstance(value, date) or (isinstance(value, str) and _DAY.match(value)):
        return value
    raise ValueError("a day must be written YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]
"""A calendar day in a request body, written ``YYYY-MM-DD``."""


def _rfc3339(value: Any) -> Any:
    # pydantic would also read 0.5 or "1699920000" as a Unix timestamp; the API promises RFC 3339 only.
    if isinstance(value, datetime) or (isinstance(value, str) and _INSTANT.match(value)):
        return value
    raise ValueError("a time must be written RFC 3339 with a zone, such as 2025-06-01T08:00:00Z")


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""A point in time in a request, written RFC 3339 with a zone (``Z`` or an offset)."""


def month_bounds(month: str, pointer: str) -> tuple[date, date]:
    """The first and last day of a past or current month such as ``2025-06``.

    Raises ProblemError(422) at ``pointer`` for year 0 or a month that has not begun.
    """
    year, number = int(month[:4]), int(month[5:7])
    try:
        start = date(year, number, 1)
    except ValueError as exc:
        raise unprocessable(f"{month} is not a month of the calendar.", pointer) from exc
    if start > date.today():
        raise unprocessable(f"{month} has not begun yet.", pointer, slug="future-period")
    return start, date(year, number, calendar.monthrange(year, number)[1])
