"""Coordination items (协调事项): site problems another department must solve, on a working-day deadline

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordination_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("topic_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lead_department", sa.String(length=200), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("deadline_working_days", sa.Integer(), nullable=False),
        sa.Column("deadline_from", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_moved_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("reopened_on", sa.Date(), nullable=True),
        sa.Column("times_reopened", sa.Integer(), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("escalation_note", sa.Text(), nullable=True),
        sa.Column("overdue_notified_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_coordination_items_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordination_items")),
    )
    op.create_index(
        "ix_coordination_items_project_id_created_at_id", "coordination_items", ["project_id", "created_at", "id"]
    )
    op.create_index(
        "ix_coordination_items_district_created_at_id", "coordination_items", ["district", "created_at", "id"]
    )
    op.create_index("ix_coordination_items_state_created_at_id", "coordination_items", ["state", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_coordination_items_state_created_at_id", table_name="coordination_items")
    op.drop_index("ix_coordination_items_district_created_at_id", table_name="coordination_items")
    op.drop_index("ix_coordination_items_project_id_created_at_id", table_name="coordination_items")
    op.drop_table("coordination_items")
