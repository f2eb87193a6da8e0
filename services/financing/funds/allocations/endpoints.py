"""Allocations of a program to projects; the POST honours ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, cut
from services.common.paths import ProgramId
from services.common.problems import problem_responses
from services.financing import idempotency, projects
from services.financing.funds.allocations import repository, service
from services.financing.funds.allocations.schemas import AllocationCreate, AllocationRead
from services.financing.funds.programs import service as programs
from services.financing.scope import Reader, district_scope

router = APIRouter(tags=["policy funds"])

AllocationId = Annotated[str, Path(min_length=36, max_length=36, description="The allocation's id (a UUID).")]


@router.post(
    "/v1/fund-programs/{program_id}/allocations",
    operation_id="createFundAllocation",
    status_code=201,
    response_model=AllocationRead,
    summary="Allocate part of a program to a registry project (city admins)",
    description="The project must exist in the registry and be neither terminated nor closed (financing asks the "
    "registry, and answers 503 while it cannot). The program's allocations never add up to more than its grant, "
    "also under concurrent requests: the excess answers 409 and changes nothing. Emits `fund.allocated`; "
    "audited." + idempotency.DESCRIPTION,
    responses={
        201: {"description": "Allocated (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409, 502, 503),
    },
)
async def create_allocation(
    program_id: ProgramId,
    data: AllocationCreate,
    request: Request,
    principal: CityAdmin,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    # Asked before the first statement, so no transaction (on SQLite, no write lock) waits on the registry.
    project = await projects.fetch(request.app.state.registry_client, data.project_id, "#/body/project_id")

    async def allocate() -> idempotency.StoredAnswer:
        allocation = await service.allocate(session, request.app.state.outbox, principal, program_id, data, project)
        body = service.read(allocation).model_dump_json()
        return idempotency.StoredAnswer(201, body, f"/v1/allocations/{allocation.id}")

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=data,
        produce=allocate,
    )


@router.get(
    "/v1/fund-programs/{program_id}/allocations",
    operation_id="listFundAllocations",
    response_model=Page[AllocationRead],
    summary="List a program's allocations, newest first",
    description="A district officer sees its district's allocations; a bank, those of the programs it pays out.",
    responses=problem_responses(400, 404),
)
async def list_allocations(
    program_id: ProgramId,
    principal: Reader,
    session: Session,
    paging: Paging,
    project_id: Annotated[str | None, Query(min_length=36, max_length=36)] = None,
) -> Page[AllocationRead]:
    program = await programs.load_visible(session, principal, program_id)
    rows = await repository.page_of_program(
        session, paging, program.id, district=district_scope(principal), project_id=project_id
    )
    items, next_cursor = cut(rows, paging, lambda allocation: (allocation.created_at, allocation.id))
    return Page[AllocationRead](items=[service.read(a) for a in items], next_cursor=next_cursor)


@router.get(
    "/v1/allocations/{allocation_id}",
    operation_id="getFundAllocation",
    response_model=AllocationRead,
    summary="Read one allocation, with what it has paid and what is unspent",
    description="The unspent amount counts as the project's available funding. A district officer reads its "
    "district's allocations, a bank those of the programs it pays out; any other answers 404.",
    responses=problem_responses(404),
)
async def get_allocation(allocation_id: AllocationId, principal: Reader, session: Session) -> AllocationRead:
    allocation, _ = await service.load_visible(session, principal, allocation_id)
    return service.read(allocation)
