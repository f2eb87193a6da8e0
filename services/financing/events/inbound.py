"""``project.risk_tier_changed`` from the risk service, forwarded to the banks exposed to the project."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.problems import ProblemError
from services.financing.events import repository
from services.financing.events.catalog import ReasonCode, RiskTier, RiskTierChanged, payload


class _TierChange(BaseModel):
    """The part of risk's event financing forwards."""

    model_config = ConfigDict(extra="ignore")

    project_id: str = Field(min_length=1, max_length=36)
    sequence: int = Field(ge=0)
    tier: RiskTier
    previous_tier: RiskTier | None = None
    score: int | None = None
    probability: float | None = None
    reason_codes: list[ReasonCode] = Field(default_factory=list)
    model_version: str | None = None
    thresholds_version: str | None = None


async def on_risk_tier_changed(session: AsyncSession, data: dict[str, Any], outbox: Outbox) -> None:
    """Forward a tier change to the banks exposed to the project, unless a later change was forwarded already.

    Raises ProblemError(422) for data that is not a tier change.
    """
    try:
        change = _TierChange.model_validate(data)
    except ValidationError as exc:
        raise ProblemError(
            422, f"Not a risk tier change: {exc.error_count()} field(s) invalid.", slug="bad-event"
        ) from exc
    known = await repository.lock_known_tier(session, change.project_id, change.tier.value)
    if change.sequence <= known.risk_sequence:
        return
    known.tier = change.tier.value
    known.risk_sequence = change.sequence
    known.updated_at = clock.now()
    await session.flush()
    if not await repository.exposed_banks(session, change.project_id):
        return
    forwarded = RiskTierChanged(
        tier=change.tier,
        previous_tier=change.previous_tier,
        score=change.score,
        probability=change.probability,
        reason_codes=change.reason_codes,
        model_version=change.model_version,
        thresholds_version=change.thresholds_version,
        risk_sequence=change.sequence,
    )
    await outbox.emit(session, EventType.project_risk_tier_changed, payload(forwarded), project_id=change.project_id)
