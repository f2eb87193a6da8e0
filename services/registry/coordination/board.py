"""Coordination items on the overdue board (``GET /v1/supervision/overdue``): the open items past their due date,
owned by their lead department, escalated ones marked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.approvals.schemas import OverdueKind, OverdueRead
from services.registry.calendar.service import DayReader
from services.registry.coordination import repository
from services.registry.coordination.service import Reader, title
from services.registry.coordination.status import OPEN


async def overdue(session: AsyncSession, day: DayReader, district: str | None) -> list[OverdueRead]:
    """Every open item of ``district`` (or the city) past its due date on ``day``, unordered."""
    reader = Reader(day.calendar, day.today)
    found: list[OverdueRead] = []
    for item in await repository.board_rows(session, [s.value for s in OPEN], district):
        own = reader.deadline(item)
        if not own.overdue:
            continue
        found.append(
            OverdueRead.of(
                OverdueKind.coordination_item,
                item,
                title=title(item),
                owner=item.lead_department,
                due_on=own.due_on,
                working_days_overdue=own.working_days_overdue,
                estimated=own.estimated,
                today=reader.today,
                escalated=item.escalated_on is not None,
            )
        )
    return found
