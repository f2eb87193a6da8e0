"""Inspections and findings as the API takes and shows them, and the payloads of the events they emit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.registry.inspections.status import FindingAction, FindingState, RecheckResult


class InspectionKind(StrEnum):
    """`routine` 日常巡查, `special` 专项检查, `unannounced` 飞行检查 (四不两直), `patrol` 巡查, `unit_acceptance`
    分户验收 (before handover)."""

    routine = "routine"
    special = "special"
    unannounced = "unannounced"
    patrol = "patrol"
    unit_acceptance = "unit_acceptance"


class Category(StrEnum):
    """`quality` 质量, `safety` 安全, `management` 管理."""

    quality = "quality"
    safety = "safety"
    management = "management"


class Severity(StrEnum):
    """`general` 一般, `major` 较大, `critical` 重大."""

    general = "general"
    major = "major"
    critical = "critical"


class ResponsibleParty(StrEnum):
    """`developer` 建设单位, `design` 设计单位, `construction` 施工单位, `supervision` 监理单位."""

    developer = "developer"
    design = "design"
    construction = "construction"
    supervision = "supervision"


class Measure(StrEnum):
    """`rectify` 责令改正, `rework` 返工, `partial_stop` 局部停工, `stop_work` 停工整改 (sets the project's
    `stop_work_order` until the finding is closed), `bad_conduct_record` 不良行为记录, `penalty_referral` 处罚建议."""

    rectify = "rectify"
    rework = "rework"
    partial_stop = "partial_stop"
    stop_work = "stop_work"
    bad_conduct_record = "bad_conduct_record"
    penalty_referral = "penalty_referral"


PARTY_NAMES = {
    ResponsibleParty.developer: "建设单位",
    ResponsibleParty.design: "设计单位",
    ResponsibleParty.construction: "施工单位",
    ResponsibleParty.supervision: "监理单位",
}

Name = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
WorkingDays = Annotated[int, Field(ge=1, le=365)]


class InspectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "unannounced",
                    "inspected_on": "2026-11-10",
                    "inspectors": ["王强", "刘洋"],
                    "note": "四不两直",
                }
            ]
        },
    )

    kind: InspectionKind
    inspected_on: Day = Field(description="The day of the inspection; not in the future.")
    inspectors: list[Name] = Field(min_length=1, max_length=20, description="The inspectors' names.")
    note: Text | None = None


class FindingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "safety",
                    "severity": "major",
                    "description": "3号楼外脚手架连墙件缺失",
                    "location": "3号楼 12-15层",
                    "responsible_party": "construction",
                    "measure": "stop_work",
                    "deadline_working_days": 5,
                }
            ]
        },
    )

    category: Category
    severity: Severity
    description: Text
    location: Annotated[str, Field(min_length=1, max_length=200)]
    responsible_party: ResponsibleParty
    measure: Measure
    deadline_working_days: WorkingDays = Field(description="Working days to rectify, counted from `notice_issued_on`.")
    notice_issued_on: Day | None = Field(
        None,
        description="The day the rectification notice was issued; default the inspection's date, never before it "
        "nor in the future.",
    )


class FindingTransition(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "reply", "on": "2026-11-16", "measures_taken": "补设连墙件", "replied_by": "项目经理 陈刚"},
                {"action": "recheck", "on": "2026-11-18", "result": "fail", "deadline_working_days": 3},
                {"action": "recheck", "result": "pass"},
                {"action": "escalate", "note": "逾期未整改，提请督办"},
            ]
        },
    )

    action: FindingAction
    on: Day | None = Field(
        None, description="When it happened; default today, never in the future nor before the finding's last move."
    )
    note: Text | None = Field(None, description="Required for `escalate` (督办).")
    measures_taken: Text | None = Field(None, description="Required for `reply`: what was done.")
    replied_by: Name | None = Field(None, description="For `reply`: who did it.")
    result: RecheckResult | None = Field(None, description="Required for `recheck`: `pass` or `fail`.")
    deadline_working_days: WorkingDays | None = Field(
        None, description="Required for a failed `recheck`: the new deadline, counted from the recheck's day."
    )


class FindingRead(BaseModel):
    id: str
    inspection_id: str
    project_id: str
    district: str
    inspection_kind: InspectionKind
    category: Category
    severity: Severity
    description: str
    location: str
    responsible_party: ResponsibleParty
    measure: Measure
    state: FindingState
    notice_issued_on: date
    deadline_working_days: int = Field(description="The deadline in force (after a failed recheck, the new one).")
    deadline_from: date = Field(description="The day the deadline in force counts from.")
    due_on: date = Field(description="`deadline_working_days` official working days after `deadline_from`.")
    overdue: bool = Field(description="Open or reopened, and past `due_on`.")
    working_days_overdue: int = Field(description="Working days past `due_on` of an overdue finding; else 0.")
    estimated: bool = Field(description="A day counted lies in a year whose holiday notice is not known yet.")
    replied_on: date | None
    measures_taken: str | None
    replied_by: str | None
    rechecks: int = Field(description="Rechecks made so far.")
    rechecks_failed: int
    closed_on: date | None
    escalated: bool = Field(description="Escalated (督办) while overdue.")
    escalated_on: date | None
    escalation_note: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class InspectionRead(BaseModel):
    id: str
    project_id: str
    district: str
    kind: InspectionKind
    inspected_on: date
    inspectors: list[str]
    note: str | None
    findings: list[FindingRead] = Field(description="The inspection's findings, in the order recorded.")
    created_by: str
    created_at: datetime


class FindingEvent(BaseModel):
    """What every finding event carries."""

    finding_id: str
    inspection_id: str
    district: str
    category: Category
    severity: Severity
    responsible_party: ResponsibleParty
    measure: Measure
    state: FindingState
    deadline_working_days: int
    due_on: date
    estimated: bool


class FindingOverdue(FindingEvent):
    """`finding.overdue`: an open or reopened finding passed its deadline; sent once per finding and deadline by
    the daily job."""

    working_days_overdue: int


class FindingClosed(FindingEvent):
    """`finding.closed`: a recheck passed and the finding was closed (销号)."""

    closed_on: date
    on_time: bool = Field(description="Closed on or before `due_on`.")
    rechecks_failed: int


class ProjectStopWorkChanged(BaseModel):
    """`project.stop_work_changed`: the project's stop-work order (停工整改) began or ended."""

    district: str
    stop_work_order: bool
    finding_id: str = Field(description="The stop-work finding that set the order, or whose close lifted it.")
    on: date
