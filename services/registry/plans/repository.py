"""All SQL about plans and their milestones."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import INTEGER, PageParams, SortKey, keyset
from services.registry.models import Milestone, Plan


async def milestones_of(session: AsyncSession, plan_ids: Sequence[str]) -> dict[str, list[Milestone]]:
    """The milestones of each plan, in their order, with one query."""
    out: dict[str, list[Milestone]] = {plan_id: [] for plan_id in plan_ids}
    if not plan_ids:
        return out
    rows = await session.scalars(
        sa.select(Milestone).where(Milestone.plan_id.in_(plan_ids)).order_by(Milestone.plan_id, Milestone.position)
    )
    for milestone in rows:
        out[milestone.plan_id].append(milestone)
    return out


async def latest_version(session: AsyncSession, project_id: str) -> int:
    return int(await session.scalar(sa.select(sa.func.max(Plan.version)).where(Plan.project_id == project_id)) or 0)


async def by_version(session: AsyncSession, project_id: str, version: int) -> Plan | None:
    return await session.scalar(sa.select(Plan).where(Plan.project_id == project_id, Plan.version == version))


async def page(session: AsyncSession, paging: PageParams, project_id: str) -> list[Plan]:
    """A page of the versions, newest first."""
    stmt = sa.select(Plan).where(Plan.project_id == project_id)
    return list((await session.scalars(keyset(stmt, paging, SortKey(Plan.version, INTEGER)))).all())
