"""All SQL about fund programs."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import MoneyColumn
from services.common.pagination import PageParams, by_time, keyset
from services.financing.funds.programs.schemas import FundSource
from services.financing.models import FundAllocation, FundProgram


async def get(session: AsyncSession, program_id: str, *, for_update: bool = False) -> FundProgram | None:
    """The program; ``for_update`` locks its row until the transaction ends (re-reading it if already loaded)."""
    stmt = sa.select(FundProgram).where(FundProgram.id == program_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def named(session: AsyncSession, year: int, name: str) -> FundProgram | None:
    stmt = sa.select(FundProgram).where(FundProgram.year == year, FundProgram.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(
    session: AsyncSession,
    paging: PageParams,
    *,
    paying_bank: str | None,
    year: int | None,
    source: FundSource | None,
) -> list[FundProgram]:
    """Programs, newest first."""
    stmt = sa.select(FundProgram)
    if paying_bank is not None:
        stmt = stmt.where(FundProgram.paying_bank == paying_bank)
    if year is not None:
        stmt = stmt.where(FundProgram.year == year)
    if source is not None:
        stmt = stmt.where(FundProgram.source == source)
    stmt = keyset(stmt, paging, *by_time(FundProgram.created_at, FundProgram.id))
    return list((await session.scalars(stmt)).all())


async def paid_of(session: AsyncSession, program_ids: Sequence[str]) -> dict[str, Decimal]:
    """What each program's allocations have paid, net of reversals; programs with no allocation are absent."""
    if not program_ids:
        return {}
    stmt = (
        sa.select(FundAllocation.program_id, sa.type_coerce(sa.func.sum(FundAllocation.paid_amount), MoneyColumn()))
        .where(FundAllocation.program_id.in_(list(program_ids)))
        .group_by(FundAllocation.program_id)
    )
    return {program_id: paid for program_id, paid in (await session.execute(stmt)).all()}
