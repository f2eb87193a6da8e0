"""``POST /v1/funding-positions/query``: undrawn credit, disbursed totals and unspent policy funds for many
projects at once."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter

from services.common import clock
from services.common.apidoc import PEER_ONLY, PEER_TAG
from services.common.deps import Session
from services.common.problems import problem_responses
from services.financing.funding import repository
from services.financing.funding.schemas import FundingPositionQuery, FundingPositionRead, FundingPositions
from services.financing.funds.allocations import repository as allocations
from services.financing.scope import PositionReader

router = APIRouter(prefix="/v1/funding-positions", tags=[PEER_TAG])

ZERO = Decimal("0.00")


@router.post(
    "/query",
    operation_id="queryFundingPositions",
    response_model=FundingPositions,
    summary="Funding positions of many projects (for the risk service)",
    description='`{"project_ids": [...]}` (up to 10,000) or `{"all": true}`. Projects with neither credit lines '
    "nor policy-fund allocations are left out. A line past its maturity date has nothing undrawn; what is "
    "allocated to a project and not yet paid out counts as `unspent_allocations`.",
    responses=problem_responses(413),
    openapi_extra=PEER_ONLY,
)
async def query_positions(data: FundingPositionQuery, principal: PositionReader, session: Session) -> FundingPositions:
    ids = None if data.all else sorted(set(data.project_ids or []))
    credit = {row.project_id: row for row in await repository.positions(session, ids, clock.today())}
    unspent = await allocations.unspent_by_project(session, ids)
    items = []
    for project_id in sorted(credit.keys() | unspent.keys()):
        row = credit.get(project_id)
        items.append(
            FundingPositionRead(
                project_id=project_id,
                approved_amount=row.approved_amount if row else ZERO,
                disbursed_amount=row.disbursed_amount if row else ZERO,
                undrawn_amount=row.undrawn_amount if row else ZERO,
                credit_lines=row.credit_lines if row else 0,
                unspent_allocations=unspent.get(project_id, ZERO),
            )
        )
    return FundingPositions(items=items)
