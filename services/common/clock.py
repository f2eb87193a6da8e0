"""The services' one clock: the current instant in UTC, and the city's calendar day.

Every day in Handover (a report's week or month, "not in the future", days stalled or overdue) is a day of the
city, not of the machine: a server on UTC is eight hours behind Beijing, so from 16:00 UTC its date is the city's
yesterday. Code asks this module for the time and never calls ``date.today()`` or ``datetime.now()``, so the
city's offset is applied in one place and tests can set the time with ``frozen``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

DEFAULT_CITY_UTC_OFFSET_HOURS = 8

_city = timezone(timedelta(hours=DEFAULT_CITY_UTC_OFFSET_HOURS))
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """The city's calendar day at this instant."""
    return now().astimezone(_city).date()


def city_zone() -> timezone:
    """The city's fixed offset from UTC (``HANDOVER_CITY_UTC_OFFSET_HOURS``)."""
    return _city


def city_day(instant: datetime) -> date:
    """The city's calendar day at ``instant`` (an aware datetime)."""
    return instant.astimezone(_city).date()


def set_city_offset(hours: int) -> None:
    """Set the city's offset from UTC; each service does this once from its settings when its app is built."""
    global _city
    _city = timezone(timedelta(hours=hours))


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Stop the clock at ``at`` (an aware datetime) inside the block; for tests and jobs that replay a day."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
