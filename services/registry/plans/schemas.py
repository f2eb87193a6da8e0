"""One plan per project (一项目一方案) and its milestones, as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.registry.projects.schemas import Percent, Text200


class DisposalPath(StrEnum):
    """How the project is to be finished (处置方式): `self_rescue` 企业自救, `merger_acquisition` 兼并重组,
    `government_takeover` 政府接管 (属地托管), `judicial_disposal` 司法处置 (破产重整), `other` 其他."""

    self_rescue = "self_rescue"  # 自救: the developer finishes with its own means
    merger_acquisition = "merger_acquisition"  # 并购重组
    government_takeover = "government_takeover"  # 代建/接管
    judicial_disposal = "judicial_disposal"  # 司法处置 (bankruptcy, reorganisation)
    other = "other"


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    planned_date: Day
    planned_progress_pct: Percent = Field(description="The progress the plan calls for by `planned_date`.")
    actual_date: Day | None = Field(None, description="When the milestone was reached; not in the future.")


class PlanCreate(BaseModel):
    """A new version of the project's plan; milestones in order of date, progress never falling."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "disposal_path": "merger_acquisition",
                    "measures": "引入国企收购在建工程，专项借款支持复工",
                    "responsible_party": "滨江区住建局",
                    "milestones": [
                        {"name": "复工", "planned_date": "2026-03-01", "planned_progress_pct": "40"},
                        {"name": "主体结构封顶", "planned_date": "2026-09-30", "planned_progress_pct": "70"},
                    ],
                }
            ]
        },
    )

    disposal_path: DisposalPath
    measures: Annotated[str, Field(min_length=1, max_length=10_000, description="The measures (处置措施).")]
    responsible_party: Text200 = Field(description="Who answers for carrying the plan out (责任单位).")
    milestones: list[MilestoneCreate] = Field(default_factory=list, max_length=200)


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    planned_date: date
    planned_progress_pct: Decimal
    actual_date: date | None


class PlanRead(BaseModel):
    id: str
    project_id: str
    version: int = Field(description="1 for the first plan, one more for every change.")
    current: bool = Field(description="Whether this is the version in force.")
    disposal_path: DisposalPath
    measures: str
    responsible_party: str
    milestones: list[MilestoneRead]
    created_by: str
    created_at: datetime
