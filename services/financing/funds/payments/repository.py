"""All SQL about payments."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import FundPayment


async def get(session: AsyncSession, payment_id: str, *, for_update: bool = False) -> FundPayment | None:
    stmt = sa.select(FundPayment).where(FundPayment.id == payment_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def page_of_allocation(session: AsyncSession, paging: PageParams, allocation_id: str) -> list[FundPayment]:
    """The allocation's payments, newest first."""
    stmt = sa.select(FundPayment).where(FundPayment.allocation_id == allocation_id)
    stmt = keyset(stmt, paging, *by_time(FundPayment.created_at, FundPayment.id))
    return list((await session.scalars(stmt)).all())
