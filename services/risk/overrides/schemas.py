"""Requests and answers of ``/v1/projects/{id}/override`` and ``/v1/audit``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.days import Instant
from services.risk.model import RiskTier


class OverrideEnd(StrEnum):
    """Why an override stopped applying: `lifted` 撤销, `replaced` 被新设定取代, `expired` 到期."""

    lifted = "lifted"
    replaced = "replaced"
    expired = "expired"


class AuditAction(StrEnum):
    """What happened to an override: `set` 设定, `replaced` 被新设定取代, `lifted` 撤销, `expired` 到期."""

    set = "set"
    replaced = "replaced"
    lifted = "lifted"
    expired = "expired"


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class OverrideCreate(BaseModel):
    """A manual tier: it applies until ``expires_at`` or until lifted, whatever the model says."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tier": "red",
                    "reason": "区住建局现场核查：项目实际已停工，开发商资金链断裂",
                    "expires_at": "2026-12-31T16:00:00Z",
                }
            ]
        },
    )

    tier: RiskTier
    reason: Reason = Field(description="Why the tier is set by hand (required; recorded in the audit).")
    expires_at: Instant | None = Field(
        None, description="When it stops applying; `RISK_OVERRIDE_DEFAULT_DAYS` from now when left out."
    )


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    tier: RiskTier
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    end_reason: OverrideEnd | None


class OverrideAuditRead(BaseModel):
    """One audited change of an override: who, when, what, and the published tier before and after."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str
    actor_role: str
    action: AuditAction
    project_id: str
    override_id: str
    reason: str | None
    tier_before: RiskTier | None
    tier_after: RiskTier | None
    request_id: str | None
