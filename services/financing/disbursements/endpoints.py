"""Disbursements (放款) on credit lines and their reversals; both honour ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import problem_responses
from services.financing import idempotency
from services.financing.credit_lines import service as credit_lines
from services.financing.disbursements import repository, service
from services.financing.disbursements.schemas import DisbursementCreate, DisbursementRead, ReversalCreate
from services.financing.scope import BankActor, Reader

router = APIRouter(tags=["disbursements"])

LineId = Annotated[str, Path(min_length=36, max_length=36, description="The credit line's id (a UUID).")]
DisbursementId = Annotated[str, Path(min_length=36, max_length=36, description="The disbursement's id (a UUID).")]


@router.post(
    "/v1/credit-lines/{line_id}/disbursements",
    operation_id="createDisbursement",
    status_code=201,
    response_model=DisbursementRead,
    summary="Record a disbursement on a credit line",
    description="Never takes the line past its approved amount, also under concurrent requests: the excess "
    "answers 409 and changes nothing." + idempotency.DESCRIPTION,
    responses={
        201: {"description": "Recorded (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409),
    },
)
async def disburse(
    line_id: LineId,
    data: DisbursementCreate,
    request: Request,
    principal: BankActor,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    async def record() -> idempotency.StoredAnswer:
        disbursement = await service.disburse(session, request.app.state.outbox, principal, line_id, data)
        body = service.read(disbursement).model_dump_json()
        return idempotency.StoredAnswer(201, body, f"/v1/disbursements/{disbursement.id}")

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=data,
        produce=record,
    )


@router.get(
    "/v1/credit-lines/{line_id}/disbursements",
    operation_id="listDisbursements",
    description="Reversed disbursements stay listed, with their reversal.",
    response_model=Page[DisbursementRead],
    summary="List a credit line's disbursements, newest first",
    responses=problem_responses(400, 404),
)
async def list_disbursements(
    line_id: LineId, principal: Reader, session: Session, paging: Paging
) -> Page[DisbursementRead]:
    line = await credit_lines.load_visible(session, principal, line_id)
    rows = await repository.page_of_line(session, paging, line.id)
    items, next_cursor = cut(rows, paging, lambda d: (d.created_at, d.id))
    return Page[DisbursementRead](items=[service.read(d) for d in items], next_cursor=next_cursor)


@router.get(
    "/v1/disbursements/{disbursement_id}",
    operation_id="getDisbursement",
    description="A bank sees the disbursements on its own lines only.",
    response_model=DisbursementRead,
    summary="Read one disbursement",
    responses=problem_responses(404),
)
async def get_disbursement(disbursement_id: DisbursementId, principal: Reader, session: Session) -> DisbursementRead:
    return service.read(await service.load_visible(session, principal, disbursement_id))


@router.post(
    "/v1/disbursements/{disbursement_id}/reversal",
    operation_id="reverseDisbursement",
    response_model=DisbursementRead,
    summary="Reverse a disbursement, with the reason; its amount becomes available again",
    description="A disbursement is reversed once; again answers 409." + idempotency.DESCRIPTION,
    responses={
        200: {"description": "Reversed (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409),
    },
)
async def reverse(
    disbursement_id: DisbursementId,
    data: ReversalCreate,
    request: Request,
    principal: BankActor,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    async def record() -> idempotency.StoredAnswer:
        disbursement = await service.reverse(session, request.app.state.outbox, principal, disbursement_id, data)
        return idempotency.StoredAnswer(200, service.read(disbursement).model_dump_json())

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=data,
        produce=record,
    )
