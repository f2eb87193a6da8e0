"""The working-day calendar in effect: shipped official years, overridden by the years a city admin published.

Other domains count their deadlines through ``load``: call it once per request and ask the calendar it returns
(``add``, ``count``, with pauses) for every item, so a due date is computed on read and follows a year's
publication without being stored. ``load`` hands back the same calendar, with the answers it remembers, for as
long as the published years read are the ones it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.problems import ProblemError, ProblemFieldError, conflict, unprocessable
from services.registry import audit
from services.registry.calendar import repository
from services.registry.calendar.counting import (
    FIRST_DAY,
    FIRST_YEAR,
    LAST_DAY,
    LAST_YEAR,
    OutOfRange,
    WorkingCalendar,
    YearDays,
    problems,
)
from services.registry.calendar.schemas import (
    Basis,
    CalendarYearPublish,
    CalendarYearRead,
    DueDate,
    NoticeRead,
    WorkingDayCount,
)
from services.registry.calendar.shipped import Notice, official_years
from services.registry.models import CalendarYear


@dataclass(frozen=True, slots=True)
class YearInEffect:
    days: YearDays
    basis: Basis
    source: Notice | None = None
    published_by: str | None = None
    published_at: datetime | None = None


def _published(row: CalendarYear) -> YearInEffect:
    return YearInEffect(
        days=YearDays(
            year=row.year,
            holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
            make_up_workdays=frozenset(date.fromisoformat(d) for d in row.make_up_workdays),
            official=True,
        ),
        basis=Basis.published,
        source=Notice(title=row.source_title, number=row.source_number, date=row.source_date),
        published_by=row.published_by,
        published_at=row.published_at,
    )


def _in_effect(year: int, row: CalendarYear | None) -> YearInEffect:
    if row is not None:
        return _published(row)
    shipped = official_years().get(year)
    if shipped is not None:
        return YearInEffect(days=shipped.days, basis=Basis.shipped, source=shipped.source)
    return YearInEffect(days=YearDays(year), basis=Basis.estimate)


def _read(state: YearInEffect) -> CalendarYearRead:
    source = state.source
    return CalendarYearRead(
        year=state.days.year,
        official=state.days.official,
        basis=state.basis,
        holidays=sorted(state.days.holidays),
        make_up_workdays=sorted(state.days.make_up_workdays),
        source=NoticeRead(title=source.title, number=source.number, date=source.date) if source else None,
        published_by=state.published_by,
        published_at=state.published_at,
    )


def _snapshot(state: YearInEffect) -> dict[str, Any]:
    """What the audit log keeps of a year: its days, its notice and where it came from."""
    source = state.source
    return {
        "basis": state.basis.value,
        "holidays": [d.isoformat() for d in sorted(state.days.holidays)],
        "make_up_workdays": [d.isoformat() for d in sorted(state.days.make_up_workdays)],
        "source": {"title": source.title, "number": source.number, "date": source.date.isoformat()} if source else None,
    }


# The calendar last loaded, by the published years it was built from. A calendar's answers depend on nothing
# else (the shipped years are fixed for the life of the process), so while no year is published or replaced every
# request reuses it and with it the due dates and counts it has worked out; a publication changes the key.
_last: tuple[tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...], WorkingCalendar] | None = None
# How many answers a reused calendar may remember before it is built afresh (a bound on memory, not a rule).
REMEMBERED_LIMIT = 200_000


async def load(session: AsyncSession) -> WorkingCalendar:
    """The calendar in effect for this request: every shipped year, each published year over it (one query)."""
    global _last
    rows = await repository.all_years(session)
    key = tuple((row.year, tuple(row.holidays), tuple(row.make_up_workdays)) for row in rows)
    if _last is not None and _last[0] == key and _last[1].remembered() < REMEMBERED_LIMIT:
        return _last[1]
    years = {year: shipped.days for year, shipped in official_years().items()}
    for row in rows:
        years[row.year] = _published(row).days
    calendar = WorkingCalendar(years.values())
    _last = (key, calendar)
    return calendar


async def get_year(session: AsyncSession, year: int) -> CalendarYearRead:
    """A year as it is in effect: published, shipped, or an estimate."""
    return _read(_in_effect(year, await repository.get(session, year)))


class DayReader:
    """The calendar in effect, loaded once for one request or job, and the day its answers are for: what a
    domain's reader of deadlines (findings, coordination items) builds on, and what the overdue board opens once
    for every kind."""

    def __init__(self, calendar: WorkingCalendar, today: date) -> None:
        self.calendar, self.today = calendar, today

    @classmethod
    async def open(cls, session: AsyncSession, today: date | None = None) -> Self:
        return cls(await load(session), today or clock.today())


def _check(year: int, data: CalendarYearPublish) -> None:
    """Raises ProblemError(422) naming every misplaced date, or a notice dated in the future."""
    found = problems(year, data.holidays, data.make_up_workdays)
    if found:
        raise ProblemError(
            422,
            f"{len(found)} date(s) do not fit a notice for {year}.",
            slug="validation-error",
            title="Request failed validation",
            errors=[
                ProblemFieldError(pointer=f"#/body/{name}/{index}", detail=detail) for name, index, detail in found
            ],
        )
    if data.source.date > clock.today():
        raise unprocessable("A notice cannot be dated in the future.", "#/body/source/date")


async def publish(
    session: AsyncSession, principal: Principal, year: int, data: CalendarYearPublish
) -> CalendarYearRead:
    """Publish ``year`` from its notice, over what was in effect (shipped data, an estimate, or an earlier PUT).

    A PUT equal to what is in effect changes nothing. Raises ProblemError 422 (see ``_check``), and 409 when
    another publication of the year committed between the read and the write.
    """
    _check(year, data)
    row = await repository.get(session, year, for_update=True)
    before = _in_effect(year, row)
    notice = Notice(title=data.source.title, number=data.source.number, date=data.source.date)
    days = YearDays(year, frozenset(data.holidays), frozenset(data.make_up_workdays), official=True)
    if (before.days, before.source) == (days, notice):
        return _read(before)
    if row is None:
        row = CalendarYear(year=year)
        session.add(row)
    row.holidays = [d.isoformat() for d in sorted(days.holidays)]
    row.make_up_workdays = [d.isoformat() for d in sorted(days.make_up_workdays)]
    row.source_title, row.source_number, row.source_date = notice.title, notice.number, notice.date
    row.published_by = principal.sub
    row.published_at = clock.now()
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict(f"{year} was published by someone else just now; read it and try again.") from exc
    after = _published(row)
    await audit.record(
        session,
        principal,
        entity="calendar_year",
        entity_id=str(year),
        action="replace" if before.basis is Basis.published else "publish",
        before=_snapshot(before),
        after=_snapshot(after),
    )
    return _read(after)


def _in_range(day: date, pointer: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise unprocessable(f"{day.isoformat()} is outside the years counted, {FIRST_YEAR} to {LAST_YEAR}.", pointer)


async def due_date(session: AsyncSession, start: date, add: int) -> DueDate:
    """The day ``add`` working days after ``start`` end.

    Raises ProblemError(422) when ``start`` or the answer lies outside the years counted.
    """
    _in_range(start, "#/query/start")
    calendar = await load(session)
    try:
        counted = calendar.add(start, add)
    except OutOfRange as exc:
        raise unprocessable(str(exc), "#/query/add") from exc
    return DueDate(due_on=counted.value, estimated=counted.estimated)


async def working_days(session: AsyncSession, start: date, end: date) -> WorkingDayCount:
    """The working days after ``start`` up to and including ``end``.

    Raises ProblemError(422) when ``end`` is before ``start`` or either lies outside the years counted.
    """
    _in_range(start, "#/query/start")
    _in_range(end, "#/query/end")
    if end < start:
        raise unprocessable("end may not be before start.", "#/query/end")
    counted = (await load(session)).count(start, end)
    return WorkingDayCount(working_days=counted.value, estimated=counted.estimated)
