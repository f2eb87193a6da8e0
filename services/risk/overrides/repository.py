"""The SQL of overrides and their audit."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.risk.models import Override, OverrideAudit


async def open_override(session: AsyncSession, project_id: str) -> Override | None:
    """The project's override that has not ended (it may have expired; the next assessment ends it)."""
    statement = sa.select(Override).where(Override.project_id == project_id, Override.ended_at.is_(None))
    return (await session.scalars(statement.limit(1))).first()


async def audit_page(session: AsyncSession, paging: PageParams, *, project_id: str | None) -> list[OverrideAudit]:
    """A page of audit entries, newest first."""
    statement = sa.select(OverrideAudit)
    if project_id:
        statement = statement.where(OverrideAudit.project_id == project_id)
    return list(await session.scalars(keyset(statement, paging, *by_time(OverrideAudit.at, OverrideAudit.id))))
