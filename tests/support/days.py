"""Days and ISO weeks relative to the day a test runs, from ``services/common/days`` (never the machine's date)."""

from __future__ import annotations

from datetime import date, timedelta

from services.common.days import week_of, week_start


def week(today: date, offset: int = 0) -> str:
    """The ISO week ``offset`` weeks after the one ``today`` falls in (negative: before), e.g. ``2026-W48``."""
    return week_of(today + timedelta(weeks=offset))


def monday(today: date, offset: int = 0) -> date:
    """The Monday of ``week(today, offset)``: the day a stall reported for that week starts."""
    return week_start(week(today, offset))


def previous_month(today: date) -> tuple[date, date]:
    """The first and last day of the month before ``today``'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def next_month(today: date) -> str:
    """The month after ``today``'s, as ``YYYY-MM``."""
    return (today.replace(day=28) + timedelta(days=4)).strftime("%Y-%m")
