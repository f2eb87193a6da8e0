"""Approval cases on the working-day clock, their missing materials (容缺) and pauses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=True),
        sa.Column("lead_department", sa.String(length=200), nullable=False),
        sa.Column("co_departments", sa.JSON(), nullable=False),
        sa.Column("parallel_group_id", sa.String(length=36), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("limit_working_days", sa.Integer(), nullable=False),
        sa.Column("statutory_working_days", sa.Integer(), nullable=False),
        sa.Column("green_channel_reason", sa.Text(), nullable=True),
        sa.Column("green_channel_approved_by", sa.String(length=200), nullable=True),
        sa.Column("commitment_signer", sa.String(length=200), nullable=True),
        sa.Column("commitment_signed_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("last_moved_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("overdue_notified_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_approvals_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    op.create_index("ix_approvals_project_id_received_on", "approvals", ["project_id", "received_on"])
    op.create_index("ix_approvals_district_created_at_id", "approvals", ["district", "created_at", "id"])
    op.create_index("ix_approvals_state_created_at_id", "approvals", ["state", "created_at", "id"])
    op.create_index("ix_approvals_parallel_group_id", "approvals", ["parallel_group_id"])
    op.create_table(
        "approval_materials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("approval_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("supplied_on", sa.Date(), nullable=True),
        sa.Column("overdue_notified_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approvals.id"], name=op.f("fk_approval_materials_approval_id_approvals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_materials")),
        sa.UniqueConstraint("approval_id", "name", name=op.f("uq_approval_materials_approval_id_name")),
    )
    op.create_index(op.f("ix_approval_materials_approval_id"), "approval_materials", ["approval_id"])
    op.create_table(
        "approval_pauses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("approval_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("began_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approvals.id"], name=op.f("fk_approval_pauses_approval_id_approvals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_pauses")),
    )
    op.create_index(op.f("ix_approval_pauses_approval_id"), "approval_pauses", ["approval_id"])


def downgrade() -> None:
    op.drop_table("approval_pauses")
    op.drop_table("approval_materials")
    op.drop_table("approvals")
