"""``POST /v1/risk-facts/query``: the facts the risk service scores on, for many projects in one call."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from services.common import gc_pause
from services.common.apidoc import PEER_ONLY, PEER_TAG
from services.common.deps import Session
from services.common.problems import problem_responses
from services.registry.riskfacts import service
from services.registry.riskfacts.schemas import RiskFactsQuery, RiskFactsRead
from services.registry.scope import Reader, district_scope

router = APIRouter(prefix="/v1/risk-facts", tags=[PEER_TAG])

# Ids past which a query keeps the collector paused (a whole-ledger reassessment asks for all, or in chunks).
LARGE_QUERY = 1_000


@router.post(
    "/query",
    operation_id="queryRiskFacts",
    response_model=RiskFactsRead,
    summary="Facts for scoring: stall days, progress lag, disputes, overdue days, remaining cost, own funds",
    description="For `project_ids` (up to 10,000) or `all: true`; a district officer gets only its district's "
    "projects. Ids that are unknown or out of scope are left out of `items`. Items come in order of code.",
    responses=problem_responses(401, 403, 422),
    openapi_extra=PEER_ONLY,
)
async def query_risk_facts(data: RiskFactsQuery, principal: Reader, session: Session) -> Response:
    # Tens of thousands of items alive at once: the cyclic collector took a third of the CPU (see gc_pause).
    with gc_pause.paused_if(data.all or len(data.project_ids or ()) > LARGE_QUERY):
        facts = await service.query(session, data, district_scope(principal))
        # Serialized straight from plain data: for 50,000 projects, building models first would cost more than the SQL.
        return Response(orjson.dumps(facts), media_type="application/json")
