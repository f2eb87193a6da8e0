"""The overdue board (``GET /v1/supervision/overdue``): what is late, with its owner and how late.

Approvals, inspection findings and coordination items fill it, each kind an ``OverdueKind``.
Lateness is derived from the calendar in effect, so the board is computed on read, most overdue first.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.pagination import INTEGER, TEXT, Page, PageParams, cursor_values, encode_cursor
from services.registry.approvals import repository
from services.registry.approvals.schemas import ClockState, OverdueKind, OverdueRead
from services.registry.approvals.service import Reader, Rules
from services.registry.approvals.status import RUNNING
from services.registry.coordination import board as coordination_board
from services.registry.inspections import service as inspections

ITEM_TITLES = {
    "construction_permit": "施工许可",
    "planning_verification": "规划核实",
    "completion_filing": "竣工验收备案",
    "presale_permit": "预售许可",
    "first_registration": "首次登记",
    "other": "其他",
}


async def overdue(
    session: AsyncSession, rules: Rules, district: str | None, kind: OverdueKind | None = None
) -> list[OverdueRead]:
    """Every late item of ``district`` (or the city), of ``kind`` or every kind, most working days overdue
    first, then by id."""
    found: list[OverdueRead] = []
    if kind in (None, OverdueKind.approval):
        found.extend(await _approvals(session, rules, district))
    if kind in (None, OverdueKind.finding):
        found.extend(await inspections.overdue(session, district, clock.today()))
    if kind in (None, OverdueKind.coordination_item):
        found.extend(await coordination_board.overdue(session, district))
    found.sort(key=lambda item: (-item.working_days_overdue, item.id))
    return found


async def _approvals(session: AsyncSession, rules: Rules, district: str | None) -> list[OverdueRead]:
    reader = await Reader.open(session, rules)
    found: list[OverdueRead] = []
    rows = await repository.with_projects(session, [s.value for s in RUNNING], district)
    projects = {approval.id: project for approval, project in rows}
    for case in await reader.cases([approval for approval, _ in rows]):
        own = reader.clock_of(case)
        if own.clock is not ClockState.overdue:
            continue
        a, project = case.approval, projects[case.approval.id]
        found.append(
            OverdueRead(
                kind=OverdueKind.approval,
                id=a.id,
                project_id=project.id,
                project_code=project.code,
                project_name=project.name,
                district=a.district,
                title=a.item_name or ITEM_TITLES.get(a.item, a.item),
                owner=a.lead_department,
                due_on=own.due_on,
                working_days_overdue=own.working_days_overdue,
                days_overdue=(reader.today - own.due_on).days,
                estimated=own.estimated,
            )
        )
    return found


async def page(
    session: AsyncSession, rules: Rules, paging: PageParams, district: str | None, kind: OverdueKind | None = None
) -> Page[OverdueRead]:
    """One page of the board; raises ProblemError(400) for a cursor of another list."""
    items = await overdue(session, rules, district, kind)
    if paging.cursor:
        late, last_id = cursor_values(paging.cursor, INTEGER, TEXT)
        items = [i for i in items if (-i.working_days_overdue, i.id) > (-late, last_id)]
    next_cursor = None
    if len(items) > paging.limit:
        items = items[: paging.limit]
        next_cursor = encode_cursor([items[-1].working_days_overdue, items[-1].id])
    return Page[OverdueRead](items=items, next_cursor=next_cursor)
