"""``GET /v1/reports/financing``: the monthly financing figures, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.days import Month, parse_month
from services.common.deps import Session
from services.common.media import CSV, JSON, AcceptHeader, csv_answer, wants_csv
from services.common.problems import problem_responses
from services.financing.reports import service
from services.financing.reports.schemas import FinancingReportRead
from services.financing.scope import Reader, bank_scope, district_scope

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/financing",
    operation_id="getFinancingReport",
    response_model=FinancingReportRead,
    summary="The monthly financing report by district, bank and kind of credit",
    description="Projects pushed, approved and declined, credit approved and amounts disbursed (net of "
    "reversals: a reversed disbursement leaves the month it was dated in). Days are the city's "
    "(`HANDOVER_CITY_UTC_OFFSET_HOURS`). A district officer sees its district, a bank its own figures. "
    "With `Accept: text/csv`: one line per district, bank and kind (`all` first), the total last.",
    responses={200: csv_answer("one line per district, bank and kind, the total last"), **problem_responses(422)},
)
async def financing_report(
    month: Annotated[Month, Query(description="A month, e.g. `2025-06`; not a future one.")],
    principal: Reader,
    session: Session,
    accept: AcceptHeader = None,
) -> Response:
    start, end = parse_month(month, "#/query/month")
    period = service.make_period(start, end, district_scope(principal), bank_scope(principal))
    report = await service.monthly(session, month, period)
    if wants_csv(accept):
        return Response(
            service.to_csv(report),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="financing-{month}.csv"', "Vary": "Accept"},
        )
    return Response(report.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})
