"""All SQL about the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.financing.audit.schemas import AuditEntity
from services.financing.models import AuditEntry


async def page(
    session: AsyncSession,
    paging: PageParams,
    *,
    entity: AuditEntity | None,
    entity_id: str | None,
    project_id: str | None,
) -> list[AuditEntry]:
    """Entries, newest first."""
    stmt = sa.select(AuditEntry)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if project_id is not None:
        stmt = stmt.where(AuditEntry.project_id == project_id)
    stmt = keyset(stmt, paging, *by_time(AuditEntry.at, AuditEntry.id))
    return list((await session.scalars(stmt)).all())
