"""``/v1/reports``: the weekly dispatch report and the monthly bulletin, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.common.days import Month, Week, parse_month, parse_week, weeks_starting_in
from services.common.deps import Session
from services.common.media import AcceptHeader, csv_answer, csv_response, report_json, wants_csv
from services.common.problems import problem_responses
from services.registry.reports import service
from services.registry.reports.schemas import (
    ApprovalsRow,
    LaggingProject,
    MonthlyDistrictRow,
    MonthlyReportRead,
    MonthlySection,
    StalledProject,
    WeeklyDistrictRow,
    WeeklyReportRead,
)
from services.registry.scope import Reader, district_scope

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _responses(csv_description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer (FastAPI adds the JSON schema from ``response_model``) and the errors."""
    return {200: csv_answer(csv_description), **problem_responses(401, 403, 422)}


@router.get(
    "/weekly",
    operation_id="getWeeklyReport",
    response_model=WeeklyReportRead,
    summary="The weekly dispatch report (周调度), by district with a total",
    description="A district officer sees only its district. CSV: one row per district, then the total row "
    "(`district` = `total`), in UTF-8 with a byte-order mark.",
    responses=_responses("one row per district and a total row"),
)
async def weekly_report(
    week: Annotated[Week, Query(description="An ISO week, e.g. `2025-W25`; not a future one.")],
    request: Request,
    principal: Reader,
    session: Session,
    accept: AcceptHeader = None,
) -> Response:
    start, end = parse_week(week, "#/query/week")
    period = service.make_period(request.app.state.settings, start, end, [week], district_scope(principal))
    report = await service.weekly(session, request.app.state.settings, week, period)
    if wants_csv(accept):
        return csv_response(service.to_csv(WeeklyDistrictRow, report.districts, report.total), f"weekly-{week}.csv")
    return report_json(report)


@router.get(
    "/monthly",
    operation_id="getMonthlyReport",
    response_model=MonthlyReportRead,
    summary="The monthly bulletin (月通报): figures and tier counts by district, stalled and lagging projects, "
    "approvals by district and item",
    description="A district officer sees only its district. Progress reports count in the month their week "
    "begins. JSON carries every table; CSV carries the one `section` names, in UTF-8 with a byte-order mark.",
    responses=_responses("the table `section` names"),
)
async def monthly_report(
    month: Annotated[Month, Query(description="A month, e.g. `2025-06`; not a future one.")],
    request: Request,
    principal: Reader,
    session: Session,
    section: Annotated[
        MonthlySection, Query(description="The table a CSV download carries; JSON ignores it.")
    ] = MonthlySection.districts,
    accept: AcceptHeader = None,
) -> Response:
    start, end = parse_month(month, "#/query/month")
    period = service.make_period(
        request.app.state.settings, start, end, weeks_starting_in(start, end), district_scope(principal)
    )
    report = await service.monthly(session, request.app.state.settings, month, period)
    if not wants_csv(accept):
        return report_json(report)
    filename = f"monthly-{month}-{section.value}.csv"
    if section is MonthlySection.stalled:
        return csv_response(service.to_csv(StalledProject, report.stalled_projects), filename)
    if section is MonthlySection.lagging:
        return csv_response(service.to_csv(LaggingProject, report.lagging_projects), filename)
    if section is MonthlySection.approvals:
        return csv_response(service.to_csv(ApprovalsRow, report.approvals), filename)
    return csv_response(service.to_csv(MonthlyDistrictRow, report.districts, report.total), filename)
