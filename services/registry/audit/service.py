"""Writing the audit log: who changed what, when, and the state before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.context import current_request_id
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
