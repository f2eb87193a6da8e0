"""Days, weeks, months and instants as the API writes them: ``YYYY-MM-DD``, ISO weeks (``2025-W25``, Monday
to Sunday), ``YYYY-MM`` and RFC 3339 with a zone.

Every one of them lies between ``FIRST_DAY`` and ``LAST_DAY``: Python's dates end at years 1 and 9999, so a
day near either end overflows when the services add a span to it or move it between zones; within these
bounds no such arithmetic can fail. The digits are ASCII (``\\d`` would take full-width and other digits).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints, WithJsonSchema

from services.common import clock
from services.common.problems import unprocessable

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_FIRST_INSTANT = datetime.combine(FIRST_DAY, time(), UTC)
_END_INSTANT = datetime.combine(LAST_DAY + timedelta(days=1), time(), UTC)
_RANGE = f"between {FIRST_DAY} and {LAST_DAY}"

_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})$"
)
WEEK_PATTERN = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _iso_day(value: Any) -> Any:
    # pydantic would also read 0 or "1699920000" as a Unix timestamp; the API promises YYYY-MM-DD only.
    if isinstance(value, date) or (isinstance(value, str) and _DAY.match(value)):
        return value
    raise ValueError("a day must be written YYYY-MM-DD")


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day must lie {_RANGE}")
    return value


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_day_in_range),
    WithJsonSchema({"type": "string", "format": "date", "description": f"A day {_RANGE}."}),
]
"""A calendar day in a request body, written ``YYYY-MM-DD``, between ``FIRST_DAY`` and ``LAST_DAY``."""


def _rfc3339(value: Any) -> Any:
    # pydantic would also read 0.5 or "1699920000" as a Unix timestamp; the API promises RFC 3339 only.
    if isinstance(value, datetime) or (isinstance(value, str) and _INSTANT.match(value)):
        return value
    raise ValueError("a time must be written RFC 3339 with a zone, such as 2025-06-01T08:00:00Z")


def _instant_in_range(value: datetime) -> datetime:
    try:
        instant = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"a time must lie {_RANGE}") from exc
    if not _FIRST_INSTANT <= instant < _END_INSTANT:
        raise ValueError(f"a time must lie {_RANGE}")
    return instant


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_instant_in_range)]
"""A point in time in a request, written RFC 3339 with a zone (``Z`` or an offset), between ``FIRST_DAY`` and
``LAST_DAY`` in UTC; read as UTC."""


def _week(value: str) -> str:
    try:
        start = week_start(value)
    except ValueError as exc:
        raise ValueError(f"{value} is not a week of its year") from exc
    if not FIRST_DAY <= start <= LAST_DAY - timedelta(days=6):
        raise ValueError(f"a week must lie {_RANGE}")
    return value


Week = Annotated[str, StringConstraints(pattern=WEEK_PATTERN), AfterValidator(_week)]
"""An ISO week such as ``2025-W25`` that its year has, between ``FIRST_DAY`` and ``LAST_DAY``."""


def _month(value: str) -> str:
    if not FIRST_DAY.year <= int(value[:4]) <= LAST_DAY.year:
        raise ValueError(f"a month must lie {_RANGE}")
    return value


Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), AfterValidator(_month)]
"""A month such as ``2025-06``, between ``FIRST_DAY`` and ``LAST_DAY``."""


def week_start(week: str) -> date:
    """The Monday of an ISO week such as ``2025-W25``. Raises ValueError for a week the year does not have."""
    return date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)


def week_of(day: date) -> str:
    """The ISO week a day falls in, e.g. ``2025-W25``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_week(week: str, pointer: str) -> tuple[date, date]:
    """The Monday and Sunday of a past or current ISO week, given as a validated ``Week``.

    Raises ProblemError(422) at ``pointer`` for a week that has not begun.
    """
    start = week_start(week)
    if start > clock.today():
        raise unprocessable(f"{week} has not begun yet.", pointer, slug="future-period")
    return start, start + timedelta(days=6)


def parse_month(month: str, pointer: str) -> tuple[date, date]:
    """The first and last day of a past or current month, given as a validated ``Month`` such as ``2025-06``.

    Raises ProblemError(422) at ``pointer`` for a month that has not begun.
    """
    year, number = int(month[:4]), int(month[5:7])
    start = date(year, number, 1)
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
