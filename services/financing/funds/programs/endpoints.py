"""``/v1/fund-programs``: the policy funds granted to the city."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, cut
from services.common.paths import ProgramId
from services.common.problems import problem_responses
from services.financing.funds.programs import repository, service
from services.financing.funds.programs.schemas import FIRST_YEAR, LAST_YEAR, FundSource, ProgramCreate, ProgramRead
from services.financing.scope import Reader, bank_scope

router = APIRouter(prefix="/v1/fund-programs", tags=["policy funds"])


@router.post(
    "",
    operation_id="createFundProgram",
    status_code=201,
    response_model=ProgramRead,
    summary="Record a policy fund granted to the city (city admins)",
    description="A program (保交楼专项借款, 省级纾困资金, or other) grants the city an amount for a year, with the "
    "cutover date before which no liability may be paid (新老划断) and the uses it may pay for (专款专用). A "
    "`paying_bank`, when named, must be registered and then sees the program's payments. Audited.",
    responses=problem_responses(409),
)
async def create_program(
    data: ProgramCreate, response: Response, principal: CityAdmin, session: Session
) -> ProgramRead:
    program = await service.create(session, principal, data)
    response.headers["Location"] = f"/v1/fund-programs/{program.id}"
    return service.read(program)


@router.get(
    "",
    operation_id="listFundPrograms",
    response_model=Page[ProgramRead],
    summary="List fund programs, newest first",
    description="A bank sees only the programs naming it as their paying bank.",
    responses=problem_responses(400),
)
async def list_programs(
    principal: Reader,
    session: Session,
    paging: Paging,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    source: FundSource | None = None,
) -> Page[ProgramRead]:
    rows = await repository.page(session, paging, paying_bank=bank_scope(principal), year=year, source=source)
    items, next_cursor = cut(rows, paging, lambda program: (program.created_at, program.id))
    return Page[ProgramRead](items=await service.reads(session, items), next_cursor=next_cursor)


@router.get(
    "/{program_id}",
    operation_id="getFundProgram",
    response_model=ProgramRead,
    summary="Read one fund program, with what it has allocated and paid",
    description="A bank reads only a program naming it as the paying bank; any other answers 404.",
    responses=problem_responses(404),
)
async def get_program(program_id: ProgramId, principal: Reader, session: Session) -> ProgramRead:
    program = await service.load_visible(session, principal, program_id)
    return (await service.reads(session, [program]))[0]
