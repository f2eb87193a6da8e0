"""``GET /v1/reports/financing``: the monthly financing figures, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from services.common.deps import Session
from services.common.problems import problem_responses
from services.financing.days import MONTH_PATTERN, month_bounds
from services.financing.reports import service
from services.financing.reports.schemas import FinancingReportRead
from services.financing.scope import Reader, bank_scope, district_scope
from services.financing.strict import known_query_only

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(known_query_only)])

CSV = "text/csv"
JSON = "application/json"


def _quality(accept: str, media_type: str) -> float:
    """The q the Accept header gives ``media_type``, from its most specific matching range."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(pieces[0].lower())
        if specificity is None or specificity < best[0]:
            continue
        q = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = (specificity, q)
    return best[1]


def wants_csv(accept: str | None) -> bool:
    """CSV when the Accept header prefers it to JSON; JSON otherwise, also when it names neither."""
    return bool(accept) and _quality(accept or "", CSV) > _quality(accept or "", JSON)


@router.get(
    "/financing",
    response_model=FinancingReportRead,
    summary="The monthly financing report by district, bank and kind of credit",
    description="Projects pushed, approved and declined, credit approved and amounts disbursed (net of "
    "reversals: a reversed disbursement leaves the month it was dated in). Days are the city's "
    "(`FINANCING_REPORT_UTC_OFFSET_HOURS`). A district officer sees its district, a bank its own figures. "
    "With `Accept: text/csv`: one line per district, bank and kind (`all` first), the total last.",
    responses={
        200: {
            "description": "The report as JSON, or with `Accept: text/csv` as CSV.",
            "content": {CSV: {"schema": {"type": "string"}}},
        },
        **problem_responses(422),
    },
)
async def financing_report(
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="A month, e.g. `2025-06`; not a future one.")],
    request: Request,
    principal: Reader,
    session: Session,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    start, end = month_bounds(month, "#/query/month")
    offset = request.app.state.settings.report_utc_offset_hours
    period = service.make_period(start, end, offset, district_scope(principal), bank_scope(principal))
    report = await service.monthly(session, month, period)
    if wants_csv(accept):
        return Response(
            service.to_csv(report),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="financing-{month}.csv"', "Vary": "Accept"},
        )
    return Response(report.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})
