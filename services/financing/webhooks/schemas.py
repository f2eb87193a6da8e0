"""Bank webhook endpoints, their deliveries and attempts, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from services.common import clock
from services.common.days import Instant
from services.common.outbox import DeliveryStatus
from services.financing.events.catalog import WebhookEventType
from services.financing.webhooks.secrets import live_retired

Url = Annotated[
    str, Field(min_length=8, max_length=2048, pattern=r"^https?://", examples=["https://bank.example/hooks"])
]
EventTypes = Annotated[list[WebhookEventType], Field(min_length=1, max_length=len(WebhookEventType))]
RateLimit = Annotated[StrictInt, Field(ge=1, le=10_000, description="Deliveries per second at most.")]


class DisabledReason(StrEnum):
    """Why an endpoint is disabled: `manual` 手动停用, `gone` the endpoint answered 410, `failing` 持续失败
    (failing without a break for days)."""

    manual = "manual"  # PATCH enabled=false
    gone = "gone"  # the endpoint answered 410
    failing = "failing"  # every attempt failed for FINANCING_ENDPOINT_DISABLE_AFTER_SECONDS


def _unique(types: list[WebhookEventType] | None) -> list[WebhookEventType] | None:
    return list(dict.fromkeys(types)) if types is not None else None


class EndpointCreate(BaseModel):
    """A destination for a bank's events. A city admin registering one for a bank names the ``bank``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://bank.example/hooks",
                    "event_types": ["whitelist.entry_pushed", "project.risk_tier_changed"],
                    "description": "信贷系统",
                    "rate_limit_per_second": 50,
                }
            ]
        },
    )

    url: Url
    event_types: EventTypes
    description: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    enabled: StrictBool = True
    rate_limit_per_second: RateLimit | None = None
    bank: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")] | None = None

    _dedupe = field_validator("event_types")(_unique)


class EndpointUpdate(BaseModel):
    """Fields to change. `enabled: true` re-enables a disabled endpoint (then `recover` what it missed)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"enabled": True}, {"url": "https://bank.example/hooks/v2"}]}
    )

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    enabled: StrictBool | None = None
    rate_limit_per_second: RateLimit | None = None

    _dedupe = field_validator("event_types")(_unique)


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    bank: str
    url: str
    description: str | None
    event_types: list[WebhookEventType]
    enabled: bool
    disabled_reason: DisabledReason | None
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="First failed attempt since the last success, if failing.")
    rate_limit_per_second: int | None
    retired_secrets_expire_at: list[datetime] = Field(
        description="When each secret retired by a rotation and still signing stops signing, soonest first."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="The last of `retired_secrets_expire_at`: until then some retired secret still signs."
    )
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        """From an endpoint row: the expiries of its retired secrets still signing (never the secrets)."""
        if isinstance(data, dict):
            return data
        expiries = [datetime.fromisoformat(r["expires_at"]) for r in live_retired(data.retired_secrets, clock.now())]
        fields = {name: getattr(data, name) for name in cls.model_fields if hasattr(data, name)}
        return {
            **fields,
            "retired_secrets_expire_at": expiries,
            "previous_secret_expires_at": max(expiries, default=None),
        }


class EndpointCreated(EndpointRead):
    secret: str = Field(description="The signing secret (`whsec_...`). Shown this once: keep it.")


class SecretRotated(BaseModel):
    id: str
    secret: str = Field(
        description="The new signing secret (`whsec_...`). Shown once (and again to a retry with the same "
        "`Idempotency-Key`): keep it."
    )
    previous_secret_expires_at: datetime = Field(
        description="Until then the secret this rotation retired signs too, beside the new one."
    )
    retired_secrets_expire_at: list[datetime] = Field(
        description="When each retired secret still signing stops signing (this rotation's included), soonest first."
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None = Field(description="None when no answer came (connection error, timeout).")
    latency_ms: int
    error: str | None = Field(
        description="Why the attempt failed, in a fixed note of ours (for example `no answer in time`, "
        "`redirects are not followed`); never words of the destination's, whose answers are not kept."
    )
    next_attempt_at: datetime | None = Field(description="When the delivery is tried again, if it will be.")


class DeliveryRead(BaseModel):
    id: str
    event_id: str = Field(description="The `webhook-id` of every attempt.")
    event_type: str
    status: DeliveryStatus
    attempts: list[AttemptRead] = Field(description="Every attempt, oldest first.")
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried next.")
    last_status_code: int | None
    created_at: datetime
    updated_at: datetime


class RecoverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"since": "2026-01-20T00:00:00Z"}]})

    since: Instant = Field(description="Redeliver the events since then (RFC 3339 with a zone).")


class RecoverRead(BaseModel):
    requeued: int = Field(description="Deliveries queued again or for the first time.")
