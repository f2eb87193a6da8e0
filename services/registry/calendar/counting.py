"""Counting official working days, with no I/O: the rules every deadline in the registry is counted by.

A working day is a Monday to Friday that the year's State Council notice does not give off, or a weekend day
the notice makes a working day (调休上班). Periods are counted as the 行政许可法 and 民法典 count them:

- the day a period runs from is not counted: the first day counted is the next working day;
- adding N working days lands on the Nth working day after the start, so a period that would end on a day off
  ends on the next working day;
- counting the working days after ``start`` up to and including ``end`` inverts adding;
- a pause (补正, 特别程序) from ``began_on`` to ``ended_on`` stops the clock on the working days after
  ``began_on`` up to and including ``ended_on``: the day it begins was worked, and the day it ends is spent as
  a day of receipt is, so a pause begun and ended on one day costs nothing. Pauses push a due date back by the
  working days they cover.

A year without a notice is an estimate (weekends only), and every answer says whether it looked at one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, TypeVar

FIRST_YEAR = 2000
LAST_YEAR = 2099
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)
_DAY = timedelta(days=1)

T = TypeVar("T")


class OutOfRange(ValueError):
    """A computation needs a day outside the years the calendar counts (``FIRST_YEAR`` to ``LAST_YEAR``)."""


@dataclass(frozen=True, slots=True)
class Counted(Generic[T]):
    """An answer, and whether any day it rests on lies in an estimated year."""

    value: T
    estimated: bool


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch in which the clock stops: the working days after ``began_on`` up to and including ``ended_on``.

    A pause still running is passed as ending on the day the answer is wanted for (usually today).
    """

    began_on: date
    ended_on: date

    def __post_init__(self) -> None:
        if self.ended_on < self.began_on:
            raise ValueError("a pause cannot end before it begins")


@dataclass(frozen=True, slots=True)
class YearDays:
    """One year's days off (``holidays``) and weekend days worked (``make_up_workdays``).

    ``official`` says the days come from the State Council's notice; a year without one is an estimate in
    which only weekends are off. Build one with ``problems`` checked first: the constructor trusts its input.
    """

    year: int
    holidays: frozenset[date] = frozenset()
    make_up_workdays: frozenset[date] = frozenset()
    official: bool = False
    # Weekdays off, sorted: the only holidays that change a count (a weekend holiday is off anyway).
    _weekdays_off: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _weekends_worked: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_weekdays_off", tuple(sorted(d for d in self.holidays if d.weekday() < 5)))
        object.__setattr__(self, "_weekends_worked", tuple(sorted(self.make_up_workdays)))

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def adjustment(self, after: date, through: date) -> int:
        """Make-up days minus weekdays off in ``(after, through]``, both inside this year or at its edges."""
        worked = bisect.bisect_right(self._weekends_worked, through) - bisect.bisect_right(self._weekends_worked, after)
        off = bisect.bisect_right(self._weekdays_off, through) - bisect.bisect_right(self._weekdays_off, after)
        return worked - off


def problems(year: int, holidays: Sequence[date], make_up_workdays: Sequence[date]) -> list[tuple[str, int, str]]:
    """What is wrong with a year's notice as given: ``(field, index, detail)`` for each bad date, in order.

    A date must lie in the year and be listed once; a make-up working day must be a Saturday or Sunday and not
    also a holiday.
    """
    found: list[tuple[str, int, str]] = []
    for name, days in (("holidays", holidays), ("make_up_workdays", make_up_workdays)):
        seen: set[date] = set()
        for index, day in enumerate(days):
            if day.year != year:
                found.append((name, index, f"{day.isoformat()} is not in {year}."))
            elif day in seen:
                found.append((name, index, f"{day.isoformat()} is listed twice."))
            seen.add(day)
    off = set(holidays)
    for index, day in enumerate(make_up_workdays):
        if day.year != year:
            continue
        if day.weekday() < 5:
            found.append(("make_up_workdays", index, f"{day.isoformat()} is a weekday; only a weekend day is made up."))
        elif day in off:
            found.append(("make_up_workdays", index, f"{day.isoformat()} is also given as a holiday."))
    return sorted(found, key=lambda problem: (problem[0] != "holidays", problem[1]))


def _weekdays_through(day: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to and including ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _check(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfRange(f"{day.isoformat()} is outside the years counted, {FIRST_YEAR} to {LAST_YEAR}.")


def _merged(pauses: Iterable[Pause]) -> list[tuple[date, date]]:
    """Pauses as disjoint ``(after, through]`` stretches in order; overlapping or touching ones joined."""
    merged: list[tuple[date, date]] = []
    for pause in sorted(pauses, key=lambda p: p.began_on):
        if merged and pause.began_on <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], pause.ended_on))
        else:
            merged.append((pause.began_on, pause.ended_on))
    return merged


class WorkingCalendar:
    """Working days over the years given; any other year (within the range counted) is an estimate."""

    def __init__(self, years: Iterable[YearDays]) -> None:
        self._years = {y.year: y for y in years}
        # A calendar never changes, so what it answered it remembers: the estimated years it made, and the due
        # dates it added and the days it counted without pauses (a report or the overdue board asks for the same
        # few start days and periods thousands of times, and ``service.load`` reuses a calendar across requests
        # while the years it was built from are unchanged).
        self._estimates: dict[int, YearDays] = {}
        self._added: dict[tuple[date, int], Counted[date]] = {}
        self._counted: dict[tuple[date, date], Counted[int]] = {}

    def remembered(self) -> int:
        """How many due dates and counts this calendar remembers."""
        return len(self._added) + len(self._counted)

    def year(self, year: int) -> YearDays:
        """The year's days: as given, or an estimate. Raises OutOfRange outside the years counted."""
        known = self._years.get(year)
        if known is not None:
            return known
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise OutOfRange(f"{year} is outside the years counted, {FIRST_YEAR} to {LAST_YEAR}.")
        estimate = self._estimates.get(year)
        if estimate is None:
            estimate = self._estimates[year] = YearDays(year)
        return estimate

    def is_working_day(self, day: date) -> bool:
        """Raises OutOfRange for a day outside the years counted."""
        return self.year(day.year).is_working_day(day)

    def _estimated(self, after: date, through: date) -> bool:
        """Whether a day in ``(after, through]`` lies in a year that is not official."""
        if through <= after:
            return False
        first = (after + _DAY).year
        return any(not self.year(y).official for y in range(first, through.year + 1))

    def _plain_count(self, after: date, through: date) -> int:
        """Working days in ``(after, through]``, pauses ignored."""
        if through <= after:
            return 0
        total = _weekdays_through(through) - _weekdays_through(after)
        for y in range(after.year, through.year + 1):
            total += self.year(y).adjustment(after, through)
        return total

    def count(self, start: date, end: date, pauses: Iterable[Pause] = ()) -> Counted[int]:
        """The working days after ``start`` up to and including ``end``, less those inside pauses.

        Raises ValueError when ``end`` is before ``start``, OutOfRange when either is outside the years counted.
        """
        stretches = _merged(pauses)
        if not stretches:
            known = self._counted.get((start, end))
            if known is not None:
                return known
        _check(start)
        _check(end)
        if end < start:
            raise ValueError("the end of a count cannot come before its start")
        total = self._plain_count(start, end)
        for after, through in stretches:
            total -= self._plain_count(max(after, start), min(through, end))
        counted = Counted(total, self._estimated(start, end))
        if not stretches:
            self._counted[(start, end)] = counted
        return counted

    def add(self, start: date, working_days: int, pauses: Iterable[Pause] = ()) -> Counted[date]:
        """The day on which ``working_days`` (at least 1) working days after ``start`` are spent, pauses skipped.

        The answer is always a working day outside every pause. Raises ValueError for fewer than one working
        day, OutOfRange when the answer would fall outside the years counted.
        """
        if working_days < 1:
            raise ValueError("a period is at least one working day")
        _check(start)
        stretches = _merged(pauses)
        if not stretches:
            known = self._added.get((start, working_days))
            if known is not None:
                return known
        day, left = start, working_days
        while left:
            day += _DAY
            if day > LAST_DAY:
                raise OutOfRange(f"the period runs past {LAST_YEAR}, the last year counted.")
            if self.is_working_day(day) and not any(after < day <= through for after, through in stretches):
                left -= 1
        added = Counted(day, self._estimated(start, day))
        if not stretches:
            self._added[(start, working_days)] = added
        return added
