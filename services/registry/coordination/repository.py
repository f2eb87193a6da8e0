"""All SQL about coordination items."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset, order_by
from services.registry.models import CoordinationItem, Project

KEYS = by_time(CoordinationItem.created_at, CoordinationItem.id)


async def get(session: AsyncSession, item_id: str, *, for_update: bool = False) -> CoordinationItem | None:
    stmt = sa.select(CoordinationItem).where(CoordinationItem.id == item_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _filtered(
    *,
    project_id: str | None = None,
    district: str | None = None,
    department: str | None = None,
    states: Collection[str] | None = None,
) -> sa.Select[Any]:
    stmt = sa.select(CoordinationItem)
    if project_id is not None:
        stmt = stmt.where(CoordinationItem.project_id == project_id)
    if district is not None:
        stmt = stmt.where(CoordinationItem.district == district)
    if department is not None:
        stmt = stmt.where(CoordinationItem.lead_department == department)
    if states is not None:
        stmt = stmt.where(CoordinationItem.state.in_(list(states)))
    return stmt


async def page(session: AsyncSession, paging: PageParams, **filters: Any) -> list[CoordinationItem]:
    """One page more than asked for, newest first; raises ProblemError(400) for a cursor of another list."""
    return list((await session.scalars(keyset(_filtered(**filters), paging, *KEYS))).all())


async def all_after_cursor(session: AsyncSession, paging: PageParams, **filters: Any) -> list[CoordinationItem]:
    """Every item matching, newest first from the cursor: for the filter on lateness, which is derived."""
    stmt = keyset(_filtered(**filters), paging, *KEYS).limit(None)
    return list((await session.scalars(stmt)).all())


async def with_projects(
    session: AsyncSession, states: Collection[str], district: str | None
) -> list[tuple[CoordinationItem, Project]]:
    """Items in ``states`` with their projects (the overdue board)."""
    stmt = (
        sa.select(CoordinationItem, Project)
        .join(Project, Project.id == CoordinationItem.project_id)
        .where(CoordinationItem.state.in_(list(states)))
        .order_by(*order_by(KEYS))
    )
    if district is not None:
        stmt = stmt.where(CoordinationItem.district == district)
    return [(row.CoordinationItem, row.Project) for row in (await session.execute(stmt)).all()]


async def in_states(
    session: AsyncSession, states: Collection[str], *, for_update: bool = False
) -> list[CoordinationItem]:
    stmt = (
        sa.select(CoordinationItem)
        .where(CoordinationItem.state.in_(list(states)))
        .order_by(CoordinationItem.raised_on, CoordinationItem.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def raised_by(session: AsyncSession, end: date, district: str | None) -> list[CoordinationItem]:
    """Every item raised on or before ``end`` (the monthly report)."""
    stmt = sa.select(CoordinationItem).where(CoordinationItem.raised_on <= end)
    if district is not None:
        stmt = stmt.where(CoordinationItem.district == district)
    return list((await session.scalars(stmt)).all())
