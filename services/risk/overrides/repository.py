"""The SQL of overrides and their audit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.risk.models import Override, OverrideAudit


async def open_override(session: AsyncSession, project_id: str) -> Override | None:
    """The project's override that has not ended (it may have expired; the next assessment ends it)."""
    statement = sa.select(Override).where(Override.project_id == project_id, Override.ended_at.is_(None))
    return (await session.scalars(statement.limit(1))).first()


async def audit_page(
    session: AsyncSession, *, project_id: str | None, limit: int, before: tuple[datetime, str] | None
) -> list[OverrideAudit]:
    """Audit entries, newest first, after the page that ended at ``before`` (its time and id)."""
    statement = sa.select(OverrideAudit)
    if project_id:
        statement = statement.where(OverrideAudit.project_id == project_id)
    if before is not None:
        at, entry_id = before
        statement = statement.where(
            sa.or_(OverrideAudit.at < at, sa.and_(OverrideAudit.at == at, OverrideAudit.id < entry_id))
        )
    statement = statement.order_by(OverrideAudit.at.desc(), OverrideAudit.id.desc()).limit(limit)
    return list(await session.scalars(statement))
