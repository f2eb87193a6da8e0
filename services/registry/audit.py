"""The audit log: who changed what, when, and the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.context import current_request_id
from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import INSTANT, TEXT, Page, cursor_values, encode_cursor
from services.common.problems import problem_responses
from services.registry.models import AuditEntry


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    entity: str,
    entity_id: str,
    action: str,
    project_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry in the caller's transaction."""
    session.add(
        AuditEntry(
            actor=principal.sub,
            actor_role=principal.role.value,
            entity=entity,
            entity_id=entity_id,
            project_id=project_id,
            action=action,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str
    actor_role: str
    entity: str
    entity_id: str
    project_id: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    operation_id="listAuditEntries",
    description=(
        "Every change to the ledger, with who made it, when, the request id and the fields before and "
        "after. City admins only."
    ),
    response_model=Page[AuditEntryRead],
    summary="The audit log, newest first (city admins)",
    responses=problem_responses(400, 401, 403),
)
async def list_audit(
    principal: CityAdmin,
    session: Session,
    paging: Paging,
    project_id: str | None = Query(None, max_length=36),
    entity_id: str | None = Query(None, max_length=36),
) -> Page[AuditEntryRead]:
    stmt = sa.select(AuditEntry)
    if project_id:
        stmt = stmt.where(AuditEntry.project_id == project_id)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if paging.cursor:
        at, entry_id = cursor_values(paging.cursor, INSTANT, TEXT)
        stmt = stmt.where(sa.or_(AuditEntry.at < at, sa.and_(AuditEntry.at == at, AuditEntry.id < entry_id)))
    rows = list(
        (await session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(paging.limit + 1))).all()
    )
    next_cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        next_cursor = encode_cursor([rows[-1].at.isoformat(), rows[-1].id])
    return Page[AuditEntryRead](items=[AuditEntryRead.model_validate(r) for r in rows], next_cursor=next_cursor)
