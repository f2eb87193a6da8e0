"""All SQL about inspections and their findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import INSTANT, TEXT, PageParams, SortKey, cursor_values, keyset
from services.registry.board_rows import on_board
from services.registry.models import Finding, Inspection

INSPECTION_ORDER = (SortKey(Inspection.created_at, INSTANT), SortKey(Inspection.id, TEXT))


async def get(session: AsyncSession, inspection_id: str) -> Inspection | None:
    return await session.get(Inspection, inspection_id)


async def page(session: AsyncSession, paging: PageParams, project_id: str) -> list[Inspection]:
    """One page (and one more row) of a project's inspections, newest first."""
    stmt = sa.select(Inspection).where(Inspection.project_id == project_id)
    return list((await session.scalars(keyset(stmt, paging, *INSPECTION_ORDER))).all())


async def findings_of(session: AsyncSession, inspection_ids: Collection[str]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = defaultdict(list)
    if inspection_ids:
        stmt = (
            sa.select(Finding)
            .where(Finding.inspection_id.in_(list(inspection_ids)))
            .order_by(Finding.created_at, Finding.id)
        )
        for finding in (await session.scalars(stmt)).all():
            found[finding.inspection_id].append(finding)
    return found


async def get_finding(session: AsyncSession, finding_id: str, *, for_update: bool = False) -> Finding | None:
    stmt = sa.select(Finding).where(Finding.id == finding_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _findings(
    *, district: str | None = None, states: Collection[str] | None = None, severity: str | None = None
) -> sa.Select[Any]:
    stmt = sa.select(Finding)
    if district is not None:
        stmt = stmt.where(Finding.district == district)
    if states is not None:
        stmt = stmt.where(Finding.state.in_(list(states)))
    if severity is not None:
        stmt = stmt.where(Finding.severity == severity)
    return stmt


def _after_cursor(stmt: sa.Select[Any], paging: PageParams) -> sa.Select[Any]:
    if paging.cursor:
        at, last_id = cursor_values(paging.cursor, INSTANT, TEXT)
        stmt = stmt.where(sa.or_(Finding.created_at < at, sa.and_(Finding.created_at == at, Finding.id < last_id)))
    return stmt.order_by(Finding.created_at.desc(), Finding.id.desc())


async def page_findings(session: AsyncSession, paging: PageParams, **filters: Any) -> list[Finding]:
    """One page more than asked for, newest first; raises ProblemError(400) for a cursor of another list."""
    stmt = _after_cursor(_findings(**filters), paging).limit(paging.limit + 1)
    return list((await session.scalars(stmt)).all())


async def findings_after_cursor(session: AsyncSession, paging: PageParams, **filters: Any) -> list[Finding]:
    """Every finding matching, newest first from the cursor: for the filter on a derived figure (overdue)."""
    return list((await session.scalars(_after_cursor(_findings(**filters), paging))).all())


async def in_states(session: AsyncSession, states: Collection[str], *, for_update: bool = False) -> list[Finding]:
    stmt = sa.select(Finding).where(Finding.state.in_(list(states))).order_by(Finding.created_at, Finding.id)
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def open_stop_work(session: AsyncSession, project_id: str) -> list[Finding]:
    """The project's stop-work findings not closed, oldest notice first."""
    stmt = (
        sa.select(Finding)
        .where(Finding.project_id == project_id, Finding.measure == "stop_work", Finding.state != "closed")
        .order_by(Finding.notice_issued_on, Finding.created_at, Finding.id)
    )
    return list((await session.scalars(stmt)).all())


async def open_of_kind(session: AsyncSession, project_id: str, kind: str) -> list[Finding]:
    """The project's findings not closed from inspections of ``kind``."""
    stmt = (
        sa.select(Finding)
        .where(Finding.project_id == project_id, Finding.inspection_kind == kind, Finding.state != "closed")
        .order_by(Finding.created_at, Finding.id)
    )
    return list((await session.scalars(stmt)).all())


async def inspections_between(
    session: AsyncSession, start: date, end: date, district: str | None
) -> list[tuple[str, int]]:
    """Inspections held in ``[start, end]``, counted by district."""
    stmt = (
        sa.select(Inspection.district, sa.func.count())
        .where(Inspection.inspected_on.between(start, end))
        .group_by(Inspection.district)
    )
    if district is not None:
        stmt = stmt.where(Inspection.district == district)
    return [(row[0], int(row[1])) for row in (await session.execute(stmt)).all()]


async def stop_work_in_force(session: AsyncSession, on: date, district: str | None) -> list[tuple[str, int]]:
    """Projects under a stop-work order at the end of ``on`` (a stop-work finding noticed by then and not closed
    by then), counted by district."""
    stmt = (
        sa.select(Finding.district, sa.func.count(sa.distinct(Finding.project_id)))
        .where(
            Finding.measure == "stop_work",
            Finding.notice_issued_on <= on,
            sa.or_(Finding.closed_on.is_(None), Finding.closed_on > on),
        )
        .group_by(Finding.district)
    )
    if district is not None:
        stmt = stmt.where(Finding.district == district)
    return [(row[0], int(row[1])) for row in (await session.execute(stmt)).all()]


async def board_rows(session: AsyncSession, states: Collection[str], district: str | None) -> Sequence[Any]:
    """Findings in ``states`` as the overdue board shows them: plain rows of what their deadline is counted from,
    what the board names them by, and their project's code and name (no ORM objects: the board reads thousands)."""
    columns = (
        Finding.id,
        Finding.project_id,
        Finding.district,
        Finding.description,
        Finding.responsible_party,
        Finding.state,
        Finding.deadline_from,
        Finding.deadline_working_days,
        Finding.escalated_on,
    )
    stmt = on_board(Finding, columns, states, district)
    return (await session.execute(stmt)).all()


async def finding_counts_of_inspections_between(
    session: AsyncSession, start: date, end: date, district: str | None
) -> list[tuple[str, str, str, int]]:
    """(district, category, severity, findings) of the inspections held in ``[start, end]``."""
    stmt = (
        sa.select(Finding.district, Finding.category, Finding.severity, sa.func.count())
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(Inspection.inspected_on.between(start, end))
        .group_by(Finding.district, Finding.category, Finding.severity)
    )
    if district is not None:
        stmt = stmt.where(Finding.district == district)
    return [(row[0], row[1], row[2], int(row[3])) for row in (await session.execute(stmt)).all()]


async def deadlines_closed_between(
    session: AsyncSession, start: date, end: date, district: str | None
) -> Sequence[Any]:
    """(district, deadline_from, deadline_working_days, closed_on) of the findings closed in ``[start, end]``."""
    stmt = sa.select(Finding.district, Finding.deadline_from, Finding.deadline_working_days, Finding.closed_on).where(
        Finding.closed_on.between(start, end)
    )
    if district is not None:
        stmt = stmt.where(Finding.district == district)
    return (await session.execute(stmt)).all()


async def first_recheck_counts_between(
    session: AsyncSession, start: date, end: date, district: str | None
) -> list[tuple[str, int, int]]:
    """(district, findings rechecked for the first time in ``[start, end]``, of those with no failed recheck)."""
    stmt = (
        sa.select(
            Finding.district,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Finding.rechecks_failed == 0, 1), else_=0)), 0),
        )
        .where(Finding.first_rechecked_on.between(start, end))
        .group_by(Finding.district)
    )
    if district is not None:
        stmt = stmt.where(Finding.district == district)
    return [(row[0], int(row[1]), int(row[2])) for row in (await session.execute(stmt)).all()]
