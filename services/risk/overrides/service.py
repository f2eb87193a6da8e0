"""Setting and lifting overrides; an override decides the published tier while it is in force."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.problems import not_found, unprocessable
from services.risk.assessments import repository as assessments
from services.risk.events import tier_changed_data
from services.risk.models import Override, ProjectRiskState
from services.risk.overrides import audit, repository
from services.risk.overrides.schemas import AuditAction, OverrideCreate, OverrideEnd


async def _assessed(session: AsyncSession, project_id: str) -> ProjectRiskState:
    state = await assessments.state(session, project_id, for_update=True)
    if state is None or state.last_assessment_id is None:
        raise not_found("assessed project")
    return state


async def _publish(
    session: AsyncSession, outbox: Outbox, state: ProjectRiskState, tier: str, override_id: str | None
) -> None:
    """Make ``tier`` the published tier, announcing it when it differs from the one published before."""
    if tier == state.tier:
        return
    latest = await assessments.assessment(session, str(state.last_assessment_id))
    assert latest is not None
    snapshot = {
        "id": latest.id,
        "probability": latest.probability,
        "score": latest.score,
        "reason_codes": latest.reason_codes,
        "model_version": latest.model_version,
        "thresholds_version": latest.thresholds_version,
    }
    data = tier_changed_data(tier=tier, previous_tier=state.tier, assessment=snapshot, override_id=override_id)
    await outbox.emit(session, EventType.project_risk_tier_changed, data, project_id=state.project_id)
    state.tier = tier
    state.updated_at = clock.now()


async def set_override(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    project_id: str,
    data: OverrideCreate,
    default_days: int,
) -> Override:
    """Put the project's tier at ``data.tier`` until it expires or is lifted; an override in force is replaced.

    Raises ProblemError 404 (risk has not assessed the project) and 422 (``expires_at`` not in the future).
    """
    state = await _assessed(session, project_id)
    now = clock.now()
    expires_at = data.expires_at or now + timedelta(days=default_days)
    if expires_at <= now:
        raise unprocessable("expires_at must be in the future.", "#/body/expires_at")
    current = await repository.open_override(session, project_id)
    if current is not None:
        current.ended_at, current.ended_by, current.end_reason = now, principal.sub, OverrideEnd.replaced.value
        audit.record(
            session,
            actor=principal.sub,
            actor_role=principal.role.value,
            action=AuditAction.replaced,
            override=current,
            tier_before=state.tier,
            tier_after=data.tier.value,
        )
    override = Override(
        project_id=project_id,
        tier=data.tier.value,
        reason=data.reason,
        created_by=principal.sub,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(override)
    await session.flush()
    audit.record(
        session,
        actor=principal.sub,
        actor_role=principal.role.value,
        action=AuditAction.set,
        override=override,
        tier_before=state.tier,
        tier_after=override.tier,
    )
    await _publish(session, outbox, state, override.tier, override.id)
    return override


async def lift_override(session: AsyncSession, outbox: Outbox, principal: Principal, project_id: str) -> Override:
    """End the project's override; the tier goes back to what assessments say (after hysteresis).

    Raises ProblemError 404 when the project has no override to lift.
    """
    state = await _assessed(session, project_id)
    override = await repository.open_override(session, project_id)
    if override is None:
        raise not_found("override")
    override.ended_at, override.ended_by, override.end_reason = clock.now(), principal.sub, OverrideEnd.lifted.value
    tier_after = state.hysteresis_tier or override.tier
    audit.record(
        session,
        actor=principal.sub,
        actor_role=principal.role.value,
        action=AuditAction.lifted,
        override=override,
        tier_before=state.tier,
        tier_after=tier_after,
    )
    await _publish(session, outbox, state, tier_after, None)
    return override
