"""``/v1/banks``: the banks of the coordination mechanism."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import not_found, problem_responses
from services.financing.banks import repository, service
from services.financing.banks.schemas import BANK_CODE_PATTERN, BankCreate, BankRead
from services.financing.scope import Reader, bank_scope

router = APIRouter(prefix="/v1/banks", tags=["banks"])


@router.post(
    "",
    operation_id="createBank",
    description="`code` is what the `bank` claim of the bank's tokens names.",
    status_code=201,
    response_model=BankRead,
    summary="Register a bank (city admins)",
    responses=problem_responses(409),
)
async def create_bank(data: BankCreate, response: Response, principal: CityAdmin, session: Session) -> BankRead:
    bank = await service.create(session, data)
    response.headers["Location"] = f"/v1/banks/{bank.code}"
    return BankRead.model_validate(bank)


@router.get(
    "",
    operation_id="listBanks",
    description="City staff see every bank; a bank sees itself.",
    response_model=Page[BankRead],
    summary="List banks (a bank sees only itself)",
    responses=problem_responses(400),
)
async def list_banks(principal: Reader, session: Session, paging: Paging) -> Page[BankRead]:
    rows = await repository.page(session, paging, only=bank_scope(principal))
    items, next_cursor = cut(rows, paging, lambda b: (b.created_at, b.id))
    return Page[BankRead](items=[BankRead.model_validate(b) for b in items], next_cursor=next_cursor)


@router.get(
    "/{code}",
    operation_id="getBank",
    description="Another bank's code answers 404 to a bank.",
    response_model=BankRead,
    summary="Read one bank by its code",
    responses=problem_responses(404),
)
async def get_bank(
    code: Annotated[str, Path(min_length=2, max_length=32, pattern=BANK_CODE_PATTERN)],
    principal: Reader,
    session: Session,
) -> BankRead:
    own = bank_scope(principal)
    bank = await repository.by_code(session, code)
    if bank is None or (own is not None and own != code):
        raise not_found("bank")
    return BankRead.model_validate(bank)
