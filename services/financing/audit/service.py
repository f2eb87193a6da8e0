"""Recording who changed what in financing, in the transaction of the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.context import current_request_id
from services.financing.audit.schemas import AuditAction, AuditEntity
from services.financing.models import AuditEntry


def record(
    session: AsyncSession,
    principal: Principal,
    *,
    entity: AuditEntity,
    entity_id: str,
    action: AuditAction,
    project_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry in the caller's transaction (``before`` and ``after`` as JSON values)."""
    session.add(
        AuditEntry(
            actor=principal.sub,
            actor_role=principal.role.value,
            entity=entity.value,
            entity_id=entity_id,
            project_id=project_id,
            action=action.value,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )
