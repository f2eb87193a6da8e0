"""All SQL about coordination items."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.registry.board_rows import on_board
from services.registry.models import CoordinationItem

KEYS = by_time(CoordinationItem.created_at, CoordinationItem.id)


async def get(session: AsyncSession, item_id: str, *, for_update: bool = False) -> CoordinationItem | None:
    stmt = sa.select(CoordinationItem).where(CoordinationItem.id == item_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _filtered(
    *,
    project_id: str | None = None,
    district: str | None = None,
    department: str | None = None,
    states: Collection[str] | None = None,
) -> sa.Select[Any]:
    stmt = sa.select(CoordinationItem)
    if project_id is not None:
        stmt = stmt.where(CoordinationItem.project_id == project_id)
    if district is not None:
        stmt = stmt.where(CoordinationItem.district == district)
    if department is not None:
        stmt = stmt.where(CoordinationItem.lead_department == department)
    if states is not None:
        stmt = stmt.where(CoordinationItem.state.in_(list(states)))
    return stmt


async def page(session: AsyncSession, paging: PageParams, **filters: Any) -> list[CoordinationItem]:
    """One page more than asked for, newest first; raises ProblemError(400) for a cursor of another list."""
    return list((await session.scalars(keyset(_filtered(**filters), paging, *KEYS))).all())


async def all_after_cursor(session: AsyncSession, paging: PageParams, **filters: Any) -> list[CoordinationItem]:
    """Every item matching, newest first from the cursor: for the filter on lateness, which is derived."""
    stmt = keyset(_filtered(**filters), paging, *KEYS).limit(None)
    return list((await session.scalars(stmt)).all())


async def in_states(
    session: AsyncSession, states: Collection[str], *, for_update: bool = False
) -> list[CoordinationItem]:
    stmt = (
        sa.select(CoordinationItem)
        .where(CoordinationItem.state.in_(list(states)))
        .order_by(CoordinationItem.raised_on, CoordinationItem.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


_DEADLINE_COLUMNS = (
    CoordinationItem.id,
    CoordinationItem.district,
    CoordinationItem.lead_department,
    CoordinationItem.state,
    CoordinationItem.deadline_from,
    CoordinationItem.deadline_working_days,
    CoordinationItem.resolved_on,
)


async def report_rows(
    session: AsyncSession, start: date, end: date, as_of: date, district: str | None
) -> Sequence[Any]:
    """The items the monthly report counts for ``[start, end]``: raised, resolved or confirmed in it, or open at
    ``as_of``; plain rows of what their figures and deadlines are counted from (the report reads thousands)."""
    within = sa.or_(
        CoordinationItem.raised_on >= start,
        CoordinationItem.resolved_on.between(start, end),
        CoordinationItem.confirmed_on.between(start, end),
        sa.and_(
            CoordinationItem.raised_on <= as_of,
            sa.or_(CoordinationItem.resolved_on.is_(None), CoordinationItem.resolved_on > as_of),
        ),
    )
    stmt = sa.select(*_DEADLINE_COLUMNS, CoordinationItem.raised_on, CoordinationItem.confirmed_on).where(
        CoordinationItem.raised_on <= end, within
    )
    if district is not None:
        stmt = stmt.where(CoordinationItem.district == district)
    return (await session.execute(stmt)).all()


async def board_rows(session: AsyncSession, states: Collection[str], district: str | None) -> Sequence[Any]:
    """Items in ``states`` as the overdue board shows them: plain rows of what their deadline is counted from,
    what the board names them by, and their project's code and name."""
    columns = (
        *_DEADLINE_COLUMNS,
        CoordinationItem.project_id,
        CoordinationItem.topic,
        CoordinationItem.topic_name,
        CoordinationItem.escalated_on,
    )
    stmt = on_board(CoordinationItem, columns, states, district)
    return (await session.execute(stmt)).all()
