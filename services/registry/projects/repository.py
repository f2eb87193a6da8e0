"""All SQL about projects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.fastread import json_columns
from services.registry.models import Milestone, Project
from services.registry.projects.schemas import ProjectRead, ProjectSort
from services.registry.projects.status import REPORTABLE


async def get(session: AsyncSession, project_id: str, *, for_update: bool = False) -> Project | None:
    stmt = sa.select(Project).where(Project.id == project_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


_T = Project.__table__
# Exactly the fields of ProjectRead, in its order, so fast-path rows serialize as the schema says.
READ_COLUMNS = json_columns([_T.c[name] for name in ProjectRead.model_fields])
BY_ID = sa.select(*READ_COLUMNS).where(_T.c.id == sa.bindparam("id"))


def list_statement(
    *, filters: dict[str, bool], sort: ProjectSort, after: bool, lagging: bool | None, q: bool
) -> sa.Select[Any]:
    """The list query for one shape of filters; every value is a named bind parameter."""
    column, descending = sort_column(sort)
    column = _T.c[column.key]
    stmt = sa.select(*READ_COLUMNS)
    for name, on in filters.items():
        if on:
            stmt = stmt.where(_T.c[name] == sa.bindparam(name))
    if q:
        pattern: sa.BindParameter[str] = sa.bindparam("q_pattern")
        stmt = stmt.where(sa.or_(_T.c.code.ilike(pattern, escape="/"), _T.c.name.ilike(pattern, escape="/")))
    if lagging is not None:
        condition = lagging_condition(sa.bindparam("today"), sa.bindparam("margin"))
        stmt = stmt.where(condition if lagging else sa.not_(condition))
    if after:
        value: sa.BindParameter[Any] = sa.bindparam("after_value")
        last_id: sa.BindParameter[str] = sa.bindparam("after_id")
        if descending:
            stmt = stmt.where(sa.or_(column < value, sa.and_(column == value, _T.c.id < last_id)))
        else:
            stmt = stmt.where(sa.or_(column > value, sa.and_(column == value, _T.c.id > last_id)))
    order = (column.desc(), _T.c.id.desc()) if descending else (column.asc(), _T.c.id.asc())
    return stmt.order_by(*order).limit(sa.bindparam("limit"))


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped by ``/``."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


async def code_exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(sa.select(sa.literal(1)).where(Project.code == code))) is not None


# Inlined rather than bound: the list's fast path binds only the parameters it names.
_BUILDING: list[sa.ColumnElement[str]] = [sa.literal_column(f"'{status.value}'") for status in sorted(REPORTABLE)]


def lagging_condition(today: date | Any, margin: Decimal | Any) -> sa.ColumnElement[bool]:
    """True when a project still being built has a milestone of its current plan due by ``today`` that calls for
    more than ``margin`` above its progress (a completed, delivered, closed or terminated project lags nothing)."""
    return sa.and_(
        Project.status.in_(_BUILDING),
        sa.exists().where(
            Milestone.plan_id == Project.current_plan_id,
            Milestone.planned_date <= today,
            Milestone.planned_progress_pct > Project.progress_pct + margin,
        ),
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
