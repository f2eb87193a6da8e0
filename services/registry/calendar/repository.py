"""All SQL about published calendar years."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import CalendarYear


async def all_years(session: AsyncSession) -> list[CalendarYear]:
    """Every published year: one row a year, so a handful of rows at most."""
    return list((await session.scalars(sa.select(CalendarYear).order_by(CalendarYear.year))).all())


async def get(session: AsyncSession, year: int, *, for_update: bool = False) -> CalendarYear | None:
    stmt = sa.select(CalendarYear).where(CalendarYear.year == year)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()
