"""Coordination items on the overdue board (``GET /v1/supervision/overdue``): the open items past their due date,
owned by their lead department, escalated ones marked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.approvals.schemas import OverdueKind, OverdueRead
from services.registry.coordination import repository
from services.registry.coordination.service import Reader, title
from services.registry.coordination.status import OPEN


async def overdue(session: AsyncSession, district: str | None) -> list[OverdueRead]:
    """Every open item of ``district`` (or the city) past its due date today, unordered."""
    reader = await Reader.open(session)
    found: list[OverdueRead] = []
    for item, project in await repository.with_projects(session, [s.value for s in OPEN], district):
        own = reader.deadline(item)
        if not own.overdue:
            continue
        found.append(
            OverdueRead(
                kind=OverdueKind.coordination_item,
                id=item.id,
                project_id=project.id,
                project_code=project.code,
                project_name=project.name,
                district=item.district,
                title=title(item),
                owner=item.lead_department,
                due_on=own.due_on,
                working_days_overdue=own.working_days_overdue,
                days_overdue=(reader.today - own.due_on).days,
                estimated=own.estimated,
                escalated=item.escalated_on is not None,
            )
        )
    return found
