"""The SQL of assessments: bulk statements per chunk of projects, never one round trip per project."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import bulk
from services.common.pagination import INTEGER, PageParams, SortKey, keyset
from services.risk.models import Assessment, Override, PendingReassessment, ProjectRiskState


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _ids_condition(session: AsyncSession, column: Any, ids: Sequence[str]) -> sa.ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of IN parameters.
        return column == sa.any_(sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.String)))
    return column.in_(ids)


# What an assessment reads of a project's state: hysteresis carried over, the cached tier, the count so far.
_STATE_READ = ("project_id", "assessments", "hysteresis_tier", "lower_streak", "tier")


async def lock_states(session: AsyncSession, districts: dict[str, str], now: datetime) -> dict[str, sa.Row[Any]]:
    """The state rows of these projects (created empty where missing), locked until the transaction ends; each
    gives ``assessments``, ``hysteresis_tier``, ``lower_streak`` and ``tier``.

    Creating the missing rows first means two concurrent first assessments of a project queue on its row
    instead of both numbering an assessment 1. On PostgreSQL the rows this statement creates are this
    transaction's alone until it ends (another one creating them waits for it), so they come back from the
    insert itself and only the rows that existed are locked by a second statement: a first assessment of the
    whole ledger locks no row twice.
    """
    table = cast(sa.Table, ProjectRiskState.__table__)
    empty: dict[str, Any] = {"assessments": 0, "last_assessment_id": None, "hysteresis_tier": None, "lower_streak": 0}
    empty |= {"tier": None, "funding_unknown": False, "updated_at": now}
    read = [table.c[name] for name in _STATE_READ]
    if session.get_bind().dialect.name == "postgresql":
        # One statement over two arrays instead of an executemany of thousands of rows.
        ids = sa.bindparam("ids", list(districts), type_=postgresql.ARRAY(sa.String))
        names = sa.bindparam("districts", list(districts.values()), type_=postgresql.ARRAY(sa.String))
        source = sa.select(
            sa.func.unnest(ids), sa.func.unnest(names), *(sa.literal(v, table.c[k].type) for k, v in empty.items())
        )
        insert = postgresql.insert(table).from_select(["project_id", "district", *empty], source)
        insert = insert.on_conflict_do_nothing(index_elements=[table.c.project_id])
        created = {row.project_id: row for row in await session.execute(insert.returning(*read))}
        existing = [project_id for project_id in districts if project_id not in created]
        if not existing:
            return created
        locked = sa.select(*read).where(_ids_condition(session, table.c.project_id, existing)).with_for_update()
        return created | {row.project_id: row for row in await session.execute(locked)}
    else:
        await session.execute(
            sqlite.insert(table).on_conflict_do_nothing(index_elements=[table.c.project_id]),
            [{"project_id": project_id, "district": district, **empty} for project_id, district in districts.items()],
        )
    statement = sa.select(*read).where(_ids_condition(session, table.c.project_id, list(districts)))
    rows = await session.execute(statement.with_for_update())
    return {row.project_id: row for row in rows}


async def open_overrides(session: AsyncSession, ids: Sequence[str]) -> dict[str, Override]:
    """Overrides not ended yet (expired ones included) of these projects, by project."""
    statement = sa.select(Override).where(
        Override.ended_at.is_(None), _ids_condition(session, Override.project_id, ids)
    )
    return {override.project_id: override for override in await session.scalars(statement)}


async def insert_assessments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert assessment rows: one COPY on PostgreSQL (see ``services.common.bulk``), an executemany on SQLite."""
    await bulk.insert_rows(session, cast(sa.Table, Assessment.__table__), rows)


async def update_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Update state rows by primary key: one ``UPDATE ... FROM unnest`` on PostgreSQL, an executemany on SQLite."""
    if bulk.is_postgresql(session):
        await bulk.update_rows(session, cast(sa.Table, ProjectRiskState.__table__), rows, key="project_id")
    else:
        await session.execute(sa.update(ProjectRiskState).execution_options(synchronize_session=False), list(rows))


async def history(session: AsyncSession, paging: PageParams, project_id: str) -> list[Assessment]:
    """A page of a project's assessments, newest first."""
    statement = sa.select(Assessment).where(Assessment.project_id == project_id)
    return list(await session.scalars(keyset(statement, paging, SortKey(Assessment.number, INTEGER))))


async def state(session: AsyncSession, project_id: str, *, for_update: bool = False) -> ProjectRiskState | None:
    return await session.get(ProjectRiskState, project_id, with_for_update=for_update)


async def assessment(session: AsyncSession, assessment_id: str) -> Assessment | None:
    return await session.get(Assessment, assessment_id)


async def funding_unknown_ids(session: AsyncSession, *, after: str, limit: int) -> list[str]:
    """Ids of projects whose latest assessment lacks funding, in id order after ``after``."""
    statement = (
        sa.select(ProjectRiskState.project_id)
        .where(ProjectRiskState.funding_unknown.is_(True), ProjectRiskState.project_id > after)
        .order_by(ProjectRiskState.project_id)
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def request_reassessment(session: AsyncSession, project_id: str, now: datetime, request_id: str | None) -> None:
    """Queue a project for reassessment (once: a newer request only moves its time)."""
    table = PendingReassessment.__table__
    statement = _insert(session)(table).values(project_id=project_id, requested_at=now, request_id=request_id)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.project_id],
            set_={"requested_at": statement.excluded.requested_at, "request_id": statement.excluded.request_id},
        )
    )


async def due_reassessments(session: AsyncSession, *, until: datetime, limit: int) -> list[PendingReassessment]:
    statement = (
        sa.select(PendingReassessment)
        .where(PendingReassessment.requested_at <= until)
        .order_by(PendingReassessment.requested_at)
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def clear_reassessments(session: AsyncSession, done: Sequence[tuple[str, datetime]]) -> None:
    """Drop the queued requests that were served; one that was renewed meanwhile stays queued."""
    table = cast(sa.Table, PendingReassessment.__table__)
    await session.execute(
        sa.delete(table).where(table.c.project_id == sa.bindparam("pid"), table.c.requested_at == sa.bindparam("at")),
        [{"pid": project_id, "at": at} for project_id, at in done],
    )
