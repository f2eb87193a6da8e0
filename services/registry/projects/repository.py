"""All SQL about projects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import pagination
from services.common.fastread import FastReader, json_columns
from services.common.pagination import DAY, INSTANT, TEXT, CursorField, PageParams, SortKey, cursor_values
from services.registry.models import Milestone, Project, Stall
from services.registry.projects.schemas import ProjectRead, ProjectSort
from services.registry.projects.status import REPORTABLE


async def get(session: AsyncSession, project_id: str, *, for_update: bool = False) -> Project | None:
    stmt = sa.select(Project).where(Project.id == project_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_stalls(session: AsyncSession, project_ids: Sequence[str]) -> dict[str, Stall]:
    """The open stalls of these projects, locked, by project id (a few statements for thousands of projects)."""
    found: dict[str, Stall] = {}
    ordered = sorted(set(project_ids))
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        stmt = sa.select(Stall).where(Stall.project_id.in_(chunk), Stall.ended_on.is_(None)).with_for_update()
        for stall in (await session.scalars(stmt)).all():
            found[stall.project_id] = stall
    return found


_T = Project.__table__
# Exactly the fields of ProjectRead, in its order, so fast-path rows serialize as the schema says.
READ_COLUMNS = json_columns([_T.c[name] for name in ProjectRead.model_fields])
BY_ID = sa.select(*READ_COLUMNS).where(_T.c.id == sa.bindparam("id"))
# READ_COLUMNS as JSON, kept by PostgreSQL on every write (ADR 20): the fast path sends it as stored.
READ_JSON = _T.c.read_json


# One built statement per combination of filters (a few hundred at most), so a list request builds no SQL.
_STATEMENTS: dict[tuple[Any, ...], sa.Select[Any]] = {}


@dataclass(frozen=True, slots=True)
class ProjectFilters:
    """The list's filters; None is "any"."""

    district: str | None = None
    status: str | None = None
    risk_tier: str | None = None
    developer_id: str | None = None
    q: str | None = None
    lagging: bool | None = None
    task_force_leader_name: str | None = None
    stop_work_order: bool | None = None


async def page_json(
    reader: FastReader, paging: PageParams, filters: ProjectFilters, sort: ProjectSort, *, today: date, margin: Decimal
) -> list[bytes]:
    """A page of projects (and one more when a next page exists) as ``ProjectRead`` JSON objects, on the fast
    path: one cached statement per shape of filters, every value a bind parameter.

    Raises ProblemError(400) for a cursor this list did not make.
    """
    params: dict[str, Any] = {
        "district": filters.district,
        "status": filters.status,
        "risk_tier": filters.risk_tier,
        "developer_id": filters.developer_id,
        "task_force_leader_name": filters.task_force_leader_name,
        "stop_work_order": filters.stop_work_order,
        "limit": paging.limit + 1,
    }
    given = {name: value is not None for name, value in params.items() if name != "limit"}
    if filters.q:
        params["q_pattern"] = like_pattern(filters.q)
    if filters.lagging is not None:
        params["today"], params["margin"] = today, margin
    keys = sort_keys(sort)
    if paging.cursor:
        params["after_value"], params["after_id"] = cursor_values(paging.cursor, *(key.field for key in keys))
    shape = (tuple(given.items()), sort, bool(paging.cursor), filters.lagging, bool(filters.q))
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = list_statement(
            filters=given, sort=sort, after=bool(paging.cursor), lagging=filters.lagging, q=bool(filters.q)
        )
    return await reader.fetch_json(statement, params, shape=shape, stored=READ_JSON)


def list_statement(
    *, filters: dict[str, bool], sort: ProjectSort, after: bool, lagging: bool | None, q: bool
) -> sa.Select[Any]:
    """The list query for one shape of filters; every value is a named bind parameter."""
    keys = sort_keys(sort)
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
        stmt = stmt.where(pagination.after(keys, (sa.bindparam("after_value"), sa.bindparam("after_id"))))
    return stmt.order_by(*pagination.order_by(keys)).limit(sa.bindparam("limit"))


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


_SORT_COLUMNS: dict[str, tuple[Any, CursorField]] = {
    "code": (_T.c.code, TEXT),
    "name": (_T.c.name, TEXT),
    "updated_at": (_T.c.updated_at, INSTANT),
    "contract_delivery_date": (_T.c.contract_delivery_date, DAY),
}


def sort_keys(sort: ProjectSort) -> tuple[SortKey, SortKey]:
    """The list's order for ``sort``: its column, then the id."""
    column, field = _SORT_COLUMNS[sort.value.lstrip("-")]
    descending = sort.value.startswith("-")
    return SortKey(column, field, descending), SortKey(_T.c.id, TEXT, descending)


def sort_field(sort: ProjectSort) -> str:
    """The name of the field ``sort`` orders by, as the JSON of a project shows it."""
    return sort.value.lstrip("-")
