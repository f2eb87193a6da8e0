"""All SQL about projects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Milestone, Project
from services.registry.projects.schemas import ProjectSort


async def get(session: AsyncSession, project_id: str, *, for_update: bool = False) -> Project | None:
    stmt = sa.select(Project).where(Project.id == project_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def code_exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(sa.select(sa.literal(1)).where(Project.code == code))) is not None


def lagging_condition(today: date, margin: Decimal) -> sa.ColumnElement[bool]:
    """True when a milestone of the current plan due by ``today`` calls for more than ``margin`` above progress."""
    return sa.exists().where(
        Milestone.plan_id == Project.current_plan_id,
        Milestone.planned_date <= today,
        Milestone.planned_progress_pct > Project.progress_pct + margin,
    )


_SORT_COLUMNS: dict[str, Any] = {
    "code": Project.code,
    "name": Project.name,
    "updated_at": Project.updated_at,
    "contract_delivery_date": Project.contract_delivery_date,
}


def sort_column(sort: ProjectSort) -> tuple[Any, bool]:
    name = sort.value.lstrip("-")
    return _SORT_COLUMNS[name], sort.value.startswith("-")


async def list_page(
    session: AsyncSession,
    *,
    filters: list[sa.ColumnElement[bool]],
    sort: ProjectSort,
    after: tuple[Any, str] | None,
    limit: int,
) -> list[Project]:
    """One keyset page ordered by the sort column then id."""
    column, descending = sort_column(sort)
    stmt = sa.select(Project).where(*filters)
    if after is not None:
        value, last_id = after
        if descending:
            stmt = stmt.where(sa.or_(column < value, sa.and_(column == value, Project.id < last_id)))
        else:
            stmt = stmt.where(sa.or_(column > value, sa.and_(column == value, Project.id > last_id)))
    order = (column.desc(), Project.id.desc()) if descending else (column.asc(), Project.id.asc())
    return list((await session.scalars(stmt.order_by(*order).limit(limit))).all())
