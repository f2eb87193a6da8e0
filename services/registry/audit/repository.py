"""All SQL about the audit log."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import bulk
from services.common.pagination import PageParams, by_time, keyset
from services.registry.models import AuditEntry


async def page(
    session: AsyncSession, paging: PageParams, *, project_id: str | None, entity_id: str | None
) -> list[AuditEntry]:
    """A page of entries, newest first."""
    stmt = sa.select(AuditEntry)
    if project_id:
        stmt = stmt.where(AuditEntry.project_id == project_id)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return list((await session.scalars(keyset(stmt, paging, *by_time(AuditEntry.at, AuditEntry.id)))).all())


async def insert_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert audit entries (ids and times given): one COPY on PostgreSQL (``services.common.bulk``), one
    executemany on SQLite."""
    await bulk.insert_rows(session, cast(sa.Table, AuditEntry.__table__), rows)
