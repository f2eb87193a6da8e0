"""All SQL about weekly dispatch reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import bulk
from services.common.pagination import TEXT, PageParams, SortKey, keyset
from services.registry.models import ProgressReport, ReportMonth


async def weeks_from(session: AsyncSession, project_id: str, week: str) -> set[str]:
    """The weeks reported for the project from ``week`` on (``week`` included)."""
    stmt = sa.select(ProgressReport.week).where(ProgressReport.project_id == project_id, ProgressReport.week >= week)
    return set((await session.scalars(stmt)).all())


async def insert_many(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Insert reports (their ids given): one COPY on PostgreSQL (``services.common.bulk``), one executemany on
    SQLite."""
    await bulk.insert_rows(session, cast(sa.Table, ProgressReport.__table__), rows)


async def record_months(session: AsyncSession, months: Iterable[tuple[str, str]]) -> None:
    """Note that each ``(month, project_id)`` has a report (``report_months``), where not noted already: one
    statement for all of them."""
    rows = [{"month": month, "project_id": project_id} for month, project_id in sorted(set(months))]
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(insert(ReportMonth).on_conflict_do_nothing(), rows)


async def by_week(session: AsyncSession, project_id: str, week: str) -> ProgressReport | None:
    stmt = sa.select(ProgressReport).where(ProgressReport.project_id == project_id, ProgressReport.week == week)
    return await session.scalar(stmt)


async def page(session: AsyncSession, paging: PageParams, project_id: str) -> list[ProgressReport]:
    """A page of the project's reports, latest week first."""
    stmt = sa.select(ProgressReport).where(ProgressReport.project_id == project_id)
    return list((await session.scalars(keyset(stmt, paging, SortKey(ProgressReport.week, TEXT)))).all())
