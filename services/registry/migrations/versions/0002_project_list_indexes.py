"""Index the most common project list: one district and status, in code order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_projects_district_status_code_id", "projects", ["district", "status", "code", "id"])


def downgrade() -> None:
    op.drop_index("ix_projects_district_status_code_id", table_name="projects")
