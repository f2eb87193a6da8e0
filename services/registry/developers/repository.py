"""All SQL about developers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import TEXT, PageParams, SortKey, keyset
from services.registry.models import Developer


async def get(session: AsyncSession, developer_id: str) -> Developer | None:
    return await session.get(Developer, developer_id)


async def credit_code_taken(session: AsyncSession, credit_code: str) -> bool:
    return await session.scalar(sa.select(Developer.id).where(Developer.credit_code == credit_code)) is not None


async def page(session: AsyncSession, paging: PageParams, *, q: str | None) -> list[Developer]:
    """A page of developers by name; ``q`` is part of the name or the whole credit code."""
    stmt = sa.select(Developer)
    if q:
        stmt = stmt.where(sa.or_(Developer.name.contains(q, autoescape=True), Developer.credit_code == q.upper()))
    keys = SortKey(Developer.name, TEXT, descending=False), SortKey(Developer.id, TEXT, descending=False)
    return list((await session.scalars(keyset(stmt, paging, *keys))).all())
