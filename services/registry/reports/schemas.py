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
    coordination: list[CoordinationRow] = Field(
        description="Coordination item figures by district and lead department, for the pairs with any figure "
        "other than zero."
    )


class MonthlySection(StrEnum):
    """Which table of the monthly bulletin (月通报) a CSV download carries: `districts` the figures by district
    (分区统计), `stalled` the stalled projects (停工项目), `lagging` the projects behind their plan
    (进度滞后项目), `approvals` the approval figures by district and item (审批提速), `coordination` the coordination
    item figures by district and lead department (协调事项)."""

    districts = "districts"
    stalled = "stalled"
    lagging = "lagging"
    approvals = "approvals"
    coordination = "coordination"
