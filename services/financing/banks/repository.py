"""All SQL about banks."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import Bank


async def by_code(session: AsyncSession, code: str) -> Bank | None:
    return (await session.execute(sa.select(Bank).where(Bank.code == code))).scalar_one_or_none()


async def known_codes(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    """Those of ``codes`` that name a bank."""
    wanted = list(set(codes))
    if not wanted:
        return set()
    return set((await session.scalars(sa.select(Bank.code).where(Bank.code.in_(wanted)))).all())


async def page(session: AsyncSession, paging: PageParams, *, only: str | None) -> list[Bank]:
    stmt = sa.select(Bank)
    if only is not None:
        stmt = stmt.where(Bank.code == only)
    return list(
        (await session.scalars(keyset(stmt, paging, *by_time(Bank.created_at, Bank.id, newest_first=False)))).all()
    )
