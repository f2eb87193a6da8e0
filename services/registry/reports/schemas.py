"""The weekly dispatch report and the monthly bulletin (月通报), by district."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field


class ReportCounts(BaseModel):
    projects_reported: int = Field(description="Projects with a progress report for a week of the period.")
    stalls_started: int = Field(description="Stalls that began in the period.")
    stalled_at_end: int = Field(description="Projects stalled at the end of the period (today, if it has not ended).")
    lagging_at_end: int = Field(description="Projects behind the milestones of their plan due by the period's end.")
    resumed: int = Field(description="Stalls that ended in the period.")
    units_delivered: int = Field(description="Units handed to buyers in the period.")
    disputes_opened: int
    disputes_resolved: int


class TierCounts(BaseModel):
    """Projects by the risk tier cached now (the registry keeps no history of tiers)."""

    tier_red: int
    tier_orange: int
    tier_yellow: int
    tier_green: int
    tier_unassessed: int


class DistrictName(BaseModel):
    district: str
    district_name: str


class WeeklyCounts(ReportCounts):
    approvals_received: int = Field(description="Approval cases received in the week.")
    approvals_decided: int = Field(description="Approval cases decided (approved, with tolerance or not, or refused).")


# Bases are listed so that the fields (and the CSV columns taken from them) read district, counts, tiers.
class WeeklyDistrictRow(WeeklyCounts, DistrictName):
    pass


class MonthlyCounts(TierCounts, ReportCounts):
    pass


class MonthlyDistrictRow(MonthlyCounts, DistrictName):
    pass


class WeeklyReportRead(BaseModel):
    week: str
    start: date = Field(description="The Monday of the week.")
    end: date = Field(description="The Sunday of the week.")
    as_of: date = Field(description="The day the end-of-period figures are taken: `end`, or today if earlier.")
    districts: list[WeeklyDistrictRow]
    total: WeeklyCounts


class StalledProject(BaseModel):
    code: str
    name: str
    district: str
    stall_started_on: date
    stall_days: int = Field(description="Days from the stall's start to `as_of`.")


class LaggingProject(BaseModel):
    code: str
    name: str
    district: str
    progress_pct: Decimal
    planned_progress_pct: Decimal = Field(description="What the plan's milestones due by `as_of` call for.")
    lag_pct: Decimal


class ApprovalsRow(BaseModel):
    """One district's figures for one approval item (审批提速)."""

    district: str
    district_name: str
    item: str = Field(description="The approval item (see `ApprovalItem`).")
    decided: int = Field(description="Cases decided in the month: approved (with tolerance or not) or refused.")
    average_working_days: Decimal | None = Field(description="Their average working days used, one decimal place.")
    p90_working_days: int | None = Field(description="Their 90th percentile of working days used (nearest rank).")
    within_limit_pct: Decimal | None = Field(description="The percentage of them decided by their due date.")
    open_overdue: int = Field(description="Cases still running past their due date when the report is read.")
    suspended: int = Field(description="容缺 cases suspended when the report is read (a material overdue).")


class SupervisionRow(BaseModel):
    """One district's quality and safety supervision figures (质量安全监督) for the month."""

    district: str
    district_name: str
    inspections: int = Field(description="Inspections held in the month.")
    findings: int = Field(description="Findings of those inspections.")
    findings_quality: int
    findings_safety: int
    findings_management: int
    findings_general: int
    findings_major: int
    findings_critical: int
    closed: int = Field(description="Findings closed (销号) in the month: the denominator of 整改率.")
    closed_on_time: int = Field(
        description="Of them, those closed by the due date of the deadline in force when closed: the numerator."
    )
    rectified_on_time_pct: Decimal | None = Field(
        description="整改率: `closed_on_time` / `closed` as a percentage, one decimal place; null when none closed."
    )
    first_rechecks: int = Field(description="Findings rechecked for the first time in the month: the denominator.")
    first_rechecks_passed: int = Field(description="Of them, those whose first recheck passed: the numerator.")
    first_recheck_pass_pct: Decimal | None = Field(
        description="复查通过率: `first_rechecks_passed` / `first_rechecks` as a percentage, one decimal place."
    )
    stop_work_orders: int = Field(description="Projects under a stop-work order at the end of `as_of`.")


class CoordinationRow(BaseModel):
    """One district's figures for one lead department's coordination items (协调事项)."""

    district: str
    district_name: str
    lead_department: str
    raised: int = Field(description="Items raised in the month.")
    resolved: int = Field(description="Items resolved in the month (by their latest resolution).")
    resolved_within_deadline: int = Field(description="Of those, resolved by their due date.")
    confirmed: int = Field(description="Items the district confirmed in the month.")
    open: int = Field(description="Items raised and not resolved at `as_of`.")
    overdue: int = Field(description="Of those, past their due date at `as_of`.")


class MonthlyReportRead(BaseModel):
    month: str
    start: date
    end: date
    as_of: date = Field(description="The day the end-of-period figures are taken: `end`, or today if earlier.")
    districts: list[MonthlyDistrictRow]
    total: MonthlyCounts
    stalled_projects: list[StalledProject] = Field(description="Stalled at `as_of`, by district and code.")
    lagging_projects: list[LaggingProject] = Field(description="Lagging at `as_of`, by district and code.")
    approvals: list[ApprovalsRow] = Field(
        description="Approval figures by district and item, for the pairs with any figure other than zero."
    )
    supervision: list[SupervisionRow] = Field(
        default_factory=list,
        description="Quality and safety supervision figures by district, for the districts with any figure.",
    )
    coordination: list[CoordinationRow] = Field(
        default_factory=list,
        description="Coordination item figures by district and lead department, for the pairs with any figure "
        "other than zero.",
    )


class MonthlySection(StrEnum):
    """Which table of the monthly bulletin (月通报) a CSV download carries: `districts` the figures by district
    (分区统计), `stalled` the stalled projects (停工项目), `lagging` the projects behind their plan
    (进度滞后项目), `approvals` the approval figures by district and item (审批提速), `supervision` the quality and
    safety supervision figures by district (质量安全监督: 整改率, 复查通过率, stop-work orders), `coordination` the
    coordination item figures by district and lead department (协调事项)."""

    districts = "districts"
    stalled = "stalled"
    lagging = "lagging"
    approvals = "approvals"
    supervision = "supervision"
    coordination = "coordination"
