"""Index weekly reports by week and project: which projects reported in a month is read from the index alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (week, project_id) serves every query the week index served, and also the reports' "projects that
    # reported in these weeks" without visiting the table.
    op.create_index("ix_progress_reports_week_project", "progress_reports", ["week", "project_id"])
    op.drop_index("ix_progress_reports_week", table_name="progress_reports")


def downgrade() -> None:
    op.create_index("ix_progress_reports_week", "progress_reports", ["week"])
    op.drop_index("ix_progress_reports_week_project", table_name="progress_reports")
