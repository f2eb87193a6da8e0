"""Disbursement rules: a line is never drawn past its approved amount; a reversal gives the amount back.

Every change to a line's ``disbursed_amount`` happens with the line's row locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions begin IMMEDIATE and so run one at a time), so concurrent disbursements are
checked one after the other against the amount the previous ones left. A CHECK constraint on the table is the
last guard.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.events import EventType
from services.common.money import format_money
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.financing.credit_lines import service as credit_lines
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.disbursements import repository
from services.financing.disbursements.schemas import (
    DisbursementCreate,
    DisbursementRead,
    DisbursementStatus,
    ReversalCreate,
)
from services.financing.events.catalog import DisbursementRecorded, DisbursementReversed, payload
from services.financing.models import CreditLine, Disbursement
from services.financing.scope import can_see


def read(disbursement: Disbursement) -> DisbursementRead:
    return DisbursementRead(
        id=disbursement.id,
        credit_line_id=disbursement.credit_line_id,
        project_id=disbursement.project_id,
        bank=disbursement.bank,
        kind=CreditLineKind(disbursement.kind),
        amount=disbursement.amount,
        disbursed_on=disbursement.disbursed_on,
        purpose=disbursement.purpose,
        status=DisbursementStatus(disbursement.status),
        reversal_reason=disbursement.reversal_reason,
        reversed_at=disbursement.reversed_at,
        created_at=disbursement.created_at,
    )


async def load_visible(session: AsyncSession, principal: Principal, disbursement_id: str) -> Disbursement:
    """The disbursement, or ProblemError(404) when it does not exist or lies outside the caller's scope."""
    disbursement = await repository.get(session, disbursement_id)
    if disbursement is None or not can_see(principal, district=disbursement.district, bank=disbursement.bank):
        raise not_found("disbursement")
    return disbursement


def _check_day(line: CreditLine, day: date) -> None:
    pointer = "#/body/disbursed_on"
    if day > clock.today():
        raise unprocessable("A disbursement cannot be dated in the future.", pointer)
    if day < line.approved_on:
        raise unprocessable(f"The line was approved on {line.approved_on}; it cannot be drawn before.", pointer)
    if line.maturity_date is not None and day > line.maturity_date:
        raise unprocessable(f"The line matured on {line.maturity_date}; it cannot be drawn after.", pointer)


async def disburse(
    session: AsyncSession, outbox: Outbox, principal: Principal, line_id: str, data: DisbursementCreate
) -> Disbursement:
    """Draw ``data.amount`` on the line and announce it (``disbursement.recorded``).

    Raises ProblemError 404 (no such line in the caller's scope), 422 (a day outside the line's term or in the
    future), 409 (the amount exceeds what the line has available; nothing changes).
    """
    line = await credit_lines.load_visible(session, principal, line_id, for_update=True)
    _check_day(line, data.disbursed_on)
    available = line.approved_amount - line.disbursed_amount
    if data.amount > available:
        raise ProblemError(
            409,
            f"The line has {format_money(available)} available; {format_money(data.amount)} would take it past "
            f"its approved {format_money(line.approved_amount)}.",
            slug="over-disbursement",
            title="Over-disbursement",
        )
    now = clock.now()
    disbursement = Disbursement(
        credit_line_id=line.id,
        project_id=line.project_id,
        district=line.district,
        bank=line.bank,
        kind=line.kind,
        amount=data.amount,
        disbursed_on=data.disbursed_on,
        purpose=data.purpose,
        status=DisbursementStatus.recorded.value,
        created_by=principal.sub,
        created_at=now,
    )
    line.disbursed_amount = line.disbursed_amount + data.amount
    line.updated_at = now
    session.add(disbursement)
    await session.flush()
    event = DisbursementRecorded(
        disbursement_id=disbursement.id,
        credit_line_id=line.id,
        bank=line.bank,
        amount=data.amount,
        disbursed_on=data.disbursed_on,
        purpose=data.purpose,
        line_disbursed_amount=line.disbursed_amount,
        line_available_amount=line.approved_amount - line.disbursed_amount,
    )
    await outbox.emit(session, EventType.disbursement_recorded, payload(event), project_id=line.project_id)
    return disbursement


async def reverse(
    session: AsyncSession, outbox: Outbox, principal: Principal, disbursement_id: str, data: ReversalCreate
) -> Disbursement:
    """Reverse a disbursement, giving its amount back to the line, and announce it (``disbursement.reversed``).

    Raises ProblemError 404 (no such disbursement in the caller's scope), 409 (reversed already).
    """
    found = await load_visible(session, principal, disbursement_id)
    # The line first, as every disbursement does, so the two kinds of change never wait on each other in turn.
    line = await credit_lines.load_visible(session, principal, found.credit_line_id, for_update=True)
    disbursement = await repository.get(session, disbursement_id, for_update=True)
    if disbursement is None:
        raise not_found("disbursement")
    if disbursement.status == DisbursementStatus.reversed:
        raise conflict("The disbursement was reversed already.", slug="already-reversed")
    now = clock.now()
    disbursement.status = DisbursementStatus.reversed.value
    disbursement.reversal_reason = data.reason
    disbursement.reversed_at = now
    disbursement.reversed_by = principal.sub
    line.disbursed_amount = line.disbursed_amount - disbursement.amount
    line.updated_at = now
    await session.flush()
    event = DisbursementReversed(
        disbursement_id=disbursement.id,
        credit_line_id=line.id,
        bank=line.bank,
        amount=disbursement.amount,
        reason=data.reason,
        reversed_at=now,
        line_disbursed_amount=line.disbursed_amount,
        line_available_amount=line.approved_amount - line.disbursed_amount,
    )
    await outbox.emit(session, EventType.disbursement_reversed, payload(event), project_id=line.project_id)
    return disbursement
