"""Disputes (信访, 投诉, 群体事件) about a project, as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day


class DisputeKind(StrEnum):
    """The kind of dispute: `petition` 信访, `complaint` 投诉, `group_incident` 群体事件."""

    petition = "petition"  # 信访
    complaint = "complaint"  # 投诉
    group_incident = "group_incident"  # 群体事件


Summary = Annotated[str, Field(min_length=1, max_length=4000)]


class DisputeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "petition", "opened_on": "2026-01-15", "summary": "购房人联名信访，反映项目停工"}]
        },
    )

    kind: DisputeKind
    opened_on: Day = Field(description="When it arose; not in the future.")
    resolved_on: Day | None = Field(None, description="When it was resolved; on or after `opened_on`, not later.")
    summary: Summary | None = None


class DisputeUpdate(BaseModel):
    """Fields to change; a field left out stays as it is. `resolved_on: null` reopens a dispute."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"resolved_on": "2026-02-01"}, {"resolved_on": None}]}
    )

    kind: DisputeKind | None = None
    resolved_on: Day | None = None
    summary: Summary | None = None


class DisputeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    kind: DisputeKind
    opened_on: date
    resolved_on: date | None
    summary: str | None
    created_at: datetime
