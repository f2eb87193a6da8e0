"""The overdue board (``GET /v1/supervision/overdue``): what is late, with its owner and how late.

Approvals, inspection findings and coordination items fill it, each kind an ``OverdueKind``.
Lateness is derived from the calendar in effect, so the board is computed on read, most overdue first: the
calendar is loaded once for every kind, and each kind is read as plain rows of the columns its deadline is counted
from and the board shows (building ORM objects for thousands of rows cost more than counting their deadlines).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import INTEGER, TEXT, Page, PageParams, cursor_values, encode_cursor
from services.registry.approvals import repository
from services.registry.approvals.deadlines import derive
from services.registry.approvals.schemas import ClockState, OverdueKind, OverdueRead
from services.registry.approvals.service import Rules
from services.registry.approvals.status import RUNNING
from services.registry.calendar.service import DayReader
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
    first, then by id. The calendar is loaded once for every kind."""
    day = await DayReader.open(session)
    found: list[OverdueRead] = []
    if kind in (None, OverdueKind.approval):
        found.extend(await _approvals(session, rules, day, district))
    if kind in (None, OverdueKind.finding):
        found.extend(await inspections.overdue(session, day, district))
    if kind in (None, OverdueKind.coordination_item):
        found.extend(await coordination_board.overdue(session, day, district))
    found.sort(key=lambda item: (-item.working_days_overdue, item.id))
    return found


async def _approvals(session: AsyncSession, rules: Rules, day: DayReader, district: str | None) -> list[OverdueRead]:
    found: list[OverdueRead] = []
    rows, pauses = await repository.board_clocks(session, [s.value for s in RUNNING], district)
    for a in rows:
        own = derive(day.calendar, a, pauses.get(a.id, ()), day.today, rules.due_soon_working_days)
        if own.clock is not ClockState.overdue:
            continue
        found.append(
            OverdueRead.of(
                OverdueKind.approval,
                a,
                title=a.item_name or ITEM_TITLES.get(a.item, a.item),
                owner=a.lead_department,
                due_on=own.due_on,
                working_days_overdue=own.working_days_overdue,
                estimated=own.estimated,
                today=day.today,
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
