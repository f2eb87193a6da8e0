"""``POST /v1/fund-programs/{program_id}/allocation-plans``: an accepted plan becomes allocations, in one call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from services.common.deps import CityAdmin, Session
from services.common.paths import ProgramId
from services.common.problems import problem_responses
from services.financing import idempotency, projects
from services.financing.funds.plans import service
from services.financing.funds.plans.schemas import AllocationPlanCreate, AllocationPlanRead

router = APIRouter(tags=["policy funds"])

RequiredKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Required: a unique key (a UUID, say) per plan; retrying with it never allocates twice.",
    ),
]


@router.post(
    "/v1/fund-programs/{program_id}/allocation-plans",
    operation_id="createFundAllocationPlan",
    status_code=201,
    response_model=AllocationPlanRead,
    summary="Turn an accepted allocation plan into allocations of the program, all or none (city admins)",
    description="Each line (a `project_id` and an `amount`, as `POST /v1/allocation-advice` of the risk service "
    "advises them) becomes an allocation exactly as if made by hand: checked, announced as `fund.allocated` and "
    "audited. The projects are read from the registry in one bulk call. When any line is refused (a project "
    "unknown, terminated or closed, or the plan's total beyond what the program has left) nothing is "
    "allocated. `Idempotency-Key` is required: a retry answers the first answer again and allocates nothing "
    "more." + idempotency.DESCRIPTION,
    responses={
        201: {"description": "Allocated (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409, 502, 503),
    },
)
async def create_allocation_plan(
    program_id: ProgramId,
    data: AllocationPlanCreate,
    request: Request,
    principal: CityAdmin,
    session: Session,
    idempotency_key: RequiredKey,
) -> Response:
    # Asked before the first statement, so no transaction (on SQLite, no write lock) waits on the registry.
    found = await projects.fetch_many(request.app.state.registry_client, [line.project_id for line in data.plan])

    async def apply() -> idempotency.StoredAnswer:
        answer = await service.apply(session, request.app.state.outbox, principal, program_id, data, found)
        return idempotency.StoredAnswer(201, answer.model_dump_json(), f"/v1/fund-programs/{program_id}/allocations")

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=data,
        produce=apply,
    )
