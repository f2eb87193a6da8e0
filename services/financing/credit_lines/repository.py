"""All SQL about credit lines."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import money_sum
from services.common.pagination import PageParams, by_time, keyset
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.models import CreditLine


async def get(session: AsyncSession, line_id: str, *, for_update: bool = False) -> CreditLine | None:
    """The line; ``for_update`` locks its row until the transaction ends (re-reading it if already loaded)."""
    stmt = sa.select(CreditLine).where(CreditLine.id == line_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def approved_total(session: AsyncSession, project_id: str) -> Decimal:
    """The credit approved on every line of the project."""
    total = await session.scalar(
        sa.select(money_sum(CreditLine.approved_amount)).where(CreditLine.project_id == project_id)
    )
    return total if total is not None else Decimal("0.00")


async def page(
    session: AsyncSession,
    paging: PageParams,
    *,
    district: str | None,
    bank: str | None,
    project_id: str | None,
    kind: CreditLineKind | None,
) -> list[CreditLine]:
    """Lines, newest first."""
    stmt = sa.select(CreditLine)
    if district is not None:
        stmt = stmt.where(CreditLine.district == district)
    if bank is not None:
        stmt = stmt.where(CreditLine.bank == bank)
    if project_id is not None:
        stmt = stmt.where(CreditLine.project_id == project_id)
    if kind is not None:
        stmt = stmt.where(CreditLine.kind == kind)
    stmt = keyset(stmt, paging, *by_time(CreditLine.created_at, CreditLine.id))
    return list((await session.scalars(stmt)).all())
