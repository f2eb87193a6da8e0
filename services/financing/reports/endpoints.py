"""``GET /v1/reports/financing``: the monthly financing figures, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.auth import Role
from services.common.days import Month, parse_month
from services.common.deps import Session
from services.common.media import JSON, AcceptHeader, table_answer, table_response, wants_table
from services.common.problems import problem_responses
from services.financing.funds.report import service as policy_funds
from services.financing.reports import service
from services.financing.reports.schemas import FinancingReportRead, ReportSection
from services.financing.scope import Reader, bank_scope, district_scope

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/financing",
    operation_id="getFinancingReport",
    response_model=FinancingReportRead,
    summary="The monthly financing report by district, bank and kind of credit, and the policy funds",
    description="Projects pushed, approved and declined, credit approved and amounts disbursed (net of "
    "reversals: a reversed disbursement leaves the month it was dated in). Then the policy funds as of the "
    "month's end, by program and district: granted, allocated, paid by use, the share of the allocation spent, "
    "the payments refused in the month by each rule, and the year's target against the actual. Days are the "
    "city's (`HANDOVER_CITY_UTC_OFFSET_HOURS`). A district officer sees its district, a bank its own figures "
    "and the programs it pays out (no target). JSON carries every table; with `Accept: text/csv` (or the xlsx "
    "media type) the one "
    "`section` names: `credit`, one line per district, bank and kind (`all` first), the total last; "
    "`policy_funds`, a line per program (district `all`) and per district, the total last; `fund_target`.",
    responses={
        200: table_answer("the table `section` names: credit by district, bank and kind; policy funds; the target"),
        **problem_responses(422),
    },
)
async def financing_report(
    month: Annotated[Month, Query(description="A month, e.g. `2025-06`; not a future one.")],
    principal: Reader,
    session: Session,
    section: Annotated[
        ReportSection, Query(description="The table a CSV download carries; JSON ignores it.")
    ] = ReportSection.credit,
    accept: AcceptHeader = None,
) -> Response:
    start, end = parse_month(month, "#/query/month")
    period = service.make_period(start, end, district_scope(principal), bank_scope(principal))
    report = await service.monthly(session, month, period, with_target=principal.role is not Role.bank)
    answer = wants_table(accept)
    if answer == JSON:
        return Response(report.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})
    if section is ReportSection.policy_funds:
        return table_response(policy_funds.to_table(report.policy_funds), answer, f"financing-{month}-policy-funds")
    if section is ReportSection.fund_target:
        target = policy_funds.target_table(report.policy_funds.target)
        return table_response(target, answer, f"financing-{month}-fund-target")
    return table_response(service.to_table(report), answer, f"financing-{month}")
