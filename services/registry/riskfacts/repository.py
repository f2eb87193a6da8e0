"""The SQL behind the bulk facts: one query per kind of fact, each grouped by project, never one per project."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.disputes.schemas import DisputeKind
from services.registry.models import Dispute, Milestone, Outcome, Project, Stall


def project_filter(
    session: AsyncSession, ids: Sequence[str] | None, district: str | None
) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Project`` choosing the asked-for projects within the caller's district."""
    conditions: list[sa.ColumnElement[bool]] = []
    if ids is not None:
        if session.get_bind().dialect.name == "postgresql":
            # One array parameter instead of thousands of IN parameters.
            conditions.append(Project.id == sa.any_(sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.String))))
        else:
            conditions.append(Project.id.in_(ids))
    if district is not None:
        conditions.append(Project.district == district)
    return conditions


async def projects(session: AsyncSession, where: list[sa.ColumnElement[bool]]) -> Sequence[sa.Row[*tuple[Any, ...]]]:
    stmt = sa.select(
        Project.id,
        Project.code,
        Project.name,
        Project.district,
        Project.status,
        Project.contract_delivery_date,
        Project.progress_pct,
        Project.remaining_cost,
        Project.own_funds_available,
        Project.sold_units,
        Project.delivered_units,
    ).where(*where)
    return (await session.execute(stmt.order_by(Project.code))).all()


async def open_stalls(session: AsyncSession, where: list[sa.ColumnElement[bool]], as_of: date) -> dict[str, date]:
    """The first day of the stall open on ``as_of``, by project."""
    stmt = (
        sa.select(Stall.project_id, sa.func.min(Stall.started_on))
        .join(Project, Project.id == Stall.project_id)
        .where(*where, Stall.started_on <= as_of, sa.or_(Stall.ended_on.is_(None), Stall.ended_on > as_of))
        .group_by(Stall.project_id)
    )
    return {project_id: started_on for project_id, started_on in (await session.execute(stmt)).all()}


async def planned_progress(
    session: AsyncSession, where: list[sa.ColumnElement[bool]], as_of: date
) -> dict[str, Decimal]:
    """The progress the current plan calls for by ``as_of`` (its latest milestone due by then), by project."""
    stmt = (
        sa.select(Project.id, sa.func.max(Milestone.planned_progress_pct))
        .join(Milestone, Milestone.plan_id == Project.current_plan_id)
        .where(*where, Milestone.planned_date <= as_of)
        .group_by(Project.id)
    )
    return {project_id: planned for project_id, planned in (await session.execute(stmt)).all()}


async def dispute_counts(
    session: AsyncSession, where: list[sa.ColumnElement[bool]], as_of: date
) -> dict[str, tuple[int, int, int]]:
    """(disputes in 30 days, in 90 days, group incidents in 90 days) up to and including ``as_of``, by project."""
    since_30, since_90 = as_of - timedelta(days=30), as_of - timedelta(days=90)

    def count(condition: sa.ColumnElement[bool]) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    stmt = (
        sa.select(
            Dispute.project_id,
            count(Dispute.opened_on > since_30),
            sa.func.count(),
            count(Dispute.kind == DisputeKind.group_incident.value),
        )
        .join(Project, Project.id == Dispute.project_id)
        .where(*where, Dispute.opened_on > since_90, Dispute.opened_on <= as_of)
        .group_by(Dispute.project_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in (await session.execute(stmt)).all()}


async def outcomes(session: AsyncSession, where: list[sa.ColumnElement[bool]]) -> dict[str, tuple[str, date | None]]:
    stmt = (
        sa.select(Outcome.project_id, Outcome.kind, Outcome.delivered_on)
        .join(Project, Project.id == Outcome.project_id)
        .where(*where)
    )
    return {project_id: (kind, delivered_on) for project_id, kind, delivered_on in (await session.execute(stmt)).all()}
