"""Payment rules: only for the program's uses, only for new debts, never past the allocation; a reversal gives the
amount back.

Every change to an allocation's ``paid_amount`` happens with the allocation's row locked (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite transactions begin IMMEDIATE and so run one at a time), so concurrent payments
are checked one after the other against what the previous ones left. A CHECK constraint on the table is the
last guard. A payment refused by a rule of the funds changes nothing, but the attempt is kept
(``keep_refusal``) for the report.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.context import current_request_id
from services.common.events import EventType
from services.common.money import format_money
from services.common.outbox import Outbox
from services.common.problems import ProblemError, ProblemFieldError, conflict, not_found, unprocessable
from services.financing.audit import service as audit
from services.financing.audit.schemas import AuditAction, AuditEntity
from services.financing.events.catalog import FundPaymentRecorded, FundPaymentReversed, payload
from services.financing.funds.allocations import service as allocations
from services.financing.funds.payments import repository, rules
from services.financing.funds.payments.schemas import (
    Evidence,
    Payee,
    PaymentCreate,
    PaymentRead,
    PaymentReversalCreate,
    PaymentStatus,
)
from services.financing.funds.programs import repository as programs_repository
from services.financing.funds.programs.schemas import FundUse
from services.financing.funds.scope import sees_project_funds
from services.financing.models import FundAllocation, FundPayment, FundPaymentRefusal, FundProgram

_POINTERS = {
    rules.Rule.use_not_eligible: "#/body/use",
    rules.Rule.liability_before_cutover: "#/body/liability_incurred_on",
}


class PaymentRefused(ProblemError):
    """A payment refused by a rule of the funds: 422 naming the rule, or 409 past the allocation. ``refusal``
    is the record of the attempt, not yet added to any session."""

    def __init__(self, breach: rules.Breach, refusal: FundPaymentRefusal) -> None:
        slug = breach.rule.value.replace("_", "-")
        pointer = _POINTERS.get(breach.rule)
        if pointer is None:
            super().__init__(409, breach.detail, slug=slug, title="Over-payment")
        else:
            super().__init__(
                422,
                breach.detail,
                slug=slug,
                title="Refused by a rule of the policy funds",
                errors=[ProblemFieldError(pointer=pointer, detail=breach.detail)],
            )
        self.rule = breach.rule
        self.refusal = refusal


def read(payment: FundPayment) -> PaymentRead:
    return PaymentRead(
        id=payment.id,
        allocation_id=payment.allocation_id,
        program_id=payment.program_id,
        project_id=payment.project_id,
        district=payment.district,
        amount=payment.amount,
        paid_on=payment.paid_on,
        use=FundUse(payment.use),
        payee=Payee.model_construct(name=payment.payee_name, credit_code=payment.payee_credit_code),
        liability_incurred_on=payment.liability_incurred_on,
        evidence=[Evidence.model_validate(item) for item in payment.evidence],
        description=payment.description,
        status=PaymentStatus(payment.status),
        reversal_reason=payment.reversal_reason,
        reversed_at=payment.reversed_at,
        created_at=payment.created_at,
    )


async def load_visible(session: AsyncSession, principal: Principal, payment_id: str) -> FundPayment:
    """The payment, or ProblemError(404) when it does not exist or lies outside the caller's scope."""
    payment = await repository.get(session, payment_id)
    program = await programs_repository.get(session, payment.program_id) if payment is not None else None
    if (
        payment is None
        or program is None
        or not sees_project_funds(principal, district=payment.district, paying_bank=program.paying_bank)
    ):
        raise not_found("payment")
    return payment


def _check_days(allocation: FundAllocation, data: PaymentCreate) -> None:
    if data.paid_on > clock.today():
        raise unprocessable("A payment cannot be dated in the future.", "#/body/paid_on")
    if data.paid_on < allocation.allocated_on:
        raise unprocessable(
            f"The allocation was made on {allocation.allocated_on}; nothing can be paid out of it before.",
            "#/body/paid_on",
        )
    if data.liability_incurred_on > data.paid_on:
        raise unprocessable(
            "A payment settles a liability that exists: it cannot have arisen after the payment.",
            "#/body/liability_incurred_on",
        )


async def record(
    session: AsyncSession, outbox: Outbox, principal: Principal, allocation_id: str, data: PaymentCreate
) -> FundPayment:
    """Pay ``data.amount`` out of the allocation, announce it (``fund.payment_recorded``) and audit it.

    Raises ProblemError 404 (no such allocation in the caller's scope), 422 (a day in the future or before the
    allocation, a liability after the payment); PaymentRefused 422 (a use the program does not pay for, a
    liability before its cutover) or 409 (more than the allocation has unspent). Nothing changes on any of them.
    """
    allocation, program = await allocations.load_visible(session, principal, allocation_id, for_update=True)
    _check_days(allocation, data)
    breach = rules.breach(
        use=data.use,
        liability_incurred_on=data.liability_incurred_on,
        amount=data.amount,
        eligible_uses=program.eligible_uses,
        cutover_date=program.cutover_date,
        unspent=allocation.amount - allocation.paid_amount,
    )
    if breach is not None:
        raise PaymentRefused(breach, _refusal(allocation, data, breach.rule.value, principal))
    now = clock.now()
    payment = FundPayment(
        allocation_id=allocation.id,
        program_id=allocation.program_id,
        project_id=allocation.project_id,
        district=allocation.district,
        amount=data.amount,
        paid_on=data.paid_on,
        use=data.use.value,
        payee_name=data.payee.name,
        payee_credit_code=data.payee.credit_code,
        liability_incurred_on=data.liability_incurred_on,
        evidence=[item.model_dump(mode="json") for item in data.evidence],
        description=data.description,
        status=PaymentStatus.recorded.value,
        created_by=principal.sub,
        created_at=now,
    )
    allocation.paid_amount = allocation.paid_amount + data.amount
    allocation.updated_at = now
    session.add(payment)
    await session.flush()
    event = _recorded(payment, allocation, program, data)
    await outbox.emit(session, EventType.fund_payment_recorded, payload(event), project_id=allocation.project_id)
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_payment,
        entity_id=payment.id,
        action=AuditAction.created,
        project_id=payment.project_id,
        after=read(payment).model_dump(mode="json"),
    )
    return payment


def _refusal(allocation: FundAllocation, data: PaymentCreate, rule: str, principal: Principal) -> FundPaymentRefusal:
    """The record kept of a payment the rules refused."""
    return FundPaymentRefusal(
        allocation_id=allocation.id,
        program_id=allocation.program_id,
        project_id=allocation.project_id,
        district=allocation.district,
        rule=rule,
        amount=data.amount,
        use=data.use.value,
        liability_incurred_on=data.liability_incurred_on,
        attempted_by=principal.sub,
        attempted_at=clock.now(),
        request_id=current_request_id(),
    )


def _recorded(
    payment: FundPayment, allocation: FundAllocation, program: FundProgram, data: PaymentCreate
) -> FundPaymentRecorded:
    return FundPaymentRecorded(
        payment_id=payment.id,
        allocation_id=allocation.id,
        program_id=program.id,
        paying_bank=program.paying_bank,
        amount=data.amount,
        paid_on=data.paid_on,
        use=data.use,
        payee_name=data.payee.name,
        payee_credit_code=data.payee.credit_code,
        liability_incurred_on=data.liability_incurred_on,
        allocation_paid_amount=allocation.paid_amount,
        allocation_unspent_amount=allocation.amount - allocation.paid_amount,
    )


async def keep_refusal(session: AsyncSession, principal: Principal, refused: PaymentRefused) -> None:
    """Keep the record of a refused payment, and audit it, although the request fails.

    The request's transaction is rolled back first, so nothing of the attempt survives but its record (and no
    ``Idempotency-Key`` is kept: a retry is a new attempt); the record is committed at once, because the unit
    of work rolls back when the refusal reaches it.
    """
    await session.rollback()
    refusal = refused.refusal
    session.add(refusal)
    await session.flush()
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_payment_refusal,
        entity_id=refusal.id,
        action=AuditAction.refused,
        project_id=refusal.project_id,
        after={
            "allocation_id": refusal.allocation_id,
            "rule": refusal.rule,
            "amount": format_money(refusal.amount),
            "use": refusal.use,
            "liability_incurred_on": refusal.liability_incurred_on.isoformat(),
            "detail": refused.detail,
        },
    )
    await session.commit()


async def reverse(
    session: AsyncSession, outbox: Outbox, principal: Principal, payment_id: str, data: PaymentReversalCreate
) -> FundPayment:
    """Reverse a payment, giving its amount back to the allocation; announce it (``fund.payment_reversed``) and
    audit it.

    Raises ProblemError 404 (no such payment in the caller's scope), 409 (reversed already).
    """
    found = await load_visible(session, principal, payment_id)
    # The allocation first, as every payment does, so the two kinds of change never wait on each other in turn.
    allocation, program = await allocations.load_visible(session, principal, found.allocation_id, for_update=True)
    payment = await repository.get(session, payment_id, for_update=True)
    if payment is None:
        raise not_found("payment")
    if payment.status == PaymentStatus.reversed:
        raise conflict("The payment was reversed already.", slug="already-reversed")
    before = read(payment).model_dump(mode="json")
    now = clock.now()
    payment.status = PaymentStatus.reversed.value
    payment.reversal_reason = data.reason
    payment.reversed_at = now
    payment.reversed_by = principal.sub
    allocation.paid_amount = allocation.paid_amount - payment.amount
    allocation.updated_at = now
    await session.flush()
    event = FundPaymentReversed(
        payment_id=payment.id,
        allocation_id=allocation.id,
        program_id=program.id,
        paying_bank=program.paying_bank,
        amount=payment.amount,
        reason=data.reason,
        reversed_at=now,
        allocation_paid_amount=allocation.paid_amount,
        allocation_unspent_amount=allocation.amount - allocation.paid_amount,
    )
    await outbox.emit(session, EventType.fund_payment_reversed, payload(event), project_id=allocation.project_id)
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_payment,
        entity_id=payment.id,
        action=AuditAction.reversed,
        project_id=payment.project_id,
        before=before,
        after=read(payment).model_dump(mode="json"),
    )
    return payment
