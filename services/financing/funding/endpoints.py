"""``POST /v1/funding-positions/query``: undrawn credit and disbursed totals for many projects at once."""

from __future__ import annotations

from fastapi import APIRouter

from services.common import clock
from services.common.apidoc import PEER_ONLY, PEER_TAG
from services.common.deps import Session
from services.common.problems import problem_responses
from services.financing.funding import repository
from services.financing.funding.schemas import FundingPositionQuery, FundingPositionRead, FundingPositions
from services.financing.scope import PositionReader

router = APIRouter(prefix="/v1/funding-positions", tags=[PEER_TAG])


@router.post(
    "/query",
    operation_id="queryFundingPositions",
    response_model=FundingPositions,
    summary="Funding positions of many projects (for the risk service)",
    description='`{"project_ids": [...]}` (up to 10,000) or `{"all": true}`. Projects without credit lines '
    "are left out. A line past its maturity date has nothing undrawn.",
    responses=problem_responses(413),
    openapi_extra=PEER_ONLY,
)
async def query_positions(data: FundingPositionQuery, principal: PositionReader, session: Session) -> FundingPositions:
    ids = None if data.all else sorted(set(data.project_ids or []))
    rows = await repository.positions(session, ids, clock.today())
    return FundingPositions(
        items=[
            FundingPositionRead(
                project_id=row.project_id,
                approved_amount=row.approved_amount,
                disbursed_amount=row.disbursed_amount,
                undrawn_amount=row.undrawn_amount,
                credit_lines=row.credit_lines,
            )
            for row in rows
        ]
    )
