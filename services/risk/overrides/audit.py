"""The override audit: every set, replacement, lift and expiry, with who, when and the tiers around it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.context import current_request_id
from services.risk.models import Override, OverrideAudit
from services.risk.overrides.schemas import AuditAction


def record(
    session: AsyncSession,
    *,
    actor: str,
    actor_role: str,
    action: AuditAction,
    override: Override,
    tier_before: str | None,
    tier_after: str | None,
) -> None:
    """Add an audit entry in the caller's transaction."""
    session.add(
        OverrideAudit(
            actor=actor,
            actor_role=actor_role,
            action=action.value,
            project_id=override.project_id,
            override_id=override.id,
            reason=override.reason if action is AuditAction.set else None,
            tier_before=tier_before,
            tier_after=tier_after,
            request_id=current_request_id(),
        )
    )
