"""``/v1/credit-lines``: the banks' credit (授信) to projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import problem_responses
from services.financing.banks.schemas import BANK_CODE_PATTERN
from services.financing.credit_lines import repository, service
from services.financing.credit_lines.schemas import CreditLineCreate, CreditLineKind, CreditLineRead
from services.financing.scope import BankActor, Reader, bank_scope, district_scope

router = APIRouter(prefix="/v1/credit-lines", tags=["credit lines"])

LineId = Annotated[str, Path(min_length=36, max_length=36, description="The credit line's id (a UUID).")]


@router.post(
    "",
    operation_id="createCreditLine",
    status_code=201,
    response_model=CreditLineRead,
    summary="Open a credit line outside a whitelist decision",
    description="A bank opens its own lines, only on a project whose whitelist entry is pushed to it: any other id, "
    "known or not, answers the same 422 `unknown-project`. A city admin names the `bank` and may name any "
    "project the registry knows.",
    responses=problem_responses(409, 502, 503),
)
async def create_line(
    data: CreditLineCreate, request: Request, response: Response, principal: BankActor, session: Session
) -> CreditLineRead:
    line = await service.create(session, request.app.state.outbox, request.app.state.registry_client, principal, data)
    response.headers["Location"] = f"/v1/credit-lines/{line.id}"
    return service.read(line)


@router.get(
    "",
    operation_id="listCreditLines",
    response_model=Page[CreditLineRead],
    summary="List credit lines, newest first",
    description="A bank sees its own lines, a district officer its district's.",
    responses=problem_responses(400),
)
async def list_lines(
    principal: Reader,
    session: Session,
    paging: Paging,
    project_id: Annotated[str | None, Query(min_length=36, max_length=36)] = None,
    bank: Annotated[str | None, Query(min_length=2, max_length=32, pattern=BANK_CODE_PATTERN)] = None,
    kind: CreditLineKind | None = None,
) -> Page[CreditLineRead]:
    own_bank = bank_scope(principal)
    if own_bank is not None and bank not in (None, own_bank):
        return Page[CreditLineRead](items=[], next_cursor=None)
    rows = await repository.page(
        session, paging, district=district_scope(principal), bank=own_bank or bank, project_id=project_id, kind=kind
    )
    items, next_cursor = cut(rows, paging, lambda line: (line.created_at, line.id))
    return Page[CreditLineRead](items=[service.read(line) for line in items], next_cursor=next_cursor)


@router.get(
    "/{line_id}",
    operation_id="getCreditLine",
    description="A bank sees its own lines only.",
    response_model=CreditLineRead,
    summary="Read one credit line, with its disbursed and available amounts",
    responses=problem_responses(404),
)
async def get_line(line_id: LineId, principal: Reader, session: Session) -> CreditLineRead:
    return service.read(await service.load_visible(session, principal, line_id))
