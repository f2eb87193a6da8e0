"""Payments out of allocations and their reversals; both honour ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import problem_responses
from services.financing import idempotency
from services.financing.funds.allocations import service as allocations
from services.financing.funds.payments import repository, service
from services.financing.funds.payments.schemas import PaymentCreate, PaymentRead, PaymentReversalCreate
from services.financing.funds.scope import Payer
from services.financing.scope import Reader

router = APIRouter(tags=["policy funds"])

AllocationId = Annotated[str, Path(min_length=36, max_length=36, description="The allocation's id (a UUID).")]
PaymentId = Annotated[str, Path(min_length=36, max_length=36, description="The payment's id (a UUID).")]


@router.post(
    "/v1/allocations/{allocation_id}/payments",
    operation_id="recordFundPayment",
    status_code=201,
    response_model=PaymentRead,
    summary="Record a payment out of an allocation (city admins; district officers for their district)",
    description="Refused with 422 naming the rule (`type` `urn:handover:problem:use-not-eligible` or "
    "`...:liability-before-cutover`) when the use is not one of the program's `eligible_uses` (专款专用) or the "
    "liability arose before the program's `cutover_date` (新老划断); with 409 (`...:exceeds-allocation`) when "
    "it would take the allocation's payments past its amount, also under concurrent requests. A refused "
    "payment changes nothing, but the attempt is counted in the financing report and the audit log. Emits "
    "`fund.payment_recorded`; audited." + idempotency.DESCRIPTION,
    responses={
        201: {"description": "Recorded (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409),
    },
)
async def record_payment(
    allocation_id: AllocationId,
    data: PaymentCreate,
    request: Request,
    principal: Payer,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    async def pay() -> idempotency.StoredAnswer:
        payment = await service.record(session, request.app.state.outbox, principal, allocation_id, data)
        return idempotency.StoredAnswer(201, service.read(payment).model_dump_json(), f"/v1/payments/{payment.id}")

    try:
        return await idempotency.answer_once(
            session,
            request,
            principal=principal,
            key=idempotency_key,
            body=data,
            produce=pay,
        )
    except service.PaymentRefused as refused:
        await service.keep_refusal(session, principal, refused)
        raise


@router.get(
    "/v1/allocations/{allocation_id}/payments",
    operation_id="listFundPayments",
    response_model=Page[PaymentRead],
    summary="List an allocation's payments, newest first",
    description="Reversed payments are listed with their reason.",
    responses=problem_responses(400, 404),
)
async def list_payments(
    allocation_id: AllocationId, principal: Reader, session: Session, paging: Paging
) -> Page[PaymentRead]:
    allocation, _ = await allocations.load_visible(session, principal, allocation_id)
    rows = await repository.page_of_allocation(session, paging, allocation.id)
    items, next_cursor = cut(rows, paging, lambda payment: (payment.created_at, payment.id))
    return Page[PaymentRead](items=[service.read(p) for p in items], next_cursor=next_cursor)


@router.get(
    "/v1/payments/{payment_id}",
    operation_id="getFundPayment",
    response_model=PaymentRead,
    summary="Read one payment",
    description="With its payee, evidence and, when reversed, the reason. A district officer reads its district's "
    "payments, a bank those of the programs it pays out; any other answers 404.",
    responses=problem_responses(404),
)
async def get_payment(payment_id: PaymentId, principal: Reader, session: Session) -> PaymentRead:
    return service.read(await service.load_visible(session, principal, payment_id))


@router.post(
    "/v1/payments/{payment_id}/reversal",
    operation_id="reverseFundPayment",
    response_model=PaymentRead,
    summary="Reverse a payment, with the reason; its amount goes back to the allocation",
    description="A payment is reversed once; again answers 409. Emits `fund.payment_reversed`; audited."
    + idempotency.DESCRIPTION,
    responses={
        200: {"description": "Reversed (or replayed)", "headers": idempotency.REPLAYED_RESPONSE_HEADERS},
        **problem_responses(404, 409),
    },
)
async def reverse_payment(
    payment_id: PaymentId,
    data: PaymentReversalCreate,
    request: Request,
    principal: Payer,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    async def reverse() -> idempotency.StoredAnswer:
        payment = await service.reverse(session, request.app.state.outbox, principal, payment_id, data)
        return idempotency.StoredAnswer(200, service.read(payment).model_dump_json())

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=data,
        produce=reverse,
    )
