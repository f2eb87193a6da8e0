"""Approval cases as the API shows them, and the payloads of the events they emit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.registry.approvals.status import ApprovalAction, ApprovalState


class ApprovalItem(StrEnum):
    """What is approved: `construction_permit` 施工许可, `planning_verification` 规划核实/验收, `completion_filing`
    竣工验收备案, `presale_permit` 预售许可, `first_registration` 首次登记 (交房即交证), `other` (named in
    `item_name`)."""

    construction_permit = "construction_permit"
    planning_verification = "planning_verification"
    completion_filing = "completion_filing"
    presale_permit = "presale_permit"
    first_registration = "first_registration"
    other = "other"


class PauseReason(StrEnum):
    """Why the clock stops: `correction` 补正 (the applicant corrects the application), `special_procedure`
    特别程序 (听证, 检验检测, 专家评审)."""

    correction = "correction"
    special_procedure = "special_procedure"


class ClockState(StrEnum):
    """Where an open case stands against its due date: `on_track`, `due_soon` (within three working days, by
    default), `overdue` (past it)."""

    on_track = "on_track"
    due_soon = "due_soon"
    overdue = "overdue"


Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class GreenChannel(BaseModel):
    """绿色通道 for a project whose procedures are incomplete (手续不全): why, and who approved it."""

    model_config = ConfigDict(extra="forbid")

    reason: Text
    approved_by: Name


class MissingMaterial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="The material, as the commitment names it; unique within the case.")
    due_on: Day = Field(description="The day it is promised by; not before `received_on`.")


class Commitment(BaseModel):
    """The applicant's signed commitment (告知承诺) to supply the missing materials."""

    model_config = ConfigDict(extra="forbid")

    signer: Name
    signed_on: Day = Field(description="Not in the future.")


class Tolerance(BaseModel):
    """容缺受理: non-key materials missing at receipt, each with its due date, against a signed commitment."""

    model_config = ConfigDict(extra="forbid")

    missing: list[MissingMaterial] = Field(min_length=1, max_length=50)
    commitment: Commitment


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item": "construction_permit",
                    "lead_department": "市住建局",
                    "co_departments": ["市自然资源局", "市消防救援支队"],
                    "received_on": "2026-09-28",
                    "tolerance": {
                        "missing": [{"name": "施工图审查合格书", "due_on": "2026-10-16"}],
                        "commitment": {"signer": "张伟（项目公司法定代表人）", "signed_on": "2026-09-28"},
                    },
                }
            ]
        },
    )

    item: ApprovalItem
    item_name: Name | None = Field(None, description="What is approved, for `other` (required there, else not given).")
    lead_department: Name = Field(description="The department that leads and decides (牵头部门).")
    co_departments: list[Name] = Field(
        default_factory=list, max_length=20, description="Departments that review in parallel (并联审批)."
    )
    received_on: Day = Field(description="The day the application was received; not in the future.")
    limit_working_days: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="The case's limit; defaults to the city's committed limit for the item, never above the "
        "statutory one.",
    )
    parallel_with: str | None = Field(
        None,
        min_length=36,
        max_length=36,
        description="Another case of the same project received the same day: the two are submitted together and "
        "form a parallel group (并联审批) whose clock is its slowest member's.",
    )
    green_channel: GreenChannel | None = None
    tolerance: Tolerance | None = None
    note: Text | None = None


class ApprovalTransition(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "on": "2026-09-29"},
                {"action": "pause", "on": "2026-10-09", "reason": "correction", "note": "补正消防设计说明"},
                {"action": "supplement", "on": "2026-10-14", "material": "施工图审查合格书"},
                {"action": "refuse", "reason": "规划条件不符"},
            ]
        },
    )

    action: ApprovalAction
    on: Day | None = Field(
        None, description="When it happened; default today, never in the future nor before the case's last move."
    )
    note: Text | None = None
    reason: Text | None = Field(
        None,
        description="Required for `pause` (`correction` or `special_procedure`), `refuse` and `revoke`.",
    )
    material: Name | None = Field(None, description="For `supplement`: one of the missing materials, by name.")


class MaterialRead(BaseModel):
    name: str
    due_on: date
    supplied_on: date | None
    overdue: bool = Field(description="Not supplied and past its due date.")


class CommitmentRead(BaseModel):
    signer: str
    signed_on: date


class ToleranceRead(BaseModel):
    missing: list[MaterialRead]
    commitment: CommitmentRead | None


class GreenChannelRead(BaseModel):
    reason: str
    approved_by: str


class PauseRead(BaseModel):
    reason: PauseReason
    began_on: date
    ended_on: date | None = Field(description="Null while the pause runs.")


class ParallelGroupRead(BaseModel):
    id: str
    members: int = Field(description="Cases in the group, this one included.")
    due_on: date = Field(description="The latest due date of the group's cases: the group's clock is its slowest.")
    clock: ClockState | None = Field(description="The worst clock among its cases still running; null when none.")


class ApprovalRead(BaseModel):
    id: str
    project_id: str
    district: str
    item: ApprovalItem
    item_name: str | None
    lead_department: str
    co_departments: list[str]
    received_on: date
    limit_working_days: int
    statutory_working_days: int
    green_channel: GreenChannelRead | None
    tolerance: ToleranceRead | None
    state: ApprovalState
    pauses: list[PauseRead]
    decided_on: date | None
    ended_on: date | None = Field(description="When it was withdrawn, revoked or closed.")
    reason: str | None = Field(description="Why it was refused or revoked.")
    due_on: date = Field(description="`limit_working_days` working days after `received_on`, pauses added.")
    working_days_used: int = Field(description="Working days after `received_on` up to the decision (or today).")
    clock: ClockState | None = Field(description="Null once decided or withdrawn.")
    within_limit: bool | None = Field(description="For a decided case, whether it was decided by `due_on`.")
    estimated: bool = Field(description="A day counted lies in a year whose holiday notice is not known yet.")
    parallel_group: ParallelGroupRead
    created_by: str
    created_at: datetime
    updated_at: datetime


class ApprovalEvent(BaseModel):
    """What every approval event carries."""

    approval_id: str
    district: str
    item: ApprovalItem
    item_name: str | None
    lead_department: str
    state: ApprovalState
    received_on: date
    due_on: date
    working_days_used: int
    limit_working_days: int
    estimated: bool


class ApprovalDecided(ApprovalEvent):
    """`approval.decided`: a case was approved (with or without tolerance) or refused."""

    decided_on: date
    within_limit: bool


class ApprovalOverdue(ApprovalEvent):
    """`approval.overdue`: an open case passed its due date; sent once per case by the daily job."""

    working_days_overdue: int


class ApprovalSupplementOverdue(ApprovalEvent):
    """`approval.supplement_overdue`: a material owed under 容缺 passed its due date; once per material."""

    material: str
    material_due_on: date


class DailyCheckRead(BaseModel):
    """What a run of the daily job did: the cases newly announced overdue, the materials newly announced
    overdue (as `approval_id/material`), the cases suspended, the inspection findings and the coordination items
    newly announced overdue."""

    on: date
    overdue: list[str]
    supplements_overdue: list[str]
    suspended: list[str]
    findings_overdue: list[str]
    coordination_items_overdue: list[str] = Field(default_factory=list)


class OverdueKind(StrEnum):
    """What is late on the board: `approval`, `finding` (an inspection finding not rectified by its deadline),
    `coordination_item` (a site problem a department has not solved by its deadline)."""

    approval = "approval"
    finding = "finding"
    coordination_item = "coordination_item"


class OverdueRead(BaseModel):
    kind: OverdueKind
    id: str
    project_id: str
    project_code: str
    project_name: str
    district: str
    title: str = Field(
        description="What is late: the approval item; a finding's description (its first 80 characters); a "
        "coordination item's topic."
    )
    owner: str = Field(
        description="Who holds it: the lead department of an approval or a coordination item; the responsible party "
        "of a finding, in Chinese with its code in brackets (`施工单位 (construction)`)."
    )
    due_on: date
    working_days_overdue: int
    days_overdue: int = Field(description="Calendar days since the due date.")
    estimated: bool
    escalated: bool = Field(False, description="Escalated (督办) while overdue: named for the dispatch meeting.")

    @classmethod
    def of(
        cls,
        kind: OverdueKind,
        row: Any,
        *,
        title: str,
        owner: str,
        due_on: date,
        working_days_overdue: int,
        estimated: bool,
        today: date,
        escalated: bool = False,
    ) -> OverdueRead:
        """The board's row for a late ``row`` of any kind: its id, district and project (``project_id``,
        ``project_code``, ``project_name``) from the row, the rest as its kind names and counts it."""
        return cls(
            kind=kind,
            id=row.id,
            project_id=row.project_id,
            project_code=row.project_code,
            project_name=row.project_name,
            district=row.district,
            title=title,
            owner=owner,
            due_on=due_on,
            working_days_overdue=working_days_overdue,
            days_overdue=(today - due_on).days,
            estimated=estimated,
            escalated=escalated,
        )
