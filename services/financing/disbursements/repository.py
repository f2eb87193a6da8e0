"""All SQL about disbursements."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import Disbursement


async def get(session: AsyncSession, disbursement_id: str, *, for_update: bool = False) -> Disbursement | None:
    stmt = sa.select(Disbursement).where(Disbursement.id == disbursement_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def page_of_line(session: AsyncSession, paging: PageParams, line_id: str) -> list[Disbursement]:
    """The line's disbursements, newest first."""
    stmt = sa.select(Disbursement).where(Disbursement.credit_line_id == line_id)
    stmt = keyset(stmt, paging, *by_time(Disbursement.created_at, Disbursement.id))
    return list((await session.scalars(stmt)).all())
