"""All SQL about disputes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import DAY, TEXT, PageParams, SortKey, keyset
from services.registry.models import Dispute, Project


async def with_project(session: AsyncSession, dispute_id: str, *, for_update: bool = False) -> Any | None:
    """The row ``(Dispute, Project)`` of the dispute, or None; ``for_update`` locks the dispute."""
    stmt = sa.select(Dispute, Project).join(Project, Project.id == Dispute.project_id).where(Dispute.id == dispute_id)
    if for_update:
        stmt = stmt.with_for_update(of=Dispute)
    return (await session.execute(stmt)).one_or_none()


async def page(
    session: AsyncSession, paging: PageParams, project_id: str, *, kind: str | None, resolved: bool | None
) -> list[Dispute]:
    """A page of the project's disputes, latest opened first."""
    stmt = sa.select(Dispute).where(Dispute.project_id == project_id)
    if kind is not None:
        stmt = stmt.where(Dispute.kind == kind)
    if resolved is not None:
        stmt = stmt.where(Dispute.resolved_on.is_not(None) if resolved else Dispute.resolved_on.is_(None))
    keys = SortKey(Dispute.opened_on, DAY), SortKey(Dispute.id, TEXT)
    return list((await session.scalars(keyset(stmt, paging, *keys))).all())
