"""The SQL the bulletin needs beyond the monthly report: the year's trend and the named lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Project, Stall, UnitDelivery
from services.registry.reports.repository import Period, Rows


def _scoped(stmt: Any, district: str | None) -> Any:
    return stmt.where(Project.district == district) if district is not None else stmt


async def stalled_on(session: AsyncSession, days: Sequence[date], district: str | None) -> list[int]:
    """Projects stalled on each of ``days``, in one pass over the stalls."""
    columns = [
        sa.func.count(
            sa.distinct(
                sa.case(
                    (
                        sa.and_(Stall.started_on <= day, sa.or_(Stall.ended_on.is_(None), Stall.ended_on > day)),
                        Stall.project_id,
                    )
                )
            )
        )
        for day in days
    ]
    stmt = sa.select(*columns).select_from(Stall).join(Project, Project.id == Stall.project_id)
    stmt = stmt.where(Stall.started_on <= max(days), sa.or_(Stall.ended_on.is_(None), Stall.ended_on > min(days)))
    row = (await session.execute(_scoped(stmt, district))).one()
    return [int(value or 0) for value in row]


async def units_delivered_in(
    session: AsyncSession, periods: Sequence[tuple[date, date]], district: str | None
) -> list[int]:
    """Units handed over in each of ``periods`` (first and last day), in one pass over the deliveries."""
    columns = [
        sa.func.coalesce(sa.func.sum(sa.case((UnitDelivery.delivered_on.between(start, end), UnitDelivery.units))), 0)
        for start, end in periods
    ]
    first, last = min(start for start, _ in periods), max(end for _, end in periods)
    stmt = (
        sa.select(*columns)
        .select_from(UnitDelivery)
        .join(Project, Project.id == UnitDelivery.project_id)
        .where(UnitDelivery.delivered_on.between(first, last))
    )
    row = (await session.execute(_scoped(stmt, district))).one()
    return [int(value or 0) for value in row]


async def red_projects(session: AsyncSession, period: Period, limit: int) -> tuple[Rows, int]:
    """(code, name, district, status, stall_started_on) of the red-tier projects, by district and code, at most
    ``limit`` of them; and how many there are."""
    red = Project.risk_tier == "red"
    total = (await session.execute(period.scoped(sa.select(sa.func.count()).select_from(Project).where(red)))).scalar()
    stmt = (
        sa.select(Project.code, Project.name, Project.district, Project.status, Project.stall_started_on)
        .where(red)
        .order_by(Project.district, Project.code)
        .limit(limit)
    )
    return (await session.execute(period.scoped(stmt))).all(), int(total or 0)


async def newly_stalled(session: AsyncSession, period: Period, limit: int) -> tuple[Rows, int]:
    """(code, name, district, started_on) of the stalls that began in the period, by district, day and code, at
    most ``limit`` of them; and how many there are."""
    began = period.within(Stall.started_on)
    count = sa.select(sa.func.count()).select_from(Stall).join(Project, Project.id == Stall.project_id).where(began)
    total = (await session.execute(period.scoped(count))).scalar()
    stmt = (
        sa.select(Project.code, Project.name, Project.district, Stall.started_on)
        .join(Project, Project.id == Stall.project_id)
        .where(began)
        .order_by(Project.district, Stall.started_on, Project.code)
        .limit(limit)
    )
    return (await session.execute(period.scoped(stmt))).all(), int(total or 0)
