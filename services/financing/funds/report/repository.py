"""The policy-funds figures of a month, grouped by the database."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import MoneyColumn
from services.financing.funds.payments.schemas import PaymentStatus
from services.financing.models import FundAllocation, FundPayment, FundPaymentRefusal, FundProgram
from services.financing.reports.repository import Period


def _money(expression: Any) -> Any:
    # Sums of money columns are money: on SQLite they come back as scaled integers and need the column type.
    return sa.type_coerce(expression, MoneyColumn())


def _in_district(stmt: sa.Select[Any], model: Any, period: Period) -> sa.Select[Any]:
    return stmt if period.district is None else stmt.where(model.district == period.district)


async def programs(session: AsyncSession, period: Period) -> list[FundProgram]:
    """Programs granted by the end of the period (only the bank's when the period is a bank's), oldest first."""
    stmt = sa.select(FundProgram).where(FundProgram.granted_on <= period.end)
    if period.bank is not None:
        stmt = stmt.where(FundProgram.paying_bank == period.bank)
    return list((await session.scalars(stmt.order_by(FundProgram.granted_on, FundProgram.name))).all())


async def allocated(session: AsyncSession, period: Period, program_ids: Collection[str]) -> list[Any]:
    """(program_id, district, amount, projects) allocated by the end of the period."""
    keys: list[Any] = [FundAllocation.program_id, FundAllocation.district]
    stmt = sa.select(
        *keys, _money(sa.func.sum(FundAllocation.amount)), sa.func.count(sa.distinct(FundAllocation.project_id))
    ).where(FundAllocation.allocated_on <= period.end, FundAllocation.program_id.in_(list(program_ids)))
    return list((await session.execute(_in_district(stmt, FundAllocation, period).group_by(*keys))).all())


async def projects(session: AsyncSession, period: Period, program_ids: Collection[str]) -> int:
    """Projects with an allocation of any of the programs by the end of the period."""
    stmt = sa.select(sa.func.count(sa.distinct(FundAllocation.project_id))).where(
        FundAllocation.allocated_on <= period.end, FundAllocation.program_id.in_(list(program_ids))
    )
    return int(await session.scalar(_in_district(stmt, FundAllocation, period)) or 0)


async def paid(session: AsyncSession, period: Period, program_ids: Collection[str]) -> list[Any]:
    """(program_id, district, use, paid by the end of the period, paid in it), net of reversals."""
    keys: list[Any] = [FundPayment.program_id, FundPayment.district, FundPayment.use]
    in_period = sa.case((FundPayment.paid_on >= period.start, FundPayment.amount), else_=0)
    stmt = sa.select(*keys, _money(sa.func.sum(FundPayment.amount)), _money(sa.func.sum(in_period))).where(
        FundPayment.paid_on <= period.end,
        FundPayment.status == PaymentStatus.recorded,
        FundPayment.program_id.in_(list(program_ids)),
    )
    return list((await session.execute(_in_district(stmt, FundPayment, period).group_by(*keys))).all())


async def refused(session: AsyncSession, period: Period, program_ids: Collection[str]) -> list[Any]:
    """(program_id, district, rule, attempts) of the payments refused in the period."""
    keys: list[Any] = [FundPaymentRefusal.program_id, FundPaymentRefusal.district, FundPaymentRefusal.rule]
    stmt = sa.select(*keys, sa.func.count()).where(
        FundPaymentRefusal.attempted_at >= period.starts_at,
        FundPaymentRefusal.attempted_at < period.ends_before,
        FundPaymentRefusal.program_id.in_(list(program_ids)),
    )
    return list((await session.execute(_in_district(stmt, FundPaymentRefusal, period).group_by(*keys))).all())
