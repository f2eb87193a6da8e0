"""Inspections and findings (质量安全监督, 整改), and the project's stop-work order

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_inspections_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index("ix_inspections_project_id_created_at_id", "inspections", ["project_id", "created_at", "id"])
    op.create_index("ix_inspections_district_inspected_on", "inspections", ["district", "inspected_on"])
    op.create_table(
        "findings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("inspection_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("inspection_kind", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("responsible_party", sa.String(length=16), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notice_issued_on", sa.Date(), nullable=False),
        sa.Column("deadline_working_days", sa.Integer(), nullable=False),
        sa.Column("deadline_from", sa.Date(), nullable=False),
        sa.Column("last_moved_on", sa.Date(), nullable=False),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("measures_taken", sa.Text(), nullable=True),
        sa.Column("replied_by", sa.String(length=100), nullable=True),
        sa.Column("rechecks", sa.Integer(), nullable=False),
        sa.Column("rechecks_failed", sa.Integer(), nullable=False),
        sa.Column("first_rechecked_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("escalation_note", sa.Text(), nullable=True),
        sa.Column("overdue_notified_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_findings_inspection_id_inspections")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_findings_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index("ix_findings_district_created_at_id", "findings", ["district", "created_at", "id"])
    op.create_index("ix_findings_state_created_at_id", "findings", ["state", "created_at", "id"])
    op.create_index("ix_findings_project_id_state", "findings", ["project_id", "state"])
    op.create_index("ix_findings_inspection_id", "findings", ["inspection_id"])
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("stop_work_order", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_projects_stop_work_order_code", ["stop_work_order", "code"])


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_index("ix_projects_stop_work_order_code")
        batch_op.drop_column("stop_work_order")
    op.drop_index("ix_findings_inspection_id", table_name="findings")
    op.drop_index("ix_findings_project_id_state", table_name="findings")
    op.drop_index("ix_findings_state_created_at_id", table_name="findings")
    op.drop_index("ix_findings_district_created_at_id", table_name="findings")
    op.drop_table("findings")
    op.drop_index("ix_inspections_district_inspected_on", table_name="inspections")
    op.drop_index("ix_inspections_project_id_created_at_id", table_name="inspections")
    op.drop_table("inspections")
