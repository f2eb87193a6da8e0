"""All SQL about task forces."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import INTEGER, PageParams, SortKey, keyset
from services.registry.models import TaskForce


async def get(session: AsyncSession, task_force_id: str) -> TaskForce | None:
    return await session.get(TaskForce, task_force_id)


async def latest_version(session: AsyncSession, project_id: str) -> int:
    stmt = sa.select(sa.func.max(TaskForce.version)).where(TaskForce.project_id == project_id)
    return int(await session.scalar(stmt) or 0)


async def by_version(session: AsyncSession, project_id: str, version: int) -> TaskForce | None:
    stmt = sa.select(TaskForce).where(TaskForce.project_id == project_id, TaskForce.version == version)
    return await session.scalar(stmt)


async def page(session: AsyncSession, paging: PageParams, project_id: str) -> list[TaskForce]:
    """A page of the versions, newest first."""
    stmt = sa.select(TaskForce).where(TaskForce.project_id == project_id)
    return list((await session.scalars(keyset(stmt, paging, SortKey(TaskForce.version, INTEGER)))).all())
