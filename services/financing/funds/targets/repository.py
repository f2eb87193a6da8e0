"""All SQL about yearly targets and the actual figures they are held against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import MoneyColumn
from services.financing.funds.payments.schemas import PaymentStatus
from services.financing.models import FundAllocation, FundPayment, FundProgram, FundTarget

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Actual:
    programs: int
    granted: Decimal
    allocated: Decimal
    paid: Decimal
    projects: int


async def get(session: AsyncSession, year: int) -> FundTarget | None:
    return await session.get(FundTarget, year, populate_existing=True)


def _money_sum(column: Any) -> Any:
    # Sums of money columns are money: on SQLite they come back as scaled integers and need the column type.
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), MoneyColumn())


async def actual(session: AsyncSession, year: int, as_of: date) -> Actual:
    """The programs granted for ``year`` by ``as_of``, what they allocated and paid by then, to how many projects."""
    programs = sa.select(FundProgram.id).where(FundProgram.year == year, FundProgram.granted_on <= as_of)
    granted = (
        await session.execute(
            sa.select(sa.func.count(), _money_sum(FundProgram.granted_amount)).where(
                FundProgram.year == year, FundProgram.granted_on <= as_of
            )
        )
    ).one()
    allocated = (
        await session.execute(
            sa.select(sa.func.count(sa.distinct(FundAllocation.project_id)), _money_sum(FundAllocation.amount)).where(
                FundAllocation.program_id.in_(programs), FundAllocation.allocated_on <= as_of
            )
        )
    ).one()
    paid = await session.scalar(
        sa.select(_money_sum(FundPayment.amount)).where(
            FundPayment.program_id.in_(programs),
            FundPayment.paid_on <= as_of,
            FundPayment.status == PaymentStatus.recorded,
        )
    )
    return Actual(
        programs=int(granted[0]),
        granted=granted[1],
        allocated=allocated[1],
        paid=paid if paid is not None else ZERO,
        projects=int(allocated[0]),
    )
