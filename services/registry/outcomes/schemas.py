"""A project's outcome: what finally happened, the label the risk model learns from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day


class OutcomeKind(StrEnum):
    """What finally happened to a project: `delivered_on_time` 按期交付, `delivered_late` 逾期交付, `terminated`
    终止 (处置)."""

    delivered_on_time = "delivered_on_time"
    delivered_late = "delivered_late"
    terminated = "terminated"


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "delivered_late", "delivered_on": "2026-10-30", "note": "分批交付"}]},
    )

    kind: OutcomeKind
    delivered_on: Day | None = Field(
        None,
        description="When the homes were handed over: required for `delivered_*` (on or before the contract "
        "delivery date for `delivered_on_time`, after it for `delivered_late`), absent for `terminated`.",
    )
    note: Annotated[str, Field(min_length=1, max_length=4000)] | None = None


class OutcomeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: str
    kind: OutcomeKind
    delivered_on: date | None
    note: str | None
    recorded_by: str
    recorded_at: datetime
