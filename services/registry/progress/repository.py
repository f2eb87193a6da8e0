"""All SQL about weekly dispatch reports."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import TEXT, PageParams, SortKey, keyset
from services.registry.models import ProgressReport


async def weeks_from(session: AsyncSession, project_id: str, week: str) -> set[str]:
    """The weeks reported for the project from ``week`` on (``week`` included)."""
    stmt = sa.select(ProgressReport.week).where(ProgressReport.project_id == project_id, ProgressReport.week >= week)
    return set((await session.scalars(stmt)).all())


async def insert_many(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Insert reports (their ids given) in one executemany."""
    if rows:
        await session.execute(sa.insert(ProgressReport), rows)


async def by_week(session: AsyncSession, project_id: str, week: str) -> ProgressReport | None:
    stmt = sa.select(ProgressReport).where(ProgressReport.project_id == project_id, ProgressReport.week == week)
    return await session.scalar(stmt)


async def page(session: AsyncSession, paging: PageParams, project_id: str) -> list[ProgressReport]:
    """A page of the project's reports, latest week first."""
    stmt = sa.select(ProgressReport).where(ProgressReport.project_id == project_id)
    return list((await session.scalars(keyset(stmt, paging, SortKey(ProgressReport.week, TEXT)))).all())
