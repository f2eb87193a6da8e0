"""Days, weeks, months and instants as the API writes them: ``YYYY-MM-DD``, ISO weeks (``2025-W25``, Monday
to Sunday), ``YYYY-MM`` and RFC 3339 with a zone."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

from services.common import clock
from services.common.problems import unprocessable

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$")
WEEK_PATTERN = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
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


def week_start(week: str) -> date:
    """The Monday of an ISO week such as ``2025-W25``. Raises ValueError for a week the year does not have."""
    return date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)


def week_of(day: date) -> str:
    """The ISO week a day falls in, e.g. ``2025-W25``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_week(week: str, pointer: str) -> tuple[date, date]:
    """The Monday and Sunday of a past or current ISO week.

    Raises ProblemError(422) at ``pointer`` for a week the year does not have or one that has not begun.
    """
    try:
        start = week_start(week)
    except ValueError as exc:
        raise unprocessable(f"{week} is not a week of its year.", pointer) from exc
    if start > clock.today():
        raise unprocessable(f"{week} has not begun yet.", pointer, slug="future-period")
    return start, start + timedelta(days=6)


def parse_month(month: str, pointer: str) -> tuple[date, date]:
    """The first and last day of a past or current month such as ``2025-06``.

    Raises ProblemError(422) at ``pointer`` for a month before 1900 or one that has not begun.
    """
    year, number = int(month[:4]), int(month[5:7])
    # A month near year 1 has no UTC instant for its first day in the city's zone: the reports need one.
    if year < 1900:
        raise unprocessable(f"{month} is before 1900.", pointer)
    try:
        start = date(year, number, 1)
    except ValueError as exc:
        raise unprocessable(f"{month} is not a month of the calendar.", pointer) from exc
    if start > clock.today():
        raise unprocessable(f"{month} has not begun yet.", pointer, slug="future-period")
    return start, date(year, number, calendar.monthrange(year, number)[1])


def weeks_starting_in(start: date, end: date) -> list[str]:
    """The ISO weeks whose Monday lies between ``start`` and ``end`` (a month's weeks, for its report)."""
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    weeks = []
    while monday <= end:
        weeks.append(week_of(monday))
        monday += timedelta(days=7)
    return weeks
