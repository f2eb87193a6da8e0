"""Task forces (工作专班): versioned per project, the current leader (包保领导) on the project for reads and lists

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_forces",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("leader_name", sa.String(length=100), nullable=False),
        sa.Column("leader_title", sa.String(length=200), nullable=False),
        sa.Column("lead_unit", sa.String(length=200), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_task_forces_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_forces")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_task_forces_project_id_version")),
    )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("current_task_force_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("task_force_leader_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("task_force_leader_title", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_projects_task_force_leader_name_code", ["task_force_leader_name", "code"])


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_index("ix_projects_task_force_leader_name_code")
        batch_op.drop_column("task_force_leader_title")
        batch_op.drop_column("task_force_leader_name")
        batch_op.drop_column("current_task_force_id")
    op.drop_table("task_forces")
