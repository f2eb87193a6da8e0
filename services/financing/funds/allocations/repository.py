"""All SQL about allocations."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import MoneyColumn
from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import FundAllocation


async def get(session: AsyncSession, allocation_id: str, *, for_update: bool = False) -> FundAllocation | None:
    """The allocation; ``for_update`` locks its row until the transaction ends (re-reading it if already loaded)."""
    stmt = sa.select(FundAllocation).where(FundAllocation.id == allocation_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def page_of_program(
    session: AsyncSession,
    paging: PageParams,
    program_id: str,
    *,
    district: str | None,
    project_id: str | None,
) -> list[FundAllocation]:
    """The program's allocations, newest first."""
    stmt = sa.select(FundAllocation).where(FundAllocation.program_id == program_id)
    if district is not None:
        stmt = stmt.where(FundAllocation.district == district)
    if project_id is not None:
        stmt = stmt.where(FundAllocation.project_id == project_id)
    stmt = keyset(stmt, paging, *by_time(FundAllocation.created_at, FundAllocation.id))
    return list((await session.scalars(stmt)).all())


async def unspent_by_project(session: AsyncSession, project_ids: Sequence[str] | None) -> dict[str, Decimal]:
    """Allocated and not yet paid, per project with an allocation; every such project when None."""
    unspent = sa.type_coerce(sa.func.sum(FundAllocation.amount - FundAllocation.paid_amount), MoneyColumn())
    stmt = sa.select(FundAllocation.project_id, unspent).group_by(FundAllocation.project_id)
    if project_ids is not None:
        stmt = stmt.where(FundAllocation.project_id.in_(list(project_ids)))
    return {project_id: amount for project_id, amount in (await session.execute(stmt)).all()}
