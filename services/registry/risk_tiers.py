"""Applies ``project.risk_tier_changed`` from the risk service to the cached ``risk_tier``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role
from services.common.outbox import Outbox
from services.registry import audit
from services.registry.models import Project
from services.registry.projects.schemas import RiskTier

_RISK_SERVICE = Principal(sub="service:risk", role=Role.service)


async def on_risk_tier_changed(session: AsyncSession, data: dict[str, Any], outbox: Outbox) -> None:
    """Cache the new tier unless an event with a higher per-project sequence was applied already."""
    project = await session.get(Project, str(data.get("project_id")), with_for_update=True)
    if project is None:
        return
    tier = RiskTier(data["tier"])
    sequence = int(data.get("sequence") or 0)
    if project.risk_tier_sequence is not None and sequence <= project.risk_tier_sequence:
        return
    before = project.risk_tier
    project.risk_tier = tier.value
    project.risk_tier_sequence = sequence
    project.version += 1
    project.updated_at = clock.now()
    await audit.record(
        session,
        _RISK_SERVICE,
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        action="risk_tier_changed",
        before={"risk_tier": before},
        after={"risk_tier": tier.value},
    )
