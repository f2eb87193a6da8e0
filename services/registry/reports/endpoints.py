"""``/v1/reports``: the weekly dispatch report and the monthly bulletin, as JSON or CSV; the bulletin also as a
printable document (HTML or PDF)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.common.days import Month, Week, parse_month, parse_week
from services.common.deps import Session
from services.common.media import (
    CSV,
    HTML,
    JSON,
    PDF,
    XLSX,
    AcceptHeader,
    preferred,
    report_json,
    table_answer,
    table_response,
    wants_table,
)
from services.common.problems import problem_responses
from services.registry.bulletin import render
from services.registry.bulletin import service as bulletin
from services.registry.reports import service
from services.registry.reports.schemas import (
    ApprovalsRow,
    CoordinationRow,
    LaggingProject,
    MonthlyDistrictRow,
    MonthlyReportRead,
    MonthlySection,
    StalledProject,
    SupervisionRow,
    WeeklyDistrictRow,
    WeeklyReportRead,
)
from services.registry.scope import Reader, district_scope

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _responses(csv_description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer (FastAPI adds the JSON schema from ``response_model``) and the errors."""
    return {200: table_answer(csv_description), **problem_responses(401, 403, 422)}


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
    answer = wants_table(accept)
    if answer != JSON:
        return table_response(
            service.to_table(WeeklyDistrictRow, report.districts, report.total), answer, f"weekly-{week}"
        )
    return report_json(report)


@router.get(
    "/monthly",
    operation_id="getMonthlyReport",
    response_model=MonthlyReportRead,
    summary="The monthly bulletin (月通报): figures and tier counts by district, stalled and lagging projects, "
    "approvals by district and item, quality and safety supervision by district, coordination items by district "
    "and department",
    description="A district officer sees only its district. Progress reports count in the month their week "
    "begins. JSON carries every table; CSV carries the one `section` names, in UTF-8 with a byte-order mark. "
    "With `Accept: text/html` the bulletin as a printable document (A4, inline charts, nothing fetched), with "
    "`Accept: application/pdf` the same as PDF with its CJK fonts embedded (503 `fonts-missing` on a machine "
    "without them): the month against the last, tiers by district, the year's trend, credit by bank from "
    "financing (the section says so when financing cannot answer), the district ranking and the named lists.",
    responses={
        200: {
            **table_answer("the table `section` names"),
            "description": "The report as JSON; with `Accept: text/csv`, CSV instead (the table `section` names), "
            "in UTF-8 with a byte-order mark and a `Content-Disposition` file name; with the xlsx media type the same "
            "table as a workbook (Chinese headers, numbers as numbers, the header row frozen); with "
            "`Accept: text/html` or `application/pdf`, the bulletin as a document.",
            "x-alternative-media-types": [CSV, XLSX, HTML, PDF],
        },
        **problem_responses(401, 403, 422, 503),
    },
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
    answer = preferred(accept, [JSON, CSV, XLSX, HTML, PDF])
    settings = request.app.state.settings
    if answer == PDF:
        await render.require_fonts(settings.bulletin_fonts)
    period = service.month_period(settings, month, start, end, district_scope(principal))
    report = await service.monthly(session, settings, month, period)
    if answer == JSON:
        return report_json(report)
    if answer in (HTML, PDF):
        document = await bulletin.assemble(session, settings, request.app.state.financing_client, report, period)
        return await _document(document, settings.bulletin_list_limit, answer)
    filename = f"monthly-{month}-{section.value}"
    if section is MonthlySection.stalled:
        table = service.to_table(StalledProject, report.stalled_projects)
    elif section is MonthlySection.lagging:
        table = service.to_table(LaggingProject, report.lagging_projects)
    elif section is MonthlySection.approvals:
        table = service.to_table(ApprovalsRow, report.approvals)
    elif section is MonthlySection.supervision:
        table = service.to_table(SupervisionRow, report.supervision)
    elif section is MonthlySection.coordination:
        table = service.to_table(CoordinationRow, report.coordination)
    else:
        table = service.to_table(MonthlyDistrictRow, report.districts, report.total)
    return table_response(table, answer, filename)


async def _document(document: bulletin.Bulletin, list_limit: int, media_type: str) -> Response:
    """The bulletin as an HTML page, or that page as PDF (laid out off the event loop)."""
    page = render.html(document, list_limit)
    if media_type == HTML:
        return Response(page, media_type=f"{HTML}; charset=utf-8", headers={"Vary": "Accept"})
    body = await asyncio.to_thread(render.pdf, page)
    name = f"bulletin-{document.report.month}" + (f"-{document.district}" if document.district else "")
    return Response(
        body, media_type=PDF, headers={"Vary": "Accept", "Content-Disposition": f'inline; filename="{name}.pdf"'}
    )
