"""The SQL behind the reports: every figure is one aggregate grouped by district, never a query per project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Dispute, Milestone, ProgressReport, Project, ReportMonth, Stall, UnitDelivery
from services.registry.projects.repository import lagging_condition
from services.registry.projects.status import REPORTABLE

Rows = Sequence[sa.Row[*tuple[Any, ...]]]
_Select = TypeVar("_Select", bound=sa.Select)


@dataclass(frozen=True)
class Period:
    """What a report covers: its days, the ISO weeks reported in it, and the day end-of-period figures use."""

    start: date
    end: date
    weeks: Sequence[str]
    as_of: date
    district: str | None
    margin: Decimal
    # ``YYYY-MM`` when the period is a whole month (``weeks`` then its weeks): its reporters are read from
    # ``report_months``.
    month: str | None = None

    def scoped(self, stmt: _Select) -> _Select:
        return stmt.where(Project.district == self.district) if self.district is not None else stmt

    def within(self, column: Any) -> sa.ColumnElement[bool]:
        return column.between(self.start, self.end)


def _count_if(condition: sa.ColumnElement[bool]) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _open_on(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(Stall.started_on <= day, sa.or_(Stall.ended_on.is_(None), Stall.ended_on > day))


async def _rows(session: AsyncSession, stmt: sa.Select[*tuple[Any, ...]]) -> Rows:
    """The rows of a Core statement, read on the session's connection: thousands of plain rows, which the
    ORM's result handling would only slow down."""
    return (await (await session.connection()).execute(stmt)).all()


async def _by_district(session: AsyncSession, stmt: sa.Select[*tuple[Any, ...]]) -> dict[str, tuple[int, ...]]:
    return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in await _rows(session, stmt)}


async def reported(session: AsyncSession, period: Period) -> dict[str, tuple[int, ...]]:
    """(projects with a report for a week of the period,) by district."""
    if period.month is not None:
        # A month's reporters are noted once each as their reports are written (ADR 18): about one row per
        # project, where the weeks' index holds one per project and week.
        reporters = sa.select(ReportMonth.project_id).where(ReportMonth.month == period.month).subquery()
    elif period.weeks:
        # The projects that reported, distinct first (an index-only scan of (week, project_id)), then joined to
        # their districts: counting distinct ids after the join would sort every report of the weeks.
        reporters = (
            sa.select(ProgressReport.project_id).where(ProgressReport.week.in_(period.weeks)).distinct().subquery()
        )
    else:
        return {}
    stmt = (
        sa.select(Project.district, sa.func.count())
        .join(reporters, reporters.c.project_id == Project.id)
        .group_by(Project.district)
    )
    return await _by_district(session, period.scoped(stmt))


async def stalls(session: AsyncSession, period: Period) -> dict[str, tuple[int, ...]]:
    """(stalls started in the period, projects stalled at ``as_of``, stalls ended in the period) by district."""
    stmt = (
        sa.select(
            Project.district,
            _count_if(period.within(Stall.started_on)),
            sa.func.count(sa.distinct(sa.case((_open_on(period.as_of), Stall.project_id)))),
            _count_if(period.within(Stall.ended_on)),
        )
        .join(Project, Project.id == Stall.project_id)
        .where(Stall.started_on <= period.end, sa.or_(Stall.ended_on.is_(None), Stall.ended_on >= period.start))
        .group_by(Project.district)
    )
    return await _by_district(session, period.scoped(stmt))


async def lagging(session: AsyncSession, period: Period) -> dict[str, tuple[int, ...]]:
    """(projects lagging at ``as_of``,) by district; the same condition as ``GET /v1/projects?lagging=true``."""
    stmt = (
        sa.select(Project.district, sa.func.count())
        .where(lagging_condition(period.as_of, period.margin))
        .group_by(Project.district)
    )
    return await _by_district(session, period.scoped(stmt))


async def units_delivered(session: AsyncSession, period: Period) -> dict[str, tuple[int, ...]]:
    stmt = (
        sa.select(Project.district, sa.func.sum(UnitDelivery.units))
        .join(Project, Project.id == UnitDelivery.project_id)
        .where(period.within(UnitDelivery.delivered_on))
        .group_by(Project.district)
    )
    return await _by_district(session, period.scoped(stmt))


async def disputes(session: AsyncSession, period: Period) -> dict[str, tuple[int, ...]]:
    """(disputes opened, disputes resolved) in the period, by district."""
    opened, resolved = period.within(Dispute.opened_on), period.within(Dispute.resolved_on)
    stmt = (
        sa.select(Project.district, _count_if(opened), _count_if(resolved))
        .join(Project, Project.id == Dispute.project_id)
        .where(sa.or_(opened, resolved))
        .group_by(Project.district)
    )
    return await _by_district(session, period.scoped(stmt))


async def tiers(session: AsyncSession, period: Period) -> dict[str, dict[str | None, int]]:
    """Projects by cached risk tier (None: not assessed), by district."""
    stmt = period.scoped(
        sa.select(Project.district, Project.risk_tier, sa.func.count()).group_by(Project.district, Project.risk_tier)
    )
    out: dict[str, dict[str | None, int]] = {}
    for district, tier, count in await _rows(session, stmt):
        out.setdefault(district, {})[tier] = int(count)
    return out


async def stalled_projects(session: AsyncSession, period: Period) -> Rows:
    """(code, name, district, started_on) of the projects stalled at ``as_of``, by district and code."""
    stmt = (
        sa.select(Project.code, Project.name, Project.district, sa.func.min(Stall.started_on).label("started_on"))
        .join(Project, Project.id == Stall.project_id)
        .where(_open_on(period.as_of))
        .group_by(Project.id, Project.code, Project.name, Project.district)
        .order_by(Project.district, Project.code)
    )
    return await _rows(session, period.scoped(stmt))


async def lagging_projects(session: AsyncSession, period: Period) -> Rows:
    """(code, name, district, progress_pct, planned) of the projects lagging at ``as_of``, by district and code.

    A project still being built lags when some milestone due calls for more than the margin above its progress,
    that is when the highest of them does: the grouped form of ``lagging_condition``. The highest is taken per
    plan first (a narrow grouping of the milestones), then joined to the projects whose current plan it is.
    """
    due = (
        sa.select(Milestone.plan_id, sa.func.max(Milestone.planned_progress_pct).label("planned"))
        .where(Milestone.planned_date <= period.as_of)
        .group_by(Milestone.plan_id)
        .subquery()
    )
    stmt = (
        sa.select(Project.code, Project.name, Project.district, Project.progress_pct, due.c.planned)
        .join(due, due.c.plan_id == Project.current_plan_id)
        .where(
            Project.status.in_([status.value for status in REPORTABLE]),
            due.c.planned > Project.progress_pct + period.margin,
        )
        .order_by(Project.district, Project.code)
    )
    return await _rows(session, period.scoped(stmt))
