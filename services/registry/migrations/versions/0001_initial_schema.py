"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:55:10.609150
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime
from services.common.money import DecimalColumn
from services.common.outbox import create_outbox_tables_op, drop_outbox_tables_op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables_op()
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at_id", ["at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_entity_id_at", ["entity_id", "at"], unique=False)

    op.create_table(
        "developers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developers")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_developers_credit_code")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("developer_id", sa.String(length=36), nullable=False),
        sa.Column("total_units", sa.Integer(), nullable=False),
        sa.Column("sold_units", sa.Integer(), nullable=False),
        sa.Column("delivered_units", sa.Integer(), nullable=False),
        sa.Column("contract_delivery_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("progress_pct", DecimalColumn(precision=5, scale=1), nullable=False),
        sa.Column("stall_started_on", sa.Date(), nullable=True),
        sa.Column("remaining_cost", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("own_funds_available", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("responsible_unit", sa.String(length=200), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=True),
        sa.Column("risk_tier", sa.String(length=8), nullable=True),
        sa.Column("risk_tier_sequence", sa.Integer(), nullable=True),
        sa.Column("current_plan_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"], name=op.f("fk_projects_developer_id_developers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_developer_id"), ["developer_id"], unique=False)
        batch_op.create_index("ix_projects_district_code", ["district", "code"], unique=False)
        batch_op.create_index("ix_projects_risk_tier_code", ["risk_tier", "code"], unique=False)
        batch_op.create_index("ix_projects_status_code", ["status", "code"], unique=False)
        batch_op.create_index("ix_projects_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_disputes_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_opened_on"), ["opened_on"], unique=False)
        batch_op.create_index("ix_disputes_project_id_opened_on", ["project_id", "opened_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_resolved_on"), ["resolved_on"], unique=False)

    op.create_table(
        "outcomes",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_outcomes_project_id_projects")),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_outcomes")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("disposal_path", sa.String(length=32), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("responsible_party", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_plans_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_plans_project_id_version")),
    )
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("progress_pct", DecimalColumn(precision=5, scale=1), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("workers_on_site", sa.Integer(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_progress_reports_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint("project_id", "week", name=op.f("uq_progress_reports_project_id_week")),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index("ix_progress_reports_week", ["week"], unique=False)

    op.create_table(
        "stalls",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_stalls_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stalls")),
    )
    with op.batch_alter_table("stalls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stalls_ended_on"), ["ended_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_stalls_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stalls_started_on"), ["started_on"], unique=False)

    op.create_table(
        "unit_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_unit_deliveries_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_deliveries")),
    )
    with op.batch_alter_table("unit_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_deliveries_delivered_on"), ["delivered_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_deliveries_project_id"), ["project_id"], unique=False)

    op.create_table(
        "milestones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("planned_progress_pct", DecimalColumn(precision=5, scale=1), nullable=False),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_milestones_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index("ix_milestones_plan_id_planned_date", ["plan_id", "planned_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_milestones_plan_id_planned_date")

    op.drop_table("milestones")
    with op.batch_alter_table("unit_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_deliveries_project_id"))
        batch_op.drop_index(batch_op.f("ix_unit_deliveries_delivered_on"))

    op.drop_table("unit_deliveries")
    with op.batch_alter_table("stalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stalls_started_on"))
        batch_op.drop_index(batch_op.f("ix_stalls_project_id"))
        batch_op.drop_index(batch_op.f("ix_stalls_ended_on"))

    op.drop_table("stalls")
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_reports_week")

    op.drop_table("progress_reports")
    op.drop_table("plans")
    op.drop_table("outcomes")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_resolved_on"))
        batch_op.drop_index("ix_disputes_project_id_opened_on")
        batch_op.drop_index(batch_op.f("ix_disputes_opened_on"))

    op.drop_table("disputes")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_updated_at_id")
        batch_op.drop_index("ix_projects_status_code")
        batch_op.drop_index("ix_projects_risk_tier_code")
        batch_op.drop_index("ix_projects_district_code")
        batch_op.drop_index(batch_op.f("ix_projects_developer_id"))

    op.drop_table("projects")
    op.drop_table("developers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity_id_at")
        batch_op.drop_index("ix_audit_log_at_id")

    op.drop_table("audit_log")
    drop_outbox_tables_op()
