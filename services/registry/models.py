"""The registry's tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common import clock
from services.common.db import UTCDateTime, new_id, new_metadata
from services.common.money import DecimalColumn, MoneyColumn
from services.common.outbox import outbox_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


OUTBOX = outbox_tables(Base.metadata)


def pct() -> DecimalColumn:
    """A percentage with one decimal place."""
    return DecimalColumn(5, 1)


class Developer(Base):
    __tablename__ = "developers"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        sa.Index("ix_projects_district_code", "district", "code"),
        sa.Index("ix_projects_district_status_code_id", "district", "status", "code", "id"),
        sa.Index("ix_projects_status_code", "status", "code"),
        sa.Index("ix_projects_risk_tier_code", "risk_tier", "code"),
        sa.Index("ix_projects_updated_at_id", "updated_at", "id"),
        sa.Index("ix_projects_task_force_leader_name_code", "task_force_leader_name", "code"),
        sa.Index("ix_projects_stop_work_order_code", "stop_work_order", "code"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(12))
    developer_id: Mapped[str] = mapped_column(sa.ForeignKey("developers.id"), index=True)
    total_units: Mapped[int] = mapped_column(sa.Integer)
    sold_units: Mapped[int] = mapped_column(sa.Integer)
    delivered_units: Mapped[int] = mapped_column(sa.Integer, default=0)
    contract_delivery_date: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(24))
    progress_pct: Mapped[Decimal] = mapped_column(pct(), default=Decimal("0"))
    stall_started_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    remaining_cost: Mapped[Decimal] = mapped_column(MoneyColumn())
    own_funds_available: Mapped[Decimal] = mapped_column(MoneyColumn())
    responsible_unit: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    responsible_person: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    risk_tier: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    risk_tier_sequence: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    current_plan_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    current_task_force_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    # The current task force's leader (包保领导), copied here so the project read and list need no join.
    task_force_leader_name: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    task_force_leader_title: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # Held by a stop-work finding (停工整改) until the last one is closed; kept here for the read and the list.
    stop_work_order: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The row as ProjectRead JSON, written by a PostgreSQL trigger on every insert and update (ADR 20) for the
    # fast path to send as it is; empty on SQLite. Never loaded or written by the ORM (deferred, raising).
    read_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True, deferred=True, deferred_raiseload=True)


class Stall(Base):
    """One stretch of a project not working; the weekly report counts starts and ends."""

    __tablename__ = "stalls"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    started_on: Mapped[date] = mapped_column(sa.Date, index=True)
    ended_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True, index=True)


class UnitDelivery(Base):
    """Units handed to buyers on a day: the ledger behind ``delivered_units``, for the reports."""

    __tablename__ = "unit_deliveries"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    delivered_on: Mapped[date] = mapped_column(sa.Date, index=True)
    units: Mapped[int] = mapped_column(sa.Integer)


class ProgressReport(Base):
    __tablename__ = "progress_reports"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "week"),
        # Covers "which projects reported in these weeks" (the reports) from the index alone.
        sa.Index("ix_progress_reports_week_project", "week", "project_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    week: Mapped[str] = mapped_column(sa.String(8))
    week_start: Mapped[date] = mapped_column(sa.Date)
    progress_pct: Mapped[Decimal] = mapped_column(pct())
    working: Mapped[bool] = mapped_column(sa.Boolean)
    workers_on_site: Mapped[int] = mapped_column(sa.Integer)
    issues: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    actions: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    reported_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ReportMonth(Base):
    """A project that reported for a week beginning in ``month`` (``YYYY-MM``): one row per project and month,
    written with the week's report and never removed (reports are not deleted), so the monthly report counts a
    month's reporters from about one row per project instead of a row per week (ADR 18)."""

    __tablename__ = "report_months"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"), primary_key=True)


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (sa.Index("ix_disputes_project_id_opened_on", "project_id", "opened_on"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    opened_on: Mapped[date] = mapped_column(sa.Date, index=True)
    resolved_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True, index=True)
    summary: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Plan(Base):
    """One version of a project's plan (一项目一方案); a PUT adds a version, never rewrites one."""

    __tablename__ = "plans"
    __table_args__ = (sa.UniqueConstraint("project_id", "version"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(sa.Integer)
    disposal_path: Mapped[str] = mapped_column(sa.String(32))
    measures: Mapped[str] = mapped_column(sa.Text)
    responsible_party: Mapped[str] = mapped_column(sa.String(200))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class TaskForce(Base):
    """One version of a project's task force (工作专班); a PUT adds a version, never rewrites one."""

    __tablename__ = "task_forces"
    __table_args__ = (sa.UniqueConstraint("project_id", "version"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(sa.Integer)
    leader_name: Mapped[str] = mapped_column(sa.String(100))
    leader_title: Mapped[str] = mapped_column(sa.String(200))
    lead_unit: Mapped[str] = mapped_column(sa.String(200))
    members: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    departments: Mapped[list[str]] = mapped_column(sa.JSON)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (sa.Index("ix_milestones_plan_id_planned_date", "plan_id", "planned_date"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(sa.ForeignKey("plans.id"))
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    planned_date: Mapped[date] = mapped_column(sa.Date)
    planned_progress_pct: Mapped[Decimal] = mapped_column(pct())
    actual_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)


class Outcome(Base):
    """What finally happened to a project: the labels the risk model learns from."""

    __tablename__ = "outcomes"

    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    delivered_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    recorded_by: Mapped[str] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class AuditEntry(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_entity_id_at", "entity_id", "at"),
        sa.Index("ix_audit_log_at_id", "at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor: Mapped[str] = mapped_column(sa.String(200))
    actor_role: Mapped[str] = mapped_column(sa.String(24))
    entity: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(36))
    project_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)


class CalendarYear(Base):
    """A year's working-day calendar as a city admin published it from the State Council's notice.

    A row overrides the shipped data for its year; a year with neither is an estimate (weekends only).
    """

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(sa.JSON)
    make_up_workdays: Mapped[list[str]] = mapped_column(sa.JSON)
    source_title: Mapped[str] = mapped_column(sa.String(200))
    source_number: Mapped[str] = mapped_column(sa.String(64))
    source_date: Mapped[date] = mapped_column(sa.Date)
    published_by: Mapped[str] = mapped_column(sa.String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Approval(Base):
    """One approval case (审批事项) of a project, on the working-day clock.

    ``district`` is the project's, copied so that scope and the city-wide lists filter without a join.
    Derived figures (due date, working days used, clock) are computed on read from the calendar in effect.
    """

    __tablename__ = "approvals"
    __table_args__ = (
        sa.Index("ix_approvals_project_id_received_on", "project_id", "received_on"),
        sa.Index("ix_approvals_district_created_at_id", "district", "created_at", "id"),
        sa.Index("ix_approvals_state_created_at_id", "state", "created_at", "id"),
        sa.Index("ix_approvals_parallel_group_id", "parallel_group_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    district: Mapped[str] = mapped_column(sa.String(12))
    item: Mapped[str] = mapped_column(sa.String(32))
    item_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    lead_department: Mapped[str] = mapped_column(sa.String(200))
    co_departments: Mapped[list[str]] = mapped_column(sa.JSON)
    parallel_group_id: Mapped[str] = mapped_column(sa.String(36))
    received_on: Mapped[date] = mapped_column(sa.Date)
    limit_working_days: Mapped[int] = mapped_column(sa.Integer)
    statutory_working_days: Mapped[int] = mapped_column(sa.Integer)
    green_channel_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    green_channel_approved_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    commitment_signer: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    commitment_signed_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(32))
    last_moved_on: Mapped[date] = mapped_column(sa.Date)
    decided_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Inspection(Base):
    """A site inspection of a project (质量安全监督检查); ``district`` is the project's, copied for scope."""

    __tablename__ = "inspections"
    __table_args__ = (
        sa.Index("ix_inspections_project_id_created_at_id", "project_id", "created_at", "id"),
        sa.Index("ix_inspections_district_inspected_on", "district", "inspected_on"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    district: Mapped[str] = mapped_column(sa.String(12))
    kind: Mapped[str] = mapped_column(sa.String(24))
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    inspectors: Mapped[list[str]] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Finding(Base):
    """A finding of an inspection and its rectification loop (整改). The deadline in force counts
    ``deadline_working_days`` from ``deadline_from`` (the notice, or the last failed recheck); due date and
    lateness are derived on read from the calendar in effect."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.Index("ix_findings_district_created_at_id", "district", "created_at", "id"),
        sa.Index("ix_findings_state_created_at_id", "state", "created_at", "id"),
        sa.Index("ix_findings_project_id_state", "project_id", "state"),
        sa.Index("ix_findings_inspection_id", "inspection_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(sa.ForeignKey("inspections.id"))
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    district: Mapped[str] = mapped_column(sa.String(12))
    inspection_kind: Mapped[str] = mapped_column(sa.String(24))
    category: Mapped[str] = mapped_column(sa.String(16))
    severity: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str] = mapped_column(sa.String(200))
    responsible_party: Mapped[str] = mapped_column(sa.String(16))
    measure: Mapped[str] = mapped_column(sa.String(24))
    state: Mapped[str] = mapped_column(sa.String(16))
    notice_issued_on: Mapped[date] = mapped_column(sa.Date)
    deadline_working_days: Mapped[int] = mapped_column(sa.Integer)
    deadline_from: Mapped[date] = mapped_column(sa.Date)
    last_moved_on: Mapped[date] = mapped_column(sa.Date)
    replied_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    measures_taken: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    replied_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    rechecks: Mapped[int] = mapped_column(sa.Integer, default=0)
    rechecks_failed: Mapped[int] = mapped_column(sa.Integer, default=0)
    first_rechecked_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    escalated_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    escalation_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ApprovalMaterial(Base):
    """A material missing at acceptance (容缺), promised by a due date under the applicant's commitment."""

    __tablename__ = "approval_materials"
    __table_args__ = (sa.UniqueConstraint("approval_id", "name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    approval_id: Mapped[str] = mapped_column(sa.ForeignKey("approvals.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(sa.Date)
    supplied_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApprovalPause(Base):
    """A stretch in which an approval's clock stops (补正 or a special procedure); open while ``ended_on`` is null."""

    __tablename__ = "approval_pauses"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    approval_id: Mapped[str] = mapped_column(sa.ForeignKey("approvals.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(32))
    began_on: Mapped[date] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)


class CoordinationItem(Base):
    """A site problem another department must solve (协调事项: 水电气接入, 配套设施, ...), on a working-day deadline.

    The deadline runs ``deadline_working_days`` from ``deadline_from``: the day raised, or the day of the last
    reopening. ``district`` is the project's, copied for scope and filters. Due date and lateness are derived
    on read from the calendar in effect.
    """

    __tablename__ = "coordination_items"
    __table_args__ = (
        sa.Index("ix_coordination_items_project_id_created_at_id", "project_id", "created_at", "id"),
        sa.Index("ix_coordination_items_district_created_at_id", "district", "created_at", "id"),
        sa.Index("ix_coordination_items_state_created_at_id", "state", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.ForeignKey("projects.id"))
    district: Mapped[str] = mapped_column(sa.String(12))
    topic: Mapped[str] = mapped_column(sa.String(32))
    topic_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    description: Mapped[str] = mapped_column(sa.Text)
    lead_department: Mapped[str] = mapped_column(sa.String(200))
    raised_on: Mapped[date] = mapped_column(sa.Date)
    deadline_working_days: Mapped[int] = mapped_column(sa.Integer)
    deadline_from: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(16))
    last_moved_on: Mapped[date] = mapped_column(sa.Date)
    accepted_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    resolved_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    resolution: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    confirmed_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    reopened_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    times_reopened: Mapped[int] = mapped_column(sa.Integer, default=0)
    escalated_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    escalation_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
