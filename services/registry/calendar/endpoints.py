"""``/v1/calendar``: the official working-day calendar, and working days counted on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.common.auth import Principal, authenticate
from services.common.days import Day
from services.common.deps import CityAdmin, Session
from services.common.problems import problem_responses, unprocessable
from services.registry.calendar import service
from services.registry.calendar.counting import FIRST_YEAR, LAST_YEAR
from services.registry.calendar.schemas import CalendarYearPublish, CalendarYearRead, DueDate, WorkingDayCount

# The calendar is public knowledge: every role may read it.
Anyone = Annotated[Principal, Depends(authenticate)]
Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, description=f"A year from {FIRST_YEAR} to {LAST_YEAR}.")]
MAX_ADD = 1000

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


# Declared before /{year} so that "working-days" is not read as a year.
@router.get(
    "/working-days",
    response_model=DueDate | WorkingDayCount,
    operation_id="countWorkingDays",
    summary="Add working days to a date (`add`), or count the working days between two dates (`end`)",
    description="The start day is not counted; make-up weekend days (调休上班) count, statutory holidays and "
    "ordinary weekends do not. With `add=N` the answer is `{due_on, estimated}`: the Nth working day after "
    "`start`, always a working day. With `end` it is `{working_days, estimated}`: the working days after `start` "
    "up to and including `end`, so counting to a `due_on` gives back N. Give exactly one of `add` and `end`. "
    "`estimated` is true when a day counted lies in a year whose notice is not known yet (weekends only).",
    responses=problem_responses(401, 422),
)
async def count_working_days(
    principal: Anyone,
    session: Session,
    start: Annotated[Day, Query(description="The day the period runs from (not counted), `YYYY-MM-DD`.")],
    add: Annotated[int | None, Query(ge=1, le=MAX_ADD, description="Working days to add.")] = None,
    end: Annotated[Day | None, Query(description="The last day counted, `YYYY-MM-DD`; not before `start`.")] = None,
) -> DueDate | WorkingDayCount:
    if add is not None and end is None:
        return await service.due_date(session, start, add)
    if end is not None and add is None:
        return await service.working_days(session, start, end)
    raise unprocessable("Give exactly one of add and end.", "#/query/add")


@router.get(
    "/{year}",
    response_model=CalendarYearRead,
    operation_id="getCalendarYear",
    summary="A year's days off and make-up working days, and the notice they come from",
    description="A year published by a city admin, else the official year shipped with the registry, else an "
    "estimate in which only weekends are off (`official: false`, `basis: estimate`, no `source`).",
    responses=problem_responses(401, 422),
)
async def get_calendar_year(year: Year, principal: Anyone, session: Session) -> CalendarYearRead:
    return await service.get_year(session, year)


@router.put(
    "/{year}",
    response_model=CalendarYearRead,
    operation_id="publishCalendarYear",
    summary="Publish a year's State Council holiday notice (city admins; audited)",
    description="Replaces what is in effect for the year: an estimate, the shipped data (to correct it) or an "
    "earlier publication. Every date must lie in the year and be listed once; make-up working days must be "
    "weekend days and not holidays. Deadlines counted on the year follow at once. A PUT equal to what is in "
    "effect changes nothing.",
    responses=problem_responses(400, 401, 403, 409, 422),
)
async def publish_calendar_year(
    year: Year, data: CalendarYearPublish, principal: CityAdmin, session: Session
) -> CalendarYearRead:
    return await service.publish(session, principal, year, data)
