"""Weekly dispatch reports (周调度) as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.days import Week, week_start
from services.registry.projects.schemas import Percent

Note = Annotated[str, Field(max_length=4000)]


class ProgressReportCreate(BaseModel):
    """One week's report on a project; a project has at most one report per week."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "week": "2026-W03",
                    "progress_pct": "46",
                    "working": False,
                    "workers_on_site": 0,
                    "issues": "拖欠材料款，施工方撤场",
                    "actions": "区专班约谈开发商",
                }
            ]
        },
    )

    week: Week = Field(description="The ISO week reported on, e.g. `2025-W25`; not a future one.")
    progress_pct: Percent = Field(description="Overall construction progress at the end of the week, 0..100.")
    working: bool = Field(
        strict=True, description="Whether work went on that week; `false` opens a stall, `true` ends one."
    )
    workers_on_site: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    issues: Note | None = Field(None, description="Problems met (存在问题).")
    actions: Note | None = Field(None, description="What is being done about them (推进措施).")

    @field_validator("week")
    @classmethod
    def _real_week(cls, value: str) -> str:
        week_start(value)
        return value


class ProgressReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    week: str
    week_start: date = Field(description="The Monday of the week.")
    progress_pct: Decimal
    working: bool
    workers_on_site: int
    issues: str | None
    actions: str | None
    reported_by: str
    created_at: datetime
