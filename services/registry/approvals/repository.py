"""All SQL about approval cases, their missing materials and their pauses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import INSTANT, TEXT, PageParams, cursor_values
from services.registry.board_rows import on_board
from services.registry.models import Approval, ApprovalMaterial, ApprovalPause


async def get(session: AsyncSession, approval_id: str, *, for_update: bool = False) -> Approval | None:
    stmt = sa.select(Approval).where(Approval.id == approval_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def materials_of(session: AsyncSession, approval_ids: Collection[str]) -> dict[str, list[ApprovalMaterial]]:
    found: dict[str, list[ApprovalMaterial]] = defaultdict(list)
    if approval_ids:
        stmt = (
            sa.select(ApprovalMaterial)
            .where(ApprovalMaterial.approval_id.in_(list(approval_ids)))
            .order_by(ApprovalMaterial.approval_id, ApprovalMaterial.position)
        )
        for material in (await session.scalars(stmt)).all():
            found[material.approval_id].append(material)
    return found


async def pauses_of(session: AsyncSession, approval_ids: Collection[str]) -> dict[str, list[ApprovalPause]]:
    found: dict[str, list[ApprovalPause]] = defaultdict(list)
    if approval_ids:
        stmt = (
            sa.select(ApprovalPause)
            .where(ApprovalPause.approval_id.in_(list(approval_ids)))
            .order_by(ApprovalPause.approval_id, ApprovalPause.began_on, ApprovalPause.id)
        )
        for pause in (await session.scalars(stmt)).all():
            found[pause.approval_id].append(pause)
    return found


async def open_pause(session: AsyncSession, approval_id: str) -> ApprovalPause | None:
    stmt = sa.select(ApprovalPause).where(ApprovalPause.approval_id == approval_id, ApprovalPause.ended_on.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def group_members(session: AsyncSession, group_ids: Collection[str]) -> list[Approval]:
    if not group_ids:
        return []
    stmt = sa.select(Approval).where(Approval.parallel_group_id.in_(list(group_ids)))
    return list((await session.scalars(stmt)).all())


def _filtered(
    *,
    project_id: str | None = None,
    district: str | None = None,
    item: str | None = None,
    states: Collection[str] | None = None,
    lead_department: str | None = None,
) -> sa.Select[Any]:
    stmt = sa.select(Approval)
    if lead_department is not None:
        stmt = stmt.where(Approval.lead_department == lead_department)
    if project_id is not None:
        stmt = stmt.where(Approval.project_id == project_id)
    if district is not None:
        stmt = stmt.where(Approval.district == district)
    if item is not None:
        stmt = stmt.where(Approval.item == item)
    if states is not None:
        stmt = stmt.where(Approval.state.in_(list(states)))
    return stmt


def _after_cursor(stmt: sa.Select[Any], paging: PageParams) -> sa.Select[Any]:
    if paging.cursor:
        at, last_id = cursor_values(paging.cursor, INSTANT, TEXT)
        stmt = stmt.where(sa.or_(Approval.created_at < at, sa.and_(Approval.created_at == at, Approval.id < last_id)))
    return stmt.order_by(Approval.created_at.desc(), Approval.id.desc())


async def page(session: AsyncSession, paging: PageParams, **filters: Any) -> list[Approval]:
    """One page more than asked for, newest first; raises ProblemError(400) for a cursor of another list."""
    stmt = _after_cursor(_filtered(**filters), paging).limit(paging.limit + 1)
    return list((await session.scalars(stmt)).all())


async def all_after_cursor(session: AsyncSession, paging: PageParams, **filters: Any) -> list[Approval]:
    """Every case matching, newest first from the cursor: for filters on derived figures (the clock)."""
    return list((await session.scalars(_after_cursor(_filtered(**filters), paging))).all())


async def in_states(session: AsyncSession, states: Collection[str], *, for_update: bool = False) -> list[Approval]:
    stmt = sa.select(Approval).where(Approval.state.in_(list(states))).order_by(Approval.received_on, Approval.id)
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def decided_between(session: AsyncSession, start: date, end: date, district: str | None) -> list[Approval]:
    """Cases decided in ``[start, end]`` (whatever became of them after)."""
    stmt = sa.select(Approval).where(Approval.decided_on.between(start, end))
    if district is not None:
        stmt = stmt.where(Approval.district == district)
    return list((await session.scalars(stmt)).all())


async def received_between(
    session: AsyncSession, start: date, end: date, district: str | None
) -> Sequence[tuple[str, int]]:
    """Cases received in ``[start, end]``, counted by district."""
    stmt = (
        sa.select(Approval.district, sa.func.count())
        .where(Approval.received_on.between(start, end))
        .group_by(Approval.district)
    )
    if district is not None:
        stmt = stmt.where(Approval.district == district)
    return [(row[0], int(row[1])) for row in (await session.execute(stmt)).all()]


_CLOCK_COLUMNS = (
    Approval.id,
    Approval.district,
    Approval.item,
    Approval.state,
    Approval.received_on,
    Approval.limit_working_days,
    Approval.decided_on,
    Approval.ended_on,
)


async def _pauses_where(session: AsyncSession, cases: sa.Select[Any]) -> dict[str, list[Any]]:
    """The pauses of the cases ``cases`` selects (their ids), in the order ``pauses_of`` gives."""
    found: dict[str, list[Any]] = defaultdict(list)
    stmt = (
        sa.select(ApprovalPause.approval_id, ApprovalPause.began_on, ApprovalPause.ended_on)
        .where(ApprovalPause.approval_id.in_(cases.scalar_subquery()))
        .order_by(ApprovalPause.approval_id, ApprovalPause.began_on, ApprovalPause.id)
    )
    for row in (await session.execute(stmt)).all():
        found[row.approval_id].append(row)
    return found


async def report_clocks(
    session: AsyncSession, start: date, end: date, states: Collection[str], district: str | None
) -> tuple[Sequence[Any], dict[str, list[Any]]]:
    """The cases the monthly report counts, in one pass: decided in ``[start, end]`` or now in ``states``; rows of
    the clock's columns, and their pauses (``began_on``, ``ended_on``) by case id."""
    condition: sa.ColumnElement[bool] = sa.or_(
        Approval.decided_on.between(start, end), Approval.state.in_(list(states))
    )
    if district is not None:
        condition = sa.and_(condition, Approval.district == district)
    rows = (await session.execute(sa.select(*_CLOCK_COLUMNS).where(condition))).all()
    return rows, await _pauses_where(session, sa.select(Approval.id).where(condition))


async def board_clocks(
    session: AsyncSession, states: Collection[str], district: str | None
) -> tuple[Sequence[Any], dict[str, list[Any]]]:
    """Cases in ``states`` as the overdue board shows them: the clock's columns, the item's name, the lead
    department and the project's code and name; and their pauses by case id."""
    columns = (*_CLOCK_COLUMNS, Approval.project_id, Approval.item_name, Approval.lead_department)
    stmt = on_board(Approval, columns, states, district)
    rows = (await session.execute(stmt)).all()
    return rows, await _pauses_where(session, sa.select(stmt.subquery().c.id))
